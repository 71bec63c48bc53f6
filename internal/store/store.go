// Package store keeps items, takedowns, notices and the audit trail in
// PostgreSQL. It is the only package of the application that speaks SQL:
// callers get the domain types of package takedown and its errors
// (ErrNotFound, ErrDuplicate, ErrConflict), never pgx's.
package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sethvargo/go-retry"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/migrations"
)

// DefaultMaxConns is the pool's size unless the caller or the URL sets
// one: twice the CPUs, at least 8. One pool serves the API and the
// activities, and a connection spends most of its time waiting for a
// commit's WAL flush, not on a CPU, so pgx's default (the larger of 4 and
// the CPUs) left callers waiting: in two full benchmark runs on 2 CPUs,
// 13–14% of acquisitions waited, 1.3–1.6 ms on average, with 4; 9% and
// 0.57 ms in one with 8 (BENCHMARKS.md).
func DefaultMaxConns() int32 { return int32(max(8, 2*runtime.NumCPU())) }

// Config says which database to use.
type Config struct {
	// URL is a PostgreSQL connection string.
	URL string
	// MaxConns caps the pool (default: DefaultMaxConns, or the URL's
	// pool_max_conns).
	MaxConns int32
	// ConnectTimeout bounds how long Open waits for the server to accept
	// connections (default 30 s): it may still be starting, as happens when
	// a whole stack starts at once.
	ConnectTimeout time.Duration
	// DialTimeout bounds one attempt to open a connection (default 5 s), so
	// that a request finds out quickly that the server is unreachable.
	DialTimeout time.Duration
	// StatementTimeout is set on every connection (statement_timeout); zero
	// leaves the server's setting.
	StatementTimeout time.Duration
	Logger           *slog.Logger
	// Now stamps the rows the store creates (items, takedowns, events without
	// a time of their own). Default time.Now; tests fix it so that what they
	// assert about periods does not depend on the day they run.
	Now func() time.Time
	// Observer hears of notices sent and content removed, for metrics.
	Observer Observer
}

// Observer is told of what the store records that operators count. Calls
// happen after the write committed, once per notice and per removal.
type Observer interface {
	NoticeSent(p takedown.Platform, channel string)
	Removed(p takedown.Platform, sinceNotice time.Duration)
}

type noObserver struct{}

func (noObserver) NoticeSent(takedown.Platform, string)     {}
func (noObserver) Removed(takedown.Platform, time.Duration) {}

// Store is a pool of connections to the database.
type Store struct {
	pool     *pgxpool.Pool
	logger   *slog.Logger
	now      func() time.Time
	observer Observer
}

// Open connects to the database, retrying with exponential backoff until
// the server answers or cfg.ConnectTimeout has passed. Errors that waiting
// cannot fix (a wrong password, a missing database) end it at once.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URL == "" {
		return nil, errors.New("open store: database URL is required")
	}
	cfg.ConnectTimeout = cmp.Or(cfg.ConnectTimeout, 30*time.Second)
	logger := cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))

	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("open store: parse database URL: %w", err)
	}
	switch {
	case cfg.MaxConns > 0:
		pcfg.MaxConns = cfg.MaxConns
	case !strings.Contains(cfg.URL, "pool_max_conns"):
		pcfg.MaxConns = DefaultMaxConns()
	}
	pcfg.ConnConfig.ConnectTimeout = cmp.Or(cfg.DialTimeout, 5*time.Second)
	if cfg.StatementTimeout > 0 {
		pcfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
	}
	pcfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		// Times come back in UTC whatever the machine's zone, so that what
		// the API shows does not depend on where it runs.
		conn.TypeMap().RegisterType(&pgtype.Type{
			Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}

	backoff := retry.WithMaxDuration(cfg.ConnectTimeout,
		retry.WithCappedDuration(2*time.Second, retry.NewExponential(100*time.Millisecond)))
	attempt := 0
	err = retry.Do(ctx, backoff, func(ctx context.Context) error {
		attempt++
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		err := pool.Ping(pctx)
		if err == nil || permanentConnectError(err) {
			return err
		}
		logger.Info("waiting for database", "attempt", attempt, "error", err)
		return retry.RetryableError(err)
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store: connect to database: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	var obs Observer = noObserver{}
	if cfg.Observer != nil {
		obs = cfg.Observer
	}
	return &Store{pool: pool, logger: logger, now: now, observer: obs}, nil
}

// permanentConnectError reports whether the server answered with a refusal
// that retrying will not change.
func permanentConnectError(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || len(pgErr.Code) < 2 {
		return false
	}
	switch pgErr.Code[:2] {
	case "28", // invalid authorization: wrong user or password
		"3D": // invalid catalog name: no such database
		return true
	}
	return false
}

// Unavailable reports whether err means the database could not be reached,
// did not answer in time, or rolled the transaction back to break a
// deadlock or a serialization conflict, as opposed to refusing a statement:
// nothing was written and the same request may succeed again, so callers
// answer 503 rather than 500.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		// 57P01-03: the server is shutting down or restarting; 08: the
		// connection broke; 57014: statement_timeout cancelled the query;
		// 40001 and 40P01: the server rolled back a serialization conflict
		// or one side of a deadlock.
		switch pgErr.Code {
		case "57014", "40001", "40P01":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "08")
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// Close closes every connection.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Pool is the underlying pool, for tests and for tools that need raw SQL.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrate brings the schema of the database at url up to date (see package
// migrations), waiting for the server like Open does. Every process may
// call it at startup: concurrent calls are serialized by the database.
func Migrate(ctx context.Context, url string, logger *slog.Logger) error {
	s, err := Open(ctx, Config{URL: url, MaxConns: 1, Logger: logger})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer s.Close()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	return migrations.Apply(ctx, conn.Conn(), s.logger)
}

// inTx runs fn in a transaction, committed if fn returns nil and rolled
// back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// dbError turns pgx's errors into the domain's at the store's boundary.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return takedown.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w (%s)", takedown.ErrDuplicate, pgErr.ConstraintName)
		case "23503": // foreign_key_violation: something referenced does not exist
			return fmt.Errorf("%w: %s refers to a missing row", takedown.ErrNotFound, pgErr.ConstraintName)
		}
	}
	return err
}

// row is what QueryRow and CollectRows both hand to a scan function.
type row interface {
	Scan(dest ...any) error
}

// collect reads every row with scan.
func collect[T any](rows pgx.Rows, scan func(row) (T, error)) ([]T, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
}

// jsonObject makes a missing detail an empty object rather than JSON null.
func jsonObject(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// nullIfEmpty passes "" as SQL NULL, for columns a caller may leave unchanged.
func nullIfEmpty[S ~string](s S) any {
	if s == "" {
		return nil
	}
	return string(s)
}

// nullIfZero passes the zero time as SQL NULL, so that the database's clock
// fills it in.
func nullIfZero(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
