package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/takedown-oss/takedown/internal/store"
)

// seedDatabase is created on the stack's PostgreSQL server, beside the
// database the running system uses, so that the seeded rows never mix with
// the measured takedowns.
const seedDatabase = "bench_seed"

// Targets for the queries at a million rows.
const (
	overdueTargetMs    = 10
	complianceTargetMs = 200
)

// Queries is the list and report queries on a database of SeedRows
// takedowns.
type Queries struct {
	Database       string         `json:"database"`
	Rows           int            `json:"rows"`
	SeedSeconds    float64        `json:"seed_s"`
	AnalyzeSeconds float64        `json:"analyze_s"`
	TableMB        float64        `json:"takedowns_table_mb"`
	IndexMB        float64        `json:"takedowns_indexes_mb"`
	Statuses       map[string]int `json:"statuses"`
	// OpenOverdue counts the open takedowns past their deadline: what the
	// overdue list pages through.
	OpenOverdue int         `json:"open_overdue"`
	Overdue     QueryTiming `json:"overdue_list"`
	Compliance  QueryTiming `json:"compliance_30_days"`
}

// QueryTiming is one query timed through the store, as the API calls it.
type QueryTiming struct {
	Call        string  `json:"call"`
	Runs        int     `json:"runs"`
	Latency     Latency `json:"latency"`
	RowsOut     int     `json:"rows_returned"`
	TargetP95Ms float64 `json:"target_p95_ms"`
	MeetsTarget bool    `json:"meets_target"`
	// Plan is the head of EXPLAIN (ANALYZE, BUFFERS) of the very query the
	// store runs, with the same arguments.
	Plan []string `json:"plan"`
}

// planLines is how much of a plan the report keeps: enough to show the
// access paths, not the whole tree.
const planLines = 12

// queryDB is the seeded database, ready to be queried.
type queryDB struct {
	q  *Queries
	ss *store.Store
}

// seedQueries creates the query database beside the running system's,
// applies the migrations and fills it with cfg.SeedRows takedowns.
func seedQueries(ctx context.Context, cfg Config, st *stack) (_ *queryDB, err error) {
	q := &Queries{Database: seedDatabase, Rows: cfg.SeedRows}
	if _, err := st.store.Pool().Exec(ctx, `CREATE DATABASE `+seedDatabase); err != nil {
		return nil, fmt.Errorf("create the seed database: %w", err)
	}
	db := &queryDB{q: q}
	defer func() {
		if err != nil {
			db.drop(ctx, cfg, st)
		}
	}()
	url := st.pg.DatabaseURL(seedDatabase)
	if err := store.Migrate(ctx, url, cfg.Logger); err != nil {
		return nil, err
	}
	if db.ss, err = store.Open(ctx, store.Config{URL: url, MaxConns: store.SeedConns, Logger: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("open the seed database: %w", err)
	}
	progress(cfg, "queries: seeding %d takedowns", cfg.SeedRows)
	t0 := time.Now()
	if err := db.ss.SeedSynthetic(ctx, cfg.SeedRows, time.Now()); err != nil {
		return nil, err
	}
	q.SeedSeconds = seconds(time.Since(t0))
	t0 = time.Now()
	if _, err := db.ss.Pool().Exec(ctx, `ANALYZE users, items, takedowns`); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	q.AnalyzeSeconds = seconds(time.Since(t0))
	progress(cfg, "queries: seeded in %.1fs, analyzed in %.1fs", q.SeedSeconds, q.AnalyzeSeconds)
	return db, nil
}

// drop removes the query database, so that its rows stay out of what
// follows and out of the server's shutdown checkpoint.
func (db *queryDB) drop(ctx context.Context, cfg Config, st *stack) {
	if db.ss != nil {
		db.ss.Close()
	}
	if _, err := st.store.Pool().Exec(context.WithoutCancel(ctx), `DROP DATABASE IF EXISTS `+seedDatabase+` WITH (FORCE)`); err != nil {
		cfg.Logger.Warn("drop the seed database", "err", err)
	}
}

// measure times the overdue list and the compliance report, as the API
// calls them, and explains their plans.
func (db *queryDB) measure(ctx context.Context, cfg Config) (*Queries, error) {
	q, ss := db.q, db.ss
	var table, indexes int64
	if err := ss.Pool().QueryRow(ctx, `SELECT pg_table_size('takedowns'), pg_indexes_size('takedowns')`).Scan(&table, &indexes); err != nil {
		return nil, fmt.Errorf("table size: %w", err)
	}
	q.TableMB, q.IndexMB = round3(float64(table)/(1<<20)), round3(float64(indexes)/(1<<20))
	q.Statuses = map[string]int{}
	rows, err := ss.Pool().Query(ctx, `SELECT status, count(*) FROM takedowns GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count statuses: %w", err)
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("count statuses: %w", err)
		}
		q.Statuses[s] = n
	}
	rows.Close()
	if err := ss.Pool().QueryRow(ctx, `SELECT count(*) FROM takedowns WHERE closed_at IS NULL AND deadline < now()`).Scan(&q.OpenOverdue); err != nil {
		return nil, fmt.Errorf("count overdue: %w", err)
	}

	overdue := store.TakedownFilter{Overdue: true}
	progress(cfg, "queries: overdue list, %d runs", cfg.QueryRuns)
	q.Overdue, err = timeQuery(ctx, cfg.QueryRuns, overdueTargetMs, "store.ListTakedowns(Overdue: true), first page",
		func(ctx context.Context) (int, error) {
			list, _, err := ss.ListTakedowns(ctx, overdue)
			return len(list), err
		})
	if err != nil {
		return nil, err
	}
	if q.Overdue.Plan, err = ss.ExplainListTakedowns(ctx, overdue); err != nil {
		return nil, err
	}

	progress(cfg, "queries: compliance report, %d runs", complianceRuns(cfg.QueryRuns))
	q.Compliance, err = timeQuery(ctx, complianceRuns(cfg.QueryRuns), complianceTargetMs, "store.ComplianceStats over the last 30 days",
		func(ctx context.Context) (int, error) {
			to := time.Now()
			list, err := ss.ComplianceStats(ctx, to.Add(-30*24*time.Hour), to)
			return len(list), err
		})
	if err != nil {
		return nil, err
	}
	to := time.Now()
	if q.Compliance.Plan, err = ss.ExplainComplianceStats(ctx, to.Add(-30*24*time.Hour), to); err != nil {
		return nil, err
	}
	q.Overdue.Plan = head(q.Overdue.Plan, planLines)
	q.Compliance.Plan = head(q.Compliance.Plan, planLines)
	return q, nil
}

// timeQuery runs call a few times to warm the caches, then runs times.
func timeQuery(ctx context.Context, runs int, targetMs float64, name string, call func(context.Context) (int, error)) (QueryTiming, error) {
	qt := QueryTiming{Call: name, Runs: runs, TargetP95Ms: targetMs}
	for range 3 {
		if _, err := call(ctx); err != nil {
			return qt, fmt.Errorf("%s: %w", name, err)
		}
	}
	ds := make([]time.Duration, 0, runs)
	for range runs {
		t0 := time.Now()
		n, err := call(ctx)
		if err != nil {
			return qt, fmt.Errorf("%s: %w", name, err)
		}
		ds = append(ds, time.Since(t0))
		qt.RowsOut = n
	}
	qt.Latency = Summarize(ds)
	qt.MeetsTarget = qt.Latency.P95 <= targetMs
	return qt, nil
}

func head(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(lines[:n:n], fmt.Sprintf("… (%d more lines)", len(lines)-n))
}

// complianceRuns times the report at most 100 times: it takes a tenth of a
// second at a million rows, and a hundred runs give a steady p95.
func complianceRuns(runs int) int { return min(runs, 100) }
