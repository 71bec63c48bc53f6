package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// ComplianceRow is what became of the takedowns of one platform and
// category: the figures regulators publish.
type ComplianceRow struct {
	Platform takedown.Platform `json:"platform"`
	Category takedown.Category `json:"category"`
	Total    int               `json:"total"`
	// Open counts takedowns not yet closed.
	Open int `json:"open"`
	// Outcomes counts takedowns by their current status.
	Outcomes map[takedown.Status]int `json:"outcomes"`
	// Removed counts takedowns whose removal a probe confirmed, and
	// RemovedWithinDeadline those confirmed by their removal deadline.
	Removed               int `json:"removed"`
	RemovedWithinDeadline int `json:"removed_within_deadline"`
	// WithinDeadlineShare is RemovedWithinDeadline over Total.
	WithinDeadlineShare float64 `json:"within_deadline_share"`
	// Time from the first notice to confirmed removal, in seconds; absent
	// when nothing was removed.
	MedianRemovalSeconds *float64 `json:"median_removal_seconds,omitempty"`
	P90RemovalSeconds    *float64 `json:"p90_removal_seconds,omitempty"`
}

// ComplianceStats reports on the takedowns confirmed in [from, to), one row
// per platform and category that had any, ordered by platform and category.
func (s *Store) ComplianceStats(ctx context.Context, from, to time.Time) ([]ComplianceRow, error) {
	rows, err := s.pool.Query(ctx, complianceSQL, from, to)
	if err != nil {
		return nil, fmt.Errorf("compliance stats: %w", dbError(err))
	}
	list, err := collect(rows, func(r row) (ComplianceRow, error) {
		var c ComplianceRow
		err := r.Scan(&c.Platform, &c.Category, &c.Total, &c.Open, &c.Outcomes, &c.Removed, &c.RemovedWithinDeadline,
			&c.MedianRemovalSeconds, &c.P90RemovalSeconds)
		if c.Total > 0 {
			c.WithinDeadlineShare = float64(c.RemovedWithinDeadline) / float64(c.Total)
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("compliance stats: %w", dbError(err))
	}
	return list, nil
}

// complianceSQL takes the period's bounds, [$1, $2). It reads the period's
// rows once and sorts them once: the outcomes per status are counted from
// each group's own array of statuses, and both percentiles come from one
// ordered-set aggregate. (Counting them in a correlated subquery over a
// CTE, as this query first did, rescanned the whole period once per
// platform and category: 0.3 s at a million rows, against 0.13 s now.)
const complianceSQL = `
		SELECT platform, category, total, open, outcomes, removed, removed_in_time, p[1], p[2]
		FROM (
			SELECT platform, category,
			       count(*) AS total,
			       count(*) FILTER (WHERE closed_at IS NULL) AS open,
			       (SELECT jsonb_object_agg(s, n)
			          FROM (SELECT s, count(*) AS n FROM unnest(array_agg(status)) AS s GROUP BY s) AS by_status) AS outcomes,
			       count(removed_at) AS removed,
			       count(*) FILTER (WHERE removed_at <= deadline) AS removed_in_time,
			       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM removed_at - notice_sent_at)::float8) AS p
			FROM takedowns
			WHERE created_at >= $1 AND created_at < $2
			GROUP BY platform, category
		) AS g
		ORDER BY platform, category`

// ExplainComplianceStats runs ComplianceStats' query under EXPLAIN (ANALYZE,
// BUFFERS) and returns the plan, one line per element.
func (s *Store) ExplainComplianceStats(ctx context.Context, from, to time.Time) ([]string, error) {
	return s.explain(ctx, complianceSQL, from, to)
}

// explain runs sql with args under EXPLAIN (ANALYZE, BUFFERS): the query
// really runs, so the plan shows the time and the pages it took.
func (s *Store) explain(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", dbError(err))
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("explain: %w", dbError(err))
	}
	return lines, nil
}
