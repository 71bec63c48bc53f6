package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SeedConns is how many connections SeedSynthetic uses at once: each
// INSERT … SELECT keeps one server process busy, and the machine has two
// cores or more. A store opened for seeding needs a pool this large.
const SeedConns = 2

// SeedSynthetic fills an empty database with rows synthetic takedowns over
// the year before now, for measuring queries at scale (the benchmark): set
// based, a million rows in well under a minute. Each part of the rows is
// written on its own connection (the view is per session): users, then
// every part's items, then every part's takedowns, which reference them.
func (s *Store) SeedSynthetic(ctx context.Context, rows int, now time.Time) error {
	conns := make([]*pgxpool.Conn, SeedConns)
	for i := range conns {
		c, err := s.pool.Acquire(ctx)
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
		from, to := i*rows/SeedConns+1, (i+1)*rows/SeedConns
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
