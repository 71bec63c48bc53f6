// Package pgtest gives each test its own PostgreSQL database with the
// current schema, on a real server.
//
// One throwaway server is started per test binary (see pgcluster), the
// migrations are applied once to a template database, and every test gets a
// copy made with CREATE DATABASE … TEMPLATE, which takes milliseconds and
// isolates tests completely (they may run in parallel). The copy is dropped
// when the test ends.
//
// When no server can be started the test is skipped, unless the environment
// variable CI is set: there a missing PostgreSQL is a broken pipeline and the
// test fails. Setting TAKEDOWN_TEST_DATABASE_URL to a server's URL (a role
// allowed to create databases) uses that server instead of starting one.
//
// A test binary should stop the server at its end from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Without it the server is still stopped when the binary exits (it is a
// child process), only less gracefully.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/takedown-oss/takedown/internal/pgcluster"
	"github.com/takedown-oss/takedown/migrations"
)

// ExternalURLEnv names the variable that points the tests at an existing
// server instead of a private one.
const ExternalURLEnv = "TAKEDOWN_TEST_DATABASE_URL"

// setupTimeout bounds starting the server and migrating the template.
const setupTimeout = 2 * time.Minute

// server is the one per test binary.
var server struct {
	once     sync.Once
	err      error
	cluster  *pgcluster.Cluster // nil with an external server
	dir      string
	adminURL string // the maintenance database, where databases are created
	admin    *pgxpool.Pool
	// prefix names this binary's databases, so that binaries sharing an
	// external server never touch each other's.
	prefix   string
	template string
	seq      atomic.Int64
}

// New returns a pool on a fresh database holding the current schema. The
// pool is closed and the database dropped when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), URL(t))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	t.Cleanup(pool.Close) // runs before the drop registered by URL
	return pool
}

// URL returns the URL of a fresh database holding the current schema,
// dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	ready(t)
	return newDatabase(t, server.template)
}

// EmptyURL returns the URL of a fresh database with no schema at all, for
// testing the migrations themselves.
func EmptyURL(t testing.TB) string {
	t.Helper()
	ready(t)
	return newDatabase(t, "template0")
}

// Main runs the tests, then stops the server and removes its files.
func Main(m *testing.M) {
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
	os.Exit(code)
}

func ready(t testing.TB) {
	t.Helper()
	server.once.Do(func() { server.err = setup() })
	if server.err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("pgtest: no PostgreSQL to test with: %v", server.err)
	}
	t.Skipf("pgtest: no PostgreSQL to test with (set CI to make this a failure): %v", server.err)
}

func setup() (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	defer func() {
		if err != nil {
			_ = shutdown()
		}
	}()
	server.prefix = "pgtest_" + randomHex()
	server.template = server.prefix + "_template"

	server.adminURL = os.Getenv(ExternalURLEnv)
	if server.adminURL == "" {
		if server.dir, err = os.MkdirTemp("", "takedown-pgtest-"); err != nil {
			return fmt.Errorf("create cluster directory: %w", err)
		}
		server.cluster, err = pgcluster.Start(ctx, pgcluster.Config{Dir: server.dir, Ephemeral: true})
		if err != nil {
			return err
		}
		server.adminURL = server.cluster.DatabaseURL("postgres")
	}
	if server.admin, err = pgxpool.New(ctx, server.adminURL); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if _, err := server.admin.Exec(ctx, "CREATE DATABASE "+ident(server.template)); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	conn, err := pgx.Connect(ctx, databaseURL(server.template))
	if err != nil {
		return fmt.Errorf("connect to template database: %w", err)
	}
	// CREATE DATABASE … TEMPLATE refuses a template anyone is connected
	// to, so the connection is closed before the first test copies it.
	defer conn.Close(context.Background())
	if err := migrations.Apply(ctx, conn, nil); err != nil {
		return fmt.Errorf("migrate template database: %w", err)
	}
	return nil
}

func shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	if server.admin != nil {
		if server.cluster == nil && server.template != "" {
			// On a shared server, leave nothing behind.
			_, err := server.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(server.template)+" WITH (FORCE)")
			errs = append(errs, err)
		}
		server.admin.Close()
		server.admin = nil
	}
	if server.cluster != nil {
		errs = append(errs, server.cluster.Stop(ctx))
		server.cluster = nil
	}
	if server.dir != "" {
		errs = append(errs, os.RemoveAll(server.dir))
		server.dir = ""
	}
	return errors.Join(errs...)
}

func newDatabase(t testing.TB, template string) string {
	t.Helper()
	name := fmt.Sprintf("%s_%d", server.prefix, server.seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := server.admin.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(template)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a test left open.
		if _, err := server.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return databaseURL(name)
}

// databaseURL is the admin URL with its database replaced.
func databaseURL(name string) string {
	u, err := url.Parse(server.adminURL)
	if err != nil || !strings.Contains(server.adminURL, "://") {
		// A keyword/value connection string ("host=… dbname=…"): a later
		// dbname wins.
		return server.adminURL + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
