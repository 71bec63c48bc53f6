package store

import (
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/pgtest"
)

func TestSeedSQL(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	view := seedViewSQL(501, 1000, 1000, now)
	for _, want := range []string{
		"generate_series(501, 1000)",
		"interval '365 days' / 1000", // created_at spreads over all rows, not the part
		"timestamptz '2026-11-01T12:00:00Z'",
		"timestamptz '2025-11-01T12:00:00Z'", // a year before
	} {
		if !strings.Contains(view, want) {
			t.Errorf("seed view lacks %q", want)
		}
	}
	for _, stmt := range []string{view, seedUsersSQL, seedItemsSQL, seedTakedownsSQL} {
		if strings.Contains(stmt, "{") {
			t.Errorf("seed SQL has an unreplaced placeholder:\n%s", stmt)
		}
	}
	// Every column the takedowns insert reads is one the view defines.
	for _, col := range []string{"item_id", "user_id", "escalation_level", "closed_at", "removed_at", "deadline", "notice_sent_at"} {
		if !strings.Contains(view, " AS "+col) {
			t.Errorf("the view defines no column %s", col)
		}
	}
}

func TestSeedSyntheticRuns(t *testing.T) {
	s, err := Open(t.Context(), Config{URL: pgtest.URL(t), MaxConns: SeedConns})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	if err := s.SeedSynthetic(t.Context(), 400, now); err != nil {
		t.Fatal(err)
	}
	var items, takedowns int
	if err := s.pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM takedowns)`).Scan(&items, &takedowns); err != nil {
		t.Fatal(err)
	}
	if items != 400 || takedowns != 400 {
		t.Errorf("seeded %d items and %d takedowns, want 400 of each", items, takedowns)
	}
}
