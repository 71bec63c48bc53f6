package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// RefusedType is the error type of every validator refusal, so callers can
// tell a refused decision from a failure of the system.
const RefusedType = "refused"

func refuse(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError("refused: "+fmt.Sprintf(format, args...), RefusedType, nil)
}


func (r *run) closed() bool {
	return r.result != nil || r.st.Status == takedown.StatusRemoved && r.probe == nil
}

func (r *run) checkOpen() error {
	if r.closed() {
		return refuse("the takedown is closed (%s)", r.st.Status)
	}
	return nil
}

func (r *run) register(ctx workflow.Context) error {
	r.wake = workflow.NewBufferedChannel(ctx, 1)
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return r.st, nil }); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	enqueue := func(ctx workflow.Context, a action) error {
		r.pending = append(r.pending, &a)
		r.wake.SendAsync(struct{}{})
		if err := workflow.Await(ctx, func() bool { return a.done || r.result != nil }); err != nil {
			return err
		}
		if !a.done {
			return refuse("the takedown closed before the decision was acted on (%s)", r.st.Status)
		}
		return a.err
	}
	type reg struct {
		name     string
		handler  any
		validate any
	}
	for _, u := range []reg{
		{UpdateRecordReply, func(ctx workflow.Context, v Reply) error { return enqueue(ctx, action{reply: &v}) },
			func(ctx workflow.Context, v Reply) error { return r.validateReply(v) }},
		{UpdateDecideEscalation, func(ctx workflow.Context, v EscalationDecision) error { return enqueue(ctx, action{decision: &v}) },
			func(ctx workflow.Context, v EscalationDecision) error { return r.validateDecision(v) }},
		{UpdateExtendDeadline, func(ctx workflow.Context, v Extension) error { return enqueue(ctx, action{extension: &v}) },
			func(ctx workflow.Context, v Extension) error { return r.validateExtension(ctx, v) }},
		{UpdateWithdraw, func(ctx workflow.Context, v Withdrawal) error { return enqueue(ctx, action{withdraw: &v}) },
			func(ctx workflow.Context, v Withdrawal) error { return r.validateWithdrawal(v) }},
		{UpdateAddInformation, func(ctx workflow.Context, v Information) error { return enqueue(ctx, action{info: &v}) },
			func(ctx workflow.Context, v Information) error { return r.validateInformation(v) }},
	} {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler,
			workflow.UpdateHandlerOptions{Validator: u.validate}); err != nil {
			return fmt.Errorf("register update %s: %w", u.name, err)
		}
	}
	return nil
}

func (r *run) validateReply(v Reply) error {
	if err := authorize(nil, UpdateRecordReply, v.Actor, v, staffRoles, "record a platform's reply"); err != nil {
		return err
	}
	if err := r.checkOpen(); err != nil {
		return err
	}
	switch v.Kind {
	case ReplyPortalSubmitted:
		if r.st.Status != takedown.StatusAwaitingPortal {
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
		if r.st.Level >= LevelBlocking || r.st.Status == takedown.StatusRejected {
			return refuse("cannot record a rejection now (%s)", r.st.Status)
		}
	case ReplyActionClaimed, ReplyOther:
	default:
		return refuse("unknown reply kind %q", v.Kind)
	}
	return nil
}

func (r *run) validateDecision(v EscalationDecision) error {
	if err := authorize(nil, UpdateDecideEscalation, v.Actor, v, supervisorRoles, "decide an escalation"); err != nil {
		return err
	}
	if err := r.checkOpen(); err != nil {
		return err
	}
	if r.st.Status != takedown.StatusRejected && r.st.Level != LevelApproval {
		return refuse("no escalation is waiting for a decision")
	}
	if !v.Approve && strings.TrimSpace(v.Reason) == "" {
		return refuse("a refusal needs a reason")
	}
	return nil
}

func (r *run) validateExtension(ctx workflow.Context, v Extension) error {
	if err := authorize(ctx, UpdateExtendDeadline, v.Actor, v, supervisorRoles, "extend a deadline"); err != nil {
		return err
	}
	if err := r.checkOpen(); err != nil {
		return err
	}
	if strings.TrimSpace(v.Reason) == "" {
		return refuse("an extension needs a reason")
	}
	if r.timer == nil {
		return refuse("no deadline is running (%s)", r.st.Status)
	}
	if !v.Until.After(workflow.Now(ctx)) || !v.Until.After(r.st.NextAt) {
		return refuse("the new deadline must be later than the current one (%s)", r.st.NextAt.UTC().Format("2006-01-02T15:04:05Z"))
	}
	return nil
}

func (r *run) validateWithdrawal(v Withdrawal) error {
	if err := authorize(nil, UpdateWithdraw, v.Actor, v, staffRoles, "withdraw a takedown"); err != nil {
		return err
	}
	if err := r.checkOpen(); err != nil {
		return err
	}
	if strings.TrimSpace(v.Reason) == "" {
		return refuse("a withdrawal needs a reason")
	}
	return nil
}

func (r *run) validateInformation(v Information) error {
	if err := authorize(nil, UpdateAddInformation, v.Actor, v, staffRoles, "add information"); err != nil {
		return err
	}
	if err := r.checkOpen(); err != nil {
		return err
	}
	if strings.TrimSpace(v.Text) == "" {
		return refuse("the information is empty")
	}
	return nil
}

// handle acts on one accepted decision.
func (r *run) handle(ctx workflow.Context, a action) error {
	switch {
	case a.withdraw != nil:
		r.stopTimer()
		r.stopProbe()
		if r.cancelBlock != nil {
			r.cancelBlock()
		}
		r.st.Status = takedown.StatusWithdrawn
		if err := r.record(ctx, takedown.Transition{Kind: "withdrawn", Status: takedown.StatusWithdrawn, Closed: true,
			Detail: actorDetail(a.withdraw.Actor, map[string]any{"reason": a.withdraw.Reason})}); err != nil {
			return err
		}
		r.result = &Result{Status: takedown.StatusWithdrawn}

	case a.extension != nil:
		e := a.extension
		t := takedown.Transition{Kind: "deadline_extended",
			Detail: actorDetail(e.Actor, map[string]any{"reason": e.Reason, "from": r.st.NextAt, "until": e.Until})}
		if r.st.Level == LevelNotice && r.st.Status != takedown.StatusAwaitingPortal {
			r.st.Deadline = e.Until
			r.st.Overdue = false
			t.Deadline = &r.st.Deadline
		}
		r.setRung(ctx, e.Until, r.st.Level)
		return r.record(ctx, t)

	case a.reply != nil:
		return r.handleReply(ctx, *a.reply)

	case a.info != nil:
		return r.handleInformation(ctx, *a.info)

	case a.decision != nil:
		d := *a.decision
		detail := actorDetail(d.Actor, map[string]any{"approve": d.Approve, "reason": d.Reason})
		if d.Approve {
			r.stopTimer()
			r.st.Level = LevelBlocking
			r.st.Status = takedown.StatusBlocking
			if err := r.record(ctx, takedown.Transition{Kind: "blocking_approved", Status: takedown.StatusBlocking,
				EscalationLevel: ptr(LevelBlocking), Detail: detail}); err != nil {
				return err
			}
			r.then = func() error { return r.orderBlocking(ctx, d) }
			return nil
		}
		if r.st.Status == takedown.StatusRejected {
			return r.finish(ctx, takedown.StatusRejected, "rejection_accepted", platforms.ProbeResult{Reason: d.Reason})
		}
		// A refused blocking order leaves the takedown open and probing; a
		// supervisor can still approve later.
		r.st.Status = takedown.StatusNoticeSent
		return r.record(ctx, takedown.Transition{Kind: "blocking_refused", Status: takedown.StatusNoticeSent, Detail: detail})
	}
	return nil
}

func (r *run) handleReply(ctx workflow.Context, v Reply) error {
	now := workflow.Now(ctx)
	detail := actorDetail(v.Actor, map[string]any{"reply": string(v.Kind)})
	if v.Note != "" {
		detail["note"] = v.Note
	}
	switch v.Kind {
	case ReplyPortalSubmitted:
		r.st.Ticket = v.Ticket
		r.st.Status = takedown.StatusNoticeSent
		detail["ticket"] = v.Ticket
		t := takedown.Transition{Kind: "portal_submitted", Status: takedown.StatusNoticeSent, NoticeSentAt: &now, Detail: detail}
		if r.st.Level == LevelNotice {
			// The removal deadline runs from the filing the platform can act on.
			r.st.Deadline = now.Add(r.in.Policy.Deadline)
			r.st.Overdue = false
			t.Deadline = &r.st.Deadline
		}
		r.setRung(ctx, now.Add(r.rungLength()), r.st.Level)
		return r.record(ctx, t)
	case ReplyClarification:
		// The clock stops while the platform waits for us.
		r.st.Paused = max(r.st.NextAt.Sub(now), 0)
		r.st.SLALeft = max(r.st.Deadline.Sub(now), 0)
		r.st.PausedFrom = r.st.Status
		r.stopTimer()
		r.st.Status = takedown.StatusClarification
		return r.record(ctx, takedown.Transition{Kind: "clarification_requested", Status: takedown.StatusClarification,
			ClearDeadline: true, Detail: detail})
	case ReplyRejected:
		r.stopTimer()
		r.st.Status = takedown.StatusRejected
		return r.record(ctx, takedown.Transition{Kind: "rejected", Status: takedown.StatusRejected, Detail: detail})
	default:
		return r.record(ctx, takedown.Transition{Kind: "reply_recorded", Detail: detail})
	}
}

func (r *run) handleInformation(ctx workflow.Context, v Information) error {
	now := workflow.Now(ctx)
	detail := actorDetail(v.Actor, nil)
	switch r.st.Status {
	case takedown.StatusClarification:
		if err := r.record(ctx, takedown.Transition{Kind: "clarification_answered", Detail: detail}); err != nil {
			return err
		}
		if err := r.sendFollowUp(ctx, v.Text); err != nil {
			return err
		}
		// The clock resumes where it stopped.
		r.st.Status = cmpStatus(r.st.PausedFrom, takedown.StatusNoticeSent)
		r.st.Deadline = now.Add(r.st.SLALeft)
		left := r.st.Paused
		r.st.Paused, r.st.SLALeft = 0, 0
		r.setRung(ctx, now.Add(left), r.st.Level)
		return r.record(ctx, takedown.Transition{Kind: "clock_resumed", Status: r.st.Status, Deadline: &r.st.Deadline,
			Detail: map[string]any{"deadline": r.st.Deadline}})
	case takedown.StatusRejected:
		// An appeal: the platform gets more material and a fresh rung.
		if err := r.record(ctx, takedown.Transition{Kind: "appealed", Detail: detail}); err != nil {
			return err
		}
		if err := r.sendFollowUp(ctx, v.Text); err != nil {
			return err
		}
		r.st.Status = takedown.StatusNoticeSent
		t := takedown.Transition{Kind: "appeal_sent", Status: takedown.StatusNoticeSent}
		if r.st.Level == LevelNotice {
			r.st.Deadline = now.Add(r.in.Policy.Deadline)
			r.st.Overdue = false
			t.Deadline = &r.st.Deadline
		}
		r.setRung(ctx, now.Add(r.in.Policy.Deadline), r.st.Level)
		return r.record(ctx, t)
	default:
		if err := r.record(ctx, takedown.Transition{Kind: "information_added", Detail: detail}); err != nil {
			return err
		}
		return r.sendFollowUp(ctx, v.Text)
	}
}

// sendFollowUp sends added information; a failure is recorded and the
// takedown goes on.
func (r *run) sendFollowUp(ctx workflow.Context, text string) error {
	level := r.st.Level
	status := r.st.Status
	if err := r.sendNotice(ctx, platforms.KindFollowUp, level >= LevelPriority, text); err != nil {
		return r.recordSendFailure(ctx, err)
	}
	r.st.Status = status
	return nil
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
	case LevelNotice:
		return r.in.Policy.Deadline
	case LevelReminder:
		return r.in.Policy.ReminderDeadline
	default:
		return r.in.Policy.PriorityDeadline
	}
}
