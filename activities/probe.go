package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// Error types the workflow and the retry policy see.
const (
	// ErrStillPresent keeps a probe going: the activity's retry policy is
	// the polling schedule, so waiting for removal costs no history events
	// however long it takes.
	ErrStillPresent = "still_present"
	// ErrUnconfirmed means one probe saw the content gone and a second, a
	// little later, must agree before it counts as removed.
	ErrUnconfirmed = "removal_unconfirmed"
	// ErrWaitingForSlot: the platform is probed on a grid of slots (see
	// ProbeSchedule) and this attempt fell between them; nothing was asked.
	ErrWaitingForSlot = "waiting_for_slot"
)

// ProbeInput names the content to probe and what counts as an answer.
type ProbeInput struct {
	Content takedown.Content `json:"content"`
	// UntilGone makes a present (or unknown) answer fail the attempt so that
	// the retry policy probes again; without it one answer is returned as is.
	UntilGone bool `json:"until_gone"`
	// WithheldIsPresent keeps probing through a geo-restriction, for
	// policies that do not accept withholding as an outcome.
	WithheldIsPresent bool `json:"withheld_is_present,omitempty"`
	// ConfirmGap, when set, requires two probes this far apart to both see
	// the content gone. The first sighting is carried to the next attempt in
	// the heartbeat details, so confirming costs no history events either.
	ConfirmGap time.Duration `json:"confirm_gap,omitempty"`
	// Record, when set, is written to the database with the answer once
	// there is one; the probe's result goes into its detail.
	Record *takedown.Transition `json:"record,omitempty"`
	// Schedule, when on, puts the attempts on the platform's grid of slots
	// so that one call answers many takedowns; the retry policy then only
	// bounds the window.
	Schedule ProbeSchedule `json:"schedule,omitzero"`
	// Since is when the notice went out, which the schedule counts from;
	// zero counts from this probe's first attempt.
	Since time.Time `json:"since,omitzero"`
}

// polling marks the failures above as benign: they are how waiting works,
// not errors, and the SDK then logs them at debug level and leaves them out
// of its failure metrics instead of writing an ERROR line for every attempt.
const polling = temporal.ApplicationErrorCategoryBenign

// sighting is carried between attempts in the heartbeat details.
type sighting struct {
	State takedown.ProbeState `json:"state"`
	At    time.Time           `json:"at"`
	// Slot is the slot the next attempt was asked for: an attempt that
	// comes for it probes however late the engine delivers it.
	Slot time.Time `json:"slot,omitzero"`
	// Turn is the turn held on a paced platform (see awaitTurn).
	Turn *turn `json:"turn,omitempty"`
}

// Probe asks the platform whether the content is still reachable.
func (a *Activities) Probe(ctx context.Context, in ProbeInput) (takedown.ProbeResult, error) {
	ad, err := a.adapter(in.Content.Platform)
	if err != nil {
		return takedown.ProbeResult{}, err
	}
	var prev sighting
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &prev)
	}
	if in.ConfirmGap <= 0 {
		// Nothing to confirm; only the slot asked for counts.
		prev = sighting{Slot: prev.Slot, Turn: prev.Turn}
	}
	if err := a.awaitSlot(ctx, in, prev); err != nil {
		return takedown.ProbeResult{}, err
	}
	for {
		res, confirm, err := a.probeOnce(ctx, ad, in, prev)
		if !confirm {
			return res, err
		}
		// A short gap is waited out in this attempt (see confirmWithin);
		// the first sighting is only in memory, so a worker lost meanwhile
		// costs the next attempt a fresh start, never a false removal.
		t := time.NewTimer(in.ConfirmGap)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, fmt.Errorf("probe %s: confirming removal: %w", in.Content.Platform, ctx.Err())
		case <-t.C:
		}
		prev = sighting{State: res.State, At: res.CheckedAt}
	}
}

// confirmWithin is the longest confirmation gap a probe waits out inside
// one attempt. Going through the retry policy instead costs the engine a
// failed attempt, a retry timer and a second dispatch, which is more than
// holding a worker slot for a few seconds; a gap of minutes (production's
// is five) holds nothing and goes through the retry policy. Probes on a
// slot grid always do, since the second sighting is folded into a batch.
const confirmWithin = 2 * time.Second

// probeOnce asks the platform once. confirm says that this was a first
// sighting of removal to be confirmed within this attempt, after the gap.
func (a *Activities) probeOnce(ctx context.Context, ad platforms.Adapter, in ProbeInput, prev sighting) (takedown.ProbeResult, bool, error) {
	// A paced platform's turn: the retry that waits for it comes for the
	// turn as for a slot it asked for, and keeps the first sighting.
	if err := a.awaitTurn(ctx, in.Content.Platform, quota.Probe, prev.Turn, func(t *turn) {
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, sighting{State: prev.State, At: prev.At, Slot: t.At, Turn: t})
		}
	}); err != nil {
		return takedown.ProbeResult{}, false, err
	}
	// The beats during the call carry the sighting this attempt started
	// with: an attempt lost with its worker must leave the next one the
	// same first sighting, not an empty one.
	res, err := heartbeating(ctx, prev, func() (takedown.ProbeResult, error) { return ad.Probe(ctx, in.Content) })
	if err != nil {
		pe := platforms.Classify(err)
		// A probe the platform refuses (an expired token, a misconfigured
		// endpoint) is still retried: an operator can fix it while the
		// takedown waits, and giving up would lose the takedown.
		if pe.Kind == platforms.KindRateLimited {
			return takedown.ProbeResult{}, false, temporal.NewApplicationErrorWithOptions(
				fmt.Sprintf("probe %s: %v", in.Content.Platform, err), "rate_limited",
				temporal.ApplicationErrorOptions{NextRetryDelay: a.nextSlot(ctx, in, prev, pe.RetryAfter, prev.State != ""), Cause: err})
		}
		return takedown.ProbeResult{}, false, fmt.Errorf("probe %s: %w", in.Content.Platform, err)
	}
	if res.CheckedAt.IsZero() {
		res.CheckedAt = a.Now()
	}
	gone := res.State == takedown.ProbeRemoved || (res.State == takedown.ProbeWithheld && !in.WithheldIsPresent)
	if in.UntilGone && !gone {
		if prev.State != "" && activity.IsActivity(ctx) {
			// Forget an earlier sighting: removal must be seen twice in a row.
			activity.RecordHeartbeat(ctx, sighting{})
		}
		msg := fmt.Sprintf("content on %s: %s %s", in.Content.Platform, res.State, res.Reason)
		if in.Schedule.On() {
			return res, false, temporal.NewApplicationErrorWithOptions(msg, ErrStillPresent,
				temporal.ApplicationErrorOptions{NextRetryDelay: a.nextSlot(ctx, in, sighting{}, 0, false), Category: polling})
		}
		return res, false, temporal.NewApplicationErrorWithOptions(msg, ErrStillPresent, temporal.ApplicationErrorOptions{Category: polling})
	}
	if in.UntilGone && in.ConfirmGap > 0 && prev.State != res.State {
		if in.ConfirmGap <= confirmWithin && !in.Schedule.On() {
			return res, true, nil
		}
		// First sighting: remember it and look again after the gap.
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, sighting{State: res.State, At: res.CheckedAt})
		}
		gap := in.ConfirmGap
		if in.Schedule.On() {
			gap = a.nextSlot(ctx, in, sighting{State: res.State, At: res.CheckedAt}, gap, true)
		}
		return res, false, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("content on %s looks %s; confirming", in.Content.Platform, res.State), ErrUnconfirmed,
			temporal.ApplicationErrorOptions{NextRetryDelay: gap, Category: polling})
	}
	if in.Record != nil {
		t := *in.Record
		t.At = res.CheckedAt
		t.Detail = map[string]any{"state": string(res.State), "reason": res.Reason}
		if len(res.Countries) > 0 {
			t.Detail["countries"] = res.Countries
		}
		if _, err := a.Store.RecordTransition(ctx, t); err != nil {
			return res, false, fmt.Errorf("record probe of takedown %s: %w", t.TakedownID, err)
		}
	}
	return res, false, nil
}

// awaitSlot keeps a scheduled probe off the platform between its slots: the
// attempt ends at once, asking to be retried at the next slot it is due. A
// confirming probe (one sighting carried) and a one-answer probe (a
// re-check) take any slot; a regular probe takes only its own.
func (a *Activities) awaitSlot(ctx context.Context, in ProbeInput, prev sighting) error {
	s := in.Schedule
	if !s.On() {
		return nil
	}
	now := a.Now()
	if !prev.Slot.IsZero() && !now.Before(prev.Slot.Add(-s.SlotTolerance())) {
		// The attempt asked for: however late the engine delivered it (a
		// busy engine, a worker restarted), it probes now rather than miss
		// its slot and wait for another.
		return nil
	}
	dense := prev.State != "" || !in.UntilGone
	if dense {
		if now.Sub(now.Truncate(s.Slot)) <= s.SlotTolerance() {
			return nil
		}
	} else if s.Due(in.Content.ID, a.probeSince(ctx, in), now) {
		return nil
	}
	return temporal.NewApplicationErrorWithOptions("waiting for the next probe slot", ErrWaitingForSlot,
		temporal.ApplicationErrorOptions{NextRetryDelay: a.nextSlot(ctx, in, prev, 0, dense), Category: polling})
}

// nextSlot is the wait, at least gap, until the slot the next attempt
// should run in. The slot goes into the heartbeat with the sighting to
// keep, so that the attempt knows it was asked for.
func (a *Activities) nextSlot(ctx context.Context, in ProbeInput, keep sighting, gap time.Duration, dense bool) time.Duration {
	if !in.Schedule.On() {
		return gap
	}
	now := a.Now()
	keep.Slot = in.Schedule.Next(in.Content.ID, a.probeSince(ctx, in), now, gap, dense)
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, keep)
	}
	return keep.Slot.Sub(now)
}

func (a *Activities) probeSince(ctx context.Context, in ProbeInput) time.Time {
	if !in.Since.IsZero() || !activity.IsActivity(ctx) {
		return in.Since
	}
	return activity.GetInfo(ctx).ScheduledTime
}

// platformError turns a classified adapter failure into the Temporal error
// that makes the workflow do the right thing: give up, wait as long as the
// platform asked, or retry with the usual backoff.
func platformError(op string, err error) error {
	pe := platforms.Classify(err)
	msg := fmt.Sprintf("%s: %v", op, err)
	switch pe.Kind {
	case platforms.KindPermanent:
		return temporal.NewNonRetryableApplicationError(msg, "permanent:"+pe.Code, err)
	case platforms.KindRateLimited:
		return temporal.NewApplicationErrorWithOptions(msg, "rate_limited:"+pe.Code,
			temporal.ApplicationErrorOptions{NextRetryDelay: pe.RetryAfter, Cause: err})
	default:
		return temporal.NewApplicationError(msg, "transient:"+pe.Code, err)
	}
}

func nonRetryable(typ string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), typ, errors.Unwrap(err))
}
