// Package workflows holds the durable logic of a takedown: what happens in
// which order, how long to wait, and what to record. It contains no I/O: every
// side effect is an activity, so the engine can replay a takedown's history
// against this code and reach the same decisions.
package workflows

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// TaskQueue is where takedown workflows and their bookkeeping activities run.
const TaskQueue = "takedown"

// SendQueue is the task queue for one platform's outbound notices. Each has
// its own queue so that a platform's global rate limit can be enforced by the
// engine across every worker (TaskQueueActivitiesPerSecond).
func SendQueue(p platforms.Platform) string { return "takedown-send-" + string(p) }

// ProbeQueue is the task queue for one platform's status probes, kept apart
// from sends so probing never eats the sending budget.
func ProbeQueue(p platforms.Platform) string { return "takedown-probe-" + string(p) }

// Input starts one takedown.
type Input struct {
	TakedownID  uuid.UUID          `json:"takedown_id"`
	ItemID      uuid.UUID          `json:"item_id"`
	Content     platforms.Content  `json:"content"`
	Category    platforms.Category `json:"category"`
	Note        string             `json:"note,omitempty"`
	ConfirmedBy uuid.UUID          `json:"confirmed_by"`
	// Reference is the regulator's own reference for the request.
	Reference   string `json:"reference"`
	LegalGround string `json:"legal_ground"`
	Language    string `json:"language"`
	Policy      Policy `json:"policy"`
}

// Policy is the timing a takedown follows, resolved from the operator's
// policy file when the takedown starts so that a later change of the file
// does not alter a running takedown's history.
type Policy struct {
	// Deadline runs from the notice to confirmed removal.
	Deadline time.Duration `json:"deadline"`
	// ProbeInitial is the first wait between probes; it grows by
	// ProbeBackoff up to ProbeMax.
	ProbeInitial time.Duration `json:"probe_initial"`
	ProbeMax     time.Duration `json:"probe_max"`
	ProbeBackoff float64       `json:"probe_backoff"`
}

// Result is how a takedown ended.
type Result struct {
	Status     takedown.Status       `json:"status"`
	Submission platforms.Submission  `json:"submission"`
	Probe      platforms.ProbeResult `json:"probe"`
}

// State answers the "state" query.
type State struct {
	Status   takedown.Status `json:"status"`
	Attempt  int             `json:"attempt"`
	Deadline time.Time       `json:"deadline,omitzero"`
	Overdue  bool            `json:"overdue"`
}

// QueryState is the name of the status query.
const QueryState = "state"

// Takedown follows one confirmed item: it sends the notice, probes the
// platform until the content is confirmed gone, and records each step.
func Takedown(ctx workflow.Context, in Input) (Result, error) {
	st := &State{Status: takedown.StatusPending, Attempt: 1}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return *st, nil }); err != nil {
		return Result{}, fmt.Errorf("register query: %w", err)
	}
	var a *activities.Activities
	confirm := takedown.Confirm{
		ItemID: in.ItemID, TakedownID: in.TakedownID,
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, ConfirmedBy: in.ConfirmedBy,
	}

	record := func(t takedown.Transition) error {
		t.TakedownID = in.TakedownID
		t.At = workflow.Now(ctx)
		rctx := workflow.WithActivityOptions(ctx, bookkeepingOptions())
		return workflow.ExecuteActivity(rctx, a.RecordEvent, t).Get(rctx, nil)
	}

	// 1. Send the notice.
	notice := platforms.Notice{
		Key:         activities.NoticeKey(in.TakedownID, in.Content.Platform, st.Attempt),
		Content:     in.Content,
		Category:    in.Category,
		LegalGround: in.LegalGround,
		Reference:   in.Reference,
		Language:    in.Language,
		Note:        in.Note,
		Attempt:     st.Attempt,
	}
	sctx := workflow.WithActivityOptions(ctx, sendOptions(in.Content.Platform))
	var sent activities.SendNoticeResult
	if err := workflow.ExecuteActivity(sctx, a.SendNotice, activities.SendNoticeInput{Confirm: confirm, Notice: notice}).Get(sctx, &sent); err != nil {
		st.Status = takedown.StatusFailed
		if rerr := record(takedown.Transition{
			EventKey: "failed", Kind: "notice_failed", Status: takedown.StatusFailed, Closed: true,
			Detail: map[string]any{"error": errorSummary(err)},
		}); rerr != nil {
			return Result{}, rerr
		}
		return Result{Status: st.Status}, nil
	}
	st.Status = takedown.StatusNoticeSent
	if sent.Submission.AwaitingPortal {
		st.Status = takedown.StatusAwaitingPortal
	}
	st.Deadline = workflow.Now(ctx).Add(in.Policy.Deadline)

	// 2. Probe until the content is gone, racing the deadline.
	pctx := workflow.WithActivityOptions(ctx, probeOptions(in.Content.Platform, in.Policy))
	probe := workflow.ExecuteActivity(pctx, a.Probe, activities.ProbeInput{Content: in.Content, UntilGone: true})
	tctx, cancelTimer := workflow.WithCancel(ctx)
	deadline := workflow.NewTimerWithOptions(tctx, in.Policy.Deadline, workflow.TimerOptions{Summary: "removal deadline"})

	var result platforms.ProbeResult
	var probeErr error
	done := false
	for !done {
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(probe, func(f workflow.Future) {
			probeErr = f.Get(ctx, &result)
			var te *temporal.TimeoutError
			if errors.As(probeErr, &te) {
				// One probe activity covers a probing window; when it ends
				// without an answer, probing goes on with a fresh one.
				probe = workflow.ExecuteActivity(pctx, a.Probe, activities.ProbeInput{Content: in.Content, UntilGone: true})
				return
			}
			done = true
		})
		if !st.Overdue {
			sel.AddFuture(deadline, func(f workflow.Future) {
				if f.Get(ctx, nil) == nil {
					st.Overdue = true
				}
			})
		}
		sel.Select(ctx)
		if st.Overdue && !done {
			// Escalation hangs off this point; for now the deadline is
			// recorded so supervisors see the takedown as overdue.
			if err := record(takedown.Transition{EventKey: "deadline:1", Kind: "deadline_passed",
				Detail: map[string]any{"deadline": st.Deadline}}); err != nil {
				return Result{}, err
			}
		}
	}
	cancelTimer()
	if probeErr != nil {
		return Result{}, fmt.Errorf("probe %s: %w", in.Content.Platform, probeErr)
	}

	// 3. Record the outcome.
	status := takedown.StatusRemoved
	kind := "removed"
	t := takedown.Transition{EventKey: "outcome", Closed: true,
		Detail: map[string]any{"reason": result.Reason, "checked_at": result.CheckedAt}}
	if result.State == platforms.StateWithheld {
		status, kind = takedown.StatusWithheld, "withheld"
		t.Detail["countries"] = result.Countries
	} else {
		at := result.CheckedAt
		t.RemovedAt = &at
	}
	t.Status, t.Kind = status, kind
	t.Detail["within_deadline"] = !st.Overdue
	if err := record(t); err != nil {
		return Result{}, err
	}
	st.Status = status
	return Result{Status: status, Submission: sent.Submission, Probe: result}, nil
}

func bookkeepingOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 30 * time.Second,
		// PostgreSQL may be down for a while; the takedown waits for it.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
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
		},
	}
}

// probeWindow is how long one probe activity keeps retrying.
const probeWindow = 7 * 24 * time.Hour

func probeOptions(p platforms.Platform, pol Policy) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           ProbeQueue(p),
		StartToCloseTimeout: time.Minute,
		// Retries are the polling schedule and add no history events; the
		// window bounds one activity, after which the workflow starts another.
		ScheduleToCloseTimeout: probeWindow,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    pol.ProbeInitial,
			BackoffCoefficient: pol.ProbeBackoff,
			MaximumInterval:    pol.ProbeMax,
			MaximumAttempts:    math.MaxInt32, // bounded by the window, not by a count
		},
	}
}

// errorSummary keeps what is recorded short and free of wrapped internals.
func errorSummary(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type() + ": " + ae.Message()
	}
	return err.Error()
}
