package workflows

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Search attributes upserted for the Temporal UI. Lists in the product come
// from PostgreSQL; these are for people browsing the engine directly.
var (
	AttrPlatform = temporal.NewSearchAttributeKeyKeyword("TakedownPlatform")
	AttrCategory = temporal.NewSearchAttributeKeyKeyword("TakedownCategory")
	AttrStage    = temporal.NewSearchAttributeKeyKeyword("TakedownStage")
	AttrDeadline = temporal.NewSearchAttributeKeyTime("TakedownDeadline")
)

// SearchAttributeTypes lists the custom search attributes to register.
var SearchAttributeTypes = map[string]enumspb.IndexedValueType{
	AttrPlatform.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrCategory.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrStage.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrDeadline.GetName(): enumspb.INDEXED_VALUE_TYPE_DATETIME,
}

// Starter starts takedown workflows.
type Starter struct {
	Client client.Client
}

// Start starts the takedown workflow for in. Starting the same takedown twice
// is not an error: the workflow id is derived from the takedown id, and the
// engine keeps the first run, so a retried confirmation never starts a
// second takedown.
func (s Starter) Start(ctx context.Context, workflowID string, in Input) error {
	opts := client.StartWorkflowOptions{
		ID:                       workflowID,
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            fmt.Sprintf("Takedown %s on %s (%s)", in.TakedownID, in.Content.Platform, in.Category),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			AttrPlatform.ValueSet(string(in.Content.Platform)),
			AttrCategory.ValueSet(string(in.Category)),
			AttrStage.ValueSet("started"),
		),
	}
	_, err := s.Client.ExecuteWorkflow(ctx, opts, Takedown, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start workflow %s: %w", workflowID, err)
	}
	return nil
}

// Healthy reports whether the engine answers.
func (s Starter) Healthy(ctx context.Context) error {
	if _, err := s.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("check engine health: %w", err)
	}
	return nil
}
