package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
)

// RuntimeGroup is the group role migration 004 grants what serve and worker
// need; the login role they connect as is made a member of it.
const RuntimeGroup = "takedown_runtime"

var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// RoleResult says what EnsureRuntimeRole did, for the operator.
type RoleResult struct {
	Created bool // the login role did not exist
}

// EnsureRuntimeRole creates the login role name with password, or sets the
// password of the existing one, and makes it a member of RuntimeGroup. It
// runs as the owner (the role that migrates), which needs CREATEROLE. It
// refuses to turn the owner itself or a superuser into the runtime role:
// that would give the application back what the split takes away.
func (s *Store) EnsureRuntimeRole(ctx context.Context, name, password string) (RoleResult, error) {
	var res RoleResult
	if !roleName.MatchString(name) {
		return res, fmt.Errorf("runtime role: %q is not a plain role name (lower-case letters, digits, _)", name)
	}
	if password == "" {
		return res, errors.New("runtime role: a password is required")
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var me string
		if err := tx.QueryRow(ctx, `SELECT current_user`).Scan(&me); err != nil {
			return err
		}
		if name == me {
			return fmt.Errorf("the runtime role must not be the owner role %q", me)
		}
		var super *bool
		if err := tx.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = $1`, name).Scan(&super); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if super != nil && *super {
			return fmt.Errorf("role %q is a superuser: choose another name for the runtime role", name)
		}
		verb := "ALTER"
		if super == nil {
			verb, res.Created = "CREATE", true
		}
		// Role names and passwords cannot be bind parameters; format() quotes
		// them on the server, so nothing is spliced in by hand.
		var stmt string
		if err := tx.QueryRow(ctx, `SELECT format('`+verb+` ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', $1::text, $2::text)`,
			name, password).Scan(&stmt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s role: %w", verb, err)
		}
		if err := tx.QueryRow(ctx, `SELECT format('GRANT %I TO %I', $1::text, $2::text)`, RuntimeGroup, name).Scan(&stmt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("grant %s: %w", RuntimeGroup, err)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("ensure runtime role %s: %w", name, err)
	}
	return res, nil
}
