package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
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
	c, err := takedown.ParseURL(req.URL)
	if err != nil {
		code := "unsupported_url"
		if errors.Is(err, takedown.ErrMalformedURL) {
			code = "invalid_url"
		}
		return errorf(http.StatusUnprocessableEntity, code, err.Error())
	}
	cat := takedown.Category(req.Category)
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
		Audit: s.auditEntry(u, "item.create", "", "", map[string]any{"platform": c.Platform, "category": cat}),
	})
	var dup *store.DuplicateItemError
	if errors.As(err, &dup) {
		return errorf(http.StatusConflict, "duplicate_item",
			"this content was already reported as item "+dup.ExistingID.String())
	}
	if err != nil {
		return err
	}
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

type confirmResponse struct {
	TakedownID uuid.UUID `json:"takedown_id"`
	WorkflowID string    `json:"workflow_id"`
	// RunID names the run that was started, so that a client can follow
	// or link to it without asking the engine which run is current.
	RunID string `json:"run_id,omitempty"`
}

func (s *Server) confirmItem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	// Confirm takes no body; refuse one that is not empty JSON so that a
	// client's mistake is not silently ignored.
	if r.ContentLength > 0 {
		var empty struct{}
		if err := decode(w, r, &empty); err != nil {
			return err
		}
	}
	u := userFrom(r.Context())
	td, runID, err := s.confirm(r.Context(), u, id, workflows.UrgencySingle)
	switch {
	case errors.Is(err, takedown.ErrNotFound):
		return errorf(http.StatusNotFound, "not_found", "no item with this id")
	case errors.Is(err, takedown.ErrConflict):
		return errorf(http.StatusConflict, "already_confirmed", "this item was already confirmed")
	case errors.As(err, new(*disabledError)):
		return errorf(http.StatusUnprocessableEntity, "platform_disabled", err.Error()+"; ask an operator to enable it (TAKEDOWN_PLATFORMS)")
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusAccepted, confirmResponse{TakedownID: td.ID, WorkflowID: td.WorkflowID, RunID: runID})
	return nil
}

// confirm turns an item into a takedown and starts its workflow without
// holding a database connection while the engine is called:
//
//  1. read the item (it must be pending review, its platform enabled);
//  2. start the workflow, whose id is derived from the item's, so that
//     starting it again is a no-op;
//  3. in one transaction, write the takedown, its first event and the
//     item's new status.
//
// If the engine is down, step 2 fails and nothing is written. If step 3
// fails after the workflow started, the workflow writes the same rows
// itself (store.EnsureTakedown) before its first notice, and a retried
// confirm starts nothing new and writes them if they are still missing.
// The workflow may also get there first; step 3 then finds the takedown
// already written and answers with it.
func (s *Server) confirm(ctx context.Context, u takedown.User, id uuid.UUID, urgency workflows.Urgency) (takedown.Takedown, string, error) {
	tdID := takedown.IDFor(id)
	wfID := takedown.WorkflowID(tdID)
	it, err := s.store.GetItem(ctx, id)
	if err != nil {
		return takedown.Takedown{}, "", err
	}
	if it.Status != takedown.ItemPendingReview {
		return takedown.Takedown{}, "", fmt.Errorf("item is %s: %w", it.Status, takedown.ErrConflict)
	}
	if !s.enabled[it.Platform] {
		return takedown.Takedown{}, "", &disabledError{platform: it.Platform}
	}
	lang, ground := s.policy.Notice()
	runID, err := s.engine.Start(ctx, wfID, workflows.Input{
		TakedownID:  tdID,
		ItemID:      id,
		Content:     takedown.Content{Platform: it.Platform, ID: it.ContentID, URL: it.URL},
		Category:    it.Category,
		ConfirmedBy: u.ID,
		Reference:   takedown.Reference(tdID),
		LegalGround: ground,
		Language:    lang,
		Policy:      s.policy.For(it.Platform, it.Category),
	}, urgency)
	if err != nil {
		return takedown.Takedown{}, "", err
	}
	entry := s.auditEntry(u, "item.confirm", "item", id.String(), map[string]any{"takedown_id": tdID})
	td, err := s.store.ConfirmItem(ctx, takedown.Confirm{
		ItemID: id, TakedownID: tdID, WorkflowID: wfID, ConfirmedBy: u.ID,
	}, nil, *entry)
	if errors.Is(err, takedown.ErrConflict) {
		// The workflow we just started may have written the rows itself
		// (EnsureTakedown, before its first notice) ahead of this commit:
		// that is this confirmation's takedown, not another's, and the
		// confirmation is still this caller's to log.
		existing, gerr := s.store.GetTakedown(ctx, tdID)
		if gerr == nil && existing.ItemID == id {
			td, err = existing, nil
			s.audit(ctx, u, entry.Action, entry.SubjectType, entry.SubjectID, entry.Detail)
		}
	}
	if err != nil {
		return td, "", err
	}
	return td, runID, nil
}

// disabledError refuses a takedown for a platform this deployment does not
// serve (TAKEDOWN_PLATFORMS).
type disabledError struct{ platform takedown.Platform }

func (e *disabledError) Error() string {
	return "takedowns on " + string(e.platform) + " are disabled in this deployment"
}

const maxBatch = 1000

type batchRequest struct {
	ItemIDs []string `json:"item_ids"`
}

type batchResult struct {
	ItemID     string     `json:"item_id"`
	Outcome    string     `json:"outcome"` // started, already_confirmed, not_found, platform_disabled, failed
	TakedownID *uuid.UUID `json:"takedown_id,omitempty"`
	WorkflowID string     `json:"workflow_id,omitempty"`
	RunID      string     `json:"run_id,omitempty"`
}

// confirmBatch confirms many items at once (hundreds from one chatroom).
// Each is confirmed on its own, so one failure does not undo the rest, and
// posting the same batch again only reports what was already done. Batch
// takedowns run at a lower priority on the engine than single confirmations,
// so an urgent item is not queued behind a batch.
func (s *Server) confirmBatch(w http.ResponseWriter, r *http.Request) error {
	var req batchRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.ItemIDs) == 0 || len(req.ItemIDs) > maxBatch {
		return errorf(http.StatusUnprocessableEntity, "invalid_batch", "item_ids must hold between 1 and 1000 ids")
	}
	ids := make([]uuid.UUID, len(req.ItemIDs))
	seen := map[uuid.UUID]bool{}
	for i, v := range req.ItemIDs {
		id, err := uuid.Parse(v)
		if err != nil {
			return errorf(http.StatusUnprocessableEntity, "invalid_batch", "item_ids["+strconv.Itoa(i)+"] is not an id")
		}
		if seen[id] {
			return errorf(http.StatusUnprocessableEntity, "invalid_batch", "item_ids["+strconv.Itoa(i)+"] is repeated")
		}
		seen[id] = true
		ids[i] = id
	}
	u := userFrom(r.Context())
	results := make([]batchResult, len(ids))
	failed := 0
	for i, id := range ids {
		res := batchResult{ItemID: id.String()}
		td, runID, err := s.confirm(r.Context(), u, id, workflows.UrgencyBatch)
		switch {
		case err == nil:
			res.Outcome, res.TakedownID, res.WorkflowID, res.RunID = "started", &td.ID, td.WorkflowID, runID
		case errors.Is(err, takedown.ErrNotFound):
			res.Outcome = "not_found"
		case errors.Is(err, takedown.ErrConflict):
			tdID := takedown.IDFor(id)
			res.Outcome, res.TakedownID, res.WorkflowID = "already_confirmed", &tdID, takedown.WorkflowID(tdID)
		case errors.As(err, new(*disabledError)):
			res.Outcome = "platform_disabled"
		default:
			failed++
			res.Outcome = "failed"
			s.logger.Error("batch confirm", "item_id", id, "err", err)
		}
		results[i] = res
	}
	status := http.StatusOK
	if failed == len(ids) {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"results": results})
	return nil
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

// auditEntry is what the caller did, for the store to write in the same
// transaction as the change itself.
func (s *Server) auditEntry(u takedown.User, action, subjectType, subjectID string, detail map[string]any) *store.AuditEntry {
	uid := u.ID
	return &store.AuditEntry{
		ActorID: &uid, ActorRole: string(u.Role), Action: action, SubjectType: subjectType, SubjectID: subjectID, Detail: detail,
	}
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
