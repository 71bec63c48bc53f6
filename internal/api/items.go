package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/workflows"
)

type createItemRequest struct {
	URL      string `json:"url"`
	Category string `json:"category"`
	Note     string `json:"note,omitempty"`
}

const maxNote = 4000

func (s *Server) createItem(w http.ResponseWriter, r *http.Request) error {
	var req createItemRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.URL) == "" {
		return errorf(http.StatusUnprocessableEntity, "invalid_url", "url is required")
	}
	c, err := platforms.ParseURL(req.URL)
	if err != nil {
		code := "unsupported_url"
		if errors.Is(err, platforms.ErrMalformedURL) {
			code = "invalid_url"
		}
		return errorf(http.StatusUnprocessableEntity, code, err.Error())
	}
	cat := platforms.Category(req.Category)
	if !cat.Valid() {
		return errorf(http.StatusUnprocessableEntity, "invalid_category",
			"category must be one of deepfake_sexual, ncii, csam, sextortion, other_illegal")
	}
	if len(req.Note) > maxNote {
		return errorf(http.StatusUnprocessableEntity, "invalid_note", "note is longer than 4000 bytes")
	}
	u := userFrom(r.Context())
	it, err := s.store.CreateItem(r.Context(), store.NewItem{
		URL: c.URL, Platform: c.Platform, ContentID: c.ID, Category: cat, Note: req.Note, CreatedBy: u.ID,
	})
	var dup *store.DuplicateItemError
	if errors.As(err, &dup) {
		return errorf(http.StatusConflict, "duplicate_item",
			"this content was already reported as item "+dup.ExistingID.String())
	}
	if err != nil {
		return err
	}
	s.audit(r.Context(), u, "item.create", "item", it.ID.String(), map[string]any{"platform": it.Platform, "category": it.Category})
	writeJSON(w, http.StatusCreated, it)
	return nil
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	it, err := s.store.GetItem(r.Context(), id)
	if errors.Is(err, takedown.ErrNotFound) {
		return errorf(http.StatusNotFound, "not_found", "no item with this id")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}

// takedownNamespace derives a takedown's id from its item's, so that a
// confirmation retried after a crash finds the same workflow instead of
// starting a second one.
var takedownNamespace = uuid.MustParse("6f1c2b4e-8d1a-4f57-9a43-3c1e8b7d2a10")

// TakedownIDFor is the takedown id of an item.
func TakedownIDFor(itemID uuid.UUID) uuid.UUID { return uuid.NewSHA1(takedownNamespace, itemID[:]) }

type confirmResponse struct {
	TakedownID uuid.UUID `json:"takedown_id"`
	WorkflowID string    `json:"workflow_id"`
}

func (s *Server) confirmItem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	// Confirm takes no body; refuse one that is not empty JSON or absent so
	// a client's mistake is not silently ignored.
	if r.ContentLength > 0 {
		var empty struct{}
		if err := decode(w, r, &empty); err != nil {
			return err
		}
	}
	u := userFrom(r.Context())
	tdID := TakedownIDFor(id)
	wfID := takedown.WorkflowID(tdID)
	lang, ground := s.policy.Notice()
	td, err := s.store.ConfirmItem(r.Context(), store.Confirm{
		ItemID: id, TakedownID: tdID, WorkflowID: wfID, ConfirmedBy: u.ID,
	}, func(ctx context.Context, t takedown.Takedown) error {
		return s.engine.Start(ctx, wfID, workflows.Input{
			TakedownID:  tdID,
			ItemID:      id,
			Content:     platforms.Content{Platform: t.Platform, ID: t.ContentID, URL: t.URL},
			Category:    t.Category,
			ConfirmedBy: u.ID,
			Reference:   Reference(tdID),
			LegalGround: ground,
			Language:    lang,
			Policy:      s.policy.For(t.Platform, t.Category),
		})
	})
	switch {
	case errors.Is(err, takedown.ErrNotFound):
		return errorf(http.StatusNotFound, "not_found", "no item with this id")
	case errors.Is(err, takedown.ErrConflict):
		return errorf(http.StatusConflict, "already_confirmed", "this item was already confirmed")
	case err != nil:
		return err
	}
	s.audit(r.Context(), u, "item.confirm", "item", id.String(), map[string]any{"takedown_id": td.ID})
	writeJSON(w, http.StatusAccepted, confirmResponse{TakedownID: td.ID, WorkflowID: td.WorkflowID})
	return nil
}

// Reference is the regulator's reference quoted in notices and replies.
func Reference(takedownID uuid.UUID) string {
	return "TKD-" + strings.ToUpper(strings.ReplaceAll(takedownID.String(), "-", "")[:12])
}

func pathID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		// Unknown ids and malformed ones get the same answer: neither names
		// anything that exists.
		return uuid.Nil, errorf(http.StatusNotFound, "not_found", "no such id")
	}
	return id, nil
}

func (s *Server) audit(ctx context.Context, u takedown.User, action, subjectType, subjectID string, detail map[string]any) {
	uid := u.ID
	// Audit writes happen after the action succeeded; a failure here is
	// logged loudly rather than failing a request whose effect is done.
	if err := s.store.AppendAudit(context.WithoutCancel(ctx), store.AuditEntry{
		ActorID: &uid, ActorRole: string(u.Role), Action: action, SubjectType: subjectType, SubjectID: subjectID, Detail: detail,
	}); err != nil {
		s.logger.Error("audit write failed", "action", action, "subject_id", subjectID, "err", err)
	}
}
