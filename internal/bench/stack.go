package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/adapters"
	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/history"
	"github.com/takedown-oss/takedown/internal/pgcluster"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/internal/workers"
	"github.com/takedown-oss/takedown/workflows"
)

// EngineFile is the name of the engine's SQLite file in Config.Dir.
const EngineFile = "temporal.sqlite"

// simRemoveAfter is how long the simulated platforms take to remove content:
// at once, so that what is measured is the system, not a platform's delay.
const simRemoveAfter = time.Millisecond

// unlimited lifts the simulator's copies of X's read limit (900 lookups per
// 15 minutes) and YouTube's daily quota (10,000 units, 50 per report): at
// their real values a run of 2,000 takedowns would wait for them, not for
// the system.
const unlimited = 1 << 30

// stackDescription says what runs, for the report.
var stackDescription = []string{
	"one process: embedded Temporal server (SQLite file in WAL mode, one history shard, one database connection), as `takedown dev` means to run it",
	"private PostgreSQL cluster on the same machine, durable (fsync on), separate processes",
	"platform simulator in memory (no state file), content removed 1ms after a notice, X read limit and YouTube quota lifted",
	"workers without per-platform send rates (production defaults cap sends at 1/s per platform and 200 YouTube reports a day)",
	"HTTP API on 127.0.0.1, called over real HTTP with a staff bearer token; store pool at its default size",
	"every payload the engine stores sealed with AES-GCM (internal/codec), as in development and production",
}

// stack is the system under test, assembled from the same parts as
// devstack.Start. It differs only where a benchmark must: the simulator
// keeps its state in memory and does not enforce the platforms' quotas,
// there is no Web UI, and a worker for the bare workflow runs alongside.
type stack struct {
	dbURL      string
	pgVersion  string
	pg         *pgcluster.Cluster
	store      *store.Store
	client     client.Client
	sim        *simulator.Simulator
	codec      *codec.Codec
	apiURL     string
	staffToken string
	staffID    uuid.UUID
	// waitingID confirms the takedowns started for the memory measurement,
	// so they can be counted apart.
	waitingID uuid.UUID
	policy    policy.Policy
	http      *http.Client
	// stopWorkers stops every worker, once.
	stopWorkers func()

	closers []func(context.Context) error
}

func startStack(ctx context.Context, cfg Config) (_ *stack, err error) {
	logger := cfg.Logger
	s := &stack{policy: benchPolicy()}
	defer func() {
		if err != nil {
			s.stop(context.WithoutCancel(ctx))
		}
	}()

	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(cfg.Dir, "postgres"), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	s.pg = pg
	s.closers = append(s.closers, pg.Stop)
	s.dbURL = pg.URL()
	if err := store.Migrate(ctx, s.dbURL, logger); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Config{URL: s.dbURL, MaxConns: int32(cfg.PoolConns), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.store = st
	s.closers = append(s.closers, func(context.Context) error { st.Close(); return nil })
	if err := st.Pool().QueryRow(ctx, `SHOW server_version`).Scan(&s.pgVersion); err != nil {
		return nil, fmt.Errorf("PostgreSQL version: %w", err)
	}

	if cfg.StartEngine == nil {
		return nil, errors.New("no engine to start")
	}
	hostPort, stopEngine, err := cfg.StartEngine(filepath.Join(cfg.Dir, EngineFile), logger)
	if err != nil {
		return nil, fmt.Errorf("start embedded Temporal: %w", err)
	}
	s.closers = append(s.closers, func(context.Context) error { return stopEngine() })
	// The SDK logs every failed activity attempt at error level, and a
	// probe that finds content still up is a failed attempt by design: its
	// log is kept for debugging only.
	clientLogger := slog.New(slog.DiscardHandler)
	if logger.Enabled(ctx, slog.LevelDebug) {
		clientLogger = logger.With("component", "temporal-client")
	}
	// Every payload the engine stores is sealed, as `takedown dev` and
	// production do; the key is new for each run.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("payload key: %w", err)
	}
	if s.codec, err = codec.New(key); err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, client.Options{
		HostPort:      hostPort,
		DataConverter: s.codec.DataConverter(),
		Logger:        tlog.NewStructuredLogger(clientLogger),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal: %w", err)
	}
	s.client = c
	s.closers = append(s.closers, func(context.Context) error { c.Close(); return nil })

	sim, err := simulator.New(simulator.Config{
		Logger:       logger.With("component", "simulator"),
		RemoveAfter:  simRemoveAfter,
		YouTubeQuota: unlimited,
		XRateLimit:   unlimited,
	})
	if err != nil {
		return nil, fmt.Errorf("platform simulator: %w", err)
	}
	s.closers = append(s.closers, func(context.Context) error { return sim.Close() })
	running, err := sim.Start("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start platform simulator: %w", err)
	}
	s.closers = append(s.closers, func(context.Context) error { return running.Close() })
	s.sim = sim

	ads, blocker, err := adapters.BuildForSimulator(running.HTTPURL(), running.SMTPAddr(), logger)
	if err != nil {
		return nil, err
	}
	acts, err := activities.New(activities.Activities{Store: st, Adapters: ads, Blocker: blocker, Logger: logger.With("component", "activities")})
	if err != nil {
		return nil, err
	}
	ws, err := workers.Start(c, acts, workers.Rates{})
	if err != nil {
		return nil, err
	}
	bw := worker.New(c, bareQueue, worker.Options{})
	bw.RegisterWorkflowWithOptions(Bare, workflow.RegisterOptions{Name: bareWorkflow})
	bw.RegisterActivity(Nop)
	if err := bw.Start(); err != nil {
		ws.Stop()
		return nil, fmt.Errorf("start the bare workflow's worker: %w", err)
	}
	s.stopWorkers = sync.OnceFunc(func() {
		bw.Stop()
		ws.Stop()
	})
	s.closers = append(s.closers, func(context.Context) error { s.stopWorkers(); return nil })

	tok, err := store.NewToken()
	if err != nil {
		return nil, err
	}
	staff, err := st.UpsertUserToken(ctx, "bench-staff", takedown.RoleStaff, tok)
	if err != nil {
		return nil, fmt.Errorf("create the staff user: %w", err)
	}
	s.staffToken, s.staffID = tok, staff.ID
	wtok, err := store.NewToken()
	if err != nil {
		return nil, err
	}
	waiting, err := st.UpsertUserToken(ctx, "bench-waiting", takedown.RoleStaff, wtok)
	if err != nil {
		return nil, fmt.Errorf("create the waiting user: %w", err)
	}
	s.waitingID = waiting.ID

	srv := api.New(api.Config{
		Store: st, Engine: workflows.Starter{Client: c}, Policy: s.policy,
		Histories: history.Service{Client: c, Codec: s.codec, Logger: logger},
		Logger:    logger.With("component", "api"),
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the API: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("API server stopped", "err", err)
		}
	}()
	s.closers = append(s.closers, hs.Shutdown)
	s.apiURL = "http://" + l.Addr().String()
	// One kept-alive connection per client goroutine, as a busy front end
	// would hold.
	s.http = &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			MaxIdleConns:        cfg.Concurrency * 2,
			MaxIdleConnsPerHost: cfg.Concurrency * 2,
			IdleConnTimeout:     time.Minute,
		},
	}
	return s, nil
}

// engineJournal reports the journal the engine's database file really
// uses: a WAL file beside it exists only in WAL mode.
func engineJournal(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, EngineFile+"-wal")); err == nil {
		return "wal"
	}
	return "rollback journal (not WAL)"
}

func (s *stack) stop(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for i := len(s.closers) - 1; i >= 0; i-- {
		_ = s.closers[i](ctx)
	}
	s.closers = nil
}

// benchPolicy is the production policy with its clock shortened so that a
// takedown's happy path takes about a second: probes 100 ms apart, removal
// confirmed by a second probe 100 ms after the first, and no re-check after
// removal, so the workflow ends at removal. The deadlines stay long (an
// hour) so that none passes during the run and every takedown follows the
// same path.
func benchPolicy() policy.Policy {
	p := policy.Default()
	p.Scale = 1
	p.Rules = nil
	p.Default.Deadline = dur(time.Hour)
	p.Default.ReminderDeadline = dur(time.Hour)
	p.Default.PriorityDeadline = dur(time.Hour)
	p.Default.PortalDeadline = dur(time.Hour)
	p.Default.ProbeInitial = dur(100 * time.Millisecond)
	p.Default.ProbeMax = dur(time.Second)
	p.Default.ConfirmGap = dur(100 * time.Millisecond)
	p.Default.RecheckAfter = dur(0)
	return p
}

// waitingPolicy is the production policy, except that probing starts at
// its steady-state interval (30 minutes) instead of backing off to it from
// 30 seconds: the memory figure is that of takedowns that have been waiting
// a while, and thousands of fresh takedowns probing every 30 seconds would
// measure the probing burst instead.
func waitingPolicy() policy.Policy {
	p := policy.Default()
	p.Default.ProbeInitial = p.Default.ProbeMax
	return p
}

func dur(d time.Duration) *policy.Duration { v := policy.Duration(d); return &v }
