package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// TokenInfo describes a token without its secret, which is never stored.
type TokenInfo struct {
	ID         uuid.UUID  `json:"id"`
	UserID     uuid.UUID  `json:"user_id"`
	User       string     `json:"user"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// State says whether the token works at t, and if not why.
func (t TokenInfo) State(at time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case t.ExpiresAt != nil && !at.Before(*t.ExpiresAt):
		return "expired"
	}
	return "active"
}

const tokenColumns = `t.id, t.user_id, u.name, t.name, t.created_at, t.expires_at, t.revoked_at, t.last_used_at`

func scanToken(r row) (TokenInfo, error) {
	var t TokenInfo
	err := r.Scan(&t.ID, &t.UserID, &t.User, &t.Name, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt)
	return t, err
}

// IssueToken gives the user a new token named name, valid until expires.
// The secret is returned once; only its hash is kept.
func (s *Store) IssueToken(ctx context.Context, op Operator, user, name string, expires time.Time) (TokenInfo, string, error) {
	if strings.TrimSpace(name) == "" || len(name) > 100 {
		return TokenInfo{}, "", errors.New("issue token: a name of 1 to 100 bytes is required")
	}
	now := s.now()
	if !expires.After(now) {
		return TokenInfo{}, "", errors.New("issue token: the expiry must be in the future")
	}
	secret, err := NewToken()
	if err != nil {
		return TokenInfo{}, "", fmt.Errorf("issue token: %w", err)
	}
	var t TokenInfo
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var uid uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE name = $1`, user).Scan(&uid); err != nil {
			return err
		}
		id := uuid.New()
		if _, err := tx.Exec(ctx, `
			INSERT INTO tokens (id, user_id, name, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, uid, name, hashToken(secret), now, expires); err != nil {
			return err
		}
		t, err = scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, id))
		if err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, op, "token.issue", uid, map[string]any{
			"name": user, "token_id": id.String(), "token_name": name, "expires_at": expires.UTC()})
	})
	if err != nil {
		return TokenInfo{}, "", fmt.Errorf("issue token for %s: %w", user, dbError(err))
	}
	return t, secret, nil
}

// ListTokens lists the tokens of one user, or of everyone when user is "".
func (s *Store) ListTokens(ctx context.Context, user string) ([]TokenInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE $1 = '' OR u.name = $1 ORDER BY u.name, t.created_at, t.id`, user)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", dbError(err))
	}
	list, err := collect(rows, scanToken)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", dbError(err))
	}
	return list, nil
}

// RevokeToken stops a token from its next use on. Revoking it again keeps
// the first revocation time.
func (s *Store) RevokeToken(ctx context.Context, op Operator, id uuid.UUID) (TokenInfo, error) {
	var t TokenInfo
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, s.now()); err != nil {
			return err
		}
		var err error
		t, err = scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, id))
		if err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, op, "token.revoke", t.UserID, map[string]any{
			"name": t.User, "token_id": id.String(), "token_name": t.Name})
	})
	if err != nil {
		return TokenInfo{}, fmt.Errorf("revoke token %s: %w", id, dbError(err))
	}
	return t, nil
}

// usedEvery bounds how often a token's last use is written: once a minute
// is enough to tell an operator whether a token is still in use, and saves
// a write on most requests.
const usedEvery = time.Minute

// UserByToken finds the user a bearer token belongs to. A token that is
// unknown, expired or revoked, or belongs to a disabled user, gives a
// *CredentialError.
func (s *Store) UserByToken(ctx context.Context, token string) (takedown.User, error) {
	if token == "" {
		return takedown.User{}, &CredentialError{Reason: "unknown token"}
	}
	var (
		u        takedown.User
		t        TokenInfo
		disabled *time.Time
	)
	err := s.pool.QueryRow(ctx, `
		SELECT u.id, u.name, u.role, u.created_at, u.disabled_at, t.id, t.expires_at, t.revoked_at, t.last_used_at
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, hashToken(token)).
		Scan(&u.ID, &u.Name, &u.Role, &u.CreatedAt, &disabled, &t.ID, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return takedown.User{}, &CredentialError{Reason: "unknown token"}
	}
	if err != nil {
		return takedown.User{}, fmt.Errorf("user by token: %w", dbError(err))
	}
	now := s.now()
	switch {
	case disabled != nil:
		return takedown.User{}, &CredentialError{Reason: "this account is disabled"}
	case t.State(now) != "active":
		return takedown.User{}, &CredentialError{Reason: "token " + t.State(now)}
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= usedEvery {
		if _, err := s.pool.Exec(ctx, `UPDATE tokens SET last_used_at = $2 WHERE id = $1`, t.ID, now); err != nil {
			return takedown.User{}, fmt.Errorf("user by token: record use: %w", dbError(err))
		}
	}
	return u, nil
}
