package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

const quotaColumns = `platform, window_start, window_end, report_units, probe_units, probe_calls, probe_ids,
	exhausted, refused_reports, refused_probes, refunded_units`

func scanWindow(row pgx.Row) (quota.Window, error) {
	var w quota.Window
	var p string
	err := row.Scan(&p, &w.Start, &w.End, &w.Reports, &w.Probes, &w.Calls, &w.IDs,
		&w.Exhausted, &w.RefusedReports, &w.RefusedProbes, &w.Refunded)
	w.Platform = takedown.Platform(p)
	w.Start, w.End = w.Start.UTC(), w.End.UTC()
	return w, err
}

// SpendQuota adds units to a platform's window when, after the spend, the
// window stays under the limits and is not exhausted; the check and the
// addition are one UPDATE, so workers spending at once never overspend. A
// refusal is counted in the window instead. Every report and probe call
// spends, so the usual case, a window that exists and has room, is that
// one statement; the window's row is created by its first spend.
func (s *Store) SpendQuota(ctx context.Context, sp quota.Spend) (quota.Window, bool, error) {
	if sp.Units < 0 || (sp.Purpose != quota.Report && sp.Purpose != quota.Probe) {
		return quota.Window{}, false, fmt.Errorf("spend quota: %w: %d units for %q", takedown.ErrInvalid, sp.Units, sp.Purpose)
	}
	isProbe := sp.Purpose == quota.Probe
	spend := func() (quota.Window, error) {
		return scanWindow(s.pool.QueryRow(ctx, `UPDATE quota_windows SET
				report_units = report_units + CASE WHEN $3 THEN 0 ELSE $4 END,
				probe_units = probe_units + CASE WHEN $3 THEN $4 ELSE 0 END,
				probe_calls = probe_calls + CASE WHEN $3 THEN 1 ELSE 0 END, probe_ids = probe_ids + $5
			WHERE platform = $1 AND window_start = $2 AND NOT exhausted
				AND report_units + probe_units + $4 <= $6
				AND (NOT $3 OR probe_units + $4 <= $7)
			RETURNING `+quotaColumns,
			string(sp.Platform), sp.Start, isProbe, sp.Units, sp.IDs, sp.MaxTotal, sp.MaxProbes))
	}
	w, err := spend()
	if errors.Is(err, pgx.ErrNoRows) {
		// No room, or no row yet for this window: make sure it exists and
		// try once more. Whether this call or a concurrent one created the
		// row, the second UPDATE sees it.
		_, err = s.pool.Exec(ctx, `INSERT INTO quota_windows (platform, window_start, window_end)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, string(sp.Platform), sp.Start, sp.End)
		if err == nil {
			w, err = spend()
		}
	}
	if err == nil {
		return w, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return quota.Window{}, false, fmt.Errorf("spend %s quota: %w", sp.Platform, dbError(err))
	}
	w, err = scanWindow(s.pool.QueryRow(ctx, `UPDATE quota_windows SET
			refused_reports = refused_reports + CASE WHEN $3 THEN 0 ELSE 1 END,
			refused_probes = refused_probes + CASE WHEN $3 THEN 1 ELSE 0 END
		WHERE platform = $1 AND window_start = $2 RETURNING `+quotaColumns,
		string(sp.Platform), sp.Start, isProbe))
	if err != nil {
		return quota.Window{}, false, fmt.Errorf("spend %s quota: count the refusal: %w", sp.Platform, dbError(err))
	}
	return w, false, nil
}

// RefundQuota takes a spend back out of the window it was paid from. The
// window must hold the units (a refund never gives back more than was
// spent for the purpose); the caller refunds once per call that failed.
func (s *Store) RefundQuota(ctx context.Context, sp quota.Spend) (quota.Window, error) {
	if sp.Units <= 0 || (sp.Purpose != quota.Report && sp.Purpose != quota.Probe) {
		return quota.Window{}, fmt.Errorf("refund quota: %w: %d units for %q", takedown.ErrInvalid, sp.Units, sp.Purpose)
	}
	isProbe := sp.Purpose == quota.Probe
	w, err := scanWindow(s.pool.QueryRow(ctx, `UPDATE quota_windows SET
			report_units = report_units - CASE WHEN $3 THEN 0 ELSE $4 END,
			probe_units = probe_units - CASE WHEN $3 THEN $4 ELSE 0 END,
			probe_calls = probe_calls - CASE WHEN $3 THEN 1 ELSE 0 END,
			probe_ids = greatest(probe_ids - $5, 0),
			refunded_units = refunded_units + $4
		WHERE platform = $1 AND window_start = $2
			AND CASE WHEN $3 THEN probe_units >= $4 AND probe_calls >= 1 ELSE report_units >= $4 END
		RETURNING `+quotaColumns,
		string(sp.Platform), sp.Start, isProbe, sp.Units, sp.IDs))
	if errors.Is(err, pgx.ErrNoRows) {
		return quota.Window{}, fmt.Errorf("refund %d %s units of %s: the window of %s holds less: %w",
			sp.Units, sp.Purpose, sp.Platform, sp.Start.UTC().Format(time.RFC3339), takedown.ErrConflict)
	}
	if err != nil {
		return quota.Window{}, fmt.Errorf("refund %s quota: %w", sp.Platform, dbError(err))
	}
	return w, nil
}

// ExhaustQuota marks a platform's window spent: the platform said so.
func (s *Store) ExhaustQuota(ctx context.Context, p takedown.Platform, start, end time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO quota_windows (platform, window_start, window_end, exhausted)
		VALUES ($1, $2, $3, true) ON CONFLICT (platform, window_start) DO UPDATE SET exhausted = true`,
		string(p), start, end)
	if err != nil {
		return fmt.Errorf("exhaust %s quota: %w", p, dbError(err))
	}
	return nil
}

// QuotaWindows lists the windows that end after the given time.
func (s *Store) QuotaWindows(ctx context.Context, after time.Time) ([]quota.Window, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+quotaColumns+` FROM quota_windows WHERE window_end > $1
		ORDER BY platform, window_start`, after)
	if err != nil {
		return nil, fmt.Errorf("list quota windows: %w", dbError(err))
	}
	defer rows.Close()
	var out []quota.Window
	for rows.Next() {
		w, err := scanWindow(rows)
		if err != nil {
			return nil, fmt.Errorf("list quota windows: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list quota windows: %w", dbError(err))
	}
	return out, nil
}

// ReserveTurn gives a call the platform's next free turn for the purpose,
// or now if that has passed, and moves the next free turn one interval
// after it. The row lock serialises workers reserving at once; the turn
// never moves backwards, whatever a worker's clock says.
func (s *Store) ReserveTurn(ctx context.Context, p takedown.Platform, purpose quota.Purpose, interval time.Duration, now time.Time) (time.Time, error) {
	if interval <= 0 || (purpose != quota.Report && purpose != quota.Probe) {
		return time.Time{}, fmt.Errorf("reserve a turn: %w: %s every %s", takedown.ErrInvalid, purpose, interval)
	}
	var at time.Time
	err := s.pool.QueryRow(ctx, `INSERT INTO pace AS p (platform, purpose, next_at)
			VALUES ($1, $2, $3::timestamptz + $4::bigint * interval '1 microsecond')
		ON CONFLICT (platform, purpose) DO UPDATE
			SET next_at = greatest(p.next_at, $3::timestamptz) + $4::bigint * interval '1 microsecond'
		RETURNING next_at - $4::bigint * interval '1 microsecond'`,
		string(p), string(purpose), now, interval.Microseconds()).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("reserve a %s turn on %s: %w", purpose, p, dbError(err))
	}
	return at.UTC(), nil
}
