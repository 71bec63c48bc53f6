// Package migrations holds the database schema as numbered SQL files,
// embedded in the binary and applied at startup.
//
// A released file is never edited: a change is a new file with the next
// number. Files are applied in order, each in its own transaction, and the
// number of the last one applied is kept in the table schema_version.
package migrations

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"
)

// VersionTable records how far the schema has been migrated.
const VersionTable = "public.schema_version"

//go:embed *.sql
var files embed.FS

// Apply brings the database's schema up to date. Processes starting at the
// same time are safe: the migrator holds a PostgreSQL advisory lock while
// it reads the version and applies files, so a second process waits and
// then finds nothing left to do.
func Apply(ctx context.Context, conn *pgx.Conn, logger *slog.Logger) error {
	logger = cmp.Or(logger, slog.New(slog.DiscardHandler))
	m, err := migrate.NewMigrator(ctx, conn, VersionTable)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := m.LoadMigrations(files); err != nil {
		return fmt.Errorf("migrate: load migrations: %w", err)
	}
	m.OnStart = func(seq int32, name, direction, _ string) {
		logger.Info("applying migration", "sequence", seq, "name", name, "direction", direction)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Latest is the version Apply migrates to: the number of migration files.
func Latest() (int32, error) {
	names, err := migrate.FindMigrations(files)
	if err != nil {
		return 0, fmt.Errorf("find migrations: %w", err)
	}
	return int32(len(names)), nil
}
