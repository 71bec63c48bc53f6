package metered_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/metered"
	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/youtube"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock is the test's time: every party — the simulated YouTube, the
// adapter, the ledger — reads it, and the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

type rig struct {
	clk    *clock
	sim    *simulator.Simulator
	ledger *quota.Ledger
	yt     *metered.Adapter
	obs    *counts
}

type counts struct {
	mu       sync.Mutex
	spent    map[quota.Purpose]int
	refused  map[quota.Purpose]int
	refunded map[quota.Purpose]int
	batches  []int
}

func (c *counts) Spent(_ takedown.Platform, p quota.Purpose, u int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spent[p] += u
}
func (c *counts) Refused(_ takedown.Platform, p quota.Purpose) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refused[p]++
}
func (c *counts) Refunded(_ takedown.Platform, p quota.Purpose, u int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refunded[p] += u
}
func (c *counts) Batch(_ takedown.Platform, ids int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, ids)
}

func newRig(t *testing.T, start time.Time) *rig {
	t.Helper()
	clk := &clock{t: start}
	sim, err := simulator.New(simulator.Config{Now: clk.Now, RemoveAfter: 1000 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = sim.Close() })
	st, err := store.Open(t.Context(), store.Config{URL: pgtest.URL(t), MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	ledger, err := quota.NewLedger(st, quota.DefaultBudgets(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := youtube.New(youtube.Config{BaseURL: srv.URL + "/youtube/v3", AccessToken: "test-token", Now: clk.Now}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	obs := &counts{spent: map[quota.Purpose]int{}, refused: map[quota.Purpose]int{}, refunded: map[quota.Purpose]int{}}
	yt, err := metered.Wrap(inner, metered.Config{Platform: takedown.YouTube, Ledger: ledger, BatchSize: youtube.BatchSize,
		Gather: 20 * time.Millisecond, ExhaustedCodes: []string{"quotaExceeded"}, Observer: obs, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{clk: clk, sim: sim, ledger: ledger, yt: yt, obs: obs}
}

func videoID(i int) string { return fmt.Sprintf("vid%08d", i) }

func report(i int) takedown.Notice {
	return takedown.Notice{Key: fmt.Sprintf("00000000-0000-4000-8000-%012d:youtube:1", i),
		Content:  takedown.Content{Platform: takedown.YouTube, ID: videoID(i), URL: "https://www.youtube.com/watch?v=" + videoID(i)},
		Category: takedown.DeepfakeSexual, LegalGround: "test", Reference: "TKD-TEST", Language: "ko", Attempt: 1, Kind: takedown.KindNotice}
}

// TestADayOfReportsIsNeverDelayedByProbes runs one Pacific day on a fake
// clock against a YouTube that counts units: 1,000 open takedowns, all of
// them with a notice of that day, probed on the production schedule — three
// times what the probes' share can pay for — and a day's worth of reports
// (all the units probes have no share of), the last third of them in the
// day's final hour, when the probes have had all day to spend. Every report
// must go through at once; only probes may wait.
func TestADayOfReportsIsNeverDelayedByProbes(t *testing.T) {
	pacific, _ := time.LoadLocation("America/Los_Angeles")
	start := time.Date(2026, 3, 10, 0, 0, 0, 0, pacific).UTC()
	r := newRig(t, start)
	budget, _ := r.ledger.Budget(takedown.YouTube)
	sched := activities.ProbeSchedule{Slot: 10 * time.Minute, Early: 10 * time.Minute, EarlyFor: 24 * time.Hour, Late: time.Hour}

	const open = 1000
	since := start
	// Reports use ids of their own, after the probed ones.
	reports := (budget.Units - budget.ProbeCap() - budget.ReportReserve) / 50
	at := make([]time.Time, reports)
	for i := range at {
		if i < reports*2/3 {
			at[i] = start.Add(time.Duration(i) * 23 * time.Hour / time.Duration(reports*2/3))
		} else {
			at[i] = start.Add(23*time.Hour + time.Duration(i-reports*2/3)*time.Minute/2)
		}
	}

	ctx := context.Background()
	next, probed := 0, 0
	for slot := start; slot.Before(start.Add(24 * time.Hour)); slot = slot.Add(sched.Slot) {
		for next < reports && at[next].Before(slot.Add(sched.Slot)) {
			r.clk.Set(at[next])
			if _, err := r.yt.Send(ctx, report(open+next)); err != nil {
				t.Fatalf("report %d at %s: %v", next, at[next].In(pacific).Format("15:04"), err)
			}
			next++
		}
		r.clk.Set(slot)
		var wg sync.WaitGroup
		for i := range open {
			if !sched.Due(videoID(i), since, slot) {
				continue
			}
			probed++
			wg.Go(func() {
				res, err := r.yt.Probe(ctx, takedown.Content{Platform: takedown.YouTube, ID: videoID(i)})
				if err == nil && res.State != takedown.ProbePresent {
					t.Errorf("video %d: %s, want present", i, res.State)
				}
				if pe := platforms.Classify(err); err != nil && pe.Code != "probe_quota" {
					t.Errorf("probe of video %d: %v", i, err)
				}
			})
		}
		wg.Wait()
	}
	if next != reports {
		t.Fatalf("%d of %d reports sent", next, reports)
	}
	q := r.sim.YouTubeQuota()
	t.Logf("reports %d, probes asked %d, calls %d, YouTube counted %d units, probes spent %d, probe calls refused %d",
		reports, probed, len(r.obs.batches), q.Used, r.obs.spent[quota.Probe], r.obs.refused[quota.Probe])
	if r.obs.refused[quota.Report] != 0 {
		t.Errorf("%d reports were refused", r.obs.refused[quota.Report])
	}
	if r.obs.refused[quota.Probe] == 0 {
		t.Error("no probe call was held back, though the probes asked for three times their share")
	}
	if got := r.obs.spent[quota.Probe]; got > budget.ProbeCap() || got < budget.ProbeCap()*8/10 {
		t.Errorf("probes spent %d units, want close to their share %d and never above", got, budget.ProbeCap())
	}
	if q.Used > budget.Units {
		t.Errorf("YouTube counted %d units, over its %d", q.Used, budget.Units)
	}
	ids := 0
	for _, n := range r.obs.batches {
		ids += n
	}
	if avg := float64(ids) / float64(len(r.obs.batches)); avg < 40 {
		t.Errorf("%.1f ids per call, want batches close to %d", avg, youtube.BatchSize)
	}
}

// TestPlatformSaysQuotaSpent: when YouTube answers quotaExceeded (units
// the ledger did not see), the window closes for every worker until
// midnight Pacific, reports included.
func TestPlatformSaysQuotaSpent(t *testing.T) {
	pacific, _ := time.LoadLocation("America/Los_Angeles")
	start := time.Date(2026, 3, 10, 9, 0, 0, 0, pacific).UTC()
	r := newRig(t, start)
	if err := r.sim.SetBehaviour(takedown.YouTube, "", simulator.Behaviour{Quota: 60}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.yt.Send(ctx, report(1)); err != nil {
		t.Fatalf("first report: %v", err)
	}
	_, err := r.yt.Send(ctx, report(2))
	if pe := platforms.Classify(err); pe.Code != "quotaExceeded" {
		t.Fatalf("second report: %v, want YouTube's quotaExceeded", err)
	}
	_, err = r.yt.Probe(ctx, takedown.Content{Platform: takedown.YouTube, ID: videoID(3)})
	pe := platforms.Classify(err)
	midnight := time.Date(2026, 3, 11, 0, 0, 0, 0, pacific)
	if pe.Code != "probe_quota" || pe.RetryAfter != midnight.Sub(start) {
		t.Errorf("probe after quotaExceeded: %v (wait %s), want the ledger to hold it until midnight Pacific (%s)", err, pe.RetryAfter, midnight.Sub(start))
	}
	if n := r.sim.Requests(simulator.RouteYouTubeVideos); n != 0 {
		t.Errorf("%d videos.list calls reached YouTube after it said the quota was spent", n)
	}
	st, err := r.ledger.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Platform == takedown.YouTube && (!s.Exhausted || s.Remaining != 0) {
			t.Errorf("ledger %+v, want the window exhausted", s)
		}
	}
}
