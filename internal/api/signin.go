package api

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/password"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// SessionConfig sets how long people stay signed in and how many wrong
// passwords lock an account.
type SessionConfig struct {
	// Idle ends a session nobody used for this long (default 30 min).
	Idle time.Duration
	// Absolute ends every session this long after sign-in (default 12 h).
	Absolute time.Duration
	// MaxFailures wrong passwords in a row lock the account (default 5)
	// for LockFor (default 15 min).
	MaxFailures int
	LockFor     time.Duration
}

func (c SessionConfig) withDefaults() SessionConfig {
	c.Idle = cmp.Or(c.Idle, 30*time.Minute)
	c.Absolute = cmp.Or(c.Absolute, 12*time.Hour)
	c.MaxFailures = cmp.Or(c.MaxFailures, 5)
	c.LockFor = cmp.Or(c.LockFor, 15*time.Minute)
	return c
}

// The __Host- prefix makes browsers keep the cookies only when they are
// Secure, for this host alone and the whole path: no other host of the
// domain can set or read them.
const (
	sessionCookie = "__Host-takedown-session"
	// signinCookie carries the sign-in form's CSRF token (a double-submit
	// cookie): before sign-in there is no session to keep it in.
	signinCookie = "__Host-takedown-signin"
)

func setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

var signinTmpl = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in — takedown</title></head>
<body>
<h1>Sign in</h1>
{{if .Message}}<p role="alert">{{.Message}}</p>{{end}}
{{if .User}}<p>Signed in as {{.User.Name}} ({{.User.Role}}).</p>
<form method="post" action="/signout"><input type="hidden" name="csrf_token" value="{{.SessionCSRF}}"><button>Sign out</button></form>
{{else}}<form method="post" action="/signin">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<label>Name <input name="name" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button>Sign in</button>
</form>
{{if .OIDC}}<p><a href="/signin/oidc">Sign in through your organisation</a></p>{{end}}{{end}}
</body></html>
`))

type signinView struct {
	Message     string
	CSRF        string
	User        *takedown.User
	SessionCSRF string
	OIDC        bool
}

func (s *Server) renderSignin(w http.ResponseWriter, status int, v signinView) error {
	v.OIDC = s.oidc != nil
	if v.User == nil {
		tok, err := store.NewToken()
		if err != nil {
			return err
		}
		v.CSRF = tok
		setCookie(w, signinCookie, tok, time.Hour)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	return signinTmpl.Execute(w, v)
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSignin(w, http.StatusOK, signinView{})
}

// signin checks a name and password posted from the sign-in form and
// starts a session. Wrong passwords count towards a lockout; whether the
// name exists is not told, and costs the same time either way.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "malformed_form", "the sign-in form could not be read")
	}
	ck, err := r.Cookie(signinCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf_token"))) != 1 {
		return s.renderSignin(w, http.StatusForbidden, signinView{Message: "The form expired or was not sent from this site. Please try again."})
	}
	name, pw := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	ctx := r.Context()
	creds, err := s.store.CredentialsFor(ctx, name)
	if errors.Is(err, takedown.ErrNotFound) || err == nil && creds.Hash == "" {
		_ = password.VerifyNothing(pw)
		s.auditSignin(r, "signin.failed", "", name, "unknown user or no password")
		return s.renderSignin(w, http.StatusUnauthorized, signinView{Message: "Wrong name or password."})
	}
	if err != nil {
		return err
	}
	if creds.LockedUntil != nil && s.now().Before(*creds.LockedUntil) {
		s.auditSignin(r, "signin.refused", creds.User.ID.String(), name, "locked")
		return s.locked(w, *creds.LockedUntil)
	}
	if err := password.Verify(pw, creds.Hash); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			return err
		}
		until, err := s.store.SigninFailed(ctx, creds.User.ID, s.sessions.MaxFailures, s.sessions.LockFor)
		if err != nil {
			return err
		}
		if !until.IsZero() {
			return s.locked(w, until)
		}
		return s.renderSignin(w, http.StatusUnauthorized, signinView{Message: "Wrong name or password."})
	}
	if creds.Disabled {
		s.auditSignin(r, "signin.refused", creds.User.ID.String(), name, "disabled")
		return s.renderSignin(w, http.StatusForbidden, signinView{Message: "This account is disabled. Ask an administrator."})
	}
	secret, ss, err := s.store.StartSession(ctx, creds.User, "password", s.sessions.Absolute)
	if err != nil {
		return err
	}
	clearCookie(w, signinCookie)
	setCookie(w, sessionCookie, secret, s.sessions.Absolute)
	return s.renderSignin(w, http.StatusOK, signinView{User: &ss.User, SessionCSRF: ss.CSRF})
}

func (s *Server) locked(w http.ResponseWriter, until time.Time) error {
	wait := max(until.Sub(s.now()), time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
	return s.renderSignin(w, http.StatusTooManyRequests, signinView{Message: "Too many wrong passwords: this account is locked until " +
		until.UTC().Format("15:04 UTC") + ". Try again then, or ask an administrator to unlock it."})
}

func (s *Server) auditSignin(r *http.Request, action, userID, name, reason string) {
	if err := s.store.AppendAudit(context.WithoutCancel(r.Context()), store.AuditEntry{
		Action: action, SubjectType: "user", SubjectID: userID, Detail: map[string]any{"name": name, "method": "password", "reason": reason},
	}); err != nil {
		s.logger.Error("audit write failed", "action", action, "err", err)
	}
}

// signout ends the caller's session. The route's check has already made
// sure a session caller sent its CSRF token.
func (s *Server) signout(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	if c.session == nil {
		return errorf(http.StatusBadRequest, "no_session", "signing out ends a session; a token is revoked with takedown tokens revoke")
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return errorf(http.StatusBadRequest, "no_session", "no session cookie")
	}
	if err := s.store.EndSession(r.Context(), ck.Value); err != nil {
		return err
	}
	clearCookie(w, sessionCookie)
	return s.renderSignin(w, http.StatusOK, signinView{Message: "Signed out."})
}
