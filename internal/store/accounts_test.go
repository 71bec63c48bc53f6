package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// clock is a settable clock for tests of expiry and timeouts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClockedStore(t *testing.T) (*store.Store, *clock) {
	t.Helper()
	c := &clock{t: base}
	s, err := store.Open(t.Context(), store.Config{URL: pgtest.URL(t), MaxConns: 4, Now: c.Now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s, c
}

func credentialReason(err error) string {
	var ce *store.CredentialError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}

func TestTokensExpireAndAreRevoked(t *testing.T) {
	s, clk := newClockedStore(t)
	ctx := t.Context()
	if _, err := s.AddUser(ctx, store.CLI, "alice", takedown.RoleStaff, ""); err != nil {
		t.Fatal(err)
	}
	short, shortSecret, err := s.IssueToken(ctx, store.CLI, "alice", "laptop", base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	long, longSecret, err := s.IssueToken(ctx, store.CLI, "alice", "script", base.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.IssueToken(ctx, store.CLI, "alice", "laptop", base.Add(time.Hour)); !errors.Is(err, takedown.ErrDuplicate) {
		t.Errorf("second token named laptop: %v, want ErrDuplicate", err)
	}
	if _, _, err := s.IssueToken(ctx, store.CLI, "alice", "past", base.Add(-time.Second)); err == nil {
		t.Error("token expiring in the past was issued")
	}
	if _, _, err := s.IssueToken(ctx, store.CLI, "nobody", "x", base.Add(time.Hour)); !errors.Is(err, takedown.ErrNotFound) {
		t.Errorf("token for unknown user: %v, want ErrNotFound", err)
	}
	for _, sec := range []string{shortSecret, longSecret} {
		if u, err := s.UserByToken(ctx, sec); err != nil || u.Name != "alice" {
			t.Fatalf("UserByToken = %+v, %v", u, err)
		}
	}

	clk.Advance(time.Hour)
	if _, err := s.UserByToken(ctx, shortSecret); credentialReason(err) != "token expired" {
		t.Errorf("token at its expiry: %v, want token expired", err)
	}
	if _, err := s.RevokeToken(ctx, store.CLI, long.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, longSecret); credentialReason(err) != "token revoked" {
		t.Errorf("revoked token: %v, want token revoked", err)
	}

	list, err := s.ListTokens(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, tk := range list {
		states[tk.Name] = tk.State(clk.Now())
	}
	if states["laptop"] != "expired" || states["script"] != "revoked" || len(list) != 2 {
		t.Errorf("token states = %v, want laptop expired, script revoked", states)
	}
	if list[0].LastUsedAt == nil {
		t.Error("a used token has no last use")
	}
	_ = short

	var rows int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM tokens WHERE hash = sha256(convert_to($1, 'UTF8'))`, longSecret).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("tokens are not stored as their SHA-256 (%d rows, %v)", rows, err)
	}
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM tokens WHERE position(convert_to($1, 'UTF8') in hash) > 0`, longSecret).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("a token is stored in the clear")
	}
}

func TestDisableStopsTokensAndSessions(t *testing.T) {
	s, _ := newClockedStore(t)
	ctx := t.Context()
	u, err := s.AddUser(ctx, store.CLI, "bob", takedown.RoleSupervisor, "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := s.IssueToken(ctx, store.CLI, "bob", "cli", base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := s.StartSession(ctx, u, "password", 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, secret, time.Hour); err != nil {
		t.Fatalf("SessionUser: %v", err)
	}
	if _, err := s.DisableUser(ctx, store.CLI, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, tok); credentialReason(err) != "this account is disabled" {
		t.Errorf("token of a disabled user: %v", err)
	}
	if _, err := s.SessionUser(ctx, secret, time.Hour); credentialReason(err) != "this account is disabled" {
		t.Errorf("session of a disabled user: %v", err)
	}
	if _, err := s.EnableUser(ctx, store.CLI, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, tok); err != nil {
		t.Errorf("token after enable: %v", err)
	}
	// Disabling ended the session: enabling the account does not revive it.
	if _, err := s.SessionUser(ctx, secret, time.Hour); credentialReason(err) != "signed out: sign in again" {
		t.Errorf("session after disable and enable: %v", err)
	}
	if _, err := s.SetRole(ctx, store.CLI, "bob", takedown.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByToken(ctx, tok); got.Role != takedown.RoleAuditor {
		t.Errorf("role after set-role = %q", got.Role)
	}

	entries, _, err := s.ListAudit(ctx, store.AuditFilter{SubjectType: "user", SubjectID: u.ID.String()})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	want := []string{"user.add", "token.issue", "signin", "user.disable", "user.enable", "user.set_role"}
	if len(actions) != len(want) {
		t.Fatalf("audit actions = %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("audit actions = %v, want %v", actions, want)
		}
	}
	if last := entries[len(entries)-1]; last.Detail["from"] != "supervisor" || last.Detail["role"] != "auditor" || last.Detail["via"] != "cli" {
		t.Errorf("set_role detail = %v", last.Detail)
	}
}

func TestSessionTimeoutsAndLockout(t *testing.T) {
	s, clk := newClockedStore(t)
	ctx := t.Context()
	u, err := s.AddUser(ctx, store.CLI, "carol", takedown.RoleStaff, "")
	if err != nil {
		t.Fatal(err)
	}
	idle, absolute := 30*time.Minute, 2*time.Hour
	secret, ss, err := s.StartSession(ctx, u, "password", absolute)
	if err != nil {
		t.Fatal(err)
	}
	if ss.CSRF == "" || ss.ExpiresAt != base.Add(absolute) {
		t.Errorf("session = %+v", ss)
	}
	// Activity every 20 minutes keeps it alive, but not past the absolute
	// timeout.
	for range 5 {
		clk.Advance(20 * time.Minute)
		if _, err := s.SessionUser(ctx, secret, idle); err != nil {
			t.Fatalf("at %v: %v", clk.Now().Sub(base), err)
		}
	}
	clk.Advance(20 * time.Minute)
	if _, err := s.SessionUser(ctx, secret, idle); credentialReason(err) != "session expired: sign in again" {
		t.Errorf("past the absolute timeout: %v", err)
	}

	secret2, _, err := s.StartSession(ctx, u, "password", absolute)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(idle)
	if _, err := s.SessionUser(ctx, secret2, idle); credentialReason(err) != "session expired: sign in again" {
		t.Errorf("idle session: %v", err)
	}
	secret3, _, _ := s.StartSession(ctx, u, "password", absolute)
	if err := s.EndSession(ctx, secret3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, secret3, idle); credentialReason(err) != "signed out: sign in again" {
		t.Errorf("ended session: %v", err)
	}

	for i := 1; i <= 4; i++ {
		until, err := s.SigninFailed(ctx, u.ID, 5, 15*time.Minute)
		if err != nil || !until.IsZero() {
			t.Fatalf("failure %d: locked until %v, %v", i, until, err)
		}
	}
	until, err := s.SigninFailed(ctx, u.ID, 5, 15*time.Minute)
	if err != nil || !until.Equal(clk.Now().Add(15*time.Minute)) {
		t.Fatalf("fifth failure: locked until %v, %v", until, err)
	}
	c, err := s.CredentialsFor(ctx, "carol")
	if err != nil || c.LockedUntil == nil || !c.LockedUntil.Equal(until) {
		t.Errorf("credentials after lockout = %+v, %v", c, err)
	}
	if _, err := s.CredentialsFor(ctx, "nobody"); !errors.Is(err, takedown.ErrNotFound) {
		t.Errorf("credentials of nobody: %v", err)
	}
}
