// Package workflows holds the durable logic of a takedown: what happens in
// which order, how long to wait, who may decide what, and what to record. It
// contains no I/O: every side effect is an activity, so the engine can replay
// a takedown's history against this code and reach the same decisions.
package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// TaskQueue is where takedown workflows and their bookkeeping activities run.
const TaskQueue = "takedown"

// SendQueue is the task queue for one platform's outbound notices. Each has
// its own queue so that a platform's global rate limit is enforced by the
// engine across every worker (TaskQueueActivitiesPerSecond).
func SendQueue(p platforms.Platform) string { return "takedown-send-" + string(p) }

// ProbeQueue is the task queue for one platform's status probes, kept apart
// from sends so probing never eats the sending budget.
func ProbeQueue(p platforms.Platform) string { return "takedown-probe-" + string(p) }

// Escalation levels.
const (
	LevelNotice   = 0
	LevelReminder = 1
	LevelPriority = 2
	LevelApproval = 3
	LevelBlocking = 4
)

// continueAfter bounds one run's history well under the engine's limits even
// if the engine never suggests continuing as new.
const continueAfter = 1500

// Takedown follows one confirmed item until its content is confirmed gone,
// geo-restricted, blocked by domestic ISPs, refused for good or withdrawn.
func Takedown(ctx workflow.Context, in Input) (Result, error) {
	r := &run{in: in, st: State{Status: takedown.StatusPending}}
	if in.Resume != nil {
		r.st = *in.Resume
		r.in.Resume = nil
	}
	if err := r.register(ctx); err != nil {
		return Result{}, err
	}
	if in.Resume == nil {
		if err := r.sendNotice(ctx, platforms.KindNotice, false, ""); err != nil {
			return r.failed(ctx, err)
		}
	} else {
		r.arm(ctx)
	}
	if r.st.Level < LevelBlocking {
		r.startProbe(ctx)
	} else {
		r.startBlockedCheck(ctx)
	}
	return r.loop(ctx)
}

type run struct {
	in   Input
	st   State
	acts *activities.Activities // nil: only its methods' names are used

	pending []*action
	wake    workflow.Channel

	timer       workflow.Future
	cancelTimer workflow.CancelFunc
	timerFor    int // the level whose rung the timer ends

	probe       workflow.Future
	cancelProbe workflow.CancelFunc
	probeResult platforms.ProbeResult

	blocked     workflow.Future
	cancelBlock workflow.CancelFunc

	result *Result
	err    error
	then   func() error
}

// action is a validated human decision waiting for the main loop. The
// update that brought it returns once done is set, so the caller sees the
// decision's effect (and its projection) when the API answers.
type action struct {
	reply     *Reply
	decision  *EscalationDecision
	extension *Extension
	withdraw  *Withdrawal
	info      *Information

	done bool
	err  error
}

func (r *run) loop(ctx workflow.Context) (Result, error) {
	for r.result == nil {
		sel := workflow.NewSelector(ctx)
		if r.probe != nil {
			sel.AddFuture(r.probe, func(f workflow.Future) { r.onProbe(ctx, f) })
		}
		if r.blocked != nil {
			sel.AddFuture(r.blocked, func(f workflow.Future) { r.onBlocked(ctx, f) })
		}
		if r.timer != nil {
			sel.AddFuture(r.timer, func(f workflow.Future) { r.onTimer(ctx, f) })
		}
		sel.AddReceive(r.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		for len(r.pending) > 0 && r.result == nil {
			a := r.pending[0]
			r.pending = r.pending[1:]
			err := r.handle(ctx, *a)
			a.done, a.err = true, err
			if err != nil {
				return Result{}, err
			}
			// Work that follows a decision but need not hold up the person
			// who made it (sending a blocking order may wait on the ISPs).
			if then := r.then; then != nil {
				r.then = nil
				if err := then(); err != nil {
					return Result{}, err
				}
			}
		}
		if r.result == nil && len(r.pending) == 0 {
			info := workflow.GetInfo(ctx)
			if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > continueAfter {
				return r.continueAsNew(ctx)
			}
		}
	}
	if r.err != nil {
		return Result{}, r.err
	}
	return *r.result, nil
}

func (r *run) timerForResume() int { return r.st.Level }

func (r *run) continueAsNew(ctx workflow.Context) (Result, error) {
	// Decisions accepted but not yet acted on must not be lost.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return Result{}, err
	}
	r.stopTimer()
	r.stopProbe()
	if r.cancelBlock != nil {
		r.cancelBlock()
	}
	next := r.in
	st := r.st
	next.Resume = &st
	return Result{}, workflow.NewContinueAsNewError(ctx, Takedown, next)
}

// --- sending ---------------------------------------------------------------

func (r *run) sendNotice(ctx workflow.Context, kind platforms.NoticeKind, priority bool, information string) error {
	r.st.Attempt++
	n := platforms.Notice{
		Key:         activities.NoticeKey(r.in.TakedownID, r.in.Content.Platform, r.st.Attempt),
		Content:     r.in.Content,
		Category:    r.in.Category,
		LegalGround: r.in.LegalGround,
		Reference:   r.in.Reference,
		Language:    r.in.Language,
		Note:        r.in.Note,
		Attempt:     r.st.Attempt,
		Priority:    priority,
		Kind:        kind,
		Information: information,
	}
	confirm := takedown.Confirm{
		ItemID: r.in.ItemID, TakedownID: r.in.TakedownID,
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, ConfirmedBy: r.in.ConfirmedBy,
	}
	in := activities.SendNoticeInput{Confirm: confirm, Notice: n}
	if kind == platforms.KindNotice {
		// The removal deadline runs from the notice the platform can act on.
		in.DeadlineAfter = r.in.Policy.Deadline
	}
	sctx := workflow.WithActivityOptions(ctx, sendOptions(r.in.Content.Platform))
	var sent activities.SendNoticeResult
	if err := workflow.ExecuteActivity(sctx, r.acts.SendNotice, in).Get(sctx, &sent); err != nil {
		return err
	}
	now := workflow.Now(ctx)
	if r.st.FirstNotice.IsZero() {
		r.st.FirstNotice = now
	}
	if sent.Submission.AwaitingPortal {
		r.st.Status = takedown.StatusAwaitingPortal
		r.setRung(ctx, now.Add(r.in.Policy.PortalDeadline), r.st.Level)
		return nil
	}
	r.st.Status = takedown.StatusNoticeSent
	if kind == platforms.KindNotice {
		r.st.Deadline = sent.Deadline
		if r.st.Deadline.IsZero() {
			r.st.Deadline = now.Add(r.in.Policy.Deadline)
		}
		r.st.Overdue = false
		r.setRung(ctx, r.st.Deadline, LevelNotice)
		r.upsertSearch(ctx)
	}
	return nil
}

func (r *run) failed(ctx workflow.Context, err error) (Result, error) {
	r.st.Status = takedown.StatusFailed
	if rerr := r.record(ctx, takedown.Transition{Kind: "notice_failed", Status: takedown.StatusFailed, Closed: true,
		Detail: map[string]any{"error": errorSummary(err)}}); rerr != nil {
		return Result{}, rerr
	}
	return Result{Status: takedown.StatusFailed}, nil
}

// --- the clock ---------------------------------------------------------------

// setRung arms the timer that ends the current rung of the ladder.
func (r *run) setRung(ctx workflow.Context, at time.Time, level int) {
	r.stopTimer()
	r.timerFor = level
	d := at.Sub(workflow.Now(ctx))
	if d < 0 {
		d = 0
	}
	tctx, cancel := workflow.WithCancel(ctx)
	r.cancelTimer = cancel
	r.timer = workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{Summary: rungSummary(level, r.st.Status)})
	r.st.Paused = 0
	r.st.NextAt = at
}

func (r *run) arm(ctx workflow.Context) {
	if r.st.Paused == 0 && !r.st.NextAt.IsZero() {
		r.setRung(ctx, r.st.NextAt, r.timerForResume())
	}
}

func (r *run) stopTimer() {
	if r.cancelTimer != nil {
		r.cancelTimer()
	}
	r.timer, r.cancelTimer = nil, nil
}

func rungSummary(level int, st takedown.Status) string {
	if st == takedown.StatusAwaitingPortal {
		return "portal filing deadline"
	}
	switch level {
	case LevelNotice:
		return "removal deadline"
	case LevelReminder:
		return "deadline after reminder"
	default:
		return "deadline after priority notice"
	}
}

func (r *run) onTimer(ctx workflow.Context, f workflow.Future) {
	r.timer, r.cancelTimer = nil, nil
	if err := f.Get(ctx, nil); err != nil {
		return // cancelled: the deadline moved
	}
	if err := r.climb(ctx); err != nil {
		r.fail(err)
	}
}

// climb takes the next rung of the escalation ladder.
func (r *run) climb(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	if r.st.Status == takedown.StatusAwaitingPortal {
		r.st.Overdue = true
		return r.record(ctx, takedown.Transition{Kind: "portal_overdue", Detail: map[string]any{"level": r.st.Level}})
	}
	r.st.Overdue, r.st.WasOverdue = true, true
	if r.st.Level == LevelNotice {
		r.upsertSearch(ctx)
	}
	switch r.st.Level {
	case LevelNotice:
		r.st.Level = LevelReminder
		if err := r.record(ctx, takedown.Transition{Kind: "deadline_passed", EscalationLevel: ptr(LevelReminder),
			Detail: map[string]any{"deadline": r.st.Deadline}}); err != nil {
			return err
		}
		if err := r.sendNotice(ctx, platforms.KindReminder, false, ""); err != nil {
			return r.recordSendFailure(ctx, err)
		}
		r.setRung(ctx, now.Add(r.in.Policy.ReminderDeadline), LevelReminder)
	case LevelReminder:
		r.st.Level = LevelPriority
		if err := r.record(ctx, takedown.Transition{Kind: "supervisor_alerted", EscalationLevel: ptr(LevelPriority),
			Detail: map[string]any{"reason": "no removal after the reminder"}}); err != nil {
			return err
		}
		if err := r.sendNotice(ctx, platforms.KindPriority, true, ""); err != nil {
			return r.recordSendFailure(ctx, err)
		}
		r.setRung(ctx, now.Add(r.in.Policy.PriorityDeadline), LevelPriority)
	case LevelPriority:
		r.st.Level = LevelApproval
		r.st.BlockingAsked = true
		r.st.Status = takedown.StatusAwaitingApproval
		return r.record(ctx, takedown.Transition{Kind: "blocking_approval_requested", Status: takedown.StatusAwaitingApproval,
			EscalationLevel: ptr(LevelApproval)})
	}
	return nil
}

// recordSendFailure keeps a takedown alive when a reminder cannot be sent:
// the ladder goes on, and the failure is on the record.
func (r *run) recordSendFailure(ctx workflow.Context, err error) error {
	return r.record(ctx, takedown.Transition{Kind: "notice_failed", Detail: map[string]any{"error": errorSummary(err), "attempt": r.st.Attempt}})
}

// --- probing -------------------------------------------------------------------

func (r *run) startProbe(ctx workflow.Context) {
	r.stopProbe()
	pctx, cancel := workflow.WithCancel(ctx)
	pctx = workflow.WithActivityOptions(pctx, probeOptions(r.in.Content.Platform, r.in.Policy))
	r.cancelProbe = cancel
	r.probe = workflow.ExecuteActivity(pctx, r.acts.Probe, activities.ProbeInput{
		Content:           r.in.Content,
		UntilGone:         true,
		WithheldIsPresent: r.in.Policy.EscalateWithheld,
		ConfirmGap:        r.in.Policy.ConfirmGap,
	})
}

func (r *run) stopProbe() {
	if r.cancelProbe != nil {
		r.cancelProbe()
	}
	r.probe, r.cancelProbe = nil, nil
}

func (r *run) onProbe(ctx workflow.Context, f workflow.Future) {
	r.probe, r.cancelProbe = nil, nil
	var res platforms.ProbeResult
	err := f.Get(ctx, &res)
	var ce *temporal.CanceledError
	switch {
	case errors.As(err, &ce):
		return
	case windowEnded(err):
		// One probe activity covers a window; probing goes on in a new one.
		r.startProbe(ctx)
		return
	case err != nil:
		r.fail(fmt.Errorf("probe %s: %w", r.in.Content.Platform, err))
		return
	}
	r.probeResult = res
	var oerr error
	if res.State == platforms.StateWithheld {
		oerr = r.finish(ctx, takedown.StatusWithheld, "withheld", res)
	} else {
		oerr = r.removed(ctx, res)
	}
	if oerr != nil {
		r.fail(oerr)
	}
}

// removed records confirmed removal, then, if the policy says so, waits and
// checks again: content that came back reopens the takedown.
func (r *run) removed(ctx workflow.Context, res platforms.ProbeResult) error {
	r.stopTimer()
	at := res.CheckedAt
	r.st.Status = takedown.StatusRemoved
	r.st.Overdue = false
	if err := r.record(ctx, takedown.Transition{Kind: "removed", Status: takedown.StatusRemoved, RemovedAt: &at, Closed: true,
		Detail: map[string]any{"reason": res.Reason, "within_deadline": !r.st.WasOverdue, "level": r.st.Level}}); err != nil {
		return err
	}
	if r.in.Policy.RecheckAfter <= 0 {
		r.result = &Result{Status: takedown.StatusRemoved, Probe: res}
		return nil
	}
	if err := workflow.NewTimerWithOptions(ctx, r.in.Policy.RecheckAfter,
		workflow.TimerOptions{Summary: "re-check after removal"}).Get(ctx, nil); err != nil {
		return err
	}
	r.st.Seq++
	pctx := workflow.WithActivityOptions(ctx, probeOptions(r.in.Content.Platform, r.in.Policy))
	var again platforms.ProbeResult
	err := workflow.ExecuteActivity(pctx, r.acts.Probe, activities.ProbeInput{
		Content: r.in.Content,
		Record: &takedown.Transition{TakedownID: r.in.TakedownID,
			EventKey: fmt.Sprintf("rechecked:%d", r.st.Seq), Kind: "rechecked"},
	}).Get(ctx, &again)
	if err != nil {
		return err
	}
	if again.State != platforms.StatePresent {
		r.result = &Result{Status: takedown.StatusRemoved, Probe: res}
		return nil
	}
	return r.reopen(ctx)
}

func (r *run) reopen(ctx workflow.Context) error {
	r.st.Reopened++
	r.st.Level = LevelNotice
	r.st.WasOverdue = false
	if err := r.record(ctx, takedown.Transition{Kind: "reappeared", Status: takedown.StatusNoticeSent, Reopened: true,
		EscalationLevel: ptr(LevelNotice), Detail: map[string]any{"reopened": r.st.Reopened}}); err != nil {
		return err
	}
	if err := r.sendNotice(ctx, platforms.KindNotice, false, ""); err != nil {
		return r.recordSendFailure(ctx, err)
	}
	r.startProbe(ctx)
	return nil
}

// --- blocking ------------------------------------------------------------------

func (r *run) orderBlocking(ctx workflow.Context, d EscalationDecision) error {
	r.stopTimer()
	r.stopProbe()
	r.st.Level = LevelBlocking
	r.st.Status = takedown.StatusBlocking
	sctx := workflow.WithActivityOptions(ctx, sendOptions(r.in.Content.Platform))
	sctx = workflow.WithTaskQueue(sctx, TaskQueue)
	err := workflow.ExecuteActivity(sctx, r.acts.SendBlockingOrder, activities.BlockingOrder{
		Key:        fmt.Sprintf("%s:blocking", r.in.TakedownID),
		TakedownID: r.in.TakedownID, Content: r.in.Content, Category: r.in.Category,
		Reference: r.in.Reference, ApprovedBy: d.Actor.ID, Reason: d.Reason,
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	r.startBlockedCheck(ctx)
	return nil
}

func (r *run) startBlockedCheck(ctx workflow.Context) {
	bctx, cancel := workflow.WithCancel(ctx)
	opts := probeOptions(r.in.Content.Platform, r.in.Policy)
	opts.TaskQueue = TaskQueue
	bctx = workflow.WithActivityOptions(bctx, opts)
	r.cancelBlock = cancel
	r.blocked = workflow.ExecuteActivity(bctx, r.acts.CheckBlocked, r.in.Content)
}

func (r *run) onBlocked(ctx workflow.Context, f workflow.Future) {
	r.blocked = nil
	err := f.Get(ctx, nil)
	if windowEnded(err) {
		r.startBlockedCheck(ctx)
		return
	}
	if err != nil {
		r.fail(err)
		return
	}
	if err := r.finish(ctx, takedown.StatusBlocked, "blocked", platforms.ProbeResult{}); err != nil {
		r.fail(err)
	}
}

// --- endings -------------------------------------------------------------------

func (r *run) finish(ctx workflow.Context, status takedown.Status, kind string, res platforms.ProbeResult) error {
	r.stopTimer()
	r.stopProbe()
	if r.cancelBlock != nil {
		r.cancelBlock()
	}
	r.st.Status = status
	detail := map[string]any{"within_deadline": !r.st.WasOverdue, "level": r.st.Level}
	if len(res.Countries) > 0 {
		detail["countries"] = res.Countries
	}
	if res.Reason != "" {
		detail["reason"] = res.Reason
	}
	if err := r.record(ctx, takedown.Transition{Kind: kind, Status: status, Closed: true, Detail: detail}); err != nil {
		return err
	}
	r.result = &Result{Status: status, Probe: res}
	return nil
}

// fail ends the run with an error the engine will surface; it is kept for
// failures of the system itself (never a platform's answer).
func (r *run) fail(err error) {
	r.result = &Result{}
	r.err = err
}

// --- bookkeeping -----------------------------------------------------------------

func (r *run) record(ctx workflow.Context, t takedown.Transition) error {
	r.st.Seq++
	t.TakedownID = r.in.TakedownID
	t.At = workflow.Now(ctx)
	t.EventKey = fmt.Sprintf("%s:%d", t.Kind, r.st.Seq)
	rctx := workflow.WithActivityOptions(ctx, bookkeepingOptions())
	if err := workflow.ExecuteActivity(rctx, r.acts.RecordEvent, t).Get(rctx, nil); err != nil {
		return err
	}
	if t.Status != "" || t.Deadline != nil {
		r.upsertSearch(ctx)
	}
	return nil
}

// upsertSearch keeps the Temporal UI's view of the takedown current: its
// stage and deadline. The product's own lists read PostgreSQL instead.
func (r *run) upsertSearch(ctx workflow.Context) {
	stage := string(r.st.Status)
	if r.st.Overdue {
		stage += "/overdue"
	}
	updates := []temporal.SearchAttributeUpdate{AttrStage.ValueSet(stage)}
	if !r.st.Deadline.IsZero() {
		updates = append(updates, AttrDeadline.ValueSet(r.st.Deadline))
	}
	// A failure here only affects what the Temporal UI shows.
	_ = workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

func ptr[T any](v T) *T { return &v }

// windowEnded reports whether a polling activity stopped because its window
// closed rather than because it failed: the engine then returns the last
// attempt's failure with a timeout retry state.
func windowEnded(err error) bool {
	if err == nil {
		return false
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return true
	}
	var ae *temporal.ActivityError
	if errors.As(err, &ae) {
		switch ae.RetryState() {
		case enumspb.RETRY_STATE_TIMEOUT, enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED:
			return true
		}
	}
	// The polling failures themselves only ever mean "not yet".
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		switch app.Type() {
		case activities.ErrStillPresent, activities.ErrUnconfirmed, activities.ErrNotYetBlocked:
			return true
		}
	}
	return false
}

// errorSummary keeps what is recorded short and free of wrapped internals.
func errorSummary(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type() + ": " + ae.Message()
	}
	return err.Error()
}
