package activities_test

import (
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// beats collects the heartbeat details an environment's attempt records,
// as the engine keeps the last one for the next attempt.
type beats struct {
	mu   sync.Mutex
	last map[string]any
}

func (b *beats) listen(env *testsuite.TestActivityEnvironment) {
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var m map[string]any
		if err := details.Get(&m); err != nil {
			return
		}
		b.mu.Lock()
		b.last = m
		b.mu.Unlock()
	})
}

// forNextAttempt is the last beat as the next attempt receives it. The
// activity environment numbers every attempt 1, so the turn a beat hands
// on to attempt 2 is renumbered to the attempt that will read it.
func (b *beats) forNextAttempt(t *testing.T) map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	turn, ok := b.last["turn"].(map[string]any)
	if !ok {
		t.Fatalf("the attempt handed on no turn: %v", b.last)
	}
	if turn["attempt"] != float64(2) {
		t.Errorf("turn handed on to attempt %v, want 2", turn["attempt"])
	}
	turn["attempt"] = 1
	return b.last
}

func turnAt(t *testing.T, beat map[string]any) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, beat["turn"].(map[string]any)["at"].(string))
	if err != nil {
		t.Fatalf("turn in %v: %v", beat, err)
	}
	return at
}

// A paced platform gets its notices one interval apart. A notice whose
// turn is later ends its attempt without claiming or sending anything and
// asks to be retried at its turn; the retry uses that turn rather than
// queueing again, and only the attempt it was handed to may use it.
func TestSendWaitsForItsTurn(t *testing.T) {
	every := 10 * time.Second
	h := newHarness(t, harnessConfig{rates: quota.Rates{Send: map[takedown.Platform]float64{takedown.YouTube: 1 / every.Seconds()}}})
	sent := func() int { return h.sim.Requests(simulator.RouteYouTubeReportAbuse) }

	confA, cA := h.takedownFor("https://www.youtube.com/watch?v=AAAAAAAAAAA")
	h.mustSend(noticeInput(confA, cA, 1))
	if sent() != 1 {
		t.Fatalf("%d reports for the first notice, want 1", sent())
	}

	confB, cB := h.takedownFor("https://www.youtube.com/watch?v=BBBBBBBBBBB")
	inB := noticeInput(confB, cB, 1)
	env := h.newEnv(nil)
	var b beats
	b.listen(env)
	_, err := env.ExecuteActivity(h.acts.SendNotice, inB)
	ae := appError(t, err)
	if ae.Type() != activities.ErrWaitingForTurn || ae.NextRetryDelay() != every {
		t.Fatalf("second notice: %v (retry in %s), want %s in %s", err, ae.NextRetryDelay(), activities.ErrWaitingForTurn, every)
	}
	if sent() != 1 {
		t.Errorf("%d reports while the second notice waits, want 1", sent())
	}
	if ns, err := h.store.ListNotices(t.Context(), confB.TakedownID); err != nil || len(ns) != 0 {
		t.Errorf("the waiting notice left %d notice rows (%v), want none", len(ns), err)
	}
	held := b.forNextAttempt(t)
	if at := turnAt(t, held); !at.Equal(t0.Add(every)) {
		t.Errorf("turn held for %s, want %s", at, t0.Add(every))
	}

	h.clock.Advance(every)
	env = h.newEnv(nil)
	env.SetHeartbeatDetails(held)
	if _, err := env.ExecuteActivity(h.acts.SendNotice, inB); err != nil {
		t.Fatalf("the retry at its turn: %v", err)
	}
	if sent() != 2 {
		t.Errorf("%d reports after the retry, want 2", sent())
	}
	// The retry spent the turn it held: the next free one follows it.
	if at, err := h.store.ReserveTurn(t.Context(), takedown.YouTube, quota.Report, every, h.clock.Now()); err != nil || !at.Equal(t0.Add(2*every)) {
		t.Errorf("next free turn %s (%v), want %s", at, err, t0.Add(2*every))
	}

	// A turn handed to another attempt (one that came and failed after
	// using it) is not this attempt's: it queues again.
	confC, cC := h.takedownFor("https://www.youtube.com/watch?v=CCCCCCCCCCC")
	env = h.newEnv(nil)
	env.SetHeartbeatDetails(map[string]any{"turn": map[string]any{"at": t0, "attempt": 7}})
	_, err = env.ExecuteActivity(h.acts.SendNotice, noticeInput(confC, cC, 1))
	if ae := appError(t, err); ae.Type() != activities.ErrWaitingForTurn || ae.NextRetryDelay() != 2*every {
		t.Errorf("notice holding another attempt's turn: %v (retry in %s), want to wait %s", err, ae.NextRetryDelay(), 2*every)
	}
	if sent() != 2 {
		t.Errorf("%d reports, want 2", sent())
	}
}

// A turn a moment away is waited for inside the attempt: a retry would
// cost the engine more than the wait.
func TestSendWaitsOutAShortTurn(t *testing.T) {
	every := 300 * time.Millisecond
	h := newHarness(t, harnessConfig{rates: quota.Rates{Send: map[takedown.Platform]float64{takedown.YouTube: 1 / every.Seconds()}}})
	confA, cA := h.takedownFor("https://www.youtube.com/watch?v=AAAAAAAAAAA")
	confB, cB := h.takedownFor("https://www.youtube.com/watch?v=BBBBBBBBBBB")
	h.mustSend(noticeInput(confA, cA, 1))
	start := time.Now()
	h.mustSend(noticeInput(confB, cB, 1))
	if waited := time.Since(start); waited < every*9/10 {
		t.Errorf("the second notice went after %s, before its turn %s later", waited, every)
	}
	if n := h.sim.Requests(simulator.RouteYouTubeReportAbuse); n != 2 {
		t.Errorf("%d reports, want 2", n)
	}
}

// A probe that saw the content gone and must wait for a turn to look again
// keeps that first sighting: at its turn the second sighting confirms the
// removal instead of starting over.
func TestProbeKeepsItsSightingWhileWaitingForATurn(t *testing.T) {
	every := 10 * time.Second
	h := newHarness(t, harnessConfig{rates: quota.Rates{Probe: map[takedown.Platform]float64{takedown.X: 1 / every.Seconds()}}})
	_, c := h.takedownFor(xURL)
	h.setBehaviour(takedown.X, c.ID, simulator.Behaviour{Initial: simulator.StatusRemoved})
	in := activities.ProbeInput{Content: c, UntilGone: true, ConfirmGap: 5 * time.Minute}
	asked := func() int { return h.sim.ContentRequests(takedown.X, c.ID) }

	env := h.newEnv(nil)
	var b beats
	b.listen(env)
	_, err := h.probe(env, in)
	if ae := appError(t, err); ae.Type() != activities.ErrUnconfirmed {
		t.Fatalf("first probe: %v, want %s", err, activities.ErrUnconfirmed)
	}
	b.mu.Lock()
	first := b.last
	b.mu.Unlock()
	if first["state"] != string(takedown.ProbeRemoved) {
		t.Fatalf("first sighting %v, want removed", first)
	}

	// Other takedowns have taken the next five minutes of X's probes.
	h.clock.Advance(5 * time.Minute)
	for range 30 {
		if _, err := h.store.ReserveTurn(t.Context(), takedown.X, quota.Probe, every, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	env = h.newEnv(nil)
	b.listen(env)
	env.SetHeartbeatDetails(first)
	_, err = h.probe(env, in)
	if ae := appError(t, err); ae.Type() != activities.ErrWaitingForTurn || ae.NextRetryDelay() != 30*every {
		t.Fatalf("confirming probe: %v (retry in %s), want to wait %s for its turn", err, ae.NextRetryDelay(), 30*every)
	}
	if asked() != 1 {
		t.Errorf("X asked %d times, want once", asked())
	}
	held := b.forNextAttempt(t)
	if held["state"] != string(takedown.ProbeRemoved) || held["at"] != first["at"] {
		t.Errorf("the wait handed on %v, want the first sighting %v", held, first)
	}

	h.clock.Advance(30 * every)
	env = h.newEnv(nil)
	env.SetHeartbeatDetails(held)
	res, err := h.probe(env, in)
	if err != nil || res.State != takedown.ProbeRemoved {
		t.Fatalf("probe at its turn: %+v, %v; want removal confirmed", res, err)
	}
	if asked() != 2 {
		t.Errorf("X asked %d times, want twice", asked())
	}
}
