package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// BlockingOrder asks domestic ISPs to block access to a URL.
type BlockingOrder struct {
	Key        string             `json:"key"`
	TakedownID uuid.UUID          `json:"takedown_id"`
	Content    platforms.Content  `json:"content"`
	Category   platforms.Category `json:"category"`
	Reference  string             `json:"reference"`
	ApprovedBy uuid.UUID          `json:"approved_by"`
	Reason     string             `json:"reason,omitempty"`
}

// Blocker sends access-blocking orders to domestic ISPs and checks, from a
// domestic vantage point, whether they took effect.
type Blocker interface {
	Order(ctx context.Context, o BlockingOrder) (reference string, err error)
	Blocked(ctx context.Context, c platforms.Content) (bool, error)
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

// SendBlockingOrder sends the order once per key and records it.
func (a *Activities) SendBlockingOrder(ctx context.Context, o BlockingOrder) (string, error) {
	if !a.blockingConfigured() {
		return "", nonRetryable("not_configured", fmt.Errorf("no blocking-order channel is configured"))
	}
	rec, claimed, err := a.Store.ClaimNotice(ctx, takedown.NoticeClaim{Key: o.Key, TakedownID: o.TakedownID, Channel: "blocking_order"})
	if err != nil {
		return "", fmt.Errorf("claim blocking order %s: %w", o.Key, err)
	}
	ref := rec.Reference
	if claimed {
		ref, err = a.Blocker.Order(ctx, o)
		if err != nil {
			if merr := a.Store.MarkNoticeFailed(context.WithoutCancel(ctx), o.Key, err.Error()); merr != nil {
				return "", fmt.Errorf("send blocking order: %w (and releasing the claim failed: %v)", err, merr)
			}
			return "", platformError("send blocking order", err)
		}
		if err := a.Store.MarkNoticeSent(context.WithoutCancel(ctx), o.Key, "blocking_order", ref, "", a.Now(), takedown.NoticeSent); err != nil {
			return "", fmt.Errorf("record blocking order %s: %w", o.Key, err)
		}
	} else if rec.State == takedown.NoticeSending || rec.State == takedown.NoticeUncertain {
		// An earlier try died mid-send; never send the same order twice.
		if err := a.Store.MarkNoticeUncertain(ctx, o.Key); err != nil {
			return "", fmt.Errorf("mark blocking order %s uncertain: %w", o.Key, err)
		}
	}
	now := a.Now()
	_, err = a.Store.RecordTransition(context.WithoutCancel(ctx), takedown.Transition{
		TakedownID: o.TakedownID, EventKey: "blocking_order:" + o.Key, Kind: "blocking_ordered", At: now,
		Status: takedown.StatusBlocking, EscalationLevel: ptr(4),
		Detail: map[string]any{"reference": ref, "approved_by": o.ApprovedBy.String()},
	})
	if err != nil {
		return "", fmt.Errorf("record blocking order for takedown %s: %w", o.TakedownID, err)
	}
	return ref, nil
}

// CheckBlocked succeeds once the content is blocked domestically; until then
// it fails with ErrNotYetBlocked so that the retry policy checks again.
func (a *Activities) CheckBlocked(ctx context.Context, c platforms.Content) (time.Time, error) {
	if a.Blocker == nil {
		return time.Time{}, nonRetryable("not_configured", fmt.Errorf("no blocking-order channel is configured"))
	}
	ok, err := a.Blocker.Blocked(ctx, c)
	if err != nil {
		return time.Time{}, fmt.Errorf("check blocking: %w", err)
	}
	if !ok {
		return time.Time{}, temporal.NewApplicationError("not blocked yet", ErrNotYetBlocked)
	}
	return a.Now(), nil
}

func ptr[T any](v T) *T { return &v }
