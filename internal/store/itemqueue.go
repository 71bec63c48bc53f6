package store

import (
	"context"
	"fmt"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// PendingItems returns up to limit items waiting for review, oldest first:
// the review queue works from the front.
func (s *Store) PendingItems(ctx context.Context, limit int) ([]takedown.Item, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, url, platform, content_id, category, note, status, created_by, created_at, updated_at, NULL::uuid
		FROM items WHERE status = 'pending_review'
		ORDER BY created_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list pending items: %w", dbError(err))
	}
	items, err := collect(rows, scanItem)
	if err != nil {
		return nil, fmt.Errorf("list pending items: %w", dbError(err))
	}
	return items, nil
}
