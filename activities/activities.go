// Package activities holds the side effects of a takedown: sending notices
// through a platform's adapter, probing the platform, and projecting every
// step into PostgreSQL. Activities are retried by Temporal; each one is
// idempotent so a retry never repeats what already happened.
package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// Store is what the activities need from the database.
type Store interface {
	EnsureTakedown(ctx context.Context, c takedown.Confirm) error
	RecordTransition(ctx context.Context, t takedown.Transition) (bool, error)
	ClaimNotice(ctx context.Context, c takedown.NoticeClaim) (takedown.NoticeRecord, bool, error)
	MarkNoticeSent(ctx context.Context, key, channel, reference, platformReference string, sentAt time.Time, state takedown.NoticeState) error
	// RecordNoticeSent is MarkNoticeSent and RecordTransition of the
	// notice's step, at once.
	RecordNoticeSent(ctx context.Context, m takedown.SentNotice, t takedown.Transition) error
	MarkNoticeFailed(ctx context.Context, key, errText string) error
	MarkNoticeUncertain(ctx context.Context, key string) error
	BlockingOrderSent(ctx context.Context, c takedown.Content) (bool, error)
}

// Activities is registered with the worker; its exported methods are the
// activities.
type Activities struct {
	Store    Store
	Adapters map[takedown.Platform]platforms.Adapter
	// Blocker sends access-blocking orders; nil disables the last rung.
	Blocker Blocker
	// Pacer spaces the calls of platforms with a configured send or probe
	// rate; nil paces nothing.
	Pacer  Pacer
	Logger *slog.Logger
	Now    func() time.Time
}

// New fills defaults and checks that every platform has an adapter.
func New(a Activities) (*Activities, error) {
	if a.Store == nil {
		return nil, fmt.Errorf("activities: store is required")
	}
	for _, p := range takedown.Platforms {
		if a.Adapters[p] == nil {
			return nil, fmt.Errorf("activities: no adapter for platform %q", p)
		}
	}
	a.Logger = cmp.Or(a.Logger, slog.New(slog.DiscardHandler))
	if a.Now == nil {
		a.Now = time.Now
	}
	return &a, nil
}

func (a *Activities) adapter(p takedown.Platform) (platforms.Adapter, error) {
	ad, ok := a.Adapters[p]
	if !ok {
		return nil, nonRetryable("unknown_platform", fmt.Errorf("no adapter for platform %q", p))
	}
	return ad, nil
}

// RecordEvent projects one step of the workflow into PostgreSQL.
func (a *Activities) RecordEvent(ctx context.Context, t takedown.Transition) error {
	if t.At.IsZero() {
		t.At = a.Now()
	}
	if _, err := a.Store.RecordTransition(ctx, t); err != nil {
		err = fmt.Errorf("record %s for takedown %s: %w", t.Kind, t.TakedownID, err)
		if errors.Is(err, takedown.ErrNotFound) || errors.Is(err, takedown.ErrConflict) || errors.Is(err, takedown.ErrInvalid) {
			// Retrying cannot change the database's answer.
			return nonRetryable("projection_refused", err)
		}
		return err
	}
	return nil
}
