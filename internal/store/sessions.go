package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Session is a person signed in with a browser.
type Session struct {
	User takedown.User
	// CSRF must come back with every state-changing request made with the
	// session's cookie.
	CSRF      string
	Method    string
	ExpiresAt time.Time
}

// SessionUser finds the session whose cookie holds secret and marks it
// seen. A session past its idle or absolute timeout, ended, or of a
// disabled user gives a *CredentialError.
func (s *Store) SessionUser(ctx context.Context, secret string, idle time.Duration) (Session, error) {
	var (
		ss       Session
		lastSeen time.Time
		ended    *time.Time
		disabled *time.Time
	)
	err := s.pool.QueryRow(ctx, `
		SELECT u.id, u.name, u.role, u.created_at, u.disabled_at, s.csrf_token, s.method, s.last_seen_at, s.expires_at, s.ended_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = $1`, hashToken(secret)).
		Scan(&ss.User.ID, &ss.User.Name, &ss.User.Role, &ss.User.CreatedAt, &disabled, &ss.CSRF, &ss.Method, &lastSeen, &ss.ExpiresAt, &ended)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, &CredentialError{Reason: "unknown session: sign in again"}
	}
	if err != nil {
		return Session{}, fmt.Errorf("find session: %w", dbError(err))
	}
	now := s.now()
	switch {
	case disabled != nil:
		return Session{}, &CredentialError{Reason: "this account is disabled"}
	case ended != nil:
		return Session{}, &CredentialError{Reason: "signed out: sign in again"}
	case !now.Before(ss.ExpiresAt), !now.Before(lastSeen.Add(idle)):
		return Session{}, &CredentialError{Reason: "session expired: sign in again"}
	}
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE hash = $1`, hashToken(secret), now); err != nil {
		return Session{}, fmt.Errorf("mark session seen: %w", dbError(err))
	}
	return ss, nil
}

// EndSession signs a session out. Ending it twice is not an error.
func (s *Store) EndSession(ctx context.Context, secret string) error {
	var uid uuid.UUID
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE sessions SET ended_at = coalesce(ended_at, $2) WHERE hash = $1 RETURNING user_id`,
			hashToken(secret), s.now()).Scan(&uid)
		if err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, Operator{ID: &uid, Via: "api"}, "signout", uid, nil)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("end session: %w", dbError(err))
	}
	return nil
}

// Credentials is what a password sign-in checks.
type Credentials struct {
	User        takedown.User
	Hash        string // "" when the account has no password
	Disabled    bool
	LockedUntil *time.Time
}

// CredentialsFor reads the password hash and lockout of the user named
// name (takedown.ErrNotFound when there is none).
func (s *Store) CredentialsFor(ctx context.Context, name string) (Credentials, error) {
	var (
		c        Credentials
		hash     *string
		disabled *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash, disabled_at, locked_until FROM users WHERE name = $1`, name).
		Scan(&c.User.ID, &c.User.Name, &c.User.Role, &c.User.CreatedAt, &hash, &disabled, &c.LockedUntil)
	if err != nil {
		return Credentials{}, fmt.Errorf("read credentials: %w", dbError(err))
	}
	if hash != nil {
		c.Hash = *hash
	}
	c.Disabled = disabled != nil
	return c, nil
}

// SigninFailed counts a wrong password. The max-th consecutive failure
// locks the account until lockFor has passed; it returns when the lock ends
// (zero when the account is not locked).
func (s *Store) SigninFailed(ctx context.Context, userID uuid.UUID, max int, lockFor time.Duration) (time.Time, error) {
	var (
		failures int
		until    *time.Time
	)
	now := s.now()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			UPDATE users SET failed_signins = failed_signins + 1,
			       locked_until = CASE WHEN failed_signins + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
			WHERE id = $1 RETURNING failed_signins, locked_until`,
			userID, max, now.Add(lockFor)).Scan(&failures, &until)
		if err != nil {
			return err
		}
		action, d := "signin.failed", map[string]any{"method": "password", "failures": failures}
		if failures >= max {
			// The count starts again, so that after the lock ends the
			// person has max more tries before the next one.
			if _, err := tx.Exec(ctx, `UPDATE users SET failed_signins = 0 WHERE id = $1`, userID); err != nil {
				return err
			}
			action = "signin.locked"
			d["locked_until"] = until.UTC()
		}
		return s.auditAccount(ctx, tx, Operator{Via: "api"}, action, userID, d)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("record failed sign-in: %w", dbError(err))
	}
	if failures >= max && until != nil {
		return *until, nil
	}
	return time.Time{}, nil
}

// StartSession signs a person in: the failure count is cleared and a
// session created, valid for at most absolute. The secret for the cookie is
// returned once; only its hash is kept.
func (s *Store) StartSession(ctx context.Context, u takedown.User, method string, absolute time.Duration) (string, Session, error) {
	secret, err := NewToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := NewToken()
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	ss := Session{User: u, CSRF: csrf, Method: method, ExpiresAt: now.Add(absolute)}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET failed_signins = 0, locked_until = NULL WHERE id = $1`, u.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO sessions (hash, user_id, csrf_token, method, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $5, $6)`, hashToken(secret), u.ID, csrf, method, now, ss.ExpiresAt); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, Operator{ID: &u.ID, Role: string(u.Role), Via: "api"}, "signin", u.ID, map[string]any{"method": method})
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("start session for %s: %w", u.Name, dbError(err))
	}
	return secret, ss, nil
}
