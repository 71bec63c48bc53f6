package workflows

import (
	"math"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// SendStartToCloseTimeout bounds one attempt at sending a notice or a
// blocking order. The adapters' HTTP clients and the mailer give up after
// 30 s; the rest is for the database and a slow relay. A worker's stop
// timeout is at least this, so that a shutdown never cuts a send short and
// leaves it uncertain.
const SendStartToCloseTimeout = 2 * time.Minute

// HeartbeatTimeout is how soon the engine gives up on a send, a probe or a
// blocking order whose worker went silent (a SIGKILL, a lost host) and
// retries it: the activities heartbeat throughout their calls, and the SDK
// sends a beat every 80% of this (8 s), which leaves 2 s for a beat to
// reach a busy engine. With the first retry 2 s later, a send lost with its
// worker is tried again within 12 s instead of its 2-minute start-to-close.
const HeartbeatTimeout = 10 * time.Second

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

// localBookkeepingOptions write a record in the workflow task itself. The
// workflow task is held while they retry, so their budget is short: past
// it, the loop waits on its flush clock and tries again, as for an outage.
func localBookkeepingOptions() workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: 20 * time.Second, MaximumAttempts: math.MaxInt32},
	}
}

// platformQueue is where a run of the revision sends to or probes p.
func platformQueue(revision int, older func(takedown.Platform) string, p takedown.Platform) string {
	if revision >= 2 {
		return TaskQueue
	}
	return older(p)
}

func sendOptions(p takedown.Platform, revision int) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           platformQueue(revision, SendQueue, p),
		StartToCloseTimeout: SendStartToCloseTimeout,
		HeartbeatTimeout:    HeartbeatTimeout,
		// A platform may throttle us for a day (YouTube's quota); keep trying
		// for a week before giving the notice up as failed.
		ScheduleToCloseTimeout: 7 * 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
			MaximumAttempts: math.MaxInt32, // bounded by the schedule-to-close timeout
		},
	}
}

// blockingOrderOptions are a send's, on the main queue: blocking orders go
// to the regulator's own gateway, not to a platform's queue.
// An attempt lost with its worker is re-sent under the same idempotency key.
func blockingOrderOptions(p takedown.Platform, revision int) workflow.ActivityOptions {
	opts := sendOptions(p, revision)
	opts.TaskQueue = TaskQueue
	return opts
}

// probeWindow is how long one probe activity keeps retrying before the
// workflow starts a fresh one.
const probeWindow = 7 * 24 * time.Hour

func probeOptions(p takedown.Platform, pol Policy, revision int) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue: platformQueue(revision, ProbeQueue, p),
		// Above the adapters' 30 s HTTP timeout, so that a slow platform is
		// a platform error and not an activity timeout.
		StartToCloseTimeout: 40 * time.Second,
		// A probe lost with its worker is retried after the heartbeat
		// timeout, keeping the first sighting it carried.
		HeartbeatTimeout: HeartbeatTimeout,
		// Retries are the polling schedule and add no history events.
		ScheduleToCloseTimeout: probeWindow,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    pol.ProbeInitial,
			BackoffCoefficient: max(pol.ProbeBackoff, 1),
			// The engine caps a wait the activity asks for at this too: a
			// probe schedule's sparse slots must fit under it.
			MaximumInterval: max(pol.ProbeMax, pol.ProbeInitial, pol.ProbeSchedule.Late, pol.ProbeSchedule.Early),
			MaximumAttempts: math.MaxInt32, // bounded by the window, not by a count
		},
	}
}

// blockedCheckOptions are a probe's, on the main queue, where the blocking
// channel's activities are registered.
func blockedCheckOptions(p takedown.Platform, pol Policy, revision int) workflow.ActivityOptions {
	opts := probeOptions(p, pol, revision)
	opts.TaskQueue = TaskQueue
	return opts
}
