package activities_test

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// TestScheduledProbeKeepsToItsSlots: a probe on a metered platform asks
// nothing between slots and says when its next slot is; at its slot it
// asks, and a present answer names the next slot it is due at.
func TestScheduledProbeKeepsToItsSlots(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	_, c := h.takedownFor(youtubeURL)
	sched := activities.ProbeSchedule{Slot: 10 * time.Minute, Early: 10 * time.Minute, EarlyFor: 24 * time.Hour, Late: time.Hour}
	in := activities.ProbeInput{Content: c, UntilGone: true, ConfirmGap: 5 * time.Minute, Schedule: sched, Since: t0}
	retry := func(err error, wantType string) time.Duration {
		t.Helper()
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != wantType {
			t.Fatalf("probe: %v, want a %s error", err, wantType)
		}
		return ae.NextRetryDelay()
	}

	h.clock.Advance(3 * time.Minute) // 09:03, between slots
	_, err := h.acts.Probe(t.Context(), in)
	if d := retry(err, activities.ErrWaitingForSlot); d != 7*time.Minute {
		t.Errorf("wait %s, want until the 09:10 slot", d)
	}
	if n := h.sim.Requests(simulator.RouteYouTubeVideos); n != 0 {
		t.Fatalf("%d calls between slots, want none", n)
	}

	h.clock.Advance(7*time.Minute + 5*time.Second) // 09:10:05, in the slot
	_, err = h.acts.Probe(t.Context(), in)
	if d := retry(err, activities.ErrStillPresent); d != 10*time.Minute-5*time.Second {
		t.Errorf("next probe in %s, want at the 09:20 slot", d)
	}
	if n := h.sim.Requests(simulator.RouteYouTubeVideos); n != 1 {
		t.Fatalf("%d calls in the slot, want one", n)
	}

	// Removed: the confirming probe takes the first slot at least the gap
	// away, and removal needs it.
	h.setBehaviour(takedown.YouTube, c.ID, simulator.Behaviour{Initial: simulator.StatusRemoved})
	h.clock.Advance(10 * time.Minute) // 09:20:05
	_, err = h.acts.Probe(t.Context(), in)
	if d := retry(err, activities.ErrUnconfirmed); d != 10*time.Minute-5*time.Second {
		t.Errorf("confirming probe in %s, want at the 09:30 slot", d)
	}
}

// TestScheduledRecheckKeepsItsSlot: a re-check (nothing to confirm) whose
// retry was asked for a slot probes when it comes, however late the engine
// delivers it; forgetting the slot would leave it waiting for ever.
func TestScheduledRecheckKeepsItsSlot(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	_, c := h.takedownFor(youtubeURL)
	in := activities.ProbeInput{Content: c, Schedule: activities.ProbeSchedule{Slot: time.Second, Early: time.Second, Late: time.Second}}
	slot := t0.Add(time.Second)
	h.clock.Advance(1600 * time.Millisecond) // 600 ms into a slot: past its tolerance

	if _, err := h.probe(h.newEnv(nil), in); err == nil {
		t.Fatal("a first attempt past the slot's tolerance probed")
	}
	env := h.newEnv(nil)
	env.SetHeartbeatDetails(map[string]any{"slot": slot})
	res, err := h.probe(env, in)
	if err != nil {
		t.Fatalf("the attempt asked for a slot, delivered late: %v", err)
	}
	if res.State != takedown.ProbePresent || h.sim.Requests(simulator.RouteYouTubeVideos) != 1 {
		t.Errorf("result %+v after %d calls, want one call answering present", res, h.sim.Requests(simulator.RouteYouTubeVideos))
	}
}
