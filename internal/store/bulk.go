package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// SeedItem is one item written by CopyItems, with the id its caller chose.
type SeedItem struct {
	ID uuid.UUID
	NewItem
}

// CopyItems writes many items in one COPY, for seeding a large system (the
// benchmark's waiting takedowns): ids are the caller's, nothing is returned
// and a duplicate fails the whole batch.
func (s *Store) CopyItems(ctx context.Context, items []SeedItem) error {
	now := s.now()
	n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"items"},
		[]string{"id", "url", "platform", "content_id", "category", "note", "created_by", "created_at", "updated_at"},
		pgx.CopyFromSlice(len(items), func(i int) ([]any, error) {
			it := items[i]
			return []any{it.ID, it.URL, it.Platform, it.ContentID, it.Category, it.Note, it.CreatedBy, now, now}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy %d items: %w", len(items), dbError(err))
	}
	if int(n) != len(items) {
		return fmt.Errorf("copy items: %d of %d written", n, len(items))
	}
	return nil
}

// ServerVersion is the PostgreSQL server's version, for reports.
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := s.pool.QueryRow(ctx, `SHOW server_version`).Scan(&v); err != nil {
		return "", fmt.Errorf("PostgreSQL version: %w", dbError(err))
	}
	return v, nil
}
