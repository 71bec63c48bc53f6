package workflows

import (
	"math"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/platforms"
)

func bookkeepingOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 30 * time.Second,
		// PostgreSQL may be down for a while: the activity retries for an
		// hour, then the workflow waits on a clock and tries again, so an
		// outage never loses a record and never hides behind one activity
		// retrying for ever. Records the database refuses are non-retryable.
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: math.MaxInt32},
	}
}

func sendOptions(p platforms.Platform) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           SendQueue(p),
		StartToCloseTimeout: 2 * time.Minute,
		// A platform may throttle us for a day (YouTube's quota); keep trying
		// for a week before giving the notice up as failed.
		ScheduleToCloseTimeout: 7 * 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
			MaximumAttempts: math.MaxInt32, // bounded by the schedule-to-close timeout
		},
	}
}

// probeWindow is how long one probe activity keeps retrying before the
// workflow starts a fresh one.
const probeWindow = 7 * 24 * time.Hour

func probeOptions(p platforms.Platform, pol Policy) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue: ProbeQueue(p),
		// Short, so that a probe lost with a crashed worker is retried soon.
		StartToCloseTimeout: 40 * time.Second,
		// Retries are the polling schedule and add no history events.
		ScheduleToCloseTimeout: probeWindow,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    pol.ProbeInitial,
			BackoffCoefficient: max(pol.ProbeBackoff, 1),
			MaximumInterval:    max(pol.ProbeMax, pol.ProbeInitial),
			MaximumAttempts:    math.MaxInt32, // bounded by the window, not by a count
		},
	}
}
