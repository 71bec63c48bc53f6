package store

import (
	"context"
	"fmt"

	"github.com/takedown-oss/takedown/migrations"
)

// CountTakedowns counts takedowns by platform, then status, for the
// metrics endpoint. The table is small enough per deployment (millions at
// most) that a grouped count at each scrape is cheap next to its value.
func (s *Store) CountTakedowns(ctx context.Context) (map[string]map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT platform, status, count(*) FROM takedowns GROUP BY platform, status`)
	if err != nil {
		return nil, fmt.Errorf("count takedowns: %w", dbError(err))
	}
	defer rows.Close()
	out := map[string]map[string]int64{}
	for rows.Next() {
		var p, st string
		var n int64
		if err := rows.Scan(&p, &st, &n); err != nil {
			return nil, fmt.Errorf("count takedowns: %w", err)
		}
		if out[p] == nil {
			out[p] = map[string]int64{}
		}
		out[p][st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count takedowns: %w", dbError(err))
	}
	return out, nil
}

// SchemaVersion is the number of the last migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int32, error) {
	var v int32
	if err := s.pool.QueryRow(ctx, `SELECT version FROM `+migrations.VersionTable).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", dbError(err))
	}
	return v, nil
}
