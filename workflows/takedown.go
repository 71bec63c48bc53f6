// Package workflows holds the durable logic of a takedown: what happens in
// which order, how long to wait, who may decide what, and what to record. It
// contains no I/O: every side effect is an activity, so the engine can replay
// a takedown's history against this code and reach the same decisions.
//
// # Shape
//
// A takedown is one State value (state.go) and one loop (Takedown). Update
// handlers validate a human decision against the state, apply it to the
// state at once and queue what must follow — records, notices — without
// blocking, so two decisions in one workflow task see each other and the
// caller learns the outcome within that task. The loop owns every side
// effect: it writes queued records, starts what the state says should be in
// flight (the rung timer, the probe, a notice, a blocking order) and stops
// what it says should not, then waits for whichever answers first. No
// activity failure ends a run: each has a transition (see the on* methods),
// and a takedown that is not done always waits on something State.Waiting
// can name.
//
// # Versioning
//
// Changes to this package are replayed against the stored histories in
// testdata/ (one per branch, recorded from the real engine by
// `go test ./internal/e2e -update-histories`). A change that alters the
// commands a running takedown issues — an activity added, removed or
// reordered, a timer changed — is chosen by the run's Input.Revision: raise
// Revision, take the new branch when the run's revision is at least the new
// one, and keep the old branch until no run that started before the change
// remains open (takedowns run for weeks: the compliance report lists them).
// A run keeps its revision until it continues as new. The revision is in
// the run's input, so choosing by it costs nothing; workflow.GetVersion,
// which the changes before revisions used and runs of revision 0 still
// call, records a marker and upserts a search attribute in every run. The
// stored histories from before a change move to testdata/<change>/ so the
// old branch is still replayed. Changes to
// what a handler accepts, to queries, or to pure computation that does not
// change any command need no version. Worker Versioning was not chosen:
// it needs the deployment to route by build id, which a regulator's own
// cluster may not offer.
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
)

// TaskQueue is where takedown workflows and their bookkeeping activities run.
const TaskQueue = "takedown"

// SendQueue is the task queue of one platform's notices in runs before
// Revision 2, which paced a platform by the engine's rate limit on a queue
// of its own (TaskQueueActivitiesPerSecond). Later runs send from TaskQueue
// and the activities keep the rate (quota.Pacer); the workers serve these
// queues until no run of Revision 1 or earlier is open.
func SendQueue(p takedown.Platform) string { return "takedown-send-" + string(p) }

// ProbeQueue is, like SendQueue, one platform's probes in runs before
// Revision 2.
func ProbeQueue(p takedown.Platform) string { return "takedown-probe-" + string(p) }

// continueAfter bounds one run's history well under the engine's limits even
// if the engine never suggests continuing as new.
const continueAfter = 1500

// flushRetry is how long the loop waits before writing the projection again
// once the bookkeeping activity gave up (the database stayed down).
const flushRetry = 5 * time.Minute

// versionLocalRecords names the change that writes records through local
// activities (see the package doc on versioning). Runs of Revision 1 and
// later write them so without asking.
const versionLocalRecords = "local-records"

// Revision is the revision new runs start under (Input.Revision).
//
//	1: records are written by local activities, without a version marker;
//	   the stage search attribute stays StageOnTrack, with no upsert, while
//	   the takedown is on its happy path.
//	2: sends and probes run on TaskQueue, the workflow's own queue, so the
//	   engine hands them to the worker with the workflow task that
//	   scheduled them (eager activity dispatch) instead of through a
//	   platform's queue; a platform's rate is kept by the activities.
const Revision = 2

// recordEventActivity is RecordEvent's registered name; a local activity
// is called by name so that the worker's registered instance runs it.
const recordEventActivity = "RecordEvent"

// Takedown follows one confirmed item until its content is confirmed gone,
// geo-restricted, blocked by domestic ISPs, refused for good or withdrawn.
func Takedown(ctx workflow.Context, in Input) (Result, error) {
	r := &run{in: in}
	if in.Resume != nil {
		r.st = *in.Resume
		r.in.Resume = nil
	} else {
		r.st = State{Status: takedown.StatusPending}
		r.queueSend(takedown.KindNotice, false, "")
	}
	if err := r.register(ctx); err != nil {
		return Result{}, err
	}
	return r.loop(ctx)
}

type run struct {
	in   Input
	st   State
	acts *activities.Activities // nil: only its methods' names are used

	outbox []takedown.Transition
	result Result
	wake   workflow.Channel

	// What is in flight, as started by reconcile. Each timer remembers the
	// generation of the clock it was armed for.
	rung, recheckT, probeRetryT, portalT, flushT timer
	probe, recheck, blockCheck                   flight
	send, order                                  flight
}

type timer struct {
	f      workflow.Future
	cancel workflow.CancelFunc
	gen    int
}

type flight struct {
	f      workflow.Future
	cancel workflow.CancelFunc
}

func (t *timer) stop() {
	if t.cancel != nil {
		t.cancel()
	}
	*t = timer{}
}

func (f *flight) stop() {
	if f.cancel != nil {
		f.cancel()
	}
	*f = flight{}
}

func (r *run) loop(ctx workflow.Context) (Result, error) {
	for {
		r.flush(ctx)
		if r.st.Done && len(r.outbox) == 0 {
			// A decision that arrived with the one that ended the takedown
			// is answered (refused: closed) before the run completes.
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return Result{}, err
			}
			if len(r.outbox) == 0 {
				r.stopAll()
				return r.result, nil
			}
			continue
		}
		r.reconcile(ctx)
		if r.shouldContinueAsNew(ctx) {
			return r.continueAsNew(ctx)
		}
		sel := workflow.NewSelector(ctx)
		r.addTimer(ctx, sel, &r.rung, r.onRung)
		r.addTimer(ctx, sel, &r.portalT, r.onPortalDue)
		r.addTimer(ctx, sel, &r.recheckT, r.onRecheckDue)
		r.addTimer(ctx, sel, &r.probeRetryT, func(workflow.Context) { r.st.ProbeRetry.stop(); r.st.Probing = true })
		r.addTimer(ctx, sel, &r.flushT, func(workflow.Context) { r.st.FlushRetry.stop() })
		r.addFlight(ctx, sel, &r.probe, r.onProbe)
		r.addFlight(ctx, sel, &r.recheck, r.onRecheck)
		r.addFlight(ctx, sel, &r.blockCheck, r.onBlockCheck)
		r.addFlight(ctx, sel, &r.send, r.onSent)
		r.addFlight(ctx, sel, &r.order, r.onOrdered)
		// Handlers wake the loop so that what they queued is acted on.
		sel.AddReceive(r.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
	}
}

func (r *run) addTimer(ctx workflow.Context, sel workflow.Selector, t *timer, fire func(workflow.Context)) {
	if t.f == nil {
		return
	}
	armed := *t
	sel.AddFuture(t.f, func(f workflow.Future) {
		if t.f != armed.f {
			return // replaced meanwhile
		}
		*t = timer{}
		if f.Get(ctx, nil) != nil {
			return // cancelled
		}
		fire(ctx)
	})
}

func (r *run) addFlight(ctx workflow.Context, sel workflow.Selector, fl *flight, done func(workflow.Context, workflow.Future)) {
	if fl.f == nil {
		return
	}
	started := *fl
	sel.AddFuture(fl.f, func(f workflow.Future) {
		if fl.f != started.f {
			return
		}
		*fl = flight{}
		done(ctx, f)
	})
}

// reconcile starts what the state says should be in flight and stops what
// it says should not.
func (r *run) reconcile(ctx workflow.Context) {
	if r.st.Asked == RequestDecideRejection && !r.st.BlockingKnown {
		// A supervisor may answer a rejection with a blocking order.
		r.st.BlockingAvailable, r.st.BlockingKnown = r.blockingAvailable(ctx), true
	}
	r.arm(ctx, &r.rung, r.st.Rung, r.rungSummary())
	var due Clock
	if r.st.Portal != nil {
		due = r.st.Portal.Due
	}
	r.arm(ctx, &r.portalT, due, "portal filing deadline")
	r.arm(ctx, &r.recheckT, r.st.Recheck, "re-check after removal")
	r.arm(ctx, &r.probeRetryT, r.st.ProbeRetry, "probe again after a failure")
	r.arm(ctx, &r.flushT, r.st.FlushRetry, "write the record again")

	switch {
	case r.st.Probing && r.probe.f == nil:
		r.probe = r.startProbe(ctx)
	case !r.st.Probing && r.probe.f != nil:
		r.probe.stop()
	}
	switch {
	case r.st.Rechecking && r.recheck.f == nil:
		r.recheck = r.startRecheck(ctx)
	case !r.st.Rechecking && r.recheck.f != nil:
		r.recheck.stop()
	}
	ordered := r.st.Blocking == BlockingOrdered
	switch {
	case ordered && r.blockCheck.f == nil:
		r.blockCheck = r.startBlockCheck(ctx)
	case !ordered && r.blockCheck.f != nil:
		r.blockCheck.stop()
	}
	ordering := r.st.Blocking == BlockingOrdering
	switch {
	case ordering && r.order.f == nil:
		r.order = r.startOrder(ctx)
	case !ordering && r.order.f != nil:
		r.order.stop()
	}
	switch {
	case len(r.st.Sending) > 0 && r.send.f == nil:
		r.send = r.startSend(ctx, r.st.Sending[0])
	case len(r.st.Sending) == 0 && r.send.f != nil:
		r.send.stop()
	}
}

func (r *run) arm(ctx workflow.Context, t *timer, c Clock, summary string) {
	if !c.Running() {
		if t.f != nil {
			t.stop()
		}
		return
	}
	if t.f != nil && t.gen == c.Gen {
		return
	}
	t.stop()
	d := max(c.At.Sub(workflow.Now(ctx)), 0)
	tctx, cancel := workflow.WithCancel(ctx)
	*t = timer{f: workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{Summary: summary}), cancel: cancel, gen: c.Gen}
}

func (r *run) stopAll() {
	for _, t := range []*timer{&r.rung, &r.recheckT, &r.probeRetryT, &r.portalT, &r.flushT} {
		t.stop()
	}
	for _, f := range []*flight{&r.probe, &r.recheck, &r.blockCheck, &r.send, &r.order} {
		f.stop()
	}
}

func (r *run) rungSummary() string {
	switch {
	case r.st.Level == takedown.LevelNotice:
		return "removal deadline"
	case r.st.Level == takedown.LevelReminder:
		return "deadline after reminder"
	case r.st.Level == takedown.LevelPriority:
		return "deadline after priority notice"
	default:
		return "ask a supervisor again about blocking"
	}
}

// --- continue-as-new ----------------------------------------------------------

func (r *run) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	limit := continueAfter
	if n := r.in.Policy.MaxEventsPerRun; n > 0 {
		limit = n
	}
	if !info.GetContinueAsNewSuggested() && info.GetCurrentHistoryLength() <= limit {
		return false
	}
	// A notice or blocking order in flight must finish in this run: it
	// cannot be restarted without risking a second send.
	return len(r.outbox) == 0 && r.send.f == nil && r.order.f == nil
}

func (r *run) continueAsNew(ctx workflow.Context) (Result, error) {
	// Handlers never block, but the rule holds: nothing accepted is lost.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return Result{}, err
	}
	r.stopAll()
	next := r.in
	st := r.st
	next.Resume = &st
	// The new run is started by this code, and takes its revision.
	next.Revision = Revision
	return Result{}, workflow.NewContinueAsNewError(ctx, Takedown, next)
}

// --- sending -------------------------------------------------------------------

// queueSend decides a notice; the loop sends the queue in order, one at a
// time, so a takedown never has two notices in flight.
func (r *run) queueSend(kind takedown.NoticeKind, priority bool, information string) {
	r.st.Attempt++
	r.st.Sending = append(r.st.Sending, Send{Attempt: r.st.Attempt, Kind: kind, Priority: priority, Information: information})
}

func (r *run) startSend(ctx workflow.Context, s Send) flight {
	n := takedown.Notice{
		Key:         activities.NoticeKey(r.in.TakedownID, r.in.Content.Platform, s.Attempt),
		Content:     r.in.Content,
		Category:    r.in.Category,
		LegalGround: r.in.LegalGround,
		Reference:   r.in.Reference,
		Language:    r.in.Language,
		Note:        r.in.Note,
		Attempt:     s.Attempt,
		Priority:    s.Priority,
		Kind:        s.Kind,
		Information: s.Information,
	}
	if s.Kind != takedown.KindNotice {
		// Later notices point at the first, so the platform can find it.
		n.FirstReference, n.FirstSentAt = r.st.FirstReference, r.st.FirstNotice
	}
	in := activities.SendNoticeInput{Confirm: r.confirm(ctx), Notice: n}
	if s.Kind == takedown.KindNotice && r.st.Status == takedown.StatusPending {
		// The removal deadline runs from the moment the notice left, which
		// only the activity knows; it projects it, unless a decision taken
		// while the notice waited moved the takedown on.
		in.DeadlineAfter = r.in.Policy.Deadline
		in.IfStatus = takedown.StatusPending
	}
	sctx, cancel := workflow.WithCancel(ctx)
	sctx = workflow.WithActivityOptions(sctx, sendOptions(r.in.Content.Platform, r.in.Revision))
	return flight{f: workflow.ExecuteActivity(sctx, r.acts.SendNotice, in), cancel: cancel}
}

func (r *run) confirm(ctx workflow.Context) takedown.Confirm {
	return takedown.Confirm{
		ItemID: r.in.ItemID, TakedownID: r.in.TakedownID,
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, ConfirmedBy: r.in.ConfirmedBy,
	}
}

// onSent takes the answer to the notice in flight.
func (r *run) onSent(ctx workflow.Context, f workflow.Future) {
	if len(r.st.Sending) == 0 || r.st.Done {
		return // withdrawn or ended meanwhile; the activity recorded what it did
	}
	s := r.st.Sending[0]
	r.st.Sending = r.st.Sending[1:]
	var sent activities.SendNoticeResult
	err := f.Get(ctx, &sent)
	now := workflow.Now(ctx)
	first := s.Kind == takedown.KindNotice && r.st.Status == takedown.StatusPending
	if err != nil {
		r.sendFailed(ctx, s, err, first)
		return
	}
	if r.st.FirstNotice.IsZero() {
		r.st.FirstNotice = now
		r.st.FirstReference = sent.Submission.Reference
	}
	if sent.Submission.AwaitingPortal {
		r.st.Portal = &PortalTask{Attempt: s.Attempt, Kind: s.Kind}
		r.st.Portal.Due.start(now.Add(r.in.Policy.PortalDeadline))
		if first {
			// The activity projected the status; the ladder starts once
			// staff have filed the notice.
			r.st.Status = takedown.StatusAwaitingPortal
			r.st.Probing = true
			r.upsertSearch(ctx)
		}
		return
	}
	if first {
		deadline := sent.Deadline
		if deadline.IsZero() {
			deadline = now.Add(r.in.Policy.Deadline)
		}
		r.st.Status = takedown.StatusNoticeSent
		r.startLadder(deadline)
		r.upsertSearch(ctx)
	}
}

// startLadder starts the removal deadline and the first rung with it.
func (r *run) startLadder(deadline time.Time) {
	r.st.Level = takedown.LevelNotice
	r.st.Deadline.start(deadline)
	r.st.Rung.start(deadline)
	r.st.Overdue = false
	r.st.Probing = true
}

// sendFailed: a first notice that cannot be sent ends the takedown (nothing
// reached the platform, nothing can be measured); any later one is on the
// record, a supervisor is told, and the ladder goes on.
func (r *run) sendFailed(ctx workflow.Context, s Send, err error, first bool) {
	summary := errorSummary(err)
	r.st.LastFailure = summary
	detail := map[string]any{"error": summary, "attempt": s.Attempt, "notice_kind": string(s.Kind)}
	if first && r.st.FirstNotice.IsZero() {
		r.finish(ctx, takedown.Transition{Kind: takedown.EventNoticeFailed, Status: takedown.StatusFailed, Detail: detail})
		return
	}
	r.emit(ctx, takedown.Transition{Kind: takedown.EventNoticeFailed, Detail: detail})
	r.emit(ctx, takedown.Transition{Kind: takedown.EventSupervisorAlerted, Detail: map[string]any{
		"reason": "a notice could not be sent", "attempt": s.Attempt, "notice_kind": string(s.Kind)}})
	if first {
		// Content came back and the new notice failed: the ladder starts
		// again all the same, and its rungs try other channels.
		now := workflow.Now(ctx)
		r.st.Status = takedown.StatusNoticeSent
		r.startLadder(now.Add(r.in.Policy.Deadline))
		d := r.st.Deadline.At
		r.emit(ctx, takedown.Transition{Kind: takedown.EventLadderStarted, Status: takedown.StatusNoticeSent, Deadline: &d,
			EscalationLevel: ptr(takedown.LevelNotice)})
	}
}

// --- the ladder ------------------------------------------------------------------

// onRung takes the next rung of the escalation ladder.
func (r *run) onRung(ctx workflow.Context) {
	now := workflow.Now(ctx)
	r.st.Rung.stop()
	switch r.st.Level {
	case takedown.LevelNotice:
		r.st.Level = takedown.LevelReminder
		r.st.Overdue, r.st.WasOverdue = true, true
		r.emit(ctx, takedown.Transition{Kind: takedown.EventDeadlinePassed, EscalationLevel: ptr(takedown.LevelReminder),
			Detail: map[string]any{"deadline": r.st.Deadline.At}})
		r.queueSend(takedown.KindReminder, false, "")
		r.st.Rung.start(now.Add(r.in.Policy.ReminderDeadline))
		r.upsertSearch(ctx)
	case takedown.LevelReminder:
		r.st.Level = takedown.LevelPriority
		r.emit(ctx, takedown.Transition{Kind: takedown.EventSupervisorAlerted, EscalationLevel: ptr(takedown.LevelPriority),
			Detail: map[string]any{"reason": "no removal after the reminder"}})
		r.queueSend(takedown.KindPriority, true, "")
		r.st.Rung.start(now.Add(r.in.Policy.PriorityDeadline))
	default: // the priority rung ended, or a refused order's wait
		r.askBlocking(ctx)
	}
}

// askBlocking opens the request for a supervisor's approval of an
// access-blocking order.
func (r *run) askBlocking(ctx workflow.Context) {
	again := r.st.Level >= takedown.LevelApproval
	r.st.Level = takedown.LevelApproval
	r.st.Status = takedown.StatusAwaitingApproval
	r.st.Asked = RequestApproveBlocking
	r.st.BlockingAvailable, r.st.BlockingKnown = r.blockingAvailable(ctx), true
	detail := map[string]any{"isp_channel": r.st.BlockingAvailable}
	if again {
		detail["asked_again"] = true
	}
	r.emit(ctx, takedown.Transition{Kind: takedown.EventBlockingApprovalRequested, Status: takedown.StatusAwaitingApproval,
		EscalationLevel: ptr(takedown.LevelApproval), Detail: detail})
	r.upsertSearch(ctx)
}

// blockingAvailable asks the worker whether it has an ISP channel, so that
// a supervisor's approval can be refused at once when none is configured.
func (r *run) blockingAvailable(ctx workflow.Context) bool {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var ok bool
	// By name: the worker's registered instance knows its configuration.
	if err := workflow.ExecuteLocalActivity(lctx, "BlockingConfigured").Get(lctx, &ok); err != nil {
		return false
	}
	return ok
}

func (r *run) onPortalDue(ctx workflow.Context) {
	p := r.st.Portal
	if p == nil {
		return
	}
	p.Due.stop()
	p.Overdue = true
	t := takedown.Transition{Kind: takedown.EventPortalOverdue, Detail: map[string]any{"attempt": p.Attempt, "notice_kind": string(p.Kind)}}
	if r.st.Status == takedown.StatusAwaitingPortal {
		// Nothing was filed yet: the takedown is late, and the overdue
		// list shows it from the filing deadline.
		r.st.Overdue = true
		at := workflow.Now(ctx)
		t.Deadline = &at
	}
	r.emit(ctx, t)
}

// --- probing ---------------------------------------------------------------------

func (r *run) startProbe(ctx workflow.Context) flight {
	if r.st.ProbeSince.IsZero() {
		r.st.ProbeSince = workflow.Now(ctx)
	}
	pctx, cancel := workflow.WithCancel(ctx)
	pctx = workflow.WithActivityOptions(pctx, probeOptions(r.in.Content.Platform, r.in.Policy, r.in.Revision))
	return flight{f: workflow.ExecuteActivity(pctx, r.acts.Probe, activities.ProbeInput{
		Content:           r.in.Content,
		UntilGone:         true,
		WithheldIsPresent: r.in.Policy.EscalateWithheld,
		ConfirmGap:        r.in.Policy.ConfirmGap,
		Schedule:          r.in.Policy.ProbeSchedule,
		Since:             r.st.ProbeSince,
	}), cancel: cancel}
}

func (r *run) onProbe(ctx workflow.Context, f workflow.Future) {
	if !r.st.Probing || r.st.Done {
		return
	}
	var res takedown.ProbeResult
	err := f.Get(ctx, &res)
	var ce *temporal.CanceledError
	switch {
	case errors.As(err, &ce), windowEnded(err):
		// One probe activity covers a window; probing goes on in a new one.
		return
	case err != nil:
		r.probeFailed(ctx, err)
		return
	}
	if res.State == takedown.ProbeWithheld {
		r.finishProbe(ctx, takedown.StatusWithheld, takedown.EventWithheld, res)
		return
	}
	r.removed(ctx, res)
}

// probeFailed: a probe that failed for good (not a platform saying "still
// there") is on the record and starts again later.
func (r *run) probeFailed(ctx workflow.Context, err error) {
	r.st.Probing = false
	r.st.LastFailure = errorSummary(err)
	r.st.ProbeRetry.start(workflow.Now(ctx).Add(max(r.in.Policy.ProbeMax, time.Minute)))
	r.emit(ctx, takedown.Transition{Kind: takedown.EventProbeFailed, Detail: map[string]any{"error": r.st.LastFailure}})
}

// removed records confirmed removal; then, if the policy says so, a later
// re-check looks again and reopens the takedown if the content came back.
func (r *run) removed(ctx workflow.Context, res takedown.ProbeResult) {
	at := res.CheckedAt
	t := takedown.Transition{Kind: takedown.EventRemoved, Status: takedown.StatusRemoved, RemovedAt: &at, Closed: true,
		Detail: map[string]any{"reason": res.Reason, "within_deadline": !r.st.WasOverdue, "level": int(r.st.Level)}}
	if r.in.Policy.RecheckAfter <= 0 {
		r.result.Probe = res
		r.finish(ctx, t)
		return
	}
	r.close(takedown.StatusRemoved)
	r.result.Probe = res
	r.emit(ctx, t)
	r.st.Sightings = 0
	r.st.Recheck.start(workflow.Now(ctx).Add(r.in.Policy.RecheckAfter))
	r.upsertSearch(ctx)
}

func (r *run) onRecheckDue(ctx workflow.Context) {
	r.st.Recheck.stop()
	r.st.Rechecking = true
}

func (r *run) startRecheck(ctx workflow.Context) flight {
	r.st.Seq++
	pctx, cancel := workflow.WithCancel(ctx)
	pctx = workflow.WithActivityOptions(pctx, probeOptions(r.in.Content.Platform, r.in.Policy, r.in.Revision))
	return flight{f: workflow.ExecuteActivity(pctx, r.acts.Probe, activities.ProbeInput{
		Content: r.in.Content,
		Record: &takedown.Transition{TakedownID: r.in.TakedownID,
			EventKey: fmt.Sprintf("rechecked:%d", r.st.Seq), Kind: takedown.EventRechecked},
		Schedule: r.in.Policy.ProbeSchedule,
	}), cancel: cancel}
}

// onRecheck: content seen back twice, a confirmation gap apart, reopens the
// takedown — the same proof removal needs.
func (r *run) onRecheck(ctx workflow.Context, f workflow.Future) {
	if !r.st.Rechecking {
		return
	}
	r.st.Rechecking = false
	var res takedown.ProbeResult
	err := f.Get(ctx, &res)
	now := workflow.Now(ctx)
	switch {
	case err != nil:
		r.st.LastFailure = errorSummary(err)
		r.st.Recheck.start(now.Add(max(r.in.Policy.ProbeMax, time.Minute)))
	case res.State != takedown.ProbePresent:
		r.result = Result{Status: takedown.StatusRemoved, Probe: r.result.Probe}
		r.st.Done = true
	case r.st.Sightings == 0:
		r.st.Sightings = 1
		r.st.Recheck.start(now.Add(r.in.Policy.ConfirmGap))
	default:
		r.reopen(ctx)
	}
}

func (r *run) reopen(ctx workflow.Context) {
	r.st.Reopened++
	r.st.ProbeSince = time.Time{} // the notice sent again starts the dense probes again
	r.st.Sightings = 0
	r.st.Level = takedown.LevelNotice
	r.st.Status = takedown.StatusPending
	r.st.Overdue, r.st.WasOverdue = false, false
	r.emit(ctx, takedown.Transition{Kind: takedown.EventReappeared, Status: takedown.StatusPending, Reopened: true,
		EscalationLevel: ptr(takedown.LevelNotice), Detail: map[string]any{"reopened": r.st.Reopened}})
	r.queueSend(takedown.KindNotice, false, "")
	r.upsertSearch(ctx)
}

// --- blocking ----------------------------------------------------------------------

func (r *run) startOrder(ctx workflow.Context) flight {
	octx, cancel := workflow.WithCancel(ctx)
	octx = workflow.WithActivityOptions(octx, blockingOrderOptions(r.in.Content.Platform, r.in.Revision))
	return flight{f: workflow.ExecuteActivity(octx, r.acts.SendBlockingOrder, activities.BlockingOrder{
		Key:        fmt.Sprintf("%s:blocking:%d", r.in.TakedownID, r.st.Orders),
		TakedownID: r.in.TakedownID, Content: r.in.Content, Category: r.in.Category,
		Reference: r.in.Reference, ApprovedBy: r.st.ApprovedBy, Reason: r.st.ApprovalReason,
	}), cancel: cancel}
}

// onOrdered: a sent order is followed until the ISPs block; one that
// failed goes back to the supervisor with the reason.
func (r *run) onOrdered(ctx workflow.Context, f workflow.Future) {
	if r.st.Blocking != BlockingOrdering || r.st.Done {
		return
	}
	err := f.Get(ctx, nil)
	if err == nil {
		r.st.Blocking = BlockingOrdered
		return
	}
	r.st.Blocking = BlockingNone
	r.st.LastFailure = errorSummary(err)
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == "not_configured" {
		r.st.BlockingAvailable = false
	}
	r.st.Level = takedown.LevelApproval
	r.st.Status = takedown.StatusAwaitingApproval
	r.st.Asked = RequestApproveBlocking
	r.emit(ctx, takedown.Transition{Kind: takedown.EventBlockingOrderFailed, Status: takedown.StatusAwaitingApproval,
		EscalationLevel: ptr(takedown.LevelApproval), Detail: map[string]any{"error": r.st.LastFailure}})
	r.upsertSearch(ctx)
}

func (r *run) startBlockCheck(ctx workflow.Context) flight {
	bctx, cancel := workflow.WithCancel(ctx)
	bctx = workflow.WithActivityOptions(bctx, blockedCheckOptions(r.in.Content.Platform, r.in.Policy, r.in.Revision))
	return flight{f: workflow.ExecuteActivity(bctx, r.acts.CheckBlocked, r.in.Content), cancel: cancel}
}

func (r *run) onBlockCheck(ctx workflow.Context, f workflow.Future) {
	if r.st.Blocking != BlockingOrdered || r.st.Done {
		return
	}
	err := f.Get(ctx, nil)
	var ce *temporal.CanceledError
	switch {
	case errors.As(err, &ce), windowEnded(err):
		return // checked again in a new window
	case err != nil:
		// The domestic probe keeps failing: look again later, on the record.
		r.st.LastFailure = errorSummary(err)
		r.emit(ctx, takedown.Transition{Kind: takedown.EventBlockingCheckFailed, Detail: map[string]any{"error": r.st.LastFailure}})
		r.st.Blocking = BlockingNone
		r.st.Asked = RequestApproveBlocking
		r.st.Status = takedown.StatusAwaitingApproval
		r.st.Level = takedown.LevelApproval
		r.emit(ctx, takedown.Transition{Kind: takedown.EventBlockingApprovalRequested, Status: takedown.StatusAwaitingApproval,
			EscalationLevel: ptr(takedown.LevelApproval), Detail: map[string]any{"reason": "the blocking check failed"}})
		return
	}
	r.finishProbe(ctx, takedown.StatusBlocked, takedown.EventBlocked, takedown.ProbeResult{})
}

// --- endings -------------------------------------------------------------------------

// close stops every clock and request: the takedown has an outcome.
func (r *run) close(status takedown.Status) {
	r.st.Status = status
	r.st.Rung.stop()
	r.st.Deadline.stop()
	r.st.ProbeRetry.stop()
	r.st.Recheck.stop()
	r.st.Asked = RequestNone
	r.st.Portal = nil
	r.st.Sending = nil
	r.st.Probing, r.st.Rechecking = false, false
	r.st.Blocking = BlockingNone
	r.st.Overdue = false
}

// finish ends the takedown with t, its closing record.
func (r *run) finish(ctx workflow.Context, t takedown.Transition) {
	r.close(t.Status)
	t.Closed = true
	r.emit(ctx, t)
	r.result.Status = t.Status
	r.st.Done = true
	r.upsertSearch(ctx)
}

func (r *run) finishProbe(ctx workflow.Context, status takedown.Status, kind takedown.EventKind, res takedown.ProbeResult) {
	detail := map[string]any{"within_deadline": !r.st.WasOverdue, "level": int(r.st.Level)}
	if len(res.Countries) > 0 {
		detail["countries"] = res.Countries
	}
	if res.Reason != "" {
		detail["reason"] = res.Reason
	}
	r.result.Probe = res
	r.finish(ctx, takedown.Transition{Kind: kind, Status: status, Detail: detail})
}

// --- bookkeeping ---------------------------------------------------------------------

// emit queues a record of one step, stamped with the time it happened;
// the loop writes records in order, perhaps later (the database may be
// down).
func (r *run) emit(ctx workflow.Context, t takedown.Transition) {
	r.st.Seq++
	if t.At.IsZero() {
		t.At = workflow.Now(ctx)
	}
	t.TakedownID = r.in.TakedownID
	t.EventKey = fmt.Sprintf("%s:%d", t.Kind, r.st.Seq)
	r.outbox = append(r.outbox, t)
}

// flush writes the queued records. A record the database refuses for good
// (a bug, not an outage) is counted and skipped so the takedown goes on; an
// outage longer than the activity's budget is waited out on a clock.
func (r *run) flush(ctx workflow.Context) {
	if r.st.FlushRetry.Running() {
		return
	}
	if len(r.outbox) == 0 {
		return
	}
	// Records are written by local activities: in the workflow task that
	// emitted them, one marker each, with no trip through the engine's
	// matching. Runs recorded before that wrote them as activities.
	local := r.in.Revision >= 1 || workflow.GetVersion(ctx, versionLocalRecords, workflow.DefaultVersion, 1) == 1
	rctx := workflow.WithActivityOptions(ctx, bookkeepingOptions())
	lctx := workflow.WithLocalActivityOptions(ctx, localBookkeepingOptions())
	for len(r.outbox) > 0 {
		t := r.outbox[0]
		var err error
		if local {
			err = workflow.ExecuteLocalActivity(lctx, recordEventActivity, t).Get(lctx, nil)
		} else {
			err = workflow.ExecuteActivity(rctx, r.acts.RecordEvent, t).Get(rctx, nil)
		}
		var app *temporal.ApplicationError
		switch {
		case err == nil:
		case errors.As(err, &app) && app.NonRetryable():
			r.st.ProjectionErrors++
			workflow.GetLogger(ctx).Error("projection refused a record", "kind", t.Kind, "error", errorSummary(err))
		default:
			r.st.FlushRetry.start(workflow.Now(ctx).Add(flushRetry))
			return
		}
		r.outbox = r.outbox[1:]
	}
}

// upsertSearch keeps the Temporal UI's view of the takedown current when
// its stage changes. The product's own lists read PostgreSQL instead.
func (r *run) upsertSearch(ctx workflow.Context) {
	stage := string(r.st.Status)
	if r.st.Overdue {
		stage += "/overdue"
	}
	if r.in.Revision >= 1 {
		if r.st.Stage == "" {
			r.st.Stage = StageOnTrack // as the run was started
		}
		if r.st.Stage == StageOnTrack && r.onTrack() {
			// Nothing a person browsing the engine filters for: each
			// upsert is a visibility write, and the happy path needs none.
			return
		}
	}
	if stage == r.st.Stage {
		return
	}
	r.st.Stage = stage
	updates := []temporal.SearchAttributeUpdate{AttrStage.ValueSet(stage)}
	if !r.st.Deadline.At.IsZero() {
		updates = append(updates, AttrDeadline.ValueSet(r.st.Deadline.At))
	}
	// A failure here only affects what the Temporal UI shows.
	_ = workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

// onTrack: confirmed, the notice going or gone out, never past a deadline,
// no person asked for anything; or removed from there.
func (r *run) onTrack() bool {
	if r.st.WasOverdue || r.st.Reopened > 0 || r.st.Level != takedown.LevelNotice {
		return false
	}
	switch r.st.Status {
	case takedown.StatusPending, takedown.StatusNoticeSent, takedown.StatusRemoved:
		return true
	}
	return false
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
		case activities.ErrStillPresent, activities.ErrUnconfirmed, activities.ErrNotYetBlocked,
			activities.ErrWaitingForSlot, activities.ErrWaitingForTurn:
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
