package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// ErrWaitingForTurn: the platform is paced (a configured send or probe
// rate) and this call's turn is later; the attempt ends, holding the turn,
// and the retry comes at it. Nothing was sent or asked.
const ErrWaitingForTurn = "waiting_for_turn"

// Pacer spaces each platform's calls at its configured rate across every
// worker (quota.Pacer).
type Pacer interface {
	// Turn reserves the next turn for a call of the purpose to p; ok is
	// false when the platform is not paced for it.
	Turn(ctx context.Context, p takedown.Platform, purpose quota.Purpose) (at time.Time, ok bool, err error)
}

// turn is a reserved turn carried to the attempt it was reserved for, in
// the heartbeat details. Attempt ties it to that attempt: the attempt that
// used it and then failed (a platform's 503) leaves the same details
// behind, and the retry after it must take a turn of its own.
type turn struct {
	At      time.Time `json:"at"`
	Attempt int32     `json:"attempt"`
}

// waitWithin is the longest wait for a turn held inside the attempt; a
// longer one ends the attempt and comes back through the retry policy,
// which holds no worker slot while it waits.
const waitWithin = 2 * time.Second

// awaitTurn holds a call to a paced platform until its turn. held is what
// the previous attempt left; keep records the turn this attempt hands on
// (with whatever else the heartbeat carries) when it has to wait for it.
// nil means it is the call's turn now.
func (a *Activities) awaitTurn(ctx context.Context, p takedown.Platform, purpose quota.Purpose, held *turn, keep func(*turn)) error {
	if a.Pacer == nil {
		return nil
	}
	attempt := int32(1)
	if activity.IsActivity(ctx) {
		attempt = activity.GetInfo(ctx).Attempt
	}
	at := time.Time{}
	if held != nil && held.Attempt == attempt {
		at = held.At
	} else {
		t, ok, err := a.Pacer.Turn(ctx, p, purpose)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		at = t
	}
	wait := at.Sub(a.Now())
	if wait <= 0 {
		return nil
	}
	if wait <= waitWithin {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for a %s turn on %s: %w", purpose, p, ctx.Err())
		case <-t.C:
			return nil
		}
	}
	keep(&turn{At: at, Attempt: attempt + 1})
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("%s on %s paced: its turn is at %s", purpose, p, at.UTC().Format(time.RFC3339)), ErrWaitingForTurn,
		temporal.ApplicationErrorOptions{NextRetryDelay: wait, Category: polling})
}
