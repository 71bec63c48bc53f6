package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// Mount serves h under pattern, behind the same cross-origin protection as
// the API: the web application is mounted this way, and reaches every
// decision through the API's own routes.
func (s *Server) Mount(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// SigninToken issues the sign-in form's double-submit token and sets its
// cookie, so that a sign-in form rendered elsewhere is accepted by POST
// /signin.
func SigninToken(w http.ResponseWriter) (string, error) {
	tok, err := store.NewToken()
	if err != nil {
		return "", err
	}
	setCookie(w, signinCookie, tok, time.Hour)
	return tok, nil
}

// SigninCookie names the cookie SigninToken sets.
const SigninCookie = signinCookie

// listItems is the review queue: items waiting for a person to confirm
// them, oldest first.
func (s *Server) listItems(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if v := q.Get("status"); v != string(takedown.ItemPendingReview) {
		return errorf(http.StatusBadRequest, "invalid_filter", "status=pending_review is required: only the review queue is listed")
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return errorf(http.StatusBadRequest, "invalid_filter", "limit must be between 1 and 500")
		}
		limit = n
	}
	items, err := s.store.PendingItems(r.Context(), limit)
	if err != nil {
		return err
	}
	if items == nil {
		items = []takedown.Item{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}
