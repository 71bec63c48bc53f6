package bench

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sethvargo/go-retry"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/pgcluster"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
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

// workerRun is the system of one run: everything but the worker in this
// process or in processes of its own.
type workerRun struct {
	cfg          WorkerRSSConfig
	bin          string
	pg           *pgcluster.Cluster
	temporal     *child
	temporalAddr string
	sim          *simulator.Simulator
	simStop      func() error
	simURL       string
	smtpAddr     string
	payloadKey   []byte
	decisionPub  ed25519.PublicKey
	runtimeURL   string
	worker       *child
	metricsURL   string
	store        *store.Store
	client       client.Client
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

// start brings up PostgreSQL, the engine, the simulator and the worker,
// and runs setup between them, as an operator would.
func (w *workerRun) start(ctx context.Context, rep *WorkerRSSReport) error {
	cfg := w.cfg
	var err error
	wprogress(cfg, "starting PostgreSQL in %s", cfg.Dir)
	if w.pg, err = pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(cfg.Dir, "postgres"), Logger: cfg.Logger}); err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	if w.bin = cfg.TakedownBin; w.bin == "" {
		wprogress(cfg, "building ./cmd/takedown")
		w.bin = filepath.Join(cfg.Dir, "takedown")
		build := exec.CommandContext(ctx, "go", "build", "-o", w.bin, "./cmd/takedown")
		build.Dir = cfg.ModuleDir
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build ./cmd/takedown: %w\n%s", err, out)
		}
	}
	if out, err := runChild(ctx, cfg.TemporalCLI, cfg.BaseEnv, "--version"); err == nil {
		rep.Machine.Temporal = strings.TrimSpace(out)
	}

	ports := make([]int, 5)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return err
		}
	}
	w.temporalAddr = "127.0.0.1:" + strconv.Itoa(ports[0])
	wprogress(cfg, "starting the Temporal dev server on %s", w.temporalAddr)
	w.temporal, err = startChild(cfg.Dir, "temporal", cfg.TemporalCLI, cfg.BaseEnv, "server", "start-dev", "--headless",
		"--ip", "127.0.0.1", "--port", strconv.Itoa(ports[0]), "--http-port", strconv.Itoa(ports[1]),
		"--metrics-port", strconv.Itoa(ports[2]), "--log-level", "error")
	if err != nil {
		return err
	}

	w.sim, err = simulator.New(simulator.Config{
		RemoveAfter: time.Hour, YouTubeQuota: unlimited, XRateLimit: unlimited,
		Logger: cfg.Logger.With("component", "simulator"),
	})
	if err != nil {
		return fmt.Errorf("start the simulator: %w", err)
	}
	for _, p := range platforms.All {
		if err := w.sim.SetBehaviour(p, "", simulator.Behaviour{OnNotice: simulator.OnNoticeNever}); err != nil {
			return err
		}
	}
	running, err := w.sim.Start("127.0.0.1:"+strconv.Itoa(ports[3]), "127.0.0.1:"+strconv.Itoa(ports[4]))
	if err != nil {
		return fmt.Errorf("start the simulator: %w", err)
	}
	w.simStop, w.simURL, w.smtpAddr = running.Close, running.HTTPURL(), running.SMTPAddr()

	w.payloadKey = make([]byte, 32)
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(w.payloadKey)
	_, _ = rand.Read(seed)
	w.decisionPub = ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)

	if err := waitUntil(ctx, "the Temporal dev server", time.Minute, w.temporal, func() bool { return dialable(w.temporalAddr) }); err != nil {
		return err
	}
	role, password := "takedown_app", "bench-"+strconv.FormatInt(time.Now().UnixNano(), 36)
	u, err := url.Parse(w.pg.URL())
	if err != nil {
		return err
	}
	u.User = url.UserPassword(role, password)
	w.runtimeURL = u.String()
	wprogress(cfg, "takedown setup")
	if _, err := runChild(ctx, w.bin, w.env("DATABASE_URL="+w.pg.URL(), "TAKEDOWN_RUNTIME_ROLE="+role,
		"TAKEDOWN_RUNTIME_PASSWORD="+password), "setup"); err != nil {
		return err
	}

	mport, err := freePort()
	if err != nil {
		return err
	}
	w.metricsURL = "http://127.0.0.1:" + strconv.Itoa(mport)
	wprogress(cfg, "starting one takedown worker")
	if w.worker, err = startChild(cfg.Dir, "worker", w.bin, w.workerEnv(mport), "worker"); err != nil {
		return err
	}
	if err := waitUntil(ctx, "the worker ready", time.Minute, w.worker, func() bool { return httpOK(w.metricsURL + "/readyz") }); err != nil {
		return err
	}

	if w.store, err = store.Open(ctx, store.Config{URL: w.pg.URL(), MaxConns: 10, Logger: cfg.Logger}); err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	if rep.Machine.PostgreSQL, err = w.store.ServerVersion(ctx); err != nil {
		return err
	}
	cd, err := codec.New(w.payloadKey)
	if err != nil {
		return err
	}
	w.client, err = client.DialContext(ctx, client.Options{
		HostPort: w.temporalAddr, DataConverter: cd.DataConverter(),
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", w.temporalAddr, err)
	}
	return nil
}

// env is what every takedown process of the run gets.
func (w *workerRun) env(extra ...string) []string {
	return append(append(append([]string{}, w.cfg.BaseEnv...),
		"TEMPORAL_ADDRESS="+w.temporalAddr, "TAKEDOWN_LOG_FORMAT=json", "TAKEDOWN_LOG_LEVEL=warn",
		"TAKEDOWN_PAYLOAD_KEY="+base64.StdEncoding.EncodeToString(w.payloadKey),
		"TAKEDOWN_DECISION_PUBLIC_KEYS="+base64.StdEncoding.EncodeToString(w.decisionPub),
	), extra...)
}

// workerEnv points every adapter at the simulator, as an operator points
// them at the platforms, with the send rates lifted so that the notices go
// as fast as the worker sends them.
func (w *workerRun) workerEnv(metricsPort int) []string {
	host, port, _ := net.SplitHostPort(w.smtpAddr)
	sim := w.simURL
	env := w.env(
		"DATABASE_URL="+w.runtimeURL,
		"TAKEDOWN_METRICS_ADDR=127.0.0.1:"+strconv.Itoa(metricsPort),
		"SMTP_HOST="+host, "SMTP_PORT="+port, "SMTP_TLS=none", "SMTP_FROM=Takedown desk <takedown@regulator.test>",
		"YOUTUBE_API_BASE="+sim+"/youtube/v3", "YOUTUBE_ACCESS_TOKEN=dev-oauth-token",
		"TELEGRAM_PREVIEW_BASE="+sim+"/t.me", "TELEGRAM_NOTICE_TO=abuse@telegram.test",
		"X_API_BASE="+sim+"/x", "X_BEARER_TOKEN=dev-bearer-token", "X_CHANNEL=email", "X_NOTICE_TO=legal@x.test",
		"META_GRAPH_BASE="+sim+"/graph/v21.0", "META_APP_TOKEN=dev-app|dev-secret",
		"META_THREADS_OEMBED_URL="+sim+"/graph/v21.0/threads_oembed", "META_PUBLIC_BASE="+sim+"/web",
		"META_CHANNEL=email", "META_NOTICE_TO=government-requests@meta.test",
	)
	for _, p := range platforms.All {
		env = append(env, "TAKEDOWN_SEND_RATE_"+strings.ToUpper(string(p))+"=0")
	}
	return append(env, w.cfg.WorkerEnv...)
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
			if err := starter.Start(ctx, wfID, in, workflows.UrgencyBatch); err != nil {
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

// stop ends what start began, the worker first.
func (w *workerRun) stop(ctx context.Context) {
	if w.client != nil {
		w.client.Close()
	}
	if w.worker != nil {
		w.worker.stop(time.Minute)
	}
	if w.store != nil {
		w.store.Close()
	}
	if w.temporal != nil {
		w.temporal.stop(20 * time.Second)
	}
	if w.simStop != nil {
		_ = w.simStop()
	}
	if w.sim != nil {
		_ = w.sim.Close()
	}
	if w.pg != nil {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_ = w.pg.Stop(ctx)
	}
}

func wprogress(cfg WorkerRSSConfig, format string, args ...any) {
	fmt.Fprintf(cfg.Progress, "bench: %s "+format+"\n", append([]any{time.Now().Format(time.TimeOnly)}, args...)...)
}
