package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// NewItem is a reported URL, already normalized by the platform's parser.
type NewItem struct {
	URL       string
	Platform  takedown.Platform
	ContentID string
	Category  takedown.Category
	Note      string
	CreatedBy uuid.UUID
	// Audit, if not nil, is written in the same statement as the item,
	// with the item as its subject: a report is never stored without the
	// entry that says who made it, nor the entry without the report.
	Audit *AuditEntry
}

// DuplicateItemError says the content was reported before, and where: a
// batch intake can then point at the existing item instead of failing.
// It wraps takedown.ErrDuplicate.
type DuplicateItemError struct {
	ExistingID uuid.UUID
}

func (e *DuplicateItemError) Error() string {
	return fmt.Sprintf("content already reported as item %s", e.ExistingID)
}

func (e *DuplicateItemError) Unwrap() error { return takedown.ErrDuplicate }

// CreateItem records a reported item, pending review. Content already
// reported (same platform and content id) gives a *DuplicateItemError.
func (s *Store) CreateItem(ctx context.Context, n NewItem) (takedown.Item, error) {
	if n.URL == "" || n.Platform == "" || n.ContentID == "" || n.Category == "" {
		return takedown.Item{}, errors.New("create item: url, platform, content id and category are required")
	}
	a := AuditEntry{}
	if n.Audit != nil {
		a = *n.Audit
		if a.Action == "" {
			return takedown.Item{}, errors.New("create item: audit entry without an action")
		}
	}
	rows, err := s.pool.Query(ctx, `
		WITH ins AS (
			INSERT INTO items (id, url, platform, content_id, category, note, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (platform, content_id) DO NOTHING
			RETURNING id, url, platform, content_id, category, note, status, created_by, created_at, updated_at),
		audit AS (
			INSERT INTO audit_log (at, actor_id, actor_role, action, subject_type, subject_id, detail)
			SELECT ins.created_at, $9, $10, $11, 'item', ins.id::text, $12 FROM ins WHERE $11::text <> '')
		SELECT id, url, platform, content_id, category, note, status, created_by, created_at, updated_at, NULL::uuid FROM ins`,
		uuid.New(), n.URL, n.Platform, n.ContentID, n.Category, n.Note, n.CreatedBy, s.now(),
		a.ActorID, a.ActorRole, a.Action, jsonObject(a.Detail))
	if err != nil {
		return takedown.Item{}, fmt.Errorf("create item: %w", dbError(err))
	}
	items, err := collect(rows, scanItem)
	if err != nil {
		return takedown.Item{}, fmt.Errorf("create item: %w", dbError(err))
	}
	if len(items) == 1 {
		return items[0], nil
	}
	// ON CONFLICT waited for any concurrent insert of the same content to
	// commit, so the existing row is visible to this next statement.
	var existing uuid.UUID
	err = s.pool.QueryRow(ctx, `SELECT id FROM items WHERE platform = $1 AND content_id = $2`,
		n.Platform, n.ContentID).Scan(&existing)
	if err != nil {
		return takedown.Item{}, fmt.Errorf("create item: look up duplicate: %w", dbError(err))
	}
	return takedown.Item{}, fmt.Errorf("create item: %w", &DuplicateItemError{ExistingID: existing})
}

// GetItem returns an item, with the id of its takedown once confirmed.
func (s *Store) GetItem(ctx context.Context, id uuid.UUID) (takedown.Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `
		SELECT i.id, i.url, i.platform, i.content_id, i.category, i.note, i.status, i.created_by,
		       i.created_at, i.updated_at, t.id
		FROM items i LEFT JOIN takedowns t ON t.item_id = i.id
		WHERE i.id = $1`, id))
	if err != nil {
		return takedown.Item{}, fmt.Errorf("get item %s: %w", id, dbError(err))
	}
	return it, nil
}

// ConfirmItem turns an item pending review into a takedown: the takedown
// row, its first event, the item's status and the first audit entry, in
// one statement. An item that is not pending review gives
// takedown.ErrConflict.
//
// start, if not nil, runs inside a transaction around that statement
// before it commits; if it fails nothing is written. The API passes nil
// and starts the workflow before calling ConfirmItem, so that no
// connection is held while the engine is called; if this write then fails,
// the workflow finds its row missing and writes it with EnsureTakedown.
// Without start, the confirmation is one round trip to the server: it runs
// on every takedown's hot path.
//
// audit entries are written with the confirmation, so that the log says
// who confirmed every takedown there is, and no more.
func (s *Store) ConfirmItem(ctx context.Context, c takedown.Confirm, start func(ctx context.Context, t takedown.Takedown) error, audit ...AuditEntry) (takedown.Takedown, error) {
	c, err := checkConfirm(c)
	if err != nil {
		return takedown.Takedown{}, fmt.Errorf("confirm item: %w", err)
	}
	for _, e := range audit {
		if e.Action == "" {
			return takedown.Takedown{}, errors.New("confirm item: audit entry without an action")
		}
	}
	var first AuditEntry
	if len(audit) > 0 {
		first = audit[0]
	}
	now := s.now()
	var td takedown.Takedown
	if start == nil && len(audit) <= 1 {
		td, err = confirmItem(ctx, s.pool, c, now, first)
	} else {
		err = s.inTx(ctx, func(tx pgx.Tx) error {
			if td, err = confirmItem(ctx, tx, c, now, first); err != nil {
				return err
			}
			for _, e := range audit[min(1, len(audit)):] {
				if err := appendAudit(ctx, tx, e); err != nil {
					return err
				}
			}
			if start == nil {
				return nil
			}
			return start(ctx, td)
		})
	}
	if err != nil {
		return takedown.Takedown{}, fmt.Errorf("confirm item %s: %w", c.ItemID, err)
	}
	return td, nil
}

// querier is what a statement runs on: the pool, or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// confirmSQL confirms an item in one statement. The UPDATE is the lock: a
// second confirmation of the same item waits for the first to commit,
// then finds the item no longer pending review (the server re-checks the
// WHERE clause on the row as committed) and inserts nothing. Every later
// step reads the one before it, so nothing is written unless the item was
// pending review. Parameters: takedown id, item id, workflow id,
// deadline, confirmed by, the store's clock; the event's key, kind, status
// and detail; the audit entry's actor, role, action (empty: none),
// subject type, subject id and detail.
const confirmSQL = `
	WITH it AS (
		UPDATE items SET status = 'confirmed', updated_at = now()
		WHERE id = $2 AND status = 'pending_review'
		RETURNING id, platform, content_id, url, category
	), td AS (
		INSERT INTO takedowns (id, item_id, workflow_id, platform, content_id, url, category, deadline, confirmed_by, created_at, updated_at)
		SELECT $1, it.id, $3, it.platform, it.content_id, it.url, it.category, $4, $5, $6, $6 FROM it
		RETURNING ` + takedownColumns + `
	), ev AS (
		INSERT INTO takedown_events (takedown_id, event_key, at, kind, status, detail)
		SELECT td.id, $7, td.created_at, $8, $9, $10 FROM td
		RETURNING seq, at, kind, coalesce(status, '') AS status, detail
	), audit AS (
		INSERT INTO audit_log (actor_id, actor_role, action, subject_type, subject_id, detail)
		SELECT $11, $12, $13, $14, $15, $16 FROM td WHERE $13::text <> ''
	)
	SELECT td.*, ev.* FROM td, ev`

func confirmItem(ctx context.Context, q querier, c takedown.Confirm, now time.Time, a AuditEntry) (takedown.Takedown, error) {
	e := confirmedEvent(c, now)
	rows, err := q.Query(ctx, confirmSQL,
		c.TakedownID, c.ItemID, c.WorkflowID, c.Deadline, c.ConfirmedBy, now,
		e.EventKey, e.Kind, e.Status, jsonObject(e.Detail),
		a.ActorID, a.ActorRole, a.Action, a.SubjectType, a.SubjectID, jsonObject(a.Detail))
	if err != nil {
		return takedown.Takedown{}, dbError(err)
	}
	confirmed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (takedown.Takedown, error) {
		var t takedown.Takedown
		var ev takedown.Event
		err := r.Scan(&t.ID, &t.ItemID, &t.WorkflowID, &t.Platform, &t.ContentID, &t.URL, &t.Category, &t.Status,
			&t.EscalationLevel, &t.Deadline, &t.ConfirmedBy, &t.CreatedAt, &t.UpdatedAt,
			&t.NoticeSentAt, &t.RemovedAt, &t.ClosedAt,
			&ev.Seq, &ev.At, &ev.Kind, &ev.Status, &ev.Detail)
		t.Events = []takedown.Event{ev}
		return t, err
	})
	if err != nil {
		return takedown.Takedown{}, dbError(err)
	}
	if len(confirmed) == 1 {
		return confirmed[0], nil
	}
	// Nothing was written: say why. The statement waited for any
	// confirmation of the item in progress, so this one sees its outcome.
	var status takedown.ItemStatus
	if err := q.QueryRow(ctx, `SELECT status FROM items WHERE id = $1`, c.ItemID).Scan(&status); err != nil {
		return takedown.Takedown{}, dbError(err)
	}
	return takedown.Takedown{}, fmt.Errorf("item is %s, not pending review: %w", status, takedown.ErrConflict)
}

// EnsureTakedown writes the takedown row of a confirmation if it is
// missing: the workflow was started but the transaction that should have
// written the row failed. Calling it again changes nothing.
func (s *Store) EnsureTakedown(ctx context.Context, c takedown.Confirm) error {
	c, err := checkConfirm(c)
	if err != nil {
		return fmt.Errorf("ensure takedown: %w", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// Lock the item before inserting, in the order ConfirmItem takes
		// its locks. The workflow starts eagerly and gets here while the
		// API's confirmation may still be running: inserting first would
		// hold the takedown's key while waiting for the item that the
		// confirmation holds while waiting for that key, a deadlock that
		// the server breaks only after its deadlock_timeout, by failing
		// one of the two.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM items WHERE id = $1 FOR UPDATE`, c.ItemID); err != nil {
			return dbError(err)
		}
		rows, err := tx.Query(ctx, insertTakedownSQL+` ON CONFLICT DO NOTHING RETURNING created_at`,
			c.TakedownID, c.ItemID, c.WorkflowID, c.Deadline, c.ConfirmedBy, s.now())
		if err != nil {
			return dbError(err)
		}
		created, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
		if err != nil {
			return dbError(err)
		}
		if len(created) == 0 {
			return checkExistingTakedown(ctx, tx, c)
		}
		if err := markConfirmed(ctx, tx, c.ItemID); err != nil {
			return err
		}
		_, _, err = appendEvent(ctx, tx, confirmedEvent(c, created[0]))
		return err
	})
	if err != nil {
		return fmt.Errorf("ensure takedown %s: %w", c.TakedownID, err)
	}
	return nil
}

// insertTakedownSQL copies what the takedown follows from its item.
// Parameters: takedown id, item id, workflow id, deadline, confirmed by,
// the store's clock.
const insertTakedownSQL = `
	INSERT INTO takedowns (id, item_id, workflow_id, platform, content_id, url, category, deadline, confirmed_by, created_at, updated_at)
	SELECT $1, i.id, $3, i.platform, i.content_id, i.url, i.category, $4, $5, $6, $6
	FROM items i WHERE i.id = $2`

// checkExistingTakedown explains why EnsureTakedown inserted nothing: the
// row is there (fine), the item is missing, or the item already belongs to
// another takedown.
func checkExistingTakedown(ctx context.Context, tx pgx.Tx, c takedown.Confirm) error {
	var itemID uuid.UUID
	err := tx.QueryRow(ctx, `SELECT item_id FROM takedowns WHERE id = $1`, c.TakedownID).Scan(&itemID)
	switch {
	case err == nil && itemID == c.ItemID:
		return nil
	case err == nil:
		return fmt.Errorf("takedown belongs to item %s: %w", itemID, takedown.ErrConflict)
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM items WHERE id = $1)`, c.ItemID).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("item %s: %w", c.ItemID, takedown.ErrNotFound)
	}
	return fmt.Errorf("item %s already has another takedown or the workflow id is taken: %w", c.ItemID, takedown.ErrConflict)
}

func markConfirmed(ctx context.Context, tx pgx.Tx, itemID uuid.UUID) error {
	if _, err := tx.Exec(ctx, `UPDATE items SET status = 'confirmed', updated_at = now() WHERE id = $1`, itemID); err != nil {
		return fmt.Errorf("mark item confirmed: %w", dbError(err))
	}
	return nil
}

func confirmedEvent(c takedown.Confirm, at time.Time) takedown.Transition {
	return takedown.Transition{
		TakedownID: c.TakedownID,
		EventKey:   "confirmed",
		Kind:       takedown.EventConfirmed,
		At:         at,
		Status:     takedown.StatusPending,
		Detail:     map[string]any{"confirmed_by": c.ConfirmedBy.String()},
	}
}

func checkConfirm(c takedown.Confirm) (takedown.Confirm, error) {
	if c.ItemID == uuid.Nil || c.TakedownID == uuid.Nil || c.ConfirmedBy == uuid.Nil {
		return c, errors.New("item id, takedown id and confirming user are required")
	}
	if c.WorkflowID == "" {
		c.WorkflowID = takedown.WorkflowID(c.TakedownID)
	}
	return c, nil
}

func scanItem(r row) (takedown.Item, error) {
	var it takedown.Item
	err := r.Scan(&it.ID, &it.URL, &it.Platform, &it.ContentID, &it.Category, &it.Note, &it.Status,
		&it.CreatedBy, &it.CreatedAt, &it.UpdatedAt, &it.TakedownID)
	return it, err
}
