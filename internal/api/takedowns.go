package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

func (s *Server) getTakedown(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	td, err := s.store.GetTakedown(r.Context(), id)
	if errors.Is(err, takedown.ErrNotFound) {
		return errorf(http.StatusNotFound, "not_found", "no takedown with this id")
	}
	if err != nil {
		return err
	}
	if td.Events == nil {
		td.Events = []takedown.Event{}
	}
	writeJSON(w, http.StatusOK, td)
	return nil
}

type listResponse struct {
	Takedowns  []takedown.Takedown `json:"takedowns"`
	NextCursor string              `json:"next_cursor"`
}

func (s *Server) listTakedowns(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.TakedownFilter{Cursor: q.Get("cursor"), Now: s.now()}
	if v := q.Get("status"); v != "" {
		f.Status = takedown.Status(v)
		if !f.Status.Valid() {
			return errorf(http.StatusBadRequest, "invalid_filter", "unknown status "+strconv.Quote(v))
		}
	}
	if v := q.Get("platform"); v != "" {
		f.Platform = takedown.Platform(v)
		if !f.Platform.Valid() {
			return errorf(http.StatusBadRequest, "invalid_filter", "unknown platform "+strconv.Quote(v))
		}
	}
	if v := q.Get("category"); v != "" {
		f.Category = takedown.Category(v)
		if !f.Category.Valid() {
			return errorf(http.StatusBadRequest, "invalid_filter", "unknown category "+strconv.Quote(v))
		}
	}
	if v := q.Get("level"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 4 {
			return errorf(http.StatusBadRequest, "invalid_filter", "level must be 0 to 4")
		}
		f.Level = &n
	}
	if v := q.Get("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errorf(http.StatusBadRequest, "invalid_filter", "overdue must be true or false")
		}
		f.Overdue = b
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return errorf(http.StatusBadRequest, "invalid_filter", "limit must be between 1 and 200")
		}
		f.Limit = n
	}
	list, next, err := s.store.ListTakedowns(r.Context(), f)
	if errors.Is(err, store.ErrBadCursor) {
		return errorf(http.StatusBadRequest, "invalid_cursor", "cursor is malformed")
	}
	if err != nil {
		return err
	}
	if list == nil {
		list = []takedown.Takedown{}
	}
	writeJSON(w, http.StatusOK, listResponse{Takedowns: list, NextCursor: next})
	return nil
}

// listNotices shows every notice sent for a takedown: when, through which
// channel, our reference and the platform's (Message-ID or portal ticket).
// It is the record that a notice was sent, and when.
func (s *Server) listNotices(w http.ResponseWriter, r *http.Request) error {
	td, err := s.workflowOf(r)
	if err != nil {
		return err
	}
	list, err := s.store.ListNotices(r.Context(), td.ID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []takedown.NoticeRecord{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": list})
	return nil
}
