package migrations_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestApply(t *testing.T) {
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	want, err := migrations.Latest()
	if err != nil {
		t.Fatal(err)
	}
	if want < 1 {
		t.Fatalf("Latest() = %d, want at least one migration", want)
	}
	// Every process applies the migrations at startup: the second time
	// must find nothing to do.
	for i := range 2 {
		if err := migrations.Apply(ctx, conn, nil); err != nil {
			t.Fatalf("Apply #%d: %v", i+1, err)
		}
		var got int32
		if err := conn.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&got); err != nil {
			t.Fatalf("read schema_version: %v", err)
		}
		if got != want {
			t.Errorf("after Apply #%d schema_version = %d, want %d", i+1, got, want)
		}
	}

	for _, table := range []string{"users", "items", "takedowns", "notices", "takedown_events", "audit_log"} {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", "public."+table).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if !exists {
			t.Errorf("table %s missing after migrations", table)
		}
	}
}

// TestApplyConcurrently starts two migrators at once on one database, as two
// processes of a deployment do; the advisory lock must serialize them.
func TestApplyConcurrently(t *testing.T) {
	ctx := t.Context()
	url := pgtest.EmptyURL(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(context.Background())
			errs <- migrations.Apply(ctx, conn, nil)
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Apply: %v", err)
		}
	}
}
