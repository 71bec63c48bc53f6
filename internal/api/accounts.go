package api

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// Admins manage accounts through these routes as operators do with
// `takedown users` and `takedown tokens`; the store writes each change to
// the audit log with the admin as its actor.

func adminOperator(r *http.Request) store.Operator {
	u := userFrom(r.Context())
	return store.Operator{ID: &u.ID, Role: string(u.Role), Via: "api"}
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.ListUsers(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.UserInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": list})
	return nil
}

func (s *Server) setUserEnabled(enable bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("name")
		if !enable && name == userFrom(r.Context()).Name {
			return errorf(http.StatusConflict, "refused", "an admin cannot disable their own account")
		}
		change := s.store.DisableUser
		if enable {
			change = s.store.EnableUser
		}
		u, err := change(r.Context(), adminOperator(r), name)
		if errors.Is(err, takedown.ErrNotFound) {
			return errorf(http.StatusNotFound, "not_found", "no user with this name")
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, u)
		return nil
	}
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.ListTokens(r.Context(), r.URL.Query().Get("user"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.TokenInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return errorf(http.StatusNotFound, "not_found", "no token with this id")
	}
	t, err := s.store.RevokeToken(r.Context(), adminOperator(r), id)
	if errors.Is(err, takedown.ErrNotFound) {
		return errorf(http.StatusNotFound, "not_found", "no token with this id")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
