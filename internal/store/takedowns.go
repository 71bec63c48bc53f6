package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// ErrBadCursor is returned for a pagination cursor this store did not make
// (or made for another kind of list).
var ErrBadCursor = errors.New("malformed cursor")

const (
	defaultLimit = 50
	maxLimit     = 200
)

const takedownColumns = `id, item_id, workflow_id, platform, content_id, url, category, status,
	escalation_level, deadline, confirmed_by, created_at, updated_at, notice_sent_at, removed_at, closed_at`

// GetTakedown returns a takedown with its events, oldest first.
func (s *Store) GetTakedown(ctx context.Context, id uuid.UUID) (takedown.Takedown, error) {
	td, err := scanTakedown(s.pool.QueryRow(ctx, `SELECT `+takedownColumns+` FROM takedowns WHERE id = $1`, id))
	if err != nil {
		return takedown.Takedown{}, fmt.Errorf("get takedown %s: %w", id, dbError(err))
	}
	rows, err := s.pool.Query(ctx, `
		SELECT seq, at, kind, coalesce(status, ''), detail FROM takedown_events
		WHERE takedown_id = $1 ORDER BY seq`, id)
	if err != nil {
		return takedown.Takedown{}, fmt.Errorf("get takedown %s events: %w", id, dbError(err))
	}
	if td.Events, err = collect(rows, scanEvent); err != nil {
		return takedown.Takedown{}, fmt.Errorf("get takedown %s events: %w", id, dbError(err))
	}
	return td, nil
}

// TakedownFilter selects takedowns to list. Zero fields select everything.
type TakedownFilter struct {
	Status   takedown.Status
	Platform takedown.Platform
	Category takedown.Category
	// Level, when set, keeps takedowns at that rung of the escalation ladder.
	Level *int
	// Overdue lists open takedowns whose deadline is before Now, most
	// overdue first, instead of newest first.
	Overdue bool
	Now     time.Time // default: the current time
	// Cursor continues a previous list where it stopped.
	Cursor string
	Limit  int // default 50, at most 200
}

// ListTakedowns returns a page of takedowns, newest first (or most overdue
// first), and the cursor of the next page ("" after the last one). Pages
// are keyset-paginated: rows created meanwhile never shift a page.
func (s *Store) ListTakedowns(ctx context.Context, f TakedownFilter) ([]takedown.Takedown, string, error) {
	lq, err := listQuery(f)
	if err != nil {
		return nil, "", fmt.Errorf("list takedowns: %w", err)
	}
	rows, err := s.pool.Query(ctx, lq.sql, lq.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list takedowns: %w", dbError(err))
	}
	list, err := collect(rows, scanTakedown)
	if err != nil {
		return nil, "", fmt.Errorf("list takedowns: %w", dbError(err))
	}
	if len(list) <= lq.limit {
		return list, "", nil
	}
	list = list[:lq.limit]
	last := list[lq.limit-1]
	next := cursor{kind: lq.kind, at: last.CreatedAt, id: last.ID}
	if f.Overdue {
		next.at = *last.Deadline // the filter guarantees a deadline
	}
	return list, next.encode(), nil
}

// ExplainListTakedowns runs the query ListTakedowns would run for f under
// EXPLAIN (ANALYZE, BUFFERS) and returns the plan, one line per element: the
// way to check on a real database that a list is served by its index.
func (s *Store) ExplainListTakedowns(ctx context.Context, f TakedownFilter) ([]string, error) {
	lq, err := listQuery(f)
	if err != nil {
		return nil, fmt.Errorf("explain list takedowns: %w", err)
	}
	return s.explain(ctx, lq.sql, lq.args...)
}

// listSQL is one list query with its arguments.
type listSQL struct {
	sql   string
	args  []any
	kind  string // of the cursor
	limit int    // of the page; the query asks for one more row
}

func listQuery(f TakedownFilter) (listSQL, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)

	kind, order := cursorCreated, "created_at DESC, id DESC"
	if f.Overdue {
		kind, order = cursorDeadline, "deadline, id"
	}
	var q query
	q.where("status = $%d", nullIfEmpty(f.Status))
	q.where("platform = $%d", nullIfEmpty(f.Platform))
	q.where("category = $%d", nullIfEmpty(f.Category))
	if f.Level != nil {
		q.where("escalation_level = $%d", *f.Level)
	}
	if f.Overdue {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		q.conds = append(q.conds, "closed_at IS NULL")
		q.where("deadline < $%d", now)
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor, kind)
		if err != nil {
			return listSQL{}, err
		}
		// Row comparison follows the index order exactly, ties included.
		if f.Overdue {
			q.where2("(deadline, id) > ($%d, $%d)", c.at, c.id)
		} else {
			q.where2("(created_at, id) < ($%d, $%d)", c.at, c.id)
		}
	}
	q.args = append(q.args, limit+1) // one more tells whether a next page exists
	sql := `SELECT ` + takedownColumns + ` FROM takedowns` + q.whereSQL() +
		` ORDER BY ` + order + fmt.Sprintf(` LIMIT $%d`, len(q.args))
	return listSQL{sql: sql, args: q.args, kind: kind, limit: limit}, nil
}

// RecordTransition writes one step of a takedown: its event, and the
// columns the step changes. Activities are retried, so a step is recorded
// once per (takedown, event key): when the event already exists nothing
// changes and applied is false.
//
// NoticeSentAt keeps the earliest value: compliance is measured from the
// first notice, not from reminders (nor from the notice that follows content
// coming back). Reopened clears removed_at and closed_at.
func (s *Store) RecordTransition(ctx context.Context, t takedown.Transition) (applied bool, err error) {
	sql, args, err := transitionQuery(t)
	if err != nil {
		return false, err
	}
	rec, err := scanRecorded(s.pool.QueryRow(ctx, sql, args...), t)
	if err != nil {
		return false, err
	}
	s.observeRecorded(rec, t)
	return rec.platform != nil, nil
}

// transitionQuery is RecordTransition's statement: one statement, so one
// round trip and its own transaction. The row lock makes one step of a
// takedown at a time (two retries of the same step cannot both find their
// event missing, and events are numbered in the order their changes
// apply), the event is inserted unless its key exists, and the columns
// change only if it was.
func transitionQuery(t takedown.Transition) (string, []any, error) {
	if t.EventKey == "" || t.Kind == "" {
		return "", nil, fmt.Errorf("record transition: event key and kind are required: %w", takedown.ErrInvalid)
	}
	if t.Status != "" && !t.Status.Valid() {
		return "", nil, fmt.Errorf("record transition: unknown status %q: %w", t.Status, takedown.ErrInvalid)
	}
	return `
		WITH locked AS (
			SELECT id FROM takedowns WHERE id = $1 FOR UPDATE
		), ev AS (
			INSERT INTO takedown_events (takedown_id, event_key, at, kind, status, detail)
			SELECT id, $11, coalesce($12, now()), $13, $2, $14 FROM locked
			ON CONFLICT (takedown_id, event_key) DO NOTHING
			RETURNING at
		), upd AS (
			UPDATE takedowns SET
				status = CASE WHEN $10::text IS NULL OR status = $10 THEN coalesce($2::text, status) ELSE status END,
				deadline = CASE WHEN $10::text IS NOT NULL AND status <> $10 THEN deadline
					WHEN $4::timestamptz IS NOT NULL THEN $4 WHEN $3::boolean THEN NULL ELSE deadline END,
				escalation_level = coalesce($5::integer, escalation_level),
				notice_sent_at = least(notice_sent_at, $6::timestamptz),
				removed_at = CASE WHEN $7::timestamptz IS NOT NULL THEN $7 WHEN $9::boolean THEN NULL ELSE removed_at END,
				closed_at = CASE WHEN $8::boolean THEN ev.at WHEN $9 THEN NULL ELSE closed_at END,
				updated_at = now()
			FROM ev
			WHERE takedowns.id = $1
			RETURNING platform, notice_sent_at
		)
		SELECT EXISTS (SELECT 1 FROM locked), (SELECT platform FROM upd), (SELECT notice_sent_at FROM upd)`,
		[]any{t.TakedownID, nullIfEmpty(t.Status), t.ClearDeadline, t.Deadline, t.EscalationLevel,
			t.NoticeSentAt, t.RemovedAt, t.Closed, t.Reopened, nullIfEmpty(t.IfStatus),
			t.EventKey, nullIfZero(t.At), t.Kind, jsonObject(t.Detail)}, nil
}

// recorded is what transitionQuery answered: platform is set when the
// step was applied (its event was new).
type recorded struct {
	platform     *takedown.Platform
	noticeSentAt *time.Time
}

func scanRecorded(row pgx.Row, t takedown.Transition) (recorded, error) {
	var found bool
	var rec recorded
	err := row.Scan(&found, &rec.platform, &rec.noticeSentAt)
	if err == nil && !found {
		err = takedown.ErrNotFound
	}
	if err != nil {
		return recorded{}, fmt.Errorf("record %s for takedown %s: %w", t.Kind, t.TakedownID, dbError(err))
	}
	return rec, nil
}

// observeRecorded reports a removal, once, with the time it took.
func (s *Store) observeRecorded(rec recorded, t takedown.Transition) {
	if rec.platform != nil && t.RemovedAt != nil && rec.noticeSentAt != nil {
		s.observer.Removed(*rec.platform, t.RemovedAt.Sub(*rec.noticeSentAt))
	}
}

// appendEvent inserts a takedown's event unless one with the same key
// exists, and reports whether it did.
func appendEvent(ctx context.Context, tx pgx.Tx, t takedown.Transition) (takedown.Event, bool, error) {
	rows, err := tx.Query(ctx, `
		INSERT INTO takedown_events (takedown_id, event_key, at, kind, status, detail)
		VALUES ($1, $2, coalesce($3, now()), $4, $5, $6)
		ON CONFLICT (takedown_id, event_key) DO NOTHING
		RETURNING seq, at, kind, coalesce(status, ''), detail`,
		t.TakedownID, t.EventKey, nullIfZero(t.At), t.Kind, nullIfEmpty(t.Status), jsonObject(t.Detail))
	if err != nil {
		return takedown.Event{}, false, fmt.Errorf("append event %s: %w", t.EventKey, dbError(err))
	}
	evs, err := collect(rows, scanEvent)
	if err != nil {
		return takedown.Event{}, false, fmt.Errorf("append event %s: %w", t.EventKey, dbError(err))
	}
	if len(evs) == 0 {
		return takedown.Event{}, false, nil
	}
	return evs[0], true, nil
}

func scanTakedown(r row) (takedown.Takedown, error) {
	var t takedown.Takedown
	err := r.Scan(&t.ID, &t.ItemID, &t.WorkflowID, &t.Platform, &t.ContentID, &t.URL, &t.Category, &t.Status,
		&t.EscalationLevel, &t.Deadline, &t.ConfirmedBy, &t.CreatedAt, &t.UpdatedAt,
		&t.NoticeSentAt, &t.RemovedAt, &t.ClosedAt)
	return t, err
}

func scanEvent(r row) (takedown.Event, error) {
	var e takedown.Event
	err := r.Scan(&e.Seq, &e.At, &e.Kind, &e.Status, &e.Detail)
	return e, err
}

// query gathers the conditions and arguments of a list query.
type query struct {
	conds []string
	args  []any
}

// where adds a condition on one argument, skipped when the argument is nil
// (an unset filter).
func (q *query) where(cond string, arg any) {
	if arg == nil {
		return
	}
	q.args = append(q.args, arg)
	q.conds = append(q.conds, fmt.Sprintf(cond, len(q.args)))
}

func (q *query) where2(cond string, a, b any) {
	q.args = append(q.args, a, b)
	q.conds = append(q.conds, fmt.Sprintf(cond, len(q.args)-1, len(q.args)))
}

func (q *query) whereSQL() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

// A cursor is the sort key of the last row of a page. Its kind ties it to
// the list it came from: an overdue cursor means nothing in the newest-first
// list.
type cursor struct {
	kind string
	at   time.Time
	id   uuid.UUID
}

const (
	cursorCreated  = "c"
	cursorDeadline = "d"
)

func (c cursor) encode() string {
	s := c.kind + "|" + c.at.UTC().Format(time.RFC3339Nano) + "|" + c.id.String()
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(s, kind string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 || parts[0] != kind {
		return cursor{}, ErrBadCursor
	}
	at, err := time.Parse(time.RFC3339Nano, parts[1])
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	id, err := uuid.Parse(parts[2])
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	return cursor{kind: kind, at: at, id: id}, nil
}
