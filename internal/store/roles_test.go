package store_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/store"
)

// TestRuntimeRole connects as the runtime role and checks that it can do
// what serve and worker do, and none of what would let it rewrite history.
func TestRuntimeRole(t *testing.T) {
	ctx := t.Context()
	url := pgtest.URL(t)
	owner, err := store.Open(ctx, store.Config{URL: url, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "takedown_rt_" + hex.EncodeToString(b)
	res, err := owner.EnsureRuntimeRole(ctx, name, "first-password")
	if err != nil || !res.Created {
		t.Fatalf("EnsureRuntimeRole = %+v, %v", res, err)
	}
	// Again: the role exists, its password is set anew.
	if res, err := owner.EnsureRuntimeRole(ctx, name, "second-password"); err != nil || res.Created {
		t.Fatalf("EnsureRuntimeRole again = %+v, %v", res, err)
	}
	if _, err := owner.EnsureRuntimeRole(ctx, "x; DROP TABLE items", "pw"); err == nil {
		t.Error("a role name with SQL in it was accepted")
	}
	var me string
	if err := owner.Pool().QueryRow(ctx, `SELECT current_user`).Scan(&me); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.EnsureRuntimeRole(ctx, me, "pw"); err == nil || !strings.Contains(err.Error(), "owner") {
		t.Errorf("making the owner the runtime role: %v", err)
	}

	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password = name, "second-password"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect as runtime role: %v", err)
	}
	defer conn.Close(ctx)

	allowed := []string{
		`SELECT count(*) FROM takedowns`,
		`SELECT count(*) FROM takedown_events`,
		`INSERT INTO audit_log (action) VALUES ('role.test')`,
		`UPDATE takedowns SET updated_at = now() WHERE false`,
		`UPDATE items SET updated_at = now() WHERE false`,
		`UPDATE notices SET updated_at = now() WHERE false`,
	}
	for _, q := range allowed {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Errorf("runtime role refused %q: %v", q, err)
		}
	}
	refused := []string{
		`UPDATE takedown_events SET kind = 'x'`,
		`DELETE FROM takedown_events`,
		`TRUNCATE takedown_events`,
		`UPDATE audit_log SET action = 'x'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`ALTER TABLE takedown_events DISABLE TRIGGER ALL`,
		`ALTER TABLE audit_log ADD COLUMN x int`,
		`ALTER TABLE takedowns ADD COLUMN x int`,
		`ALTER TABLE items DROP COLUMN note`,
		`ALTER TABLE notices ADD COLUMN x int`,
		`ALTER TABLE users ADD COLUMN x int`,
		`DROP TABLE takedowns`,
		`CREATE TABLE mine (x int)`,
		`UPDATE schema_version SET version = 0`,
	}
	for _, q := range refused {
		_, err := conn.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" { // insufficient_privilege
			t.Errorf("runtime role: %q gave %v, want permission denied", q, err)
		}
	}
	// Every table there is, including ones later migrations add, is covered
	// by the same rule: the runtime role owns none.
	var owned int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user`).Scan(&owned); err != nil || owned != 0 {
		t.Errorf("runtime role owns %d tables (%v)", owned, err)
	}
}
