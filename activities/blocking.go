package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// BlockingOrder is the domain's order to block access (see
// takedown.BlockingOrder); the name stays for the workflows' activity calls.
type BlockingOrder = takedown.BlockingOrder

// Blocker sends access-blocking orders to domestic ISPs and checks, from a
// domestic vantage point, whether they took effect.
type Blocker interface {
	Order(ctx context.Context, o BlockingOrder) (reference string, err error)
	Blocked(ctx context.Context, c takedown.Content) (bool, error)
}

// BlockingConfigured reports whether this worker can send blocking orders,
// so that the workflow refuses an approval it could not carry out.
func (a *Activities) BlockingConfigured(context.Context) (bool, error) {
	return a.blockingConfigured(), nil
}

// switchable is a Blocker that may be switched off while the worker runs.
type switchable interface{ Configured() bool }

func (a *Activities) blockingConfigured() bool {
	if a.Blocker == nil {
		return false
	}
	if s, ok := a.Blocker.(switchable); ok {
		return s.Configured()
	}
	return true
}

// ErrNotYetBlocked keeps the blocking check going through activity retries.
const ErrNotYetBlocked = "not_yet_blocked"

// ErrOrderNotSent ends a blocking check for content no order was ever
// accepted for: nothing would block it, and polling would never end.
const ErrOrderNotSent = "blocking_order_not_sent"

// SendBlockingOrder sends the order and records it. Unlike a notice, an
// order cut off mid-send (the claim found still "sending") is sent again:
// the gateway keeps one order per idempotency key, and the order goes with
// the same key every time, so repeating it cannot block twice while giving
// up on it would leave the content unblocked for good.
func (a *Activities) SendBlockingOrder(ctx context.Context, o BlockingOrder) (string, error) {
	if !a.blockingConfigured() {
		return "", nonRetryable("not_configured", fmt.Errorf("no blocking-order channel is configured"))
	}
	rec, claimed, err := a.Store.ClaimNotice(ctx, takedown.NoticeClaim{Key: o.Key, TakedownID: o.TakedownID, Channel: "blocking_order"})
	if err != nil {
		return "", fmt.Errorf("claim blocking order %s: %w", o.Key, err)
	}
	ref := rec.Reference
	if claimed || rec.State == takedown.NoticeSending || rec.State == takedown.NoticeUncertain {
		if ref, err = a.orderOnce(ctx, o, rec.State); err != nil {
			return "", err
		}
	}
	now := a.Now()
	_, err = a.Store.RecordTransition(context.WithoutCancel(ctx), takedown.Transition{
		TakedownID: o.TakedownID, EventKey: "blocking_order:" + o.Key, Kind: takedown.EventBlockingOrdered, At: now,
		Status: takedown.StatusBlocking, EscalationLevel: ptr(takedown.LevelBlocking),
		Detail: map[string]any{"reference": ref, "approved_by": o.ApprovedBy.String()},
	})
	if err != nil {
		return "", fmt.Errorf("record blocking order for takedown %s: %w", o.TakedownID, err)
	}
	return ref, nil
}

// orderOnce sends the claimed order and records the gateway's reference.
func (a *Activities) orderOnce(ctx context.Context, o BlockingOrder, state takedown.NoticeState) (string, error) {
	ref, err := heartbeating(ctx, "sending", func() (string, error) { return a.Blocker.Order(ctx, o) })
	if err != nil {
		// Released for the next try, which sends the same key again. An
		// order left "uncertain" by an older release stays so and is sent
		// again all the same.
		if state != takedown.NoticeUncertain {
			if merr := a.Store.MarkNoticeFailed(context.WithoutCancel(ctx), o.Key, err.Error()); merr != nil {
				return "", fmt.Errorf("send blocking order: %w (and releasing the claim failed: %v)", err, merr)
			}
		}
		return "", platformError("send blocking order", err)
	}
	if err := a.Store.MarkNoticeSent(context.WithoutCancel(ctx), o.Key, "blocking_order", ref, "", a.Now(), takedown.NoticeSent); err != nil {
		return "", fmt.Errorf("record blocking order %s: %w", o.Key, err)
	}
	return ref, nil
}

// CheckBlocked succeeds once the content is blocked domestically; until then
// it fails with ErrNotYetBlocked so that the retry policy checks again. It
// fails for good (ErrOrderNotSent) when no order for the content was ever
// accepted.
func (a *Activities) CheckBlocked(ctx context.Context, c takedown.Content) (time.Time, error) {
	if a.Blocker == nil {
		return time.Time{}, nonRetryable("not_configured", fmt.Errorf("no blocking-order channel is configured"))
	}
	sent, err := a.Store.BlockingOrderSent(ctx, c)
	if err != nil {
		return time.Time{}, fmt.Errorf("check blocking: %w", err)
	}
	if !sent {
		return time.Time{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("no blocking order for this %s content was accepted", c.Platform), ErrOrderNotSent, nil)
	}
	ok, err := heartbeating(ctx, nil, func() (bool, error) { return a.Blocker.Blocked(ctx, c) })
	if err != nil {
		return time.Time{}, fmt.Errorf("check blocking: %w", err)
	}
	if !ok {
		return time.Time{}, temporal.NewApplicationErrorWithOptions("not blocked yet", ErrNotYetBlocked, temporal.ApplicationErrorOptions{Category: polling})
	}
	return a.Now(), nil
}

func ptr[T any](v T) *T { return &v }
