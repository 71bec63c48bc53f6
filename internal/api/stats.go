package api

import (
	"net/http"
	"time"
)

const maxStatsRange = 366 * 24 * time.Hour

// parseTime accepts an RFC 3339 time or a date (midnight UTC).
func parseTime(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// complianceStats reports, per platform and category, what became of the
// takedowns confirmed in [from, to): how many, their outcomes, the share
// removed within the deadline, and the median and 90th percentile of the
// time from notice to confirmed removal. Defaults to the last 30 days.
func (s *Server) complianceStats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	to := s.now()
	from := to.Add(-30 * 24 * time.Hour)
	if v := q.Get("from"); v != "" {
		t, ok := parseTime(v)
		if !ok {
			return errorf(http.StatusBadRequest, "invalid_range", "from must be an RFC 3339 time or a date (YYYY-MM-DD)")
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, ok := parseTime(v)
		if !ok {
			return errorf(http.StatusBadRequest, "invalid_range", "to must be an RFC 3339 time or a date (YYYY-MM-DD)")
		}
		to = t
	}
	if !to.After(from) {
		return errorf(http.StatusBadRequest, "invalid_range", "to must be after from")
	}
	if to.Sub(from) > maxStatsRange {
		return errorf(http.StatusBadRequest, "invalid_range", "the range may span at most 366 days")
	}
	rows, err := s.store.ComplianceStats(r.Context(), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "rows": rows})
	return nil
}
