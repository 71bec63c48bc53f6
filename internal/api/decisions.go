package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/history"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

// decide passes one human decision to the takedown's workflow. The role was
// checked by the route; the workflow's validator checks it again together
// with the takedown's state, and its refusal comes back as 409. The
// decision carries an idempotency key as its update id — the client's
// Idempotency-Key header, or one derived from who asks what of which
// takedown in which state — so a retried request is answered with the
// first outcome instead of being decided twice. The answer is 202: the
// decision is taken and on the workflow's record; what it sets in motion
// (a notice, a blocking order) follows.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, action, update string, arg func(workflows.Actor, takedown.Takedown) any, detail map[string]any) error {
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
	u := userFrom(r.Context())
	actor := workflows.Actor{ID: u.ID, Role: u.Role}
	v := arg(actor, td)
	key, err := idempotencyKey(r, u, update, td, v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	acc, err := s.engine.Update(ctx, td.WorkflowID, key, update, v)
	var refused *workflows.RefusedError
	switch {
	case errors.As(err, &refused):
		return errorf(http.StatusConflict, "refused", refused.Reason)
	case errors.Is(err, takedown.ErrNotFound):
		return errorf(http.StatusConflict, "refused", "the takedown's workflow is not running")
	case err != nil:
		return err
	}
	if detail == nil {
		detail = map[string]any{}
	}
	detail["idempotency_key"] = key
	if acc.Repeat {
		detail["repeat"] = true
	}
	s.audit(r.Context(), u, action, "takedown", id.String(), detail)
	writeJSON(w, http.StatusAccepted, decisionResponse{
		TakedownID: td.ID, IdempotencyKey: key, Repeat: acc.Repeat,
		Status: acc.Status, EscalationLevel: acc.Level, Deadline: acc.Deadline,
	})
	return nil
}

// decisionResponse is where the takedown stands once the decision is taken.
type decisionResponse struct {
	TakedownID      uuid.UUID       `json:"takedown_id"`
	IdempotencyKey  string          `json:"idempotency_key"`
	Repeat          bool            `json:"repeat,omitempty"`
	Status          takedown.Status `json:"status"`
	EscalationLevel takedown.Level  `json:"escalation_level"`
	Deadline        time.Time       `json:"deadline,omitzero"`
}

const maxIdempotencyKey = 200

// idempotencyKey is the decision's update id. Without a client key, the
// same person asking the same thing of a takedown that has not changed
// since is the same decision; once the takedown has moved on, it is a new
// one.
func idempotencyKey(r *http.Request, u takedown.User, update string, td takedown.Takedown, v any) (string, error) {
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		if len(k) > maxIdempotencyKey || strings.ContainsFunc(k, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			return "", errorf(http.StatusBadRequest, "invalid_idempotency_key", "Idempotency-Key must be at most 200 printable ASCII characters")
		}
		// Keys are scoped to the caller, so one user's key never answers
		// for another's decision.
		return u.ID.String() + ":" + k, nil
	}
	body, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("derive idempotency key: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00", u.ID, update, td.ID, td.UpdatedAt.UnixNano())
	h.Write(body)
	return "derived:" + hex.EncodeToString(h.Sum(nil)[:16]), nil
}

const maxText = 4000

func checkText(field, v string, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return errorf(http.StatusUnprocessableEntity, "invalid_"+field, field+" is required")
	}
	if len(v) > maxText {
		return errorf(http.StatusUnprocessableEntity, "invalid_"+field, field+" is longer than 4000 bytes")
	}
	return nil
}

type replyRequest struct {
	Kind   workflows.ReplyKind `json:"kind"`
	Ticket string              `json:"ticket,omitempty"`
	Note   string              `json:"note,omitempty"`
}

func (s *Server) recordReply(w http.ResponseWriter, r *http.Request) error {
	var req replyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	switch req.Kind {
	case workflows.ReplyPortalSubmitted, workflows.ReplyClarification, workflows.ReplyRejected,
		workflows.ReplyActionClaimed, workflows.ReplyOther:
	default:
		return errorf(http.StatusUnprocessableEntity, "invalid_kind",
			"kind must be one of portal_submitted, clarification_requested, rejected, action_claimed, other")
	}
	if err := checkText("note", req.Note, false); err != nil {
		return err
	}
	if len(req.Ticket) > 200 {
		return errorf(http.StatusUnprocessableEntity, "invalid_ticket", "ticket is longer than 200 bytes")
	}
	return s.decide(w, r, "takedown.reply", workflows.UpdateRecordReply, func(a workflows.Actor, _ takedown.Takedown) any {
		return workflows.Reply{Actor: a, Kind: req.Kind, Ticket: req.Ticket, Note: req.Note}
	}, map[string]any{"kind": req.Kind, "ticket": req.Ticket})
}

type textRequest struct {
	Text string `json:"text"`
}

func (s *Server) addInformation(w http.ResponseWriter, r *http.Request) error {
	var req textRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := checkText("text", req.Text, true); err != nil {
		return err
	}
	return s.decide(w, r, "takedown.information", workflows.UpdateAddInformation, func(a workflows.Actor, _ takedown.Takedown) any {
		return workflows.Information{Actor: a, Text: req.Text}
	}, nil)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) withdraw(w http.ResponseWriter, r *http.Request) error {
	var req reasonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := checkText("reason", req.Reason, true); err != nil {
		return err
	}
	return s.decide(w, r, "takedown.withdraw", workflows.UpdateWithdraw, func(a workflows.Actor, _ takedown.Takedown) any {
		return workflows.Withdrawal{Actor: a, Reason: req.Reason}
	}, map[string]any{"reason": req.Reason})
}

type escalationRequest struct {
	Approve *bool  `json:"approve"`
	Reason  string `json:"reason"`
}

func (s *Server) decideEscalation(w http.ResponseWriter, r *http.Request) error {
	var req escalationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Approve == nil {
		return errorf(http.StatusUnprocessableEntity, "invalid_approve", "approve (true or false) is required")
	}
	if err := checkText("reason", req.Reason, !*req.Approve); err != nil {
		return err
	}
	return s.decide(w, r, "takedown.escalation", workflows.UpdateDecideEscalation, func(a workflows.Actor, _ takedown.Takedown) any {
		return workflows.EscalationDecision{Actor: a, Approve: *req.Approve, Reason: req.Reason}
	}, map[string]any{"approve": *req.Approve, "reason": req.Reason})
}

type deadlineRequest struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

func (s *Server) extendDeadline(w http.ResponseWriter, r *http.Request) error {
	var req deadlineRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Until.IsZero() {
		return errorf(http.StatusUnprocessableEntity, "invalid_until", "until (an RFC 3339 time) is required")
	}
	if err := checkText("reason", req.Reason, true); err != nil {
		return err
	}
	return s.decide(w, r, "takedown.extend", workflows.UpdateExtendDeadline, func(a workflows.Actor, td takedown.Takedown) any {
		// The rung the caller saw: an extension that arrives after the
		// deadline passed is refused, not applied to the next rung.
		level := td.EscalationLevel
		return workflows.Extension{Actor: a, Until: req.Until, Reason: req.Reason, Level: &level}
	}, map[string]any{"until": req.Until, "reason": req.Reason})
}

// --- auditors --------------------------------------------------------------

func (s *Server) workflowOf(r *http.Request) (takedown.Takedown, error) {
	id, err := pathID(r)
	if err != nil {
		return takedown.Takedown{}, err
	}
	td, err := s.store.GetTakedown(r.Context(), id)
	if errors.Is(err, takedown.ErrNotFound) {
		return td, errorf(http.StatusNotFound, "not_found", "no takedown with this id")
	}
	return td, err
}

func (s *Server) exportHistory(w http.ResponseWriter, r *http.Request) error {
	td, err := s.workflowOf(r)
	if err != nil {
		return err
	}
	// Payloads are sealed as the engine stores them unless the auditor asks
	// for them opened; an opened export holds victims' data.
	decoded := r.URL.Query().Get("decoded") == "true"
	runID := r.URL.Query().Get("run_id")
	b, runs, err := s.histories.Export(r.Context(), td.WorkflowID, runID, decoded)
	if errors.Is(err, history.ErrNoRun) {
		return errorf(http.StatusNotFound, "not_found", "the takedown has no run with this id")
	}
	if err != nil {
		return err
	}
	// A takedown that continued as new has several runs; each is one
	// history, named here oldest first and fetched with ?run_id=.
	w.Header().Set("X-Takedown-Runs", strings.Join(runs, ","))
	s.audit(r.Context(), userFrom(r.Context()), "takedown.history_export", "takedown", td.ID.String(), map[string]any{"decoded": decoded})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+td.WorkflowID+`.json"`)
	_, _ = w.Write(b)
	return nil
}

type replayResponse struct {
	WorkflowID string `json:"workflow_id"`
	Events     int    `json:"events"`
	// Deterministic is true when the current code makes the decisions the
	// history records.
	Deterministic bool   `json:"deterministic"`
	Error         string `json:"error,omitempty"`
}

func (s *Server) replayHistory(w http.ResponseWriter, r *http.Request) error {
	td, err := s.workflowOf(r)
	if err != nil {
		return err
	}
	n, err := s.histories.Replay(r.Context(), td.WorkflowID)
	resp := replayResponse{WorkflowID: td.WorkflowID, Events: n, Deterministic: err == nil}
	if err != nil {
		resp.Error = err.Error()
	}
	s.audit(r.Context(), userFrom(r.Context()), "takedown.replay", "takedown", td.ID.String(), map[string]any{"deterministic": resp.Deterministic})
	writeJSON(w, http.StatusOK, resp)
	return nil
}
