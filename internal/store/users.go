package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// minTokenLen refuses tokens short enough to guess. Generated tokens are 43
// characters (32 random bytes); this bounds tokens set by an operator.
const minTokenLen = 16

// DefaultTokenTTL is how long a token lives when no expiry is asked for.
const DefaultTokenTTL = 90 * 24 * time.Hour

const userColumns = `id, name, role, created_at`

// Operator is who changed an account, for the audit log: a signed-in admin,
// or an operator at the command line (ID nil).
type Operator struct {
	ID   *uuid.UUID
	Role string // the admin's role, or "operator"
	Via  string // "cli" or "api"
}

// CLI is the operator at the command line, who has the database's
// credentials and no account of their own.
var CLI = Operator{Role: "operator", Via: "cli"}

// CredentialError is a token, session or password that was refused. Reason
// is fit for the caller: it says what to do, and nothing about other users.
type CredentialError struct{ Reason string }

func (e *CredentialError) Error() string { return e.Reason }

// Unwrap makes a refused credential, to a caller that only asks, one that
// was not found.
func (e *CredentialError) Unwrap() error { return takedown.ErrNotFound }

// UserInfo is a user as operators see it.
type UserInfo struct {
	takedown.User
	DisabledAt  *time.Time `json:"disabled_at,omitempty"`
	HasPassword bool       `json:"has_password"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	// ActiveTokens counts tokens neither expired nor revoked.
	ActiveTokens int `json:"active_tokens"`
}

// AddUser creates an account. passwordHash is empty for accounts that only
// use tokens.
func (s *Store) AddUser(ctx context.Context, op Operator, name string, role takedown.Role, passwordHash string) (takedown.User, error) {
	if err := checkUser(name, role); err != nil {
		return takedown.User{}, fmt.Errorf("add user: %w", err)
	}
	var u takedown.User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `
			INSERT INTO users (id, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING `+userColumns, uuid.New(), name, role, nullIfEmpty(passwordHash), s.now()))
		if err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, op, "user.add", u.ID, map[string]any{"name": name, "role": role, "password": passwordHash != ""})
	})
	if err != nil {
		return takedown.User{}, fmt.Errorf("add user %s: %w", name, dbError(err))
	}
	return u, nil
}

// CreateUser creates a user with one token, returned once (only its hash is
// kept), valid for DefaultTokenTTL.
func (s *Store) CreateUser(ctx context.Context, name string, role takedown.Role) (takedown.User, string, error) {
	u, err := s.AddUser(ctx, CLI, name, role, "")
	if err != nil {
		return takedown.User{}, "", err
	}
	_, tok, err := s.IssueToken(ctx, CLI, name, "default", s.now().Add(DefaultTokenTTL))
	if err != nil {
		return takedown.User{}, "", err
	}
	return u, tok, nil
}

// UpsertUserToken creates the user or, if one has that name, gives it this
// role and makes token its token named "provisioned" (replacing the one
// given before), valid for DefaultTokenTTL. It is how the development stack
// provisions its demo users.
func (s *Store) UpsertUserToken(ctx context.Context, name string, role takedown.Role, token string) (takedown.User, error) {
	expires := s.now().Add(DefaultTokenTTL)
	if err := checkUser(name, role); err != nil {
		return takedown.User{}, fmt.Errorf("upsert user: %w", err)
	}
	if len(token) < minTokenLen {
		return takedown.User{}, fmt.Errorf("upsert user %s: token shorter than %d characters", name, minTokenLen)
	}
	var u takedown.User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `
			INSERT INTO users (id, name, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role
			RETURNING `+userColumns, uuid.New(), name, role, s.now()))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO tokens (id, user_id, name, hash, created_at, expires_at) VALUES ($1, $2, 'provisioned', $3, $4, $5)
			ON CONFLICT (user_id, name) DO UPDATE
			SET hash = EXCLUDED.hash, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, revoked_at = NULL`,
			uuid.New(), u.ID, hashToken(token), s.now(), expires)
		if err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, CLI, "token.provision", u.ID, map[string]any{"name": name, "role": role})
	})
	if err != nil {
		return takedown.User{}, fmt.Errorf("upsert user %s: %w", name, dbError(err))
	}
	return u, nil
}

// ListUsers returns every account, by name.
func (s *Store) ListUsers(ctx context.Context) ([]UserInfo, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT u.id, u.name, u.role, u.created_at, u.disabled_at, u.password_hash IS NOT NULL, u.locked_until,
		       (SELECT count(*) FROM tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL
		                                        AND (t.expires_at IS NULL OR t.expires_at > $1))
		FROM users u ORDER BY u.name`, s.now())
	if err != nil {
		return nil, fmt.Errorf("list users: %w", dbError(err))
	}
	list, err := collect(rows, func(r row) (UserInfo, error) {
		var u UserInfo
		err := r.Scan(&u.ID, &u.Name, &u.Role, &u.CreatedAt, &u.DisabledAt, &u.HasPassword, &u.LockedUntil, &u.ActiveTokens)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", dbError(err))
	}
	return list, nil
}

// SetRole changes what a user may do, from their next request on.
func (s *Store) SetRole(ctx context.Context, op Operator, name string, role takedown.Role) (takedown.User, error) {
	if err := checkUser(name, role); err != nil {
		return takedown.User{}, fmt.Errorf("set role: %w", err)
	}
	return s.changeUser(ctx, op, name, "user.set_role", map[string]any{"role": role},
		`UPDATE users SET role = $2 WHERE name = $1 RETURNING `+userColumns+`, role`, role)
}

// DisableUser stops an account at once: its tokens and sessions are refused
// from the next request on, and its open sessions are ended.
func (s *Store) DisableUser(ctx context.Context, op Operator, name string) (takedown.User, error) {
	return s.changeUser(ctx, op, name, "user.disable", nil,
		`UPDATE users SET disabled_at = coalesce(disabled_at, $2) WHERE name = $1 RETURNING `+userColumns+`, role`, s.now())
}

// EnableUser lets a disabled or locked-out account in again. Its tokens
// work again unless they expired or were revoked; ended sessions stay ended.
func (s *Store) EnableUser(ctx context.Context, op Operator, name string) (takedown.User, error) {
	return s.changeUser(ctx, op, name, "user.enable", nil,
		`UPDATE users SET disabled_at = NULL, locked_until = NULL, failed_signins = 0 WHERE name = $1 RETURNING `+userColumns+`, role`)
}

// SetPassword gives a user a new password hash (empty removes the password)
// and ends their sessions, as a password change should.
func (s *Store) SetPassword(ctx context.Context, op Operator, name, passwordHash string) (takedown.User, error) {
	return s.changeUser(ctx, op, name, "user.set_password", map[string]any{"password": passwordHash != ""},
		`UPDATE users SET password_hash = $2, locked_until = NULL, failed_signins = 0 WHERE name = $1 RETURNING `+userColumns+`, role`,
		nullIfEmpty(passwordHash))
}

// changeUser runs one UPDATE … RETURNING id, name, role, created_at, <old
// role> on the user named name, ends their sessions when the change is not
// a role change, and writes the audit entry, all in one transaction.
func (s *Store) changeUser(ctx context.Context, op Operator, name, action string, detail map[string]any, sql string, args ...any) (takedown.User, error) {
	var u takedown.User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var before takedown.Role
		// The old role is read first: RETURNING sees the new row.
		if err := tx.QueryRow(ctx, `SELECT role FROM users WHERE name = $1 FOR UPDATE`, name).Scan(&before); err != nil {
			return err
		}
		var ignored takedown.Role
		if err := tx.QueryRow(ctx, sql, append([]any{name}, args...)...).Scan(&u.ID, &u.Name, &u.Role, &u.CreatedAt, &ignored); err != nil {
			return err
		}
		if action != "user.set_role" && action != "user.enable" {
			if _, err := tx.Exec(ctx, `UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL`, u.ID, s.now()); err != nil {
				return err
			}
		}
		d := map[string]any{"name": name}
		for k, v := range detail {
			d[k] = v
		}
		if action == "user.set_role" {
			d["from"] = before
		}
		return s.auditAccount(ctx, tx, op, action, u.ID, d)
	})
	if err != nil {
		return takedown.User{}, fmt.Errorf("%s %s: %w", action, name, dbError(err))
	}
	return u, nil
}

// auditAccount records a change to an account in the same transaction as
// the change, so that no change goes unrecorded.
func (s *Store) auditAccount(ctx context.Context, tx pgx.Tx, op Operator, action string, userID uuid.UUID, detail map[string]any) error {
	d := map[string]any{"via": op.Via}
	for k, v := range detail {
		d[k] = v
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO audit_log (at, actor_id, actor_role, action, subject_type, subject_id, detail)
		VALUES ($1, $2, $3, $4, 'user', $5, $6)`,
		s.now(), op.ID, op.Role, action, userID.String(), d)
	return err
}

func checkUser(name string, role takedown.Role) error {
	if strings.TrimSpace(name) == "" || name != strings.TrimSpace(name) {
		return errors.New("name is required, without surrounding spaces")
	}
	if len(name) > 100 {
		return errors.New("name is longer than 100 bytes")
	}
	if !role.Valid() {
		return fmt.Errorf("unknown role %q (staff, supervisor, auditor or admin)", role)
	}
	return nil
}

// hashToken is SHA-256: see the tokens table in the migrations for why a
// fast hash is the right one for random tokens.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// NewToken returns a new bearer token: 32 random bytes, base64url without
// padding (43 characters).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func scanUser(r row) (takedown.User, error) {
	var u takedown.User
	err := r.Scan(&u.ID, &u.Name, &u.Role, &u.CreatedAt)
	return u, err
}

// ProvisionUser is an identity provider's word on who someone is: it
// creates the account with role, or gives an existing one that role,
// recording either in the audit log. A disabled account stays disabled and
// gives a *CredentialError.
func (s *Store) ProvisionUser(ctx context.Context, via, name string, role takedown.Role) (takedown.User, error) {
	if err := checkUser(name, role); err != nil {
		return takedown.User{}, fmt.Errorf("provision user: %w", err)
	}
	var (
		u        takedown.User
		disabled *time.Time
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var before takedown.Role
		err := tx.QueryRow(ctx, `SELECT `+userColumns+`, disabled_at FROM users WHERE name = $1 FOR UPDATE`, name).
			Scan(&u.ID, &u.Name, &before, &u.CreatedAt, &disabled)
		op := Operator{Role: "operator", Via: via}
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			u, err = scanUser(tx.QueryRow(ctx, `INSERT INTO users (id, name, role, created_at) VALUES ($1, $2, $3, $4) RETURNING `+userColumns,
				uuid.New(), name, role, s.now()))
			if err != nil {
				return err
			}
			return s.auditAccount(ctx, tx, op, "user.add", u.ID, map[string]any{"name": name, "role": role})
		case err != nil:
			return err
		case disabled != nil:
			return nil
		}
		u.Role = role
		if before == role {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET role = $2 WHERE id = $1`, u.ID, role); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, op, "user.set_role", u.ID, map[string]any{"name": name, "role": role, "from": before})
	})
	if err != nil {
		return takedown.User{}, fmt.Errorf("provision user %s: %w", name, dbError(err))
	}
	if disabled != nil {
		return takedown.User{}, &CredentialError{Reason: "this account is disabled"}
	}
	return u, nil
}
