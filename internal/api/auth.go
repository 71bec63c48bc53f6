package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/takedown-oss/takedown/internal/takedown"
)

type userKey struct{}

func userFrom(ctx context.Context) takedown.User {
	u, _ := ctx.Value(userKey{}).(takedown.User)
	return u
}

// auth checks the bearer token and the caller's role before h runs.
func (s *Server) auth(roles []takedown.Role, h handler) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		h0 := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(h0, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="takedown"`)
			return errorf(http.StatusUnauthorized, "unauthenticated", "missing or malformed bearer token")
		}
		u, err := s.store.UserByToken(r.Context(), strings.TrimSpace(token))
		if errors.Is(err, takedown.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="takedown", error="invalid_token"`)
			return errorf(http.StatusUnauthorized, "unauthenticated", "unknown token")
		}
		if err != nil {
			return err
		}
		if !slices.Contains(roles, u.Role) {
			return errorf(http.StatusForbidden, "forbidden", "role "+string(u.Role)+" may not do this")
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}
