package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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
	if db.ss, err = store.Open(ctx, store.Config{URL: url, MaxConns: seedParts, Logger: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("open the seed database: %w", err)
	}
	progress(cfg, "queries: seeding %d takedowns", cfg.SeedRows)
	t0 := time.Now()
	if err := seed(ctx, db.ss, cfg.SeedRows, time.Now()); err != nil {
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

// seedParts is how many connections seed at once: each INSERT … SELECT
// keeps one server process busy, and the machine has two cores or more.
const seedParts = 2

// seed fills the database, each part of the rows on its own connection
// (the view is per session): users, then every part's items, then every
// part's takedowns, which reference the items.
func seed(ctx context.Context, ss *store.Store, rows int, now time.Time) error {
	conns := make([]*pgxpool.Conn, seedParts)
	for i := range conns {
		c, err := ss.Pool().Acquire(ctx)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		defer c.Release()
		conns[i] = c
	}
	if _, err := conns[0].Exec(ctx, seedUsersSQL); err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	for i, c := range conns {
		from, to := i*rows/seedParts+1, (i+1)*rows/seedParts
		if _, err := c.Exec(ctx, `SET synchronous_commit = off`); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if _, err := c.Exec(ctx, seedViewSQL(from, to, rows, now)); err != nil {
			return fmt.Errorf("seed view: %w", err)
		}
	}
	for _, stmt := range []string{seedItemsSQL, seedTakedownsSQL, `DROP VIEW seed`} {
		errs := make([]error, len(conns))
		var wg sync.WaitGroup
		for i, c := range conns {
			wg.Go(func() { _, errs[i] = c.Exec(ctx, stmt) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}

// seedViewSQL defines the session's view "seed": rows from to to (counted
// from 1) of total takedowns spread over the year before now, in the order
// they would have been written (the heap follows created_at, as it does in
// a real table). The spread, drawn from a hash of the row number so that
// every run seeds the same rows:
//   - platforms: Telegram 40%, X 25%, Meta 20%, YouTube 15%;
//   - categories: deepfake 45%, NCII 30%, sextortion 10%, other 10%, CSAM 5%;
//   - 3% stuck open past their deadline (the overdue list), spread over the
//     year at every rung of the ladder; of the last day's takedowns 70% are
//     still waiting within their deadline;
//   - the rest closed: removed 88% (removal time exponential, mean 7 hours,
//     so about 3% after the 24-hour deadline), withheld 4%, withdrawn 2.5%,
//     rejected 2.5%, blocked 1.5%, failed 1.5%.
//
// Ids follow the row number (uuid-shaped, increasing) rather than being
// random as uuid.New makes them: the unique indexes then fill in order,
// which is faster, and neither measured query reads by id. takedown_events
// and notices are not seeded: neither query reads them.
func seedViewSQL(from, to, total int, now time.Time) string {
	u := func(k int) string {
		// Uniform in [0, 1), independent for each k.
		return fmt.Sprintf("((hashint8extended(g, %d) & 9007199254740991)::float8 / 9007199254740992)", k)
	}
	ts := func(t time.Time) string { return "timestamptz '" + t.UTC().Format(time.RFC3339Nano) + "'" }
	r := strings.NewReplacer(
		"{FROM}", fmt.Sprint(from), "{TO}", fmt.Sprint(to), "{N}", fmt.Sprint(total),
		"{NOW}", ts(now),
		"{START}", ts(now.Add(-365*24*time.Hour)),
		"{U1}", u(1), "{U2}", u(2), "{U3}", u(3), "{U4}", u(4), "{U5}", u(5), "{U6}", u(6),
	)
	return r.Replace(`
CREATE TEMP VIEW seed AS
WITH base AS (
	SELECT g, {U1} AS r_platform, {U2} AS r_category, {U3} AS r_open, {U4} AS r_status, {U5} AS r_notice, {U6} AS r_removal,
	       {START} + (g - 1) * (interval '365 days' / {N}) AS created_at
	FROM generate_series({FROM}, {TO}) AS g
), typed AS (
	SELECT *,
	       CASE WHEN r_platform < 0.15 THEN 'youtube' WHEN r_platform < 0.55 THEN 'telegram'
	            WHEN r_platform < 0.80 THEN 'x' ELSE 'meta' END AS platform,
	       CASE WHEN r_category < 0.45 THEN 'deepfake_sexual' WHEN r_category < 0.75 THEN 'ncii'
	            WHEN r_category < 0.80 THEN 'csam' WHEN r_category < 0.90 THEN 'sextortion' ELSE 'other_illegal' END AS category,
	       CASE
	            WHEN created_at > {NOW} - interval '1 day' AND r_open < 0.7 THEN 'notice_sent'
	            WHEN r_open < 0.03 THEN
	                 CASE WHEN r_status < 0.50 THEN 'notice_sent' WHEN r_status < 0.75 THEN 'awaiting_approval'
	                      WHEN r_status < 0.85 THEN 'blocking' WHEN r_status < 0.95 THEN 'clarification_requested'
	                      ELSE 'awaiting_portal' END
	            ELSE
	                 CASE WHEN r_status < 0.88 THEN 'removed' WHEN r_status < 0.92 THEN 'withheld'
	                      WHEN r_status < 0.945 THEN 'rejected' WHEN r_status < 0.96 THEN 'blocked'
	                      WHEN r_status < 0.985 THEN 'withdrawn' ELSE 'failed' END
	       END AS status
	FROM base
), named AS (
	SELECT *,
	       CASE platform
	            WHEN 'youtube' THEN 'S' || lpad(to_hex(g), 10, '0')
	            WHEN 'telegram' THEN 'seedchan' || (g % 997) || '/' || g
	            WHEN 'x' THEN (1700000000000000000 + g)::text
	            ELSE 'instagram/S' || lpad(to_hex(g), 10, '0') END AS content_id,
	       CASE WHEN status IN ('failed', 'awaiting_portal') THEN NULL
	            ELSE created_at + (5 + r_notice * 55) * interval '1 second' END AS notice_sent_at
	FROM typed
), timed AS (
	SELECT *,
	       CASE platform
	            WHEN 'youtube' THEN 'https://www.youtube.com/watch?v=' || content_id
	            WHEN 'telegram' THEN 'https://t.me/' || content_id
	            WHEN 'x' THEN 'https://x.com/i/status/' || content_id
	            ELSE 'https://www.instagram.com/p/' || substr(content_id, 11) || '/' END AS url,
	       CASE WHEN status = 'awaiting_portal' THEN created_at + interval '4 hours'
	            WHEN notice_sent_at IS NULL THEN NULL
	            WHEN category = 'csam' THEN notice_sent_at + interval '12 hours'
	            ELSE notice_sent_at + interval '24 hours' END AS deadline,
	       CASE WHEN status = 'removed' THEN notice_sent_at + (-ln(1 - r_removal) * 7) * interval '1 hour' END AS removed_at
	FROM named
)
SELECT g, ('5eed0000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid AS id,
       ('5eed0001-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid AS item_id,
       md5('seed-user-' || (1 + g % 50))::uuid AS user_id,
       platform, category, status, content_id, url, created_at, notice_sent_at, deadline, removed_at,
       CASE status
            WHEN 'removed' THEN removed_at
            WHEN 'failed' THEN created_at + interval '10 minutes'
            WHEN 'withheld' THEN notice_sent_at + (1 + r_removal * 96) * interval '1 hour'
            WHEN 'rejected' THEN notice_sent_at + (1 + r_removal * 96) * interval '1 hour'
            WHEN 'blocked' THEN notice_sent_at + (1 + r_removal * 96) * interval '1 hour'
            WHEN 'withdrawn' THEN notice_sent_at + (1 + r_removal * 96) * interval '1 hour'
       END AS closed_at,
       CASE status
            WHEN 'awaiting_approval' THEN 3
            WHEN 'blocking' THEN 4
            WHEN 'blocked' THEN 4
            WHEN 'clarification_requested' THEN 1
            WHEN 'notice_sent' THEN CASE WHEN deadline < {NOW} THEN 1 + (r_removal < 0.5)::int ELSE 0 END
            WHEN 'removed' THEN (removed_at > deadline)::int
            ELSE 0
       END AS escalation_level
FROM timed`)
}

// seedUsersSQL makes the users the seeded takedowns were confirmed by.
const seedUsersSQL = `
	INSERT INTO users (id, name, role)
	SELECT md5('seed-user-' || g)::uuid, 'seed-user-' || g,
	       (ARRAY['staff', 'staff', 'staff', 'supervisor', 'auditor'])[1 + g % 5]
	FROM generate_series(1, 50) AS g`

const seedItemsSQL = `
	INSERT INTO items (id, url, platform, content_id, category, status, created_by, created_at, updated_at)
	SELECT item_id, url, platform, content_id, category, 'confirmed', user_id, created_at - interval '5 minutes', created_at
	FROM seed ORDER BY g`

const seedTakedownsSQL = `
	INSERT INTO takedowns (id, item_id, workflow_id, platform, content_id, url, category, status, escalation_level,
	                       deadline, confirmed_by, created_at, updated_at, notice_sent_at, removed_at, closed_at)
	SELECT id, item_id, 'takedown-' || id, platform, content_id, url, category, status, escalation_level,
	       deadline, user_id, created_at, coalesce(closed_at, notice_sent_at, created_at), notice_sent_at, removed_at, closed_at
	FROM seed ORDER BY g`
