package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// RefusedType is the error type of every validator refusal, so callers can
// tell a refused decision from a failure of the system.
const RefusedType = "refused"

func refuse(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError("refused: "+fmt.Sprintf(format, args...), RefusedType, nil)
}

func refusalText(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return strings.TrimPrefix(app.Message(), "refused: ")
	}
	return err.Error()
}

func (r *run) register(ctx workflow.Context) error {
	r.wake = workflow.NewBufferedChannel(ctx, 1)
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return r.st, nil }); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	for _, err := range []error{
		decision(ctx, r, UpdateRecordReply, staffRoles, "record a platform's reply", r.checkReply, r.applyReply),
		decision(ctx, r, UpdateDecideEscalation, supervisorRoles, "decide an escalation", r.checkDecision, r.applyDecision),
		decision(ctx, r, UpdateExtendDeadline, supervisorRoles, "extend a deadline", r.checkExtension, r.applyExtension),
		decision(ctx, r, UpdateWithdraw, staffRoles, "withdraw a takedown", r.checkWithdrawal, r.applyWithdrawal),
		decision(ctx, r, UpdateAddInformation, staffRoles, "add information", r.checkInformation, r.applyInformation),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// decisionArg is what every decision carries: who made it.
type decisionArg interface{ actor() Actor }

func (v Reply) actor() Actor              { return v.Actor }
func (v EscalationDecision) actor() Actor { return v.Actor }
func (v Extension) actor() Actor          { return v.Actor }
func (v Withdrawal) actor() Actor         { return v.Actor }
func (v Information) actor() Actor        { return v.Actor }

// decision registers one human decision. The validator checks who made it
// (role and the API's signature) and whether the takedown can take it; the
// handler checks the second again against the state as it is when it
// runs: two decisions in one workflow task both pass their validators, and
// the second is refused here if the first made it impossible. (Who made it
// is not checked again: validators do not run on replay, and the proof is
// bound to the engine's workflow id, which a replay does not have.) The
// handler applies the decision to the state at once and never blocks; the
// loop acts on what it queued. A decision's update id is remembered, so
// that a repeat answers as the first did and nothing is done twice.
func decision[T decisionArg](ctx workflow.Context, r *run, name string, roles []takedown.Role, what string,
	check func(workflow.Context, T) error, apply func(workflow.Context, T)) error {
	validate := func(ctx workflow.Context, v T) error {
		if _, ok := r.st.decided(updateID(ctx)); ok {
			return nil
		}
		if err := authorize(ctx, name, v.actor(), v, roles, what); err != nil {
			return err
		}
		return check(ctx, v)
	}
	handle := func(ctx workflow.Context, v T) (Accepted, error) {
		id := updateID(ctx)
		if d, ok := r.st.decided(id); ok {
			if d.Refused != "" {
				return Accepted{}, refuse("%s", d.Refused)
			}
			a := r.accepted()
			a.Repeat = true
			return a, nil
		}
		if err := check(ctx, v); err != nil {
			r.st.remember(Decided{ID: id, Refused: refusalText(err)})
			return Accepted{}, err
		}
		apply(ctx, v)
		r.st.remember(Decided{ID: id})
		r.wake.SendAsync(struct{}{})
		return r.accepted(), nil
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, name, handle,
		workflow.UpdateHandlerOptions{Validator: validate}); err != nil {
		return fmt.Errorf("register update %s: %w", name, err)
	}
	return nil
}

func updateID(ctx workflow.Context) string {
	if info := workflow.GetCurrentUpdateInfo(ctx); info != nil {
		return info.ID
	}
	return ""
}

func (r *run) accepted() Accepted {
	return Accepted{Status: r.st.Status, Level: r.st.Level, Deadline: r.st.Deadline.At}
}

func (r *run) checkOpen() error {
	switch {
	case r.st.Done:
		return refuse("the takedown is closed (%s)", r.st.Status)
	case r.st.Status == takedown.StatusRemoved:
		return refuse("the takedown is closed (removed); the content is checked again at %s", r.st.Recheck.At.UTC().Format(time.RFC3339))
	}
	return nil
}

// --- replies -------------------------------------------------------------------------

func (r *run) checkReply(ctx workflow.Context, v Reply) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	switch v.Kind {
	case ReplyPortalSubmitted:
		if r.st.Portal == nil {
			return refuse("no portal filing is pending")
		}
		if strings.TrimSpace(v.Ticket) == "" {
			return refuse("the portal's ticket number is required")
		}
	case ReplyClarification:
		if r.st.Status != takedown.StatusNoticeSent {
			return refuse("a clarification can only pause a takedown waiting for the platform (it is %s)", r.st.Status)
		}
	case ReplyRejected:
		switch {
		case r.st.FirstNotice.IsZero() || r.st.Status == takedown.StatusPending:
			return refuse("no notice has reached the platform yet")
		case r.st.Status == takedown.StatusRejected:
			return refuse("the rejection is already recorded; a supervisor decides what follows")
		case r.st.Level >= takedown.LevelBlocking:
			return refuse("a blocking order was already sent")
		}
	case ReplyActionClaimed, ReplyOther:
	default:
		return refuse("unknown reply kind %q", v.Kind)
	}
	return nil
}

func (r *run) applyReply(ctx workflow.Context, v Reply) {
	now := workflow.Now(ctx)
	detail := actorDetail(v.Actor, map[string]any{"reply": string(v.Kind)})
	if v.Note != "" {
		detail["note"] = v.Note
	}
	switch v.Kind {
	case ReplyPortalSubmitted:
		p := r.st.Portal
		r.st.Portal = nil
		r.st.Ticket = v.Ticket
		detail["ticket"] = v.Ticket
		detail["attempt"] = p.Attempt
		t := takedown.Transition{Kind: takedown.EventPortalSubmitted, Detail: detail}
		if p.Kind == takedown.KindNotice && r.st.Status == takedown.StatusAwaitingPortal {
			// The removal deadline runs from the filing the platform can act on.
			r.st.Status = takedown.StatusNoticeSent
			r.startLadder(now.Add(r.in.Policy.Deadline))
			d := r.st.Deadline.At
			t.Status, t.NoticeSentAt, t.Deadline, t.EscalationLevel = takedown.StatusNoticeSent, &now, &d, ptr(takedown.LevelNotice)
		}
		r.emit(ctx, t)
	case ReplyClarification:
		// The clocks stop while the platform waits for us; a deadline that
		// has already passed stays passed.
		r.st.PausedFrom = r.st.Status
		r.st.Rung.pause(now)
		r.st.Deadline.pause(now)
		r.st.Status = takedown.StatusClarification
		r.st.Asked = RequestAnswerClarification
		r.emit(ctx, takedown.Transition{Kind: takedown.EventClarificationRequested, Status: takedown.StatusClarification,
			ClearDeadline: true, Detail: detail})
	case ReplyRejected:
		r.st.Rung.stop()
		r.st.Status = takedown.StatusRejected
		r.st.Asked = RequestDecideRejection
		r.st.BlockingKnown = false
		r.emit(ctx, takedown.Transition{Kind: takedown.EventRejected, Status: takedown.StatusRejected, Detail: detail})
	default:
		r.emit(ctx, takedown.Transition{Kind: takedown.EventReplyRecorded, Detail: detail})
	}
	r.upsertSearch(ctx)
}

// --- supervisors' decisions ------------------------------------------------------------

func (r *run) checkDecision(ctx workflow.Context, v EscalationDecision) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	asked := r.st.Asked == RequestApproveBlocking || r.st.Asked == RequestDecideRejection
	// After a refusal a supervisor may still approve before being asked
	// again.
	mayApprove := asked || r.st.Level == takedown.LevelApproval && r.st.Blocking == BlockingNone
	if !asked && !(v.Approve && mayApprove) {
		return refuse("no escalation is waiting for a decision")
	}
	if v.Approve && !r.st.BlockingAvailable {
		return refuse("no ISP channel is configured, so no blocking order can be sent; refuse with a reason, or configure the ISP gateway and decide again")
	}
	if !v.Approve && strings.TrimSpace(v.Reason) == "" {
		return refuse("a refusal needs a reason")
	}
	return nil
}

func (r *run) applyDecision(ctx workflow.Context, v EscalationDecision) {
	now := workflow.Now(ctx)
	detail := actorDetail(v.Actor, map[string]any{"approve": v.Approve, "reason": v.Reason})
	switch {
	case v.Approve:
		r.st.Rung.stop()
		r.st.Asked = RequestNone
		r.st.Level = takedown.LevelBlocking
		r.st.Status = takedown.StatusBlocking
		r.st.Blocking = BlockingOrdering
		r.st.Orders++
		r.st.ApprovedBy, r.st.ApprovalReason = v.Actor.ID, v.Reason
		r.emit(ctx, takedown.Transition{Kind: takedown.EventBlockingApproved, Status: takedown.StatusBlocking,
			EscalationLevel: ptr(takedown.LevelBlocking), Detail: detail})
	case r.st.Asked == RequestDecideRejection:
		r.finish(ctx, takedown.Transition{Kind: takedown.EventRejectionAccepted, Status: takedown.StatusRejected,
			Detail: actorDetail(v.Actor, map[string]any{"reason": v.Reason, "within_deadline": !r.st.WasOverdue})})
		return
	default:
		// A refused order leaves the takedown open and probing; the
		// supervisor is asked again once the priority deadline has passed
		// once more.
		r.st.Asked = RequestNone
		r.st.Status = takedown.StatusNoticeSent
		r.st.Rung.start(now.Add(r.in.Policy.PriorityDeadline))
		detail["ask_again_at"] = r.st.Rung.At
		r.emit(ctx, takedown.Transition{Kind: takedown.EventBlockingRefused, Status: takedown.StatusNoticeSent, Detail: detail})
	}
	r.upsertSearch(ctx)
}

func (r *run) checkExtension(ctx workflow.Context, v Extension) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	if strings.TrimSpace(v.Reason) == "" {
		return refuse("an extension needs a reason")
	}
	if v.Level != nil && *v.Level != r.st.Level {
		return refuse("the takedown moved from level %d to level %d before the extension took effect", *v.Level, r.st.Level)
	}
	var current time.Time
	switch {
	case r.st.Rung.Running():
		current = r.st.Rung.At
	case r.st.Portal != nil && r.st.Portal.Due.Running():
		current = r.st.Portal.Due.At
	default:
		return refuse("no deadline is running (%s)", r.st.Status)
	}
	if !v.Until.After(workflow.Now(ctx)) || !v.Until.After(current) {
		return refuse("the new deadline must be later than the current one (%s)", current.UTC().Format(time.RFC3339))
	}
	return nil
}

func (r *run) applyExtension(ctx workflow.Context, v Extension) {
	t := takedown.Transition{Kind: takedown.EventDeadlineExtended, Detail: actorDetail(v.Actor, map[string]any{"reason": v.Reason, "until": v.Until})}
	if r.st.Rung.Running() {
		t.Detail["from"] = r.st.Rung.At
		r.st.Rung.start(v.Until)
		if r.st.Level == takedown.LevelNotice {
			r.st.Deadline.start(v.Until)
			r.st.Overdue = false
			d := v.Until
			t.Deadline = &d
		}
	} else {
		t.Detail["from"] = r.st.Portal.Due.At
		r.st.Portal.Due.start(v.Until)
		r.st.Portal.Overdue = false
	}
	r.emit(ctx, t)
	r.upsertSearch(ctx)
}

// --- staff's decisions ----------------------------------------------------------------

func (r *run) checkWithdrawal(ctx workflow.Context, v Withdrawal) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	if strings.TrimSpace(v.Reason) == "" {
		return refuse("a withdrawal needs a reason")
	}
	return nil
}

func (r *run) applyWithdrawal(ctx workflow.Context, v Withdrawal) {
	r.finish(ctx, takedown.Transition{Kind: takedown.EventWithdrawn, Status: takedown.StatusWithdrawn,
		Detail: actorDetail(v.Actor, map[string]any{"reason": v.Reason})})
}

func (r *run) checkInformation(ctx workflow.Context, v Information) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	if strings.TrimSpace(v.Text) == "" {
		return refuse("the information is empty")
	}
	return nil
}

func (r *run) applyInformation(ctx workflow.Context, v Information) {
	now := workflow.Now(ctx)
	detail := actorDetail(v.Actor, nil)
	priority := r.st.Level >= takedown.LevelPriority
	switch r.st.Status {
	case takedown.StatusClarification:
		// The clocks resume with the time they had left.
		r.st.Status = cmpStatus(r.st.PausedFrom, takedown.StatusNoticeSent)
		r.st.PausedFrom = ""
		r.st.Asked = RequestNone
		r.st.Rung.resume(now)
		r.st.Deadline.resume(now)
		t := takedown.Transition{Kind: takedown.EventClarificationAnswered, Status: r.st.Status, Detail: detail}
		if !r.st.Deadline.At.IsZero() {
			d := r.st.Deadline.At
			t.Deadline = &d
			detail["deadline"] = d
		}
		r.emit(ctx, t)
		r.queueSend(takedown.KindFollowUp, priority, v.Text)
	case takedown.StatusRejected:
		// An appeal: the platform gets more material and a fresh rung.
		r.st.Status = takedown.StatusNoticeSent
		r.st.Asked = RequestNone
		r.st.Rung.start(now.Add(r.rungLength()))
		t := takedown.Transition{Kind: takedown.EventAppealed, Status: takedown.StatusNoticeSent, Detail: detail}
		if r.st.Level == takedown.LevelNotice {
			r.st.Deadline.start(r.st.Rung.At)
			r.st.Overdue = false
			d := r.st.Deadline.At
			t.Deadline = &d
		}
		r.emit(ctx, t)
		r.queueSend(takedown.KindAppeal, priority, v.Text)
	default:
		r.emit(ctx, takedown.Transition{Kind: takedown.EventInformationAdded, Detail: detail})
		r.queueSend(takedown.KindFollowUp, priority, v.Text)
	}
	r.upsertSearch(ctx)
}

func cmpStatus(a, b takedown.Status) takedown.Status {
	if a != "" {
		return a
	}
	return b
}

// actorDetail names who decided; never what a victim told us.
func actorDetail(a Actor, d map[string]any) map[string]any {
	if d == nil {
		d = map[string]any{}
	}
	d["actor_id"] = a.ID.String()
	d["actor_role"] = string(a.Role)
	return d
}

// rungLength is how long the current rung of the ladder lasts.
func (r *run) rungLength() time.Duration {
	switch r.st.Level {
	case takedown.LevelNotice:
		return r.in.Policy.Deadline
	case takedown.LevelReminder:
		return r.in.Policy.ReminderDeadline
	default:
		return r.in.Policy.PriorityDeadline
	}
}
