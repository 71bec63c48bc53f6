package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/devstack"
	"github.com/takedown-oss/takedown/internal/pgcluster"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
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
	"one process: embedded Temporal server (SQLite file in WAL mode, one history shard, one database connection), as `takedown-dev dev` means to run it",
	"private PostgreSQL cluster on the same machine, durable (fsync on), separate processes",
	"platform simulator in memory (no state file), content removed 1ms after a notice, X read limit and YouTube quota lifted",
	"workers without per-platform send rates (production defaults cap sends at 1/s per platform and 200 YouTube reports a day)",
	"HTTP API on 127.0.0.1, called over real HTTP with a staff bearer token; store pool at its default size",
	"every payload the engine stores sealed with AES-GCM (internal/codec), as in development and production",
}

// stack is the system under test, started by devstack.Start as `takedown-dev
// dev` starts it. It differs only where a benchmark must: the simulator
// keeps its state in memory and does not enforce the platforms' quotas,
// there is no Web UI, and a worker for the bare workflow runs alongside.
type stack struct {
	*devstack.Stack
	pgVersion  string
	store      *store.Store
	client     client.Client
	sim        *simulator.Simulator
	codec      *codec.Codec
	pg         *pgcluster.Cluster
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
	stopBare    func()
}

func startStack(ctx context.Context, cfg Config) (_ *stack, err error) {
	logger := cfg.Logger
	ds, err := devstack.Start(ctx, devstack.Config{
		DataDir:   cfg.Dir,
		Policy:    benchPolicy(),
		PoolConns: cfg.PoolConns,
		Simulator: &simulator.Config{
			RemoveAfter:  simRemoveAfter,
			YouTubeQuota: unlimited,
			XRateLimit:   unlimited,
		},
		// The simulated platforms count no quota, and neither does the
		// ledger: the load would spend YouTube's day many times over. The
		// ledger's cost (one statement a report or a probe call) stays.
		Budgets:     unlimitedBudgets(),
		NoUI:        true,
		QuietClient: true,
		Logger:      logger,
	})
	if err != nil {
		return nil, err
	}
	s := &stack{Stack: ds, store: ds.Store, client: ds.Client, sim: ds.Simulator, codec: ds.Codec,
		pg: ds.Postgres, apiURL: ds.APIURL, policy: benchPolicy(), stopBare: func() {}}
	defer func() {
		if err != nil {
			s.stop(context.WithoutCancel(ctx))
		}
	}()
	if s.pgVersion, err = ds.Store.ServerVersion(ctx); err != nil {
		return nil, err
	}

	bw := worker.New(ds.Client, bareQueue, worker.Options{})
	bw.RegisterWorkflowWithOptions(Bare, workflow.RegisterOptions{Name: bareWorkflow})
	bw.RegisterActivity(Nop)
	if err := bw.Start(); err != nil {
		return nil, fmt.Errorf("start the bare workflow's worker: %w", err)
	}
	s.stopBare = sync.OnceFunc(bw.Stop)
	s.stopWorkers = func() {
		s.stopBare()
		ds.StopWorkers()
	}

	tok, err := store.NewToken()
	if err != nil {
		return nil, err
	}
	staff, err := ds.Store.UpsertUserToken(ctx, "bench-staff", takedown.RoleStaff, tok)
	if err != nil {
		return nil, fmt.Errorf("create the staff user: %w", err)
	}
	s.staffToken, s.staffID = tok, staff.ID
	wtok, err := store.NewToken()
	if err != nil {
		return nil, err
	}
	waiting, err := ds.Store.UpsertUserToken(ctx, "bench-waiting", takedown.RoleStaff, wtok)
	if err != nil {
		return nil, fmt.Errorf("create the waiting user: %w", err)
	}
	s.waitingID = waiting.ID

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
	s.stopBare()
	s.Stop(ctx)
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

func unlimitedBudgets() map[takedown.Platform]quota.Budget {
	b := quota.DefaultBudgets()
	for p, v := range b {
		v.Units = unlimited
		b[p] = v
	}
	return b
}

func dur(d time.Duration) *policy.Duration { v := policy.Duration(d); return &v }

// postgresCPU is the CPU time PostgreSQL has used so far; zero where it
// cannot be read.
func (s *stack) postgresCPU() time.Duration {
	pid, err := s.pg.PID()
	if err != nil {
		return 0
	}
	d, _ := processTreeCPU(pid)
	return d
}
