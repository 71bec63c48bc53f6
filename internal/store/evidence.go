package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Evidence is one file kept for a reported item, without its bytes.
type Evidence struct {
	ID          uuid.UUID `json:"id"`
	ItemID      uuid.UUID `json:"item_id"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size_bytes"`
	UploadedBy  uuid.UUID `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

const evidenceColumns = `id, item_id, sha256, content_type, size_bytes, uploaded_by, uploaded_at`

func scanEvidence(r row) (Evidence, error) {
	var e Evidence
	err := r.Scan(&e.ID, &e.ItemID, &e.SHA256, &e.ContentType, &e.Size, &e.UploadedBy, &e.UploadedAt)
	return e, err
}

// AddEvidence keeps a file for an item. The same bytes for the same item
// are kept once: existed says the file was there already, and the stored
// record is returned. The content type was checked by the caller.
func (s *Store) AddEvidence(ctx context.Context, itemID, by uuid.UUID, contentType string, data []byte) (e Evidence, existed bool, err error) {
	if len(data) == 0 {
		return Evidence{}, false, fmt.Errorf("add evidence: empty file")
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	rows, err := s.pool.Query(ctx, `
		INSERT INTO evidence (id, item_id, sha256, content_type, size_bytes, data, uploaded_by, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (item_id, sha256) DO NOTHING
		RETURNING `+evidenceColumns, uuid.New(), itemID, hash, contentType, len(data), data, by, s.now())
	if err != nil {
		return Evidence{}, false, fmt.Errorf("add evidence: %w", dbError(err))
	}
	got, err := collect(rows, scanEvidence)
	if err != nil {
		return Evidence{}, false, fmt.Errorf("add evidence: %w", dbError(err))
	}
	if len(got) == 1 {
		return got[0], false, nil
	}
	e, err = scanEvidence(s.pool.QueryRow(ctx, `SELECT `+evidenceColumns+` FROM evidence WHERE item_id = $1 AND sha256 = $2`, itemID, hash))
	if err != nil {
		return Evidence{}, false, fmt.Errorf("add evidence: look up the stored copy: %w", dbError(err))
	}
	return e, true, nil
}

// ListEvidence returns an item's files, oldest first.
func (s *Store) ListEvidence(ctx context.Context, itemID uuid.UUID) ([]Evidence, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+evidenceColumns+` FROM evidence WHERE item_id = $1 ORDER BY uploaded_at, id`, itemID)
	if err != nil {
		return nil, fmt.Errorf("list evidence of %s: %w", itemID, dbError(err))
	}
	list, err := collect(rows, scanEvidence)
	if err != nil {
		return nil, fmt.Errorf("list evidence of %s: %w", itemID, dbError(err))
	}
	return list, nil
}

// EvidenceFile returns one file with its bytes.
func (s *Store) EvidenceFile(ctx context.Context, id uuid.UUID) (Evidence, []byte, error) {
	var e Evidence
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT `+evidenceColumns+`, data FROM evidence WHERE id = $1`, id).
		Scan(&e.ID, &e.ItemID, &e.SHA256, &e.ContentType, &e.Size, &e.UploadedBy, &e.UploadedAt, &data)
	if err != nil {
		return Evidence{}, nil, fmt.Errorf("get evidence %s: %w", id, dbError(err))
	}
	return e, data, nil
}
