package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// SendNoticeInput is one notice for one attempt of a takedown.
type SendNoticeInput struct {
	Confirm takedown.Confirm `json:"confirm"`
	Notice  takedown.Notice  `json:"notice"`
	// DeadlineAfter, when set, starts the removal deadline: it runs from
	// the moment the notice actually left, which only the activity knows.
	DeadlineAfter time.Duration `json:"deadline_after,omitempty"`
	// IfStatus, when set, projects the takedown's new status (notice sent,
	// or awaiting a portal filing) and deadline, but only while the
	// takedown is still in this status. Unset, the notice is recorded and
	// the workflow projects the status itself: a notice that waited for a
	// platform's quota must not overwrite a decision taken meanwhile.
	IfStatus takedown.Status `json:"if_status,omitempty"`
}

// sendProgress is a send's heartbeat: the turn it holds on a paced
// platform, or that it is on the wire.
type sendProgress struct {
	Turn    *turn `json:"turn,omitempty"`
	Sending bool  `json:"sending,omitempty"`
}

// SendNoticeResult says what became of the notice.
type SendNoticeResult struct {
	Submission platforms.Submission `json:"submission"`
	// Uncertain is true when an earlier try of this same attempt died in the
	// middle of sending: whether the platform received it is unknown, and it
	// is not sent again (at most once per attempt). The deadline and the
	// reminder that follows it cover a notice that was in fact lost.
	Uncertain bool `json:"uncertain,omitempty"`
	// Deadline is the removal deadline started by this notice, if any.
	Deadline time.Time `json:"deadline,omitzero"`
}

// SendNotice sends a notice at most once per idempotency key. The key is
// claimed in PostgreSQL before anything leaves the system; a retry that finds
// the claim already sent returns the recorded submission, and one that finds
// it still "sending" knows an earlier try died midway and does not send again.
func (a *Activities) SendNotice(ctx context.Context, in SendNoticeInput) (SendNoticeResult, error) {
	n := in.Notice
	if n.Key == "" {
		return SendNoticeResult{}, nonRetryable("bad_input", errors.New("notice without idempotency key"))
	}
	ad, err := a.adapter(n.Content.Platform)
	if err != nil {
		return SendNoticeResult{}, err
	}
	// A paced platform's turn comes first: a notice waiting for it has
	// claimed nothing and written nothing.
	var held sendProgress
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &held)
	}
	if err := a.awaitTurn(ctx, n.Content.Platform, quota.Report, held.Turn, func(t *turn) {
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, sendProgress{Turn: t})
		}
	}); err != nil {
		return SendNoticeResult{}, err
	}
	claim := takedown.NoticeClaim{
		Key: n.Key, TakedownID: in.Confirm.TakedownID, Attempt: n.Attempt, Priority: n.Priority,
	}
	rec, claimed, err := a.Store.ClaimNotice(ctx, claim)
	if errors.Is(err, takedown.ErrNotFound) && in.Confirm.TakedownID != uuid.Nil {
		// The workflow was started but the API's transaction has not
		// written the takedown (it failed, or has yet to commit): write it
		// from the confirmation, then claim. Claiming first spares the
		// usual case, where the row is there, a transaction.
		if err := a.Store.EnsureTakedown(ctx, in.Confirm); err != nil {
			return SendNoticeResult{}, fmt.Errorf("ensure takedown %s: %w", in.Confirm.TakedownID, err)
		}
		rec, claimed, err = a.Store.ClaimNotice(ctx, claim)
	}
	if err != nil {
		return SendNoticeResult{}, fmt.Errorf("claim notice %s: %w", n.Key, err)
	}
	if !claimed {
		switch rec.State {
		case takedown.NoticeSent, takedown.NoticeAwaitingPortal:
			res := SendNoticeResult{Submission: submissionFrom(rec)}
			return a.recordSent(ctx, in, res)
		default:
			// "sending" (or already "uncertain"): a previous try died between
			// the claim and the record. Never send twice.
			if err := a.Store.MarkNoticeUncertain(ctx, n.Key); err != nil {
				return SendNoticeResult{}, fmt.Errorf("mark notice %s uncertain: %w", n.Key, err)
			}
			a.Logger.Warn("notice outcome uncertain; not re-sending",
				"takedown_id", in.Confirm.TakedownID, "platform", n.Content.Platform, "attempt", n.Attempt)
			return a.recordSent(ctx, in, uncertain(n, rec))
		}
	}

	sub, err := heartbeating(ctx, sendProgress{Sending: true}, func() (platforms.Submission, error) { return ad.Send(ctx, n) })
	if err != nil && platforms.MayHaveArrived(err) {
		// The request was written and its answer lost: the platform may
		// have it. At most once wins, and the reminder covers a lost notice.
		rctx := context.WithoutCancel(ctx)
		if merr := a.Store.MarkNoticeUncertain(rctx, n.Key); merr != nil {
			return SendNoticeResult{}, fmt.Errorf("send notice %s: %w (and recording it as uncertain failed: %v)", n.Key, err, merr)
		}
		a.Logger.Warn("notice sent but unanswered; not re-sending",
			"takedown_id", in.Confirm.TakedownID, "platform", n.Content.Platform, "attempt", n.Attempt, "err", err)
		return a.recordSent(rctx, in, uncertain(n, rec))
	}
	if err != nil {
		// The platform refused the notice, or it never reached the wire (a
		// refused connection, a dial timeout, even one cut short by the
		// activity's own deadline): the claim is released for the next try.
		if merr := a.Store.MarkNoticeFailed(context.WithoutCancel(ctx), n.Key, err.Error()); merr != nil {
			return SendNoticeResult{}, fmt.Errorf("send notice %s: %w (and releasing the claim failed: %v)", n.Key, err, merr)
		}
		return SendNoticeResult{}, platformError("send notice", err)
	}
	if sub.SentAt.IsZero() {
		sub.SentAt = a.Now()
	}
	state := takedown.NoticeSent
	if sub.AwaitingPortal {
		state = takedown.NoticeAwaitingPortal
	}
	// Recording must not be abandoned because the activity's context ended:
	// the notice has left the system.
	rctx := context.WithoutCancel(ctx)
	t, res := a.noticeTransition(in, SendNoticeResult{Submission: sub})
	sent := takedown.SentNotice{Key: n.Key, Channel: string(sub.Channel), Reference: sub.Reference,
		PlatformReference: sub.PlatformReference, SentAt: sub.SentAt, State: state}
	if err := a.Store.RecordNoticeSent(rctx, sent, t); err != nil {
		return SendNoticeResult{}, fmt.Errorf("record sent notice %s: %w", n.Key, err)
	}
	return res, nil
}

// recordSent projects a notice sent by an earlier try into the takedown's
// record.
func (a *Activities) recordSent(ctx context.Context, in SendNoticeInput, res SendNoticeResult) (SendNoticeResult, error) {
	t, res := a.noticeTransition(in, res)
	if _, err := a.Store.RecordTransition(ctx, t); err != nil {
		return SendNoticeResult{}, fmt.Errorf("record notice for takedown %s: %w", in.Confirm.TakedownID, err)
	}
	return res, nil
}

// noticeTransition is the takedown's step for a notice. It derives
// everything from the submission, so a retry, which reads the submission
// back from the notice's record, records the same thing.
func (a *Activities) noticeTransition(in SendNoticeInput, res SendNoticeResult) (takedown.Transition, SendNoticeResult) {
	sub := res.Submission
	status := takedown.StatusNoticeSent
	kind := takedown.EventNoticeSent
	if sub.AwaitingPortal {
		status, kind = takedown.StatusAwaitingPortal, takedown.EventPortalTaskCreated
	}
	if res.Uncertain {
		kind = takedown.EventNoticeUncertain
	}
	at := sub.SentAt
	if at.IsZero() {
		at = a.Now()
	}
	detail := map[string]any{
		"notice_kind": string(cmp.Or(in.Notice.Kind, takedown.KindNotice)),
		"attempt":     in.Notice.Attempt,
		"channel":     string(sub.Channel),
		"reference":   sub.Reference,
		"priority":    in.Notice.Priority,
	}
	if sub.PlatformReference != "" {
		detail["platform_reference"] = sub.PlatformReference
	}
	t := takedown.Transition{
		TakedownID: in.Confirm.TakedownID,
		EventKey:   fmt.Sprintf("notice:%d", in.Notice.Attempt),
		Kind:       kind,
		At:         at,
		Detail:     detail,
	}
	if in.IfStatus != "" {
		t.Status, t.IfStatus = status, in.IfStatus
	}
	if !sub.AwaitingPortal {
		t.NoticeSentAt = &at
		if in.DeadlineAfter > 0 {
			res.Deadline = at.Add(in.DeadlineAfter).UTC().Truncate(time.Millisecond)
			t.Deadline = &res.Deadline
			detail["deadline"] = res.Deadline
		}
	}
	return t, res
}

// uncertain is the result for a notice whose delivery is unknown. Everything
// in it is derived from the claim, so every retry returns the same.
func uncertain(n takedown.Notice, rec takedown.NoticeRecord) SendNoticeResult {
	sub := submissionFrom(rec)
	sub.Reference = cmp.Or(sub.Reference, takedown.NoticeReference(n.Key))
	if sub.SentAt.IsZero() {
		sub.SentAt = rec.CreatedAt // claimed just before the send
	}
	return SendNoticeResult{Uncertain: true, Submission: sub}
}

func submissionFrom(rec takedown.NoticeRecord) platforms.Submission {
	s := platforms.Submission{
		Channel:           takedown.Channel(rec.Channel),
		Reference:         rec.Reference,
		PlatformReference: rec.PlatformReference,
		AwaitingPortal:    rec.State == takedown.NoticeAwaitingPortal,
	}
	if rec.SentAt != nil {
		s.SentAt = *rec.SentAt
	}
	return s
}

// NoticeKey is the idempotency key of one attempt's notice: the same
// takedown, platform and attempt always give the same key.
func NoticeKey(takedownID uuid.UUID, p takedown.Platform, attempt int) string {
	return fmt.Sprintf("%s:%s:%d", takedownID, p, attempt)
}
