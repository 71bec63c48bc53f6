package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/worker"

	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

// Memory is the process's memory with Waiting takedowns waiting on their
// deadlines. The engine, the workers, the API and the simulator all live in
// this process, so the figures are theirs together; PostgreSQL runs in its
// own processes and is reported apart.
type Memory struct {
	Note    string `json:"note"`
	Waiting int    `json:"waiting"`
	// StartSeconds is from the first start request until every waiting
	// takedown had sent its notice (counted in PostgreSQL).
	StartSeconds float64   `json:"start_to_all_notices_s"`
	Before       MemSample `json:"before"`
	After        MemSample `json:"after"`
	// Per waiting takedown: the growth from Before to After over Waiting.
	RSSPerTakedownKB  float64 `json:"rss_per_takedown_kb"`
	HeapPerTakedownKB float64 `json:"heap_per_takedown_kb"`
	// WithoutWorkers is read at the very end, after the workers stopped and
	// the SDK's workflow cache was emptied: the difference from After is the
	// workers' share, the rest the engine's (and what the Go runtime keeps).
	WithoutWorkers *MemSample `json:"without_workers,omitempty"`
	// Unprobed counts the waiting takedowns that had not made their first
	// probe a minute after the last notice; UnprobedDetail says what the
	// engine held for some of them. Takedowns whose platform probes on a
	// grid (YouTube, X) are not waited for: their first probe waits for
	// the grid's next slot, minutes away, as a scheduled retry of the
	// probe activity, which is waiting too.
	Unprobed       int      `json:"unprobed,omitempty"`
	UnprobedDetail []string `json:"unprobed_detail,omitempty"`
	// SeededMeanwhile says the query database was seeded while these
	// takedowns started, which slows their start (not the memory figures).
	SeededMeanwhile bool `json:"seeded_meanwhile"`
}

// MemSample is one reading, taken after a garbage collection.
type MemSample struct {
	RSSMB       float64 `json:"vm_rss_mb"`
	HWMMB       float64 `json:"vm_hwm_mb"`
	HeapAllocMB float64 `json:"go_heap_alloc_mb"`
	HeapInuseMB float64 `json:"go_heap_inuse_mb"`
	GoSysMB     float64 `json:"go_sys_mb"`
	Goroutines  int     `json:"goroutines"`
	// PostgresPSSMB is the proportional set size of the PostgreSQL server's
	// processes (shared memory counted once); 0 when it cannot be read.
	PostgresPSSMB float64 `json:"postgres_pss_mb"`
}

// waiting is the memory measurement under way: the takedowns are being
// started in the background.
type waiting struct {
	m       *Memory
	inputs  []workflows.Input
	t0      time.Time
	started chan error
}

// startWaiting reads the memory, then starts cfg.Waiting takedowns whose
// content is never removed, in the background; finish waits for them.
func startWaiting(ctx context.Context, cfg Config, st *stack) (*waiting, error) {
	w := &waiting{
		m: &Memory{
			Waiting: cfg.Waiting,
			Note: "VmRSS of this one process, which holds the embedded Temporal engine, the SDK workers (whose workflow cache keeps " +
				"up to 10,000 running workflows), the API and the simulator; the Go heap is the same process's; PostgreSQL is separate",
		},
		started: make(chan error, 1),
	}
	// From now on the platforms take notices and never act on them.
	for _, p := range takedown.Platforms {
		if err := st.sim.SetBehaviour(p, "", simulator.Behaviour{OnNotice: simulator.OnNoticeNever}); err != nil {
			return nil, err
		}
	}
	inputs, err := st.waitingItems(ctx, newRun(), cfg.Waiting)
	if err != nil {
		return nil, err
	}
	w.inputs = inputs
	w.m.Before = readMemory(cfg.Dir)

	progress(cfg, "memory: starting %d takedowns that wait on their deadlines", cfg.Waiting)
	starter := workflows.Starter{Client: st.client, Signer: st.Signer}
	w.t0 = time.Now()
	go func() {
		_, failed, errs := closedLoop(ctx, 0, len(inputs), cfg.Concurrency, func(ctx context.Context, i int) error {
			in := inputs[i]
			_, err := starter.Start(ctx, takedown.WorkflowID(in.TakedownID), in, workflows.UrgencyBatch)
			return err
		})
		if failed > 0 {
			w.started <- fmt.Errorf("%d waiting takedowns did not start: %w", failed, errors.Join(errs...))
		}
		close(w.started)
	}()
	return w, nil
}

// finish waits until every waiting takedown has sent its notice and made
// its first probe, so that each has armed its deadline and is waiting, and
// reads the memory again.
func (w *waiting) finish(ctx context.Context, cfg Config, st *stack) (*Memory, error) {
	if err := <-w.started; err != nil {
		return nil, err
	}
	last := time.Now()
	for {
		var sent int
		if err := st.store.Pool().QueryRow(ctx, `
			SELECT count(*) FROM takedowns WHERE confirmed_by = $1 AND notice_sent_at IS NOT NULL`, st.waitingID).Scan(&sent); err != nil {
			return nil, fmt.Errorf("count notices: %w", err)
		}
		if sent >= cfg.Waiting {
			break
		}
		if time.Since(last) > 30*time.Second {
			progress(cfg, "memory: %d of %d notices sent", sent, cfg.Waiting)
			last = time.Now()
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
	}
	w.m.StartSeconds = seconds(time.Since(w.t0))
	// A first probe that fails before it reaches the platform is retried
	// only after the waiting policy's 30 minutes: the wait for the probes is
	// bounded, and what did not probe is described instead.
	// (Counting the platform's probe requests instead would never reach
	// the number of takedowns: one call answers the probes of many.)
	probesBy := time.Now().Add(time.Minute)
	for len(w.unprobedInputs(st)) > 0 && time.Now().Before(probesBy) {
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
	}
	if n := len(w.unprobedInputs(st)); n > 0 {
		w.m.Unprobed, w.m.UnprobedDetail = n, w.describe(ctx, st)
		progress(cfg, "memory: %d waiting takedowns have not probed yet", w.m.Unprobed)
	}
	progress(cfg, "memory: all %d waiting after %.1fs", cfg.Waiting, w.m.StartSeconds)
	m := w.m
	m.After = readMemory(cfg.Dir)
	m.RSSPerTakedownKB = round3((m.After.RSSMB - m.Before.RSSMB) * 1024 / float64(cfg.Waiting))
	m.HeapPerTakedownKB = round3((m.After.HeapInuseMB - m.Before.HeapInuseMB) * 1024 / float64(cfg.Waiting))
	return m, nil
}

// unprobedInputs are the waiting takedowns, off a probe grid, whose
// platform has seen only their notice.
func (w *waiting) unprobedInputs(st *stack) []workflows.Input {
	var out []workflows.Input
	for _, in := range w.inputs {
		if !in.Policy.ProbeSchedule.On() && st.sim.ContentRequests(in.Content.Platform, in.Content.ID) < 2 {
			out = append(out, in)
		}
	}
	return out
}

// describe says what the engine holds for the first few unprobed takedowns.
func (w *waiting) describe(ctx context.Context, st *stack) []string {
	var detail []string
	for _, in := range w.unprobedInputs(st) {
		if len(detail) >= 5 {
			break
		}
		d := string(in.Content.Platform) + ": "
		desc, err := st.client.DescribeWorkflowExecution(ctx, takedown.WorkflowID(in.TakedownID), "")
		if err != nil {
			detail = append(detail, d+err.Error())
			continue
		}
		d += desc.GetWorkflowExecutionInfo().GetStatus().String()
		if wt := desc.GetPendingWorkflowTask(); wt != nil {
			d += fmt.Sprintf("; workflow task %s, attempt %d", wt.GetState(), wt.GetAttempt())
		}
		for _, a := range desc.GetPendingActivities() {
			d += fmt.Sprintf("; %s %s, attempt %d", a.GetActivityType().GetName(), a.GetState(), a.GetAttempt())
			if f := a.GetLastFailure(); f != nil {
				d += ", last failure: " + f.GetMessage()
			}
		}
		detail = append(detail, d)
	}
	return detail
}

// workersGone stops the workers and empties the SDK's workflow cache, and
// reads the memory once more: what the waiting takedowns still hold then is
// the engine's. It ends the run: no workflow makes progress afterwards.
func (m *Memory) workersGone(cfg Config, st *stack) {
	st.stopWorkers()
	worker.PurgeStickyWorkflowCache()
	after := readMemory(cfg.Dir)
	m.WithoutWorkers = &after
}

// waitingItems writes the items of the waiting takedowns straight into
// PostgreSQL (the API path is measured elsewhere) and returns their
// workflows' inputs, as the API would build them.
func (s *stack) waitingItems(ctx context.Context, run string, n int) ([]workflows.Input, error) {
	return waitingItems(ctx, s.store, s.waitingID, run, n)
}

// waitingItems writes n items created by user by, whose content the
// simulator never removes, and returns their workflows' inputs.
func waitingItems(ctx context.Context, st *store.Store, by uuid.UUID, run string, n int) ([]workflows.Input, error) {
	lang, ground := waitingPolicy().Notice()
	inputs := make([]workflows.Input, n)
	rows := make([]store.SeedItem, n)
	for i := range n {
		_, raw := contentURL(run, i)
		c, err := takedown.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("waiting content %d: %w", i, err)
		}
		cat := categoryOf(i)
		item := uuid.New()
		td := takedown.IDFor(item)
		rows[i] = store.SeedItem{ID: item, NewItem: store.NewItem{
			URL: c.URL, Platform: c.Platform, ContentID: c.ID, Category: cat, CreatedBy: by}}
		inputs[i] = workflows.Input{
			TakedownID: td, ItemID: item, Content: c, Category: cat, ConfirmedBy: by,
			Reference: takedown.Reference(td), LegalGround: ground, Language: lang,
			Policy: waitingPolicy().For(c.Platform, cat),
		}
	}
	if err := st.CopyItems(ctx, rows); err != nil {
		return nil, fmt.Errorf("write waiting items: %w", err)
	}
	return inputs, nil
}

// probeRequests counts the simulator's requests that are not notices.
func probeRequests(sim *simulator.Simulator) int {
	n := 0
	for route, c := range sim.Counters().Routes {
		switch route {
		case simulator.RouteSMTP, simulator.RouteYouTubeReportAbuse, simulator.RouteYouTubeReasons:
		default:
			n += c
		}
	}
	return n
}

// readMemory reads this process's memory after a collection, and that of
// the PostgreSQL server whose data directory is under dir.
func readMemory(dir string) MemSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mb := func(b uint64) float64 { return round3(float64(b) / (1 << 20)) }
	return MemSample{
		RSSMB:         mb(procBytes("/proc/self/status", "VmRSS")),
		HWMMB:         mb(procBytes("/proc/self/status", "VmHWM")),
		HeapAllocMB:   mb(ms.HeapAlloc),
		HeapInuseMB:   mb(ms.HeapInuse),
		GoSysMB:       mb(ms.Sys),
		Goroutines:    runtime.NumGoroutine(),
		PostgresPSSMB: mb(postgresPSS(filepath.Join(dir, "postgres", "pgdata", "postmaster.pid"))),
	}
}

// postgresPSS sums the proportional set size of the postmaster named in
// pidFile and of its children.
func postgresPSS(pidFile string) uint64 {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm := strings.TrimSpace(first)
	if _, err := strconv.Atoi(pm); err != nil {
		return 0
	}
	total := procBytes(filepath.Join("/proc", pm, "smaps_rollup"), "Pss")
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		stat, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// The fields after the command (which may hold spaces) start with
		// the state and the parent's pid.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == pm {
			total += procBytes(filepath.Join(filepath.Dir(p), "smaps_rollup"), "Pss")
		}
	}
	return total
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
