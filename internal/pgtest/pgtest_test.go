package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestNewIsMigrated(t *testing.T) {
	pool := pgtest.New(t)
	want, err := migrations.Latest()
	if err != nil {
		t.Fatal(err)
	}
	var got int32
	if err := pool.QueryRow(t.Context(), "SELECT version FROM schema_version").Scan(&got); err != nil {
		t.Fatalf("read schema version: %v", err)
	}
	if got != want {
		t.Errorf("schema version = %d, want %d", got, want)
	}
}

func TestDatabasesAreIsolated(t *testing.T) {
	a, b := pgtest.New(t), pgtest.New(t)
	var nameA, nameB string
	if err := a.QueryRow(t.Context(), "SELECT current_database()").Scan(&nameA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(t.Context(), "SELECT current_database()").Scan(&nameB); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB {
		t.Fatalf("two tests share database %s", nameA)
	}
	if _, err := a.Exec(t.Context(), "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("a table created in one database is visible in another")
	}
}

func TestEmptyURLHasNoSchema(t *testing.T) {
	conn, err := pgx.Connect(t.Context(), pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("empty database has %d tables", n)
	}
}
