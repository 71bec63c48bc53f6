package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Search attributes for people browsing the engine in the Temporal UI. Lists
// in the product come from PostgreSQL, which is consistent; these are not.
var (
	AttrPlatform = temporal.NewSearchAttributeKeyKeyword("TakedownPlatform")
	AttrCategory = temporal.NewSearchAttributeKeyKeyword("TakedownCategory")
	AttrStage    = temporal.NewSearchAttributeKeyKeyword("TakedownStage")
	AttrDeadline = temporal.NewSearchAttributeKeyTime("TakedownDeadline")
)

// StageOnTrack is TakedownStage from the start for as long as the takedown
// needs nobody: notice out, before its deadline, then removed. Any other
// turn sets the status (with "/overdue" past a deadline) and
// TakedownDeadline, and the outcome when it ends. A completed run still
// on track was removed in time; its result and the product say when.
const StageOnTrack = "on_track"

// SearchAttributeTypes lists the custom search attributes to register.
var SearchAttributeTypes = map[string]enumspb.IndexedValueType{
	AttrPlatform.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrCategory.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrStage.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrDeadline.GetName(): enumspb.INDEXED_VALUE_TYPE_DATETIME,
}

// Urgency orders work on the engine's task queues: a single confirmed item
// (and above all child sexual abuse material) goes ahead of a batch of
// hundreds from one chatroom.
type Urgency int

const (
	UrgencyBatch  Urgency = iota // confirmed as part of a batch
	UrgencySingle                // confirmed one by one
)

func priorityKey(u Urgency, c takedown.Category) int {
	switch {
	case c == takedown.CSAM:
		return 1
	case u == UrgencySingle:
		return 2
	default:
		return 4
	}
}

// Starter starts takedown workflows and passes human decisions to them.
type Starter struct {
	Client client.Client
	// Signer, when set, signs every decision passed to Update, as workers
	// that trust decision keys require.
	Signer *Signer
}

// Start starts the takedown workflow for in and returns its run id.
// Starting the same takedown twice is not an error: the workflow id is
// derived from the takedown id, and the engine keeps the first run, so a
// retried confirmation never starts a second takedown; the run id is then
// the running one's, or "" when the takedown has already closed.
func (s Starter) Start(ctx context.Context, workflowID string, in Input, u Urgency) (string, error) {
	in.Revision = Revision
	opts := client.StartWorkflowOptions{
		ID:                       workflowID,
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            fmt.Sprintf("Takedown %s on %s (%s)", in.Reference, in.Content.Platform, in.Category),
		Priority:                 temporal.Priority{PriorityKey: priorityKey(u, in.Category)},
		// Where the API and a worker share a client (the development
		// stack), the first workflow task comes back with the start's
		// answer instead of through the engine's matching: the notice goes
		// out a round trip sooner. Elsewhere the SDK asks for nothing.
		EnableEagerStart: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			AttrPlatform.ValueSet(string(in.Content.Platform)),
			AttrCategory.ValueSet(string(in.Category)),
			AttrStage.ValueSet(StageOnTrack),
		),
	}
	run, err := s.Client.ExecuteWorkflow(ctx, opts, Takedown, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("start workflow %s: %w", workflowID, err)
	}
	return run.GetRunID(), nil
}

// RefusedError is a human decision the workflow's validator refused; its
// message says why, in words fit for the person who asked.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// Update passes one human decision to a running takedown and returns once
// the workflow has taken it (its handler never blocks, so this is within
// the workflow task that accepted it). updateID makes the decision safe to
// repeat: the engine and the workflow both answer a repeated id with the
// first outcome instead of deciding again. The signature binds the
// decision to this id.
func (s Starter) Update(ctx context.Context, workflowID, updateID, name string, arg any) (Accepted, error) {
	if s.Signer != nil {
		var err error
		if arg, err = s.Signer.Sign(workflowID, updateID, name, arg); err != nil {
			return Accepted{}, fmt.Errorf("update %s on %s: %w", name, workflowID, err)
		}
	}
	h, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateID:     updateID,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var out Accepted
	if err == nil {
		err = h.Get(ctx, &out)
	}
	if err == nil {
		return out, nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == RefusedType {
		return Accepted{}, &RefusedError{Reason: strings.TrimPrefix(app.Message(), "refused: ")}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return Accepted{}, fmt.Errorf("update %s on %s: %w", name, workflowID, takedown.ErrNotFound)
	}
	if strings.Contains(err.Error(), "workflow execution already completed") {
		return Accepted{}, &RefusedError{Reason: "the takedown is closed"}
	}
	return Accepted{}, fmt.Errorf("update %s on %s: %w", name, workflowID, err)
}

// Healthy reports whether the engine answers.
func (s Starter) Healthy(ctx context.Context) error {
	if _, err := s.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("check engine health: %w", err)
	}
	return nil
}
