package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

type userKey struct{}

// caller is who made a request, and how they proved it.
type caller struct {
	user takedown.User
	// session is set when the caller came with a session cookie rather
	// than a bearer token.
	session *store.Session
}

func userFrom(ctx context.Context) takedown.User {
	c, _ := ctx.Value(userKey{}).(caller)
	return c.user
}

func callerFrom(ctx context.Context) caller {
	c, _ := ctx.Value(userKey{}).(caller)
	return c
}

// auth checks the caller's bearer token or session cookie, and their role,
// before h runs. A request made with a session cookie that changes anything
// must also carry the session's CSRF token: a browser sends the cookie by
// itself, so the cookie alone does not show that the person meant it.
func (s *Server) auth(roles []takedown.Role, h handler) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.authenticate(w, r)
		if err != nil {
			return err
		}
		if c.session != nil && !safeMethod(r.Method) {
			if err := checkCSRF(r, c.session.CSRF); err != nil {
				return err
			}
		}
		if !slices.Contains(roles, c.user.Role) {
			return errorf(http.StatusForbidden, "forbidden", "role "+string(c.user.Role)+" may not do this")
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), userKey{}, c)))
	})
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (caller, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="takedown"`)
			return caller{}, errorf(http.StatusUnauthorized, "unauthenticated", "malformed bearer token")
		}
		u, err := s.store.UserByToken(r.Context(), strings.TrimSpace(token))
		var ce *store.CredentialError
		if errors.As(err, &ce) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="takedown", error="invalid_token"`)
			return caller{}, errorf(http.StatusUnauthorized, "unauthenticated", ce.Reason)
		}
		if err != nil {
			return caller{}, err
		}
		return caller{user: u}, nil
	}
	if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		ss, err := s.store.SessionUser(r.Context(), ck.Value, s.sessions.Idle)
		var ce *store.CredentialError
		if errors.As(err, &ce) {
			clearCookie(w, sessionCookie)
			return caller{}, errorf(http.StatusUnauthorized, "unauthenticated", ce.Reason)
		}
		if err != nil {
			return caller{}, err
		}
		return caller{user: ss.User, session: &ss}, nil
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="takedown"`)
	return caller{}, errorf(http.StatusUnauthorized, "unauthenticated", "missing bearer token or session: sign in at /signin")
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF wants the token in the X-CSRF-Token header (scripts) or the
// csrf_token form field (forms).
func checkCSRF(r *http.Request, want string) error {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
		got = r.PostFormValue("csrf_token")
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errorf(http.StatusForbidden, "csrf", "missing or wrong CSRF token: send the session's csrf_token (GET /api/v1/me) in X-CSRF-Token")
	}
	return nil
}
