package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// minTokenLen refuses tokens short enough to guess. Generated tokens are 43
// characters (32 random bytes); this bounds tokens set by an operator.
const minTokenLen = 16

const userColumns = `id, name, role, created_at`

// UpsertUserToken creates the user or, if one has that name, gives it this
// role and token (the old token stops working). It is how operators
// provision accounts from configuration.
func (s *Store) UpsertUserToken(ctx context.Context, name string, role takedown.Role, token string) (takedown.User, error) {
	if err := checkUser(name, role); err != nil {
		return takedown.User{}, fmt.Errorf("upsert user: %w", err)
	}
	if len(token) < minTokenLen {
		return takedown.User{}, fmt.Errorf("upsert user %s: token shorter than %d characters", name, minTokenLen)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `
		INSERT INTO users (id, name, role, token_hash) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, token_hash = EXCLUDED.token_hash
		RETURNING `+userColumns,
		uuid.New(), name, role, hashToken(token)))
	if err != nil {
		return takedown.User{}, fmt.Errorf("upsert user %s: %w", name, dbError(err))
	}
	return u, nil
}

// CreateUser creates a user with a new random token, returned once: only
// its hash is kept.
func (s *Store) CreateUser(ctx context.Context, name string, role takedown.Role) (takedown.User, string, error) {
	if err := checkUser(name, role); err != nil {
		return takedown.User{}, "", fmt.Errorf("create user: %w", err)
	}
	token, err := NewToken()
	if err != nil {
		return takedown.User{}, "", fmt.Errorf("create user %s: %w", name, err)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `
		INSERT INTO users (id, name, role, token_hash) VALUES ($1, $2, $3, $4)
		RETURNING `+userColumns,
		uuid.New(), name, role, hashToken(token)))
	if err != nil {
		return takedown.User{}, "", fmt.Errorf("create user %s: %w", name, dbError(err))
	}
	return u, token, nil
}

// UserByToken finds the user a bearer token belongs to.
func (s *Store) UserByToken(ctx context.Context, token string) (takedown.User, error) {
	if token == "" {
		return takedown.User{}, fmt.Errorf("user by token: %w", takedown.ErrNotFound)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE token_hash = $1`, hashToken(token)))
	if err != nil {
		return takedown.User{}, fmt.Errorf("user by token: %w", dbError(err))
	}
	return u, nil
}

func checkUser(name string, role takedown.Role) error {
	if name == "" {
		return errors.New("name is required")
	}
	if !role.Valid() {
		return fmt.Errorf("unknown role %q", role)
	}
	return nil
}

// hashToken is SHA-256: see the users table in the migrations for why a
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
