package bench

import (
	"context"
	"time"

	"go.temporal.io/sdk/workflow"
)

// The bare workflow is the engine's ceiling: the same number of sequential
// activities as a takedown's happy path, each doing nothing, on a task queue
// of its own. Whatever a takedown costs beyond it is ours.
const (
	bareQueue    = "bench-bare"
	bareWorkflow = "BenchBare"
)

// happyPathActivities is SendNotice, Probe and RecordEvent for the removal:
// what the workflow code schedules when content is removed before its
// deadline. The run checks it against a real history and uses what it finds.
const happyPathActivities = 3

// Bare runs n activities that do nothing, one after the other.
func Bare(ctx workflow.Context, n int) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	for range n {
		if err := workflow.ExecuteActivity(ctx, Nop).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// Nop is the bare workflow's activity.
func Nop(context.Context) error { return nil }
