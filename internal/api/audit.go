package api

import (
	"net/http"
	"strconv"

	"github.com/takedown-oss/takedown/internal/store"
)

// listAudit lets auditors read the audit trail: who did what to which item
// or takedown, oldest first. Pages continue with ?after=<next_after>.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.AuditFilter{SubjectType: q.Get("subject_type"), SubjectID: q.Get("subject_id")}
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return errorf(http.StatusBadRequest, "invalid_filter", "after must be a non-negative sequence number")
		}
		f.AfterSeq = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errorf(http.StatusBadRequest, "invalid_filter", "limit must be between 1 and 1000")
		}
		f.Limit = n
	}
	list, next, err := s.store.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.AuditRecord{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": list, "next_after": next})
	return nil
}
