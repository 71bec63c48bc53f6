// Package bench measures the whole system on the real engine: how many
// takedowns per second go from an API confirmation to a confirmed removal,
// how that compares with the engine's own ceiling for a workflow of the same
// shape, what a takedown costs in history events, how fast the list and
// report queries stay at a million rows, how much memory waiting takedowns
// hold, and how fast stored histories replay.
//
// Everything runs in one process, as `takedown-dev dev` does: the embedded
// Temporal engine (SQLite file in WAL mode), a private durable PostgreSQL
// cluster, the platform simulator, the workers and the HTTP API.
package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/takedown-oss/takedown/internal/probesim"
	"github.com/takedown-oss/takedown/workflows"
)

// Config says how much to measure. Zero fields take the defaults of a full
// run; Quick replaces them with figures that finish in well under a minute.
type Config struct {
	// Takedowns is how many takedowns go through the API (default 2000),
	// and as many bare workflows run.
	Takedowns int
	// Pairs is how many rounds of ours and of the bare workflow the
	// takedowns are split into (default 8; -quick 2).
	Pairs int
	// Concurrency is how many takedowns are in flight at once, each one
	// created, confirmed and awaited by its own client (default 50).
	Concurrency int
	// SeedRows is how many takedowns the query database holds (default 1,000,000).
	SeedRows int
	// Waiting is how many takedowns wait on their deadlines while memory is
	// measured (default 10,000).
	Waiting int
	// Replays is how many stored histories are replayed (default 200).
	Replays int
	// QueryRuns is how many times each query is timed (default 200).
	QueryRuns int
	// PoolConns sizes the store's PostgreSQL pool; 0 keeps the store's
	// default, as `takedown-dev dev` and `takedown serve` run.
	PoolConns int
	// Quick shrinks every default, for CI.
	Quick bool
	// Dir is where the engine and PostgreSQL keep their files; it must exist
	// and is left for the caller to remove.
	Dir string
	// Command is the command line, for the report.
	Command string
	Logger  *slog.Logger
	// Progress receives one line per step, for a person watching.
	Progress io.Writer
	// ProfileDir, when set, receives a CPU profile of each measured loop
	// round alone (throughput-1.pprof…, engine-ceiling-1.pprof…), without warm-ups or
	// the other phases, so that the two can be compared function by
	// function.
	ProfileDir string
}

// profile starts a CPU profile of one phase into cfg.ProfileDir; the
// function it returns stops it. Without a directory, or with a profile
// already running (a whole-run -cpuprofile), it does nothing.
func (c Config) profile(phase string) func() {
	if c.ProfileDir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(c.ProfileDir, phase+".pprof"))
	if err != nil {
		c.Logger.Error("phase profile", "phase", phase, "err", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		c.Logger.Error("phase profile", "phase", phase, "err", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func (c Config) withDefaults() Config {
	if c.Quick {
		c.Takedowns = cmp.Or(c.Takedowns, 400)
		c.SeedRows = cmp.Or(c.SeedRows, 20_000)
		c.Waiting = cmp.Or(c.Waiting, 200)
		c.Replays = cmp.Or(c.Replays, 20)
		c.QueryRuns = cmp.Or(c.QueryRuns, 50)
		c.Pairs = cmp.Or(c.Pairs, 2)
	}
	c.Pairs = cmp.Or(c.Pairs, 8)
	c.Takedowns = cmp.Or(c.Takedowns, 2000)
	c.Concurrency = cmp.Or(c.Concurrency, 50)
	c.SeedRows = cmp.Or(c.SeedRows, 1_000_000)
	c.Waiting = cmp.Or(c.Waiting, 10_000)
	c.Replays = cmp.Or(c.Replays, 200)
	c.QueryRuns = cmp.Or(c.QueryRuns, 200)
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c
}

// Settings records what was asked for, in the report.
type Settings struct {
	Takedowns   int  `json:"takedowns"`
	Pairs       int  `json:"pairs"`
	Concurrency int  `json:"concurrency"`
	SeedRows    int  `json:"seed_rows"`
	Waiting     int  `json:"waiting"`
	Replays     int  `json:"replays"`
	QueryRuns   int  `json:"query_runs"`
	Quick       bool `json:"quick"`
	PoolConns   int  `json:"pg_pool_conns,omitempty"`
	// Policy is the timing of the measured takedowns; WaitingPolicy that of
	// the takedowns waiting on deadlines.
	Policy        PolicySummary `json:"policy"`
	WaitingPolicy PolicySummary `json:"waiting_policy"`
	// SimulatorRemoveAfter is how long the simulated platforms take to remove
	// content after a notice.
	SimulatorRemoveAfter string `json:"simulator_remove_after"`
	// Stack describes what ran, and how it differs from production.
	Stack []string `json:"stack"`
	// EngineJournal is the journal mode the engine's SQLite file ended up
	// in, read from the files beside it.
	EngineJournal string `json:"engine_journal"`
}

// PolicySummary is a takedown's timing with durations written as "24h0m0s".
type PolicySummary struct {
	Deadline         string  `json:"deadline"`
	ReminderDeadline string  `json:"reminder_deadline"`
	PriorityDeadline string  `json:"priority_deadline"`
	ProbeInitial     string  `json:"probe_initial"`
	ProbeMax         string  `json:"probe_max"`
	ProbeBackoff     float64 `json:"probe_backoff"`
	ConfirmGap       string  `json:"confirm_gap"`
	RecheckAfter     string  `json:"recheck_after"`
}

func summarize(p workflows.Policy) PolicySummary {
	return PolicySummary{
		Deadline: p.Deadline.String(), ReminderDeadline: p.ReminderDeadline.String(), PriorityDeadline: p.PriorityDeadline.String(),
		ProbeInitial: p.ProbeInitial.String(), ProbeMax: p.ProbeMax.String(), ProbeBackoff: p.ProbeBackoff,
		ConfirmGap: p.ConfirmGap.String(), RecheckAfter: p.RecheckAfter.String(),
	}
}

// Report is the one JSON object the benchmark prints.
type Report struct {
	Benchmark string    `json:"benchmark"`
	Date      time.Time `json:"date"`
	Command   string    `json:"command"`
	Machine   Machine   `json:"machine"`
	Settings  Settings  `json:"settings"`
	// StartupSeconds is how long the stack took to start.
	StartupSeconds float64 `json:"startup_s"`

	Throughput    *Throughput    `json:"throughput,omitempty"`
	EngineCeiling *EngineCeiling `json:"engine_ceiling,omitempty"`
	// RatioOursOverBare is our takedowns/s over the bare workflow's
	// workflows/s, both at the same concurrency on the same engine: their
	// steady rates (RatioBasis "steady"), or where a round was too short
	// to have a steady state, their rates over whole rounds.
	RatioOursOverBare float64 `json:"ratio_ours_over_bare"`
	RatioBasis        string  `json:"ratio_basis,omitempty"`
	// RatioByPair is the same ratio within each pair of rounds (ours and
	// the bare workflow one after the other), and RatioMedian their median:
	// how far the machine's speed moved the ratio during the run.
	RatioByPair []float64    `json:"ratio_by_pair,omitempty"`
	RatioMedian float64      `json:"ratio_median_of_pairs,omitempty"`
	History     *HistoryCost `json:"history,omitempty"`
	Queries     *Queries     `json:"queries,omitempty"`
	Memory      *Memory      `json:"memory,omitempty"`
	Replay      *Replay      `json:"replay,omitempty"`
	// Probes are the probe schedules of the metered platforms played on a
	// simulated clock (internal/probesim): what probing costs in quota and
	// how soon a removal is seen.
	Probes []probesim.Result `json:"probes,omitempty"`

	// Errors lists what went wrong; a report with errors is incomplete.
	Errors          []string `json:"errors,omitempty"`
	DurationSeconds float64  `json:"duration_s"`
}

// Run starts the stack, measures everything and stops the stack again. A
// phase that fails is recorded in Report.Errors and the others still run, so
// one broken measurement does not hide the rest; the error returned says
// whether any failed.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	began := time.Now()
	rep := &Report{
		Benchmark: "takedown bench",
		Date:      began.UTC().Truncate(time.Second),
		Command:   cfg.Command,
		Machine:   readMachine(),
		Settings: Settings{
			Takedowns: cfg.Takedowns, Pairs: cfg.Pairs, Concurrency: cfg.Concurrency, SeedRows: cfg.SeedRows,
			Waiting: cfg.Waiting, Replays: cfg.Replays, QueryRuns: cfg.QueryRuns, Quick: cfg.Quick, PoolConns: cfg.PoolConns,
			Policy:               summarize(benchPolicy().For("", "")),
			WaitingPolicy:        summarize(waitingPolicy().For("", "")),
			SimulatorRemoveAfter: simRemoveAfter.String(),
			Stack:                stackDescription,
		},
	}
	fail := func(phase string, err error) {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", phase, err))
		cfg.Logger.Error("benchmark phase failed", "phase", phase, "err", err)
		progress(cfg, "%s FAILED: %v", phase, err)
	}

	if cfg.Dir == "" {
		return rep, errors.New("bench: a working directory is required")
	}
	progress(cfg, "playing the probe schedules on a simulated clock")
	if probes, err := probeSchedules(); err != nil {
		fail("probe schedules", err)
	} else {
		rep.Probes = probes
	}
	progress(cfg, "starting the stack in %s", cfg.Dir)
	t0 := time.Now()
	st, err := startStack(ctx, cfg)
	if err != nil {
		return rep, fmt.Errorf("start stack: %w", err)
	}
	defer func() {
		progress(cfg, "stopping the stack")
		st.stop(context.WithoutCancel(ctx))
	}()
	rep.StartupSeconds = seconds(time.Since(t0))
	rep.Machine.PostgreSQL = st.pgVersion
	rep.Settings.EngineJournal = engineJournal(cfg.Dir)
	progress(cfg, "stack up in %.1fs", rep.StartupSeconds)

	// Ours and the bare workflow run in pairs of short rounds of the same
	// size, in the order ours, bare, bare, ours, ours, bare…: the host
	// slows this virtual machine down for seconds at a time (a round of
	// the same work took 40% more CPU time, everywhere in the profile,
	// and the calibration before and after it took 70% longer), and many
	// short alternating rounds spread those spells over both loops alike.
	// Measured one after the other, the ratio of one build moved between
	// 0.82 and 0.96 from run to run.
	var (
		tp *Throughput
		ec *EngineCeiling
		hp *HappyPath
	)
	acts := happyPathActivities
	o, err := newOurs(ctx, cfg, st)
	if err != nil {
		fail("throughput", err)
	} else {
		var b *bare
		bareRound := func(n int) {
			if b == nil {
				// The bare workflow runs as many activities as a real
				// takedown did.
				if hp == nil && len(o.samples) > 0 {
					if hp, err = describeHappyPath(ctx, cfg, st, o.samples); err != nil {
						fail("history of the happy path", err)
					} else {
						acts = hp.Activities
					}
				}
				if b, err = newBare(ctx, cfg, st, acts); err != nil {
					fail("engine ceiling", err)
				}
			}
			if b != nil {
				b.round(ctx, n)
			}
		}
		for k, n := range roundSizes(cfg.Takedowns, cfg.Pairs) {
			if k%2 == 0 {
				o.round(ctx, n)
				bareRound(n)
			} else {
				bareRound(n)
				o.round(ctx, n)
			}
		}
		if b != nil {
			if ec, err = b.result(ctx); err != nil {
				fail("engine ceiling", err)
			}
		}
		if tp, err = o.result(ctx); err != nil {
			fail("throughput", err)
		}
	}
	rep.Throughput, rep.EngineCeiling = tp, ec
	if tp != nil && ec != nil && ec.PerSecond > 0 {
		rep.RatioOursOverBare, rep.RatioBasis = round3(tp.PerSecond/ec.PerSecond), "whole rounds"
		if tp.SteadyPerSecond > 0 && ec.SteadyPerSecond > 0 {
			rep.RatioOursOverBare, rep.RatioBasis = round3(tp.SteadyPerSecond/ec.SteadyPerSecond), "steady"
		}
		rep.RatioByPair, rep.RatioMedian = pairRatios(tp.ByRound, ec.ByRound)
	}

	if hp != nil {
		if r, err := runReplay(ctx, cfg, st, hp); err != nil {
			fail("replay", err)
		} else {
			rep.Replay = r
		}
	}

	rep.History = &HistoryCost{HappyPath: hp}
	if nd, err := simulateNinetyDays(cfg); err != nil {
		fail("90 days of probing", err)
	} else {
		rep.History.NinetyDays = nd
	}

	// The waiting takedowns start while the query database is seeded:
	// starting them is the engine's work and seeding PostgreSQL's, and one
	// after the other they would take the run past ten minutes. Queries are
	// timed and memory read with the machine otherwise idle.
	w, err := startWaiting(ctx, cfg, st)
	if err != nil {
		fail("memory", err)
	}
	db, err := seedQueries(ctx, cfg, st)
	if err != nil {
		fail("queries", err)
	}
	if w != nil {
		if m, err := w.finish(ctx, cfg, st); err != nil {
			fail("memory", err)
		} else {
			m.SeededMeanwhile = db != nil
			rep.Memory = m
		}
	}
	if db != nil {
		if q, err := db.measure(ctx, cfg); err != nil {
			fail("queries", err)
		} else {
			rep.Queries = q
		}
		db.drop(ctx, cfg, st)
	}
	if rep.Memory != nil {
		rep.Memory.workersGone(cfg, st)
	}

	rep.DurationSeconds = seconds(time.Since(began))
	if len(rep.Errors) > 0 {
		return rep, fmt.Errorf("bench: %d of the measurements failed", len(rep.Errors))
	}
	return rep, nil
}

func progress(cfg Config, format string, args ...any) {
	fmt.Fprintf(cfg.Progress, "bench: %s "+format+"\n", append([]any{time.Now().Format(time.TimeOnly)}, args...)...)
}

// Temp makes a working directory for Run under the system's temporary
// directory.
func Temp() (string, error) {
	dir, err := os.MkdirTemp("", "takedown-bench-")
	if err != nil {
		return "", fmt.Errorf("bench: working directory: %w", err)
	}
	return dir, nil
}
