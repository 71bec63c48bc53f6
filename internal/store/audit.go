package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// AuditEntry is one thing a person (or the system, with no actor) did.
type AuditEntry struct {
	ActorID     *uuid.UUID // nil for the system itself
	ActorRole   string
	Action      string // e.g. "item.create", "takedown.confirm"
	SubjectType string // e.g. "item", "takedown"
	SubjectID   string
	Detail      map[string]any
}

// AppendAudit adds an entry to the audit log, which the database keeps
// append-only.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) error {
	return appendAudit(ctx, s.pool, e)
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func appendAudit(ctx context.Context, db execer, e AuditEntry) error {
	if e.Action == "" {
		return errors.New("append audit: action is required")
	}
	_, err := db.Exec(ctx, `
		INSERT INTO audit_log (actor_id, actor_role, action, subject_type, subject_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ActorID, e.ActorRole, e.Action, e.SubjectType, e.SubjectID, jsonObject(e.Detail))
	if err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, dbError(err))
	}
	return nil
}

// AuditRecord is a stored audit entry.
type AuditRecord struct {
	Seq         int64          `json:"seq"`
	At          time.Time      `json:"at"`
	ActorID     *uuid.UUID     `json:"actor_id,omitempty"`
	ActorRole   string         `json:"actor_role,omitempty"`
	Action      string         `json:"action"`
	SubjectType string         `json:"subject_type,omitempty"`
	SubjectID   string         `json:"subject_id,omitempty"`
	Detail      map[string]any `json:"detail,omitempty"`
}

// AuditFilter selects audit entries, oldest first, after a sequence number.
type AuditFilter struct {
	SubjectType, SubjectID string
	AfterSeq               int64
	Limit                  int // default 100, at most 1000
}

// ListAudit returns audit entries in the order they were written, and the
// sequence number to continue after (0 when there are no more).
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, int64, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	rows, err := s.pool.Query(ctx, `
		SELECT seq, at, actor_id, actor_role, action, subject_type, subject_id, detail
		FROM audit_log
		WHERE seq > $1
		  AND ($2 = '' OR subject_type = $2)
		  AND ($3 = '' OR subject_id = $3)
		ORDER BY seq
		LIMIT $4`, f.AfterSeq, f.SubjectType, f.SubjectID, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit: %w", dbError(err))
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditRecord, error) {
		var a AuditRecord
		err := r.Scan(&a.Seq, &a.At, &a.ActorID, &a.ActorRole, &a.Action, &a.SubjectType, &a.SubjectID, &a.Detail)
		a.At = a.At.UTC()
		return a, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list audit: %w", dbError(err))
	}
	if len(list) <= limit {
		return list, 0, nil
	}
	list = list[:limit]
	return list, list[limit-1].Seq, nil
}
