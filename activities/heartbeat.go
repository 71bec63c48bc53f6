package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// minBeat keeps a tiny heartbeat timeout (in tests) from spinning.
const minBeat = 50 * time.Millisecond

// heartbeating runs work and heartbeats details throughout, so that a worker
// that dies in the middle of a long call (a platform taking its time, a
// hanging relay) is noticed within the heartbeat timeout instead of the
// start-to-close timeout, and the call is retried elsewhere.
//
// details is what the next attempt will read if this one dies: the caller
// passes what it already carries, so a periodic beat never replaces it with
// nothing. The first beat comes a quarter of the heartbeat timeout after the
// call began, so a quick call (most probes) costs the engine no write at
// all; then one every quarter, which the SDK batches into at most one per
// 80% of the timeout, always the latest. The beating stops before
// heartbeating returns, so that whatever the caller records next is the
// last word.
func heartbeating[T any](ctx context.Context, details any, work func() (T, error)) (T, error) {
	if !activity.IsActivity(ctx) {
		return work()
	}
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	if timeout <= 0 {
		// Nothing watches for heartbeats; a beat would only cost an RPC.
		return work()
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(max(timeout/4, minBeat))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, details)
			}
		}
	}()
	defer func() {
		close(stop)
		<-stopped
	}()
	return work()
}
