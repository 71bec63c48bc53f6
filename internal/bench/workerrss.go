package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

// WorkerRSSConfig says how the worker's memory is measured: a `takedown
// worker` process alone, every other part of the system outside it.
type WorkerRSSConfig struct {
	// Takedowns is how many takedowns the worker holds waiting (default 10,000).
	Takedowns int
	// Concurrency is how many takedowns are started at once (default 50).
	Concurrency int
	// TakedownBin is the production binary; empty builds ./cmd/takedown
	// from ModuleDir into Dir.
	TakedownBin string
	ModuleDir   string
	// TemporalCLI is the Temporal CLI, whose dev server is the engine.
	TemporalCLI string
	// BaseEnv is what every child process gets (PATH, HOME).
	BaseEnv []string
	// WorkerEnv is added to the worker's environment (KEY=VALUE), to
	// measure a setting such as TAKEDOWN_WORKFLOW_CACHE_SIZE; it is reported.
	WorkerEnv []string
	// SampleFor and SampleEvery: once every takedown waits, memory is read
	// every SampleEvery for SampleFor (defaults 30 s and 5 s).
	SampleFor   time.Duration
	SampleEvery time.Duration
	// Dir holds every file of the run; it must exist.
	Dir      string
	Command  string
	Logger   *slog.Logger
	Progress io.Writer
}

// WorkerRSSReport is what one run measured.
type WorkerRSSReport struct {
	Benchmark string    `json:"benchmark"`
	Date      time.Time `json:"date"`
	Command   string    `json:"command"`
	Machine   Machine   `json:"machine"`
	Note      string    `json:"note"`
	Stack     []string  `json:"stack"`
	Takedowns int       `json:"takedowns"`
	// WorkerSettings are the settings given to the worker beyond the
	// adapters' addresses and keys.
	WorkerSettings []string      `json:"worker_settings"`
	WaitingPolicy  PolicySummary `json:"waiting_policy"`
	Concurrency    int           `json:"start_concurrency"`
	// StartupSeconds: PostgreSQL, the engine, setup and the worker ready.
	StartupSeconds float64 `json:"startup_s"`
	// Idle is the worker once ready, holding nothing.
	Idle *WorkerSample `json:"idle,omitempty"`
	// StartSeconds is from the first start until every workflow was
	// started and its takedown written, as the API does on a confirmation.
	StartSeconds float64 `json:"all_started_s"`
	// StartRetries counts starts that failed (the engine's deadline passed)
	// and were made again.
	StartRetries int `json:"start_retries"`
	// AllWaitingSeconds is from the first start until the simulator had
	// seen, for every takedown, its notice and its first probe: each then
	// has a probe in flight (retried every 30 minutes) and its rung's timer
	// armed.
	AllWaitingSeconds float64 `json:"all_waiting_s"`
	Noticed           int     `json:"noticed"`
	Probed            int     `json:"probed"`
	// Samples are read once all wait; Max is the largest of each figure.
	Samples          []WorkerSample `json:"samples"`
	Max              *WorkerSample  `json:"max,omitempty"`
	RSSPerTakedownKB float64        `json:"rss_per_takedown_kb"`
	Errors           []string       `json:"errors,omitempty"`
	DurationSeconds  float64        `json:"duration_s"`
}

// WorkerSample is one reading of the worker process: the kernel's figures
// from /proc/PID/status and the Go runtime's from its /metrics.
type WorkerSample struct {
	AtSeconds   float64 `json:"at_s"`
	RSSMB       float64 `json:"vm_rss_mb"`
	HWMMB       float64 `json:"vm_hwm_mb"`
	HeapInuseMB float64 `json:"go_heap_inuse_mb"`
	HeapAllocMB float64 `json:"go_heap_alloc_mb"`
	GoSysMB     float64 `json:"go_sys_mb"`
	Goroutines  int     `json:"goroutines"`
	// StickyCache is how many workflows the SDK's cache holds.
	StickyCache int `json:"sticky_cache_workflows"`
}

// Summary is the report in one line.
func (r *WorkerRSSReport) Summary() string {
	if r.Max == nil || r.Idle == nil {
		return fmt.Sprintf("worker rss: %d takedowns: no reading (%s)", r.Takedowns, strings.Join(r.Errors, "; "))
	}
	if r.AllWaitingSeconds == 0 {
		return fmt.Sprintf("worker rss: NOT all waiting (%d of %d noticed, %d probed); worker VmRSS max %.0f MB (VmHWM %.0f MB, idle %.0f MB)",
			r.Noticed, r.Takedowns, r.Probed, r.Max.RSSMB, r.Max.HWMMB, r.Idle.RSSMB)
	}
	return fmt.Sprintf("worker rss: %d takedowns waiting after %.0f s; worker VmRSS max %.0f MB (VmHWM %.0f MB, idle %.0f MB), "+
		"Go heap in use %.0f MB, %d workflows in the sticky cache",
		r.Takedowns, r.AllWaitingSeconds, r.Max.RSSMB, r.Max.HWMMB, r.Idle.RSSMB, r.Max.HeapInuseMB, r.Max.StickyCache)
}

func (c WorkerRSSConfig) withDefaults() WorkerRSSConfig {
	c.Takedowns = cmp.Or(c.Takedowns, 10_000)
	c.Concurrency = cmp.Or(c.Concurrency, 50)
	c.SampleFor = cmp.Or(c.SampleFor, 30*time.Second)
	c.SampleEvery = cmp.Or(c.SampleEvery, 5*time.Second)
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c
}

// RunWorkerRSS measures the memory of one `takedown worker` process
// holding cfg.Takedowns takedowns that have sent their notice and wait,
// against the Temporal CLI's dev server and a private PostgreSQL, as an
// operator runs them.
func RunWorkerRSS(ctx context.Context, cfg WorkerRSSConfig) (*WorkerRSSReport, error) {
	cfg = cfg.withDefaults()
	began := time.Now()
	rep := &WorkerRSSReport{
		Benchmark: "takedown worker rss",
		Date:      began.UTC().Truncate(time.Second),
		Command:   cfg.Command,
		Machine:   readMachine(),
		Takedowns: cfg.Takedowns, Concurrency: cfg.Concurrency,
		WorkerSettings: append([]string{"TAKEDOWN_SEND_RATE_<PLATFORM>=0 (unlimited)"}, cfg.WorkerEnv...),
		WaitingPolicy:  summarize(waitingPolicy().For("", "")),
		Note: "VmRSS and VmHWM of the `takedown worker` process alone, from /proc/PID/status; the Go figures from its " +
			"/metrics (go_memstats_*). The engine, PostgreSQL, the simulator and the starter are other processes or this one",
		Stack: []string{
			"engine: the Temporal CLI's dev server (`temporal server start-dev`, SQLite in memory), its own process, nothing pre-registered; `takedown setup` registers the search attributes",
			"private PostgreSQL cluster, durable, its own processes; the worker connects as the runtime role setup creates",
			"one `takedown worker` process built from ./cmd/takedown, every platform's adapter pointed at the simulator",
			"platform simulator in the benchmark's process: every notice received and never acted on, X read limit and YouTube quota lifted",
			"takedowns written and started from the benchmark's process as the API does on a batch confirmation (store.ConfirmItem, workflows.Starter)",
		},
	}
	// The SDK version is the worker's; the engine is the CLI's, not the
	// one linked into this command.
	rep.Machine.Temporal = ""
	if cfg.Dir == "" {
		return rep, errors.New("bench: a working directory is required")
	}
	w := &workerRun{cfg: cfg}
	defer w.stop(context.WithoutCancel(ctx))
	t0 := time.Now()
	if err := w.start(ctx, rep); err != nil {
		return rep, err
	}
	rep.StartupSeconds = seconds(time.Since(t0))
	wprogress(cfg, "worker ready (pid %d) %.1fs after the start", w.worker.pid(), rep.StartupSeconds)

	// The idle figure is read once the worker has settled after polling began.
	if err := sleep(ctx, 5*time.Second); err != nil {
		return rep, err
	}
	idle, err := w.sample(ctx, time.Time{})
	if err != nil {
		return rep, err
	}
	rep.Idle = &idle

	if err := w.fill(ctx, rep); err != nil {
		rep.Errors = append(rep.Errors, err.Error())
	}
	wprogress(cfg, "reading the worker's memory every %s for %s", cfg.SampleEvery, cfg.SampleFor)
	t1 := time.Now()
	for {
		s, err := w.sample(ctx, t1)
		if err != nil {
			rep.Errors = append(rep.Errors, err.Error())
			break
		}
		rep.Samples = append(rep.Samples, s)
		if time.Since(t1)+cfg.SampleEvery > cfg.SampleFor {
			break
		}
		if err := sleep(ctx, cfg.SampleEvery); err != nil {
			return rep, err
		}
	}
	if len(rep.Samples) > 0 {
		m := maxSample(rep.Samples)
		rep.Max = &m
		rep.RSSPerTakedownKB = round3((m.RSSMB - idle.RSSMB) * 1024 / float64(cfg.Takedowns))
	}
	rep.DurationSeconds = seconds(time.Since(began))
	if len(rep.Errors) > 0 {
		return rep, fmt.Errorf("bench: %s", strings.Join(rep.Errors, "; "))
	}
	return rep, nil
}

// fill writes and starts the takedowns, then waits until every one has
// sent its notice and made its first probe.
func (w *workerRun) fill(ctx context.Context, rep *WorkerRSSReport) error {
	cfg := w.cfg
	by, _, err := w.store.CreateUser(ctx, "bench-waiting", takedown.RoleStaff)
	if err != nil {
		return fmt.Errorf("create the confirming user: %w", err)
	}
	inputs, err := waitingItems(ctx, w.store, by.ID, newRun(), cfg.Takedowns)
	if err != nil {
		return err
	}
	wprogress(cfg, "starting %d takedowns that wait", cfg.Takedowns)
	starter := workflows.Starter{Client: w.client}
	t0 := time.Now()
	var started, retried atomic.Int64
	stopTicker := make(chan struct{})
	go func() {
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				wprogress(cfg, "%d of %d started, %d noticed", started.Load(), cfg.Takedowns, w.sim.NoticeCount("", ""))
			case <-stopTicker:
				return
			}
		}
	}()
	_, failed, errs := closedLoop(ctx, 0, len(inputs), cfg.Concurrency, func(ctx context.Context, i int) error {
		in := inputs[i]
		wfID := takedown.WorkflowID(in.TakedownID)
		// An engine busy with thousands of new workflows can let a start
		// pass the client's deadline; a client of the API would confirm
		// again after a 503, and starting twice starts one workflow.
		backoff := retry.WithMaxRetries(5, retry.NewExponential(time.Second))
		if err := retry.Do(ctx, backoff, func(ctx context.Context) error {
			if _, err := starter.Start(ctx, wfID, in, workflows.UrgencyBatch); err != nil {
				retried.Add(1)
				return retry.RetryableError(err)
			}
			return nil
		}); err != nil {
			return err
		}
		_, err := w.store.ConfirmItem(ctx, takedown.Confirm{ItemID: in.ItemID, TakedownID: in.TakedownID, WorkflowID: wfID, ConfirmedBy: by.ID}, nil)
		if errors.Is(err, takedown.ErrConflict) {
			// The workflow wrote its takedown first (EnsureTakedown), as
			// the API allows for.
			err = nil
		}
		if err == nil {
			started.Add(1)
		}
		return err
	})
	close(stopTicker)
	if failed > 0 {
		return fmt.Errorf("%d takedowns did not start: %w", failed, errors.Join(errs...))
	}
	rep.StartSeconds = seconds(time.Since(t0))
	rep.StartRetries = int(retried.Load())
	wprogress(cfg, "all %d started in %.1fs (%d starts retried)", cfg.Takedowns, rep.StartSeconds, rep.StartRetries)

	// Ten minutes, and 150 ms a takedown beyond: 10,000 took about ten
	// minutes on two cores.
	limit := 10*time.Minute + time.Duration(cfg.Takedowns)*150*time.Millisecond
	last := time.Now()
	for {
		rep.Noticed, rep.Probed = 0, 0
		for _, in := range inputs {
			if w.sim.NoticeCount(in.Content.Platform, in.Content.ID) > 0 {
				rep.Noticed++
				// The notice is one request naming the content; any further
				// one is a probe.
				if w.sim.ContentRequests(in.Content.Platform, in.Content.ID) >= 2 {
					rep.Probed++
				}
			}
		}
		if rep.Probed >= cfg.Takedowns {
			break
		}
		if err := w.worker.exited(); err != nil {
			return err
		}
		if time.Since(t0) > limit {
			return fmt.Errorf("after %s, %d of %d takedowns had sent their notice and %d had probed", limit, rep.Noticed, cfg.Takedowns, rep.Probed)
		}
		if time.Since(last) > 30*time.Second {
			wprogress(cfg, "%d of %d noticed, %d probed", rep.Noticed, cfg.Takedowns, rep.Probed)
			last = time.Now()
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
	rep.AllWaitingSeconds = seconds(time.Since(t0))
	wprogress(cfg, "all %d waiting after %.1fs", cfg.Takedowns, rep.AllWaitingSeconds)
	return nil
}

// sample reads the worker's memory; at is when the sampling began.
func (w *workerRun) sample(ctx context.Context, since time.Time) (WorkerSample, error) {
	st, err := readProcStatus(w.worker.pid())
	if err != nil {
		return WorkerSample{}, err
	}
	page, err := scrape(ctx, w.metricsURL+"/metrics")
	if err != nil {
		return WorkerSample{}, err
	}
	mv := metricValues(page, "go_memstats_heap_inuse_bytes", "go_memstats_heap_alloc_bytes", "go_memstats_sys_bytes",
		"go_goroutines", "temporal_sticky_cache_size")
	mb := func(b float64) float64 { return round3(b / (1 << 20)) }
	s := WorkerSample{
		RSSMB: mb(float64(st["VmRSS"])), HWMMB: mb(float64(st["VmHWM"])),
		HeapInuseMB: mb(mv["go_memstats_heap_inuse_bytes"]), HeapAllocMB: mb(mv["go_memstats_heap_alloc_bytes"]),
		GoSysMB: mb(mv["go_memstats_sys_bytes"]), Goroutines: int(mv["go_goroutines"]), StickyCache: int(mv["temporal_sticky_cache_size"]),
	}
	if !since.IsZero() {
		s.AtSeconds = seconds(time.Since(since))
	}
	return s, nil
}

// maxSample is the largest of each figure over samples.
func maxSample(samples []WorkerSample) WorkerSample {
	var m WorkerSample
	for _, s := range samples {
		m.AtSeconds = max(m.AtSeconds, s.AtSeconds)
		m.RSSMB, m.HWMMB = max(m.RSSMB, s.RSSMB), max(m.HWMMB, s.HWMMB)
		m.HeapInuseMB, m.HeapAllocMB = max(m.HeapInuseMB, s.HeapInuseMB), max(m.HeapAllocMB, s.HeapAllocMB)
		m.GoSysMB, m.Goroutines, m.StickyCache = max(m.GoSysMB, s.GoSysMB), max(m.Goroutines, s.Goroutines), max(m.StickyCache, s.StickyCache)
	}
	return m
}

func wprogress(cfg WorkerRSSConfig, format string, args ...any) {
	fmt.Fprintf(cfg.Progress, "bench: %s "+format+"\n", append([]any{time.Now().Format(time.TimeOnly)}, args...)...)
}
