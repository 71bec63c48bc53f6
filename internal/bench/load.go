package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

// warmUp is how many takedowns (and bare workflows) run before measuring,
// so that connections, caches and the engine's task queues are warm.
const warmUp = 20

// Throughput is the full path: POST /api/v1/items, POST …/confirm, the
// workflow, the notice, the probes, and the removal recorded in PostgreSQL.
// Each of Concurrency clients creates, confirms and awaits one takedown at a
// time (a closed loop, as the engine's figures in TEMPORAL.md were taken).
type Throughput struct {
	Takedowns   int `json:"takedowns"`
	Concurrency int `json:"concurrency"`
	// Rounds is how many measured rounds the takedowns ran in; the figures
	// are their sums.
	Rounds      int     `json:"rounds"`
	Removed     int     `json:"removed"`
	Failed      int     `json:"failed"`
	WallSeconds float64 `json:"wall_s"`
	// PerSecond is removed takedowns per second of wall time.
	PerSecond float64 `json:"takedowns_per_s"`
	// SteadyPerSecond is the rate while every client was busy, over the
	// rounds' steady windows (see loop): what the ratio compares.
	SteadyPerSecond float64        `json:"steady_takedowns_per_s"`
	ByPlatform      map[string]int `json:"by_platform"`
	// API latencies as the client saw them. Confirming includes starting
	// the workflow, inside the transaction that writes the takedown.
	CreateItem Latency `json:"api_create_item"`
	Confirm    Latency `json:"api_confirm"`
	// From sending the confirm request to the notice's sent time, to the
	// removal time recorded in PostgreSQL (the confirming probe's), and to
	// the client seeing the workflow closed.
	ConfirmToNotice  Latency `json:"confirm_to_notice_sent"`
	ConfirmToRemoved Latency `json:"confirm_to_removed"`
	ConfirmToClosed  Latency `json:"confirm_to_workflow_closed"`
	// NoticeToRemoved is the probing: first probe, the confirmation gap,
	// the second probe.
	NoticeToRemoved Latency `json:"notice_to_removed"`
	// SteadyConfirmToNotice and SteadyConfirmToRemoved are the same for
	// the takedowns confirmed in their rounds' steady windows: without
	// the burst of concurrency confirmations sent at the same instant
	// when a round starts, which with eight pairs is a fifth of the
	// takedowns.
	SteadyConfirmToNotice  Latency `json:"steady_confirm_to_notice_sent"`
	SteadyConfirmToRemoved Latency `json:"steady_confirm_to_removed"`
	// CPU is this process's CPU time during the run (engine included;
	// PostgreSQL's is not), and per removed takedown.
	CPUSeconds       float64 `json:"process_cpu_s"`
	CPUPerTakedownMs float64 `json:"process_cpu_per_takedown_ms"`
	// Postgres is PostgreSQL's CPU time during the run (the postmaster
	// and its backends): it runs on the same cores.
	PostgresCPUSeconds       float64 `json:"postgres_cpu_s"`
	PostgresCPUPerTakedownMs float64 `json:"postgres_cpu_per_takedown_ms"`
	// Pool is the store's connection pool, shared by the API and the
	// activities, during the run.
	Pool PoolUse `json:"pg_pool"`
	// ByRound is each round alone, in the order they ran.
	ByRound []Round `json:"by_round"`
}

// Round is one measured round of ours or of the bare workflow.
type Round struct {
	N           int     `json:"n"`
	WallSeconds float64 `json:"wall_s"`
	PerSecond   float64 `json:"per_s"`
	// SteadyPerSecond is the rate while every client was busy (see loop).
	SteadyPerSecond float64 `json:"steady_per_s"`
	// CPUPerItemMs is this process's CPU time per takedown or workflow.
	CPUPerItemMs float64 `json:"process_cpu_per_item_ms"`
	// BusyShare is how busy the machine's CPUs were during the round, and
	// StealShare the share the hypervisor gave to others (/proc/stat);
	// both absent where the kernel does not say.
	BusyShare  *float64 `json:"busy_share,omitempty"`
	StealShare *float64 `json:"steal_share,omitempty"`
	// CalibrationMs is how long calibrate took just before the round and
	// just after it (mean): the machine's speed at the time.
	CalibrationMs float64 `json:"calibration_ms"`
}

// roundMeter measures one round: its wall time, this process's CPU time
// and the machine's.
type roundMeter struct {
	t0                 time.Time
	cpu0               time.Duration
	busy0, whole0, st0 time.Duration
	procStat           bool
	calibrated         time.Duration
}

func startRound() roundMeter {
	m := roundMeter{calibrated: calibrate()}
	m.busy0, m.whole0, m.st0, m.procStat = cpuTimes()
	m.t0, m.cpu0 = time.Now(), cpuTime()
	return m
}

// done closes the round of n items that ran as l.
func (m roundMeter) done(n int, l loop) Round {
	cpu := cpuTime() - m.cpu0
	busy, whole, steal, ok := cpuTimes()
	done := n - l.failed
	r := Round{N: n, WallSeconds: seconds(l.wall), PerSecond: rate(done, l.wall), SteadyPerSecond: l.steadyRate()}
	if done > 0 {
		r.CPUPerItemMs = round3(ms(cpu) / float64(done))
	}
	if ok && m.procStat {
		if all := whole - m.whole0 + steal - m.st0; all > 0 {
			b, s := round3(float64(busy-m.busy0)/float64(all)), round3(float64(steal-m.st0)/float64(all))
			r.BusyShare, r.StealShare = &b, &s
		}
	}
	r.CalibrationMs = round3(ms(m.calibrated+calibrate()) / 2)
	return r
}

// PoolUse says whether callers waited for a PostgreSQL connection.
type PoolUse struct {
	MaxConns int `json:"max_conns"`
	Acquires int `json:"acquires"`
	// Waited counts acquisitions that found no idle connection.
	Waited     int     `json:"waited"`
	MeanWaitMs float64 `json:"mean_acquire_ms"`
}

// EngineCeiling is the bare workflow on the same engine at the same
// concurrency.
type EngineCeiling struct {
	Workflows   int     `json:"workflows"`
	Concurrency int     `json:"concurrency"`
	Activities  int     `json:"activities_per_workflow"`
	Rounds      int     `json:"rounds"`
	Failed      int     `json:"failed"`
	WallSeconds float64 `json:"wall_s"`
	PerSecond   float64 `json:"workflows_per_s"`
	// SteadyPerSecond is as Throughput's.
	SteadyPerSecond float64 `json:"steady_workflows_per_s"`
	// Latency is from the start request to the client seeing it closed.
	Latency           Latency `json:"start_to_closed"`
	EventsPerWorkflow int     `json:"events_per_workflow"`
	CPUSeconds        float64 `json:"process_cpu_s"`
	CPUPerWorkflowMs  float64 `json:"process_cpu_per_workflow_ms"`
	ByRound           []Round `json:"by_round"`
}

// sample is one measured takedown.
type sample struct {
	platform   takedown.Platform
	takedownID uuid.UUID
	workflowID string
	confirmAt  time.Time
	closedAt   time.Time
	create     time.Duration
	confirm    time.Duration
	// steady: confirmed inside its round's steady window (see loop).
	steady bool
}

// contentURL is the URL of the i-th piece of content of a run: the four
// platforms in turn, each id unique to (run, i). run is four lower-case
// letters, so it fits every platform's id syntax.
func contentURL(run string, i int) (takedown.Platform, string) {
	p := takedown.Platforms[i%len(takedown.Platforms)]
	switch p {
	case takedown.YouTube:
		return p, fmt.Sprintf("https://www.youtube.com/watch?v=%s%07d", run, i)
	case takedown.Telegram:
		return p, fmt.Sprintf("https://t.me/bench%s/%d", run, i+1)
	case takedown.X:
		return p, fmt.Sprintf("https://x.com/bench%s/status/%d", run, 1_700_000_000_000_000_000+runNumber(run)*10_000_000+i)
	default:
		return p, fmt.Sprintf("https://www.instagram.com/p/B%s%07d/", run, i)
	}
}

// runNumber reads run's letters as a number, so that X's numeric ids differ
// between runs as the other platforms' ids do.
func runNumber(run string) int {
	n := 0
	for _, c := range run {
		n = n*26 + int(c-'a')
	}
	return n
}

// benchCategories are the categories every platform's development
// configuration can file: other_illegal needs a YouTube abuse reason id set
// by the operator, and without one its notice fails for good.
var benchCategories = []takedown.Category{takedown.DeepfakeSexual, takedown.NCII, takedown.CSAM, takedown.Sextortion}

// categoryOf spreads the categories over the platforms: every pair occurs.
func categoryOf(i int) takedown.Category {
	return benchCategories[(i/len(takedown.Platforms))%len(benchCategories)]
}

// newRun returns four random lower-case letters.
func newRun() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return string(b)
}

// closedLoop runs do for i in [from, from+n) with concurrency clients, each
// taking the next i when its last one is done. It returns the wall time and
// the errors (at most the first ten are kept, all are counted).
func closedLoop(ctx context.Context, from, n, concurrency int, do func(ctx context.Context, i int) error) (time.Duration, int, []error) {
	l := runLoop(ctx, from, n, concurrency, do)
	return l.wall, l.failed, l.errs
}

// loop is what one closed loop did.
type loop struct {
	wall   time.Duration
	failed int
	errs   []error
	// steady is how many calls succeeded in window: from the moment the
	// first concurrency calls had completed to the moment the last i was
	// handed out. In that window every client is busy and none is new, so
	// the rate in it is the loop's steady state, without the start, when
	// nothing completes for a latency, nor the drain, when fewer and fewer
	// clients are left: those cost a loop with a longer latency more, and
	// a rate over the whole round would count latency as throughput.
	steady int
	window time.Duration
	// steadyFrom and steadyTo are the window's ends on the clock.
	steadyFrom, steadyTo time.Time
}

// inSteady reports whether t falls in the loop's steady window.
func (l loop) inSteady(t time.Time) bool {
	return l.window > 0 && !t.Before(l.steadyFrom) && !t.After(l.steadyTo)
}

func (l loop) steadyRate() float64 { return rate(l.steady, l.window) }

func runLoop(ctx context.Context, from, n, concurrency int, do func(ctx context.Context, i int) error) loop {
	var next atomic.Int64
	next.Store(int64(from))
	var (
		mu       sync.Mutex
		l        loop
		done     []time.Duration // since start, of each success
		lastGive time.Duration
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range min(concurrency, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= from+n {
					return
				}
				if i == from+n-1 {
					mu.Lock()
					lastGive = time.Since(start)
					mu.Unlock()
				}
				err := do(ctx, i)
				at := time.Since(start)
				mu.Lock()
				if err != nil {
					l.failed++
					if len(l.errs) < 10 {
						l.errs = append(l.errs, err)
					}
				} else {
					done = append(done, at)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	l.wall = time.Since(start)
	if err := ctx.Err(); err != nil {
		l.errs = append(l.errs, err)
		return l
	}
	l.steady, l.window = steadyWindow(done, concurrency, lastGive)
	l.steadyTo = start.Add(lastGive)
	l.steadyFrom = l.steadyTo.Add(-l.window)
	return l
}

// steadyWindow counts the completions after the concurrency-th one and
// up to lastGive, and the time between the two; zero when the round was
// too short to have a steady state.
func steadyWindow(done []time.Duration, concurrency int, lastGive time.Duration) (int, time.Duration) {
	slices.Sort(done)
	if concurrency < 1 || len(done) <= concurrency {
		return 0, 0
	}
	from := done[concurrency-1]
	if lastGive <= from {
		return 0, 0
	}
	n := 0
	for _, d := range done[concurrency:] {
		if d <= lastGive {
			n++
		}
	}
	return n, lastGive - from
}

// ours is the throughput loop, measured in rounds (see measurePair): it
// keeps the sums of every round.
type ours struct {
	cfg     Config
	st      *stack
	run     string
	next    int // index of the next takedown
	rounds  int
	samples []sample
	failed  int
	errs    []error
	wall    time.Duration
	cpu     time.Duration
	pgCPU   time.Duration
	pool    PoolUse
	acqDur  time.Duration
	byRound []Round
	steady  int
	window  time.Duration
}

// newOurs warms the path up with a few takedowns that are not measured.
func newOurs(ctx context.Context, cfg Config, st *stack) (*ours, error) {
	o := &ours{cfg: cfg, st: st, run: newRun(), next: min(warmUp, cfg.Takedowns)}
	progress(cfg, "throughput: warming up with %d takedowns", o.next)
	if _, _, errs := closedLoop(ctx, 0, o.next, cfg.Concurrency, func(ctx context.Context, i int) error {
		_, err := st.takedown(ctx, o.run, i)
		return err
	}); len(errs) > 0 {
		return nil, fmt.Errorf("warm-up: %w", errors.Join(errs...))
	}
	o.pool.MaxConns = int(st.store.Pool().Stat().MaxConns())
	return o, nil
}

// round measures n takedowns through the API at the configured concurrency.
func (o *ours) round(ctx context.Context, n int) {
	settle(ctx, o.cfg, o.st)
	progress(o.cfg, "throughput: %d takedowns through the API at concurrency %d", n, o.cfg.Concurrency)
	o.rounds++
	stop := o.cfg.profile("throughput-" + strconv.Itoa(o.rounds))
	from := o.next
	o.next += n
	got := make([]sample, n)
	ok := make([]bool, n)
	var done atomic.Int64
	meter := startRound()
	pool0, cpu0, pg0 := o.st.store.Pool().Stat(), cpuTime(), o.st.postgresCPU()
	l := runLoop(ctx, from, n, o.cfg.Concurrency, func(ctx context.Context, i int) error {
		s, err := o.st.takedown(ctx, o.run, i)
		if err != nil {
			return err
		}
		got[i-from], ok[i-from] = s, true
		if d := done.Add(1); d%500 == 0 {
			progress(o.cfg, "throughput: %d removed", d)
		}
		return nil
	})
	o.cpu += cpuTime() - cpu0
	o.pgCPU += o.st.postgresCPU() - pg0
	wall, failed, errs := l.wall, l.failed, l.errs
	o.byRound = append(o.byRound, meter.done(n, l))
	o.steady += l.steady
	o.window += l.window
	stop()
	pool1 := o.st.store.Pool().Stat()
	o.pool.Acquires += int(pool1.AcquireCount() - pool0.AcquireCount())
	o.pool.Waited += int(pool1.EmptyAcquireCount() - pool0.EmptyAcquireCount())
	o.acqDur += pool1.AcquireDuration() - pool0.AcquireDuration()
	o.wall += wall
	o.failed += failed
	o.errs = append(o.errs, errs...)
	for i, s := range got {
		if ok[i] {
			s.steady = l.inSteady(s.confirmAt)
			o.samples = append(o.samples, s)
		}
	}
}

// result sums the rounds: throughput is every removed takedown over the
// rounds' summed wall time.
func (o *ours) result(ctx context.Context) (*Throughput, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	measured := o.next - min(warmUp, o.cfg.Takedowns)
	got := o.samples
	tp := &Throughput{
		Takedowns: measured, Concurrency: o.cfg.Concurrency, Rounds: o.rounds,
		Removed: len(got), Failed: o.failed,
		WallSeconds: seconds(o.wall), PerSecond: rate(len(got), o.wall),
		ByPlatform: map[string]int{},
		CPUSeconds: seconds(o.cpu), PostgresCPUSeconds: seconds(o.pgCPU),
		Pool: o.pool, ByRound: o.byRound, SteadyPerSecond: rate(o.steady, o.window),
	}
	if len(got) > 0 {
		tp.CPUPerTakedownMs = round3(ms(o.cpu) / float64(len(got)))
		tp.PostgresCPUPerTakedownMs = round3(ms(o.pgCPU) / float64(len(got)))
	}
	if tp.Pool.Acquires > 0 {
		tp.Pool.MeanWaitMs = round3(ms(o.acqDur) / float64(tp.Pool.Acquires))
	}
	if err := o.st.measureSamples(ctx, got, tp); err != nil {
		return nil, err
	}
	if o.failed > 0 {
		return tp, fmt.Errorf("%d of %d takedowns failed: %w", o.failed, measured, errors.Join(o.errs...))
	}
	return tp, nil
}

// takedown runs one takedown through the API and waits for its workflow.
func (s *stack) takedown(ctx context.Context, run string, i int) (sample, error) {
	p, u := contentURL(run, i)
	t0 := time.Now()
	var it takedown.Item
	if err := s.post(ctx, "/api/v1/items", map[string]string{"url": u, "category": string(categoryOf(i))}, http.StatusCreated, &it); err != nil {
		return sample{}, err
	}
	t1 := time.Now()
	var conf struct {
		TakedownID uuid.UUID `json:"takedown_id"`
		WorkflowID string    `json:"workflow_id"`
		RunID      string    `json:"run_id"`
	}
	if err := s.post(ctx, "/api/v1/items/"+it.ID.String()+"/confirm", nil, http.StatusAccepted, &conf); err != nil {
		return sample{}, err
	}
	t2 := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var res workflows.Result
	// The run the API started, as the bare loop holds the run it started:
	// without it the client first asks the engine for the current run.
	if err := s.client.GetWorkflow(wctx, conf.WorkflowID, conf.RunID).Get(wctx, &res); err != nil {
		return sample{}, fmt.Errorf("takedown %s: %w", conf.TakedownID, err)
	}
	t3 := time.Now()
	if res.Status != takedown.StatusRemoved {
		return sample{}, fmt.Errorf("takedown %s ended %s, want removed", conf.TakedownID, res.Status)
	}
	return sample{platform: p, takedownID: conf.TakedownID, workflowID: conf.WorkflowID,
		confirmAt: t1, closedAt: t3, create: t1.Sub(t0), confirm: t2.Sub(t1)}, nil
}

// measureSamples reads the recorded times of the samples' takedowns from
// PostgreSQL and fills in the latencies.
func (s *stack) measureSamples(ctx context.Context, got []sample, tp *Throughput) error {
	ids := make([]string, len(got))
	for i, g := range got {
		ids[i] = g.takedownID.String()
	}
	rows, err := s.store.Pool().Query(ctx, `
		SELECT id::text, status, notice_sent_at, removed_at FROM takedowns WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return fmt.Errorf("read takedowns: %w", err)
	}
	type rec struct {
		status           string
		notice, removedT *time.Time
	}
	byID := map[string]rec{}
	for rows.Next() {
		var id string
		var r rec
		if err := rows.Scan(&id, &r.status, &r.notice, &r.removedT); err != nil {
			rows.Close()
			return fmt.Errorf("read takedowns: %w", err)
		}
		byID[id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read takedowns: %w", err)
	}
	var create, confirm, toNotice, toRemoved, toClosed, probing, steadyNotice, steadyRemoved []time.Duration
	for _, g := range got {
		r, ok := byID[g.takedownID.String()]
		if !ok || r.status != string(takedown.StatusRemoved) || r.notice == nil || r.removedT == nil {
			return fmt.Errorf("takedown %s: status %q in PostgreSQL after its workflow closed as removed", g.takedownID, r.status)
		}
		tp.ByPlatform[string(g.platform)]++
		create = append(create, g.create)
		confirm = append(confirm, g.confirm)
		toNotice = append(toNotice, r.notice.Sub(g.confirmAt))
		toRemoved = append(toRemoved, r.removedT.Sub(g.confirmAt))
		toClosed = append(toClosed, g.closedAt.Sub(g.confirmAt))
		probing = append(probing, r.removedT.Sub(*r.notice))
		if g.steady {
			steadyNotice = append(steadyNotice, r.notice.Sub(g.confirmAt))
			steadyRemoved = append(steadyRemoved, r.removedT.Sub(g.confirmAt))
		}
	}
	tp.SteadyConfirmToNotice, tp.SteadyConfirmToRemoved = Summarize(steadyNotice), Summarize(steadyRemoved)
	tp.CreateItem, tp.Confirm = Summarize(create), Summarize(confirm)
	tp.ConfirmToNotice, tp.ConfirmToRemoved, tp.ConfirmToClosed = Summarize(toNotice), Summarize(toRemoved), Summarize(toClosed)
	tp.NoticeToRemoved = Summarize(probing)
	return nil
}

// post sends one API request as staff and decodes the answer.
func (s *stack) post(ctx context.Context, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiURL+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+s.staffToken)
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", routeOf(path), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("POST %s: %w", routeOf(path), err)
	}
	if resp.StatusCode != want {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		return fmt.Errorf("POST %s: HTTP %d %s: %s", routeOf(path), resp.StatusCode, e.Error.Code, e.Error.Message)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("POST %s: decode answer: %w", routeOf(path), err)
	}
	return nil
}

// routeOf names a request in errors without its ids.
func routeOf(path string) string {
	if path == "/api/v1/items" {
		return path
	}
	return "/api/v1/items/{id}/confirm"
}

// bare is the engine-ceiling loop, measured in rounds like ours.
type bare struct {
	cfg     Config
	st      *stack
	run     string
	acts    int
	next    int
	rounds  int
	mu      sync.Mutex
	lat     []time.Duration
	failed  int
	errs    []error
	wall    time.Duration
	cpu     time.Duration
	byRound []Round
	steady  int
	window  time.Duration
}

func (b *bare) one(ctx context.Context, i int) error {
	t0 := time.Now()
	wr, err := b.st.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "bench-bare-" + b.run + "-" + strconv.Itoa(i), TaskQueue: bareQueue,
	}, bareWorkflow, b.acts)
	if err != nil {
		return fmt.Errorf("start bare workflow: %w", err)
	}
	if err := wr.Get(ctx, nil); err != nil {
		return fmt.Errorf("bare workflow: %w", err)
	}
	if i >= warmUp {
		b.mu.Lock()
		b.lat = append(b.lat, time.Since(t0))
		b.mu.Unlock()
	}
	return nil
}

// newBare warms the bare workflow up with a few runs that are not measured.
func newBare(ctx context.Context, cfg Config, st *stack, acts int) (*bare, error) {
	b := &bare{cfg: cfg, st: st, run: newRun(), acts: acts, next: min(warmUp, cfg.Takedowns)}
	progress(cfg, "engine ceiling: warming up")
	if _, _, errs := closedLoop(ctx, 0, b.next, cfg.Concurrency, b.one); len(errs) > 0 {
		return nil, fmt.Errorf("warm-up: %w", errors.Join(errs...))
	}
	return b, nil
}

func (b *bare) round(ctx context.Context, n int) {
	settle(ctx, b.cfg, b.st)
	progress(b.cfg, "engine ceiling: %d bare workflows of %d activities at concurrency %d", n, b.acts, b.cfg.Concurrency)
	b.rounds++
	stop := b.cfg.profile("engine-ceiling-" + strconv.Itoa(b.rounds))
	from := b.next
	b.next += n
	meter := startRound()
	cpu0 := cpuTime()
	l := runLoop(ctx, from, n, b.cfg.Concurrency, b.one)
	wall, failed, errs := l.wall, l.failed, l.errs
	b.cpu += cpuTime() - cpu0
	b.byRound = append(b.byRound, meter.done(n, l))
	b.steady += l.steady
	b.window += l.window
	stop()
	b.wall += wall
	b.failed += failed
	b.errs = append(b.errs, errs...)
}

func (b *bare) result(ctx context.Context) (*EngineCeiling, error) {
	n := b.next - min(warmUp, b.cfg.Takedowns)
	ec := &EngineCeiling{
		Workflows: n, Concurrency: b.cfg.Concurrency, Activities: b.acts, Rounds: b.rounds, Failed: b.failed,
		WallSeconds: seconds(b.wall), PerSecond: rate(n-b.failed, b.wall), Latency: Summarize(b.lat),
		CPUSeconds: seconds(b.cpu), ByRound: b.byRound, SteadyPerSecond: rate(b.steady, b.window),
	}
	if done := n - b.failed; done > 0 {
		ec.CPUPerWorkflowMs = round3(ms(b.cpu) / float64(done))
	}
	desc, err := b.st.client.DescribeWorkflowExecution(ctx, "bench-bare-"+b.run+"-"+strconv.Itoa(warmUp), "")
	if err != nil {
		return ec, fmt.Errorf("describe a bare workflow: %w", err)
	}
	ec.EventsPerWorkflow = int(desc.GetWorkflowExecutionInfo().GetHistoryLength())
	if b.failed > 0 {
		return ec, fmt.Errorf("%d of %d bare workflows failed: %w", b.failed, n, errors.Join(b.errs...))
	}
	return ec, nil
}

// roundSizes splits n into one round per pair, as even as n allows; each
// pair runs a round of ours and one of the bare workflow of that size.
func roundSizes(n, pairs int) []int {
	pairs = max(min(pairs, n), 1)
	out := make([]int, pairs)
	for k := range out {
		out[k] = n / pairs
		if k < n%pairs {
			out[k]++
		}
	}
	return out
}

// pairRatios is ours over the bare workflow within each pair of rounds,
// by their steady rates where both rounds had a steady state, and their
// median.
func pairRatios(ours, bare []Round) ([]float64, float64) {
	var rs []float64
	for k := range min(len(ours), len(bare)) {
		o, b := ours[k].SteadyPerSecond, bare[k].SteadyPerSecond
		if o == 0 || b == 0 {
			o, b = ours[k].PerSecond, bare[k].PerSecond
		}
		if b > 0 {
			rs = append(rs, round3(o/b))
		}
	}
	if len(rs) == 0 {
		return nil, 0
	}
	sorted := slices.Sorted(slices.Values(rs))
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return rs, sorted[mid]
	}
	return rs, round3((sorted[mid-1] + sorted[mid]) / 2)
}

// settle waits until the engine has worked off what earlier runs left it
// (visibility writes, above all, lag behind the workflows they describe),
// so that a measured loop pays for its own work and not for its
// predecessor's: this process and PostgreSQL together use less than a
// tenth of a core for a quarter of a second. It gives up after 30 s and
// says so; the run goes on.
func settle(ctx context.Context, cfg Config, st *stack) {
	const (
		window = 250 * time.Millisecond
		quiet  = window / 10
		limit  = 30 * time.Second
	)
	began := time.Now()
	for time.Since(began) < limit && ctx.Err() == nil {
		before := cpuTime() + st.postgresCPU()
		time.Sleep(window)
		if cpuTime()+st.postgresCPU()-before < quiet {
			progress(cfg, "settled in %.1fs", time.Since(began).Seconds())
			return
		}
	}
	progress(cfg, "not settled after %s; measuring anyway", limit)
}
