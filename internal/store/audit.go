package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
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
	if e.Action == "" {
		return errors.New("append audit: action is required")
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO audit_log (actor_id, actor_role, action, subject_type, subject_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ActorID, e.ActorRole, e.Action, e.SubjectType, e.SubjectID, jsonObject(e.Detail))
	if err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, dbError(err))
	}
	return nil
}
