package activities_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// scripted answers probes from a list, one answer a call, and notes when
// each call came.
type scripted struct {
	mu      sync.Mutex
	answers []takedown.ProbeState
	calls   []time.Time
}

func (s *scripted) Send(context.Context, takedown.Notice) (platforms.Submission, error) {
	return platforms.Submission{}, errors.New("not a sender")
}

func (s *scripted) Probe(context.Context, takedown.Content) (takedown.ProbeResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := min(len(s.calls), len(s.answers)-1)
	s.calls = append(s.calls, time.Now())
	return takedown.ProbeResult{State: s.answers[i]}, nil
}

func scriptedActivities(t *testing.T, answers ...takedown.ProbeState) (*activities.Activities, *scripted) {
	t.Helper()
	s := &scripted{answers: answers}
	ads := map[takedown.Platform]platforms.Adapter{}
	for _, p := range takedown.Platforms {
		ads[p] = s
	}
	a, err := activities.New(activities.Activities{Store: noStore{}, Adapters: ads})
	if err != nil {
		t.Fatal(err)
	}
	return a, s
}

// noStore fails every call: the probes here record nothing.
type noStore struct{ activities.Store }

// A confirmation gap of a second or two is waited out within the attempt:
// two calls a gap apart, one answer, no failed attempt for the engine to
// retry.
func TestShortConfirmGapConfirmsWithinTheAttempt(t *testing.T) {
	t.Parallel()
	const gap = 300 * time.Millisecond
	c := takedown.Content{Platform: takedown.Telegram, ID: "chan/1"}

	a, s := scriptedActivities(t, takedown.ProbeRemoved, takedown.ProbeRemoved)
	res, err := a.Probe(context.Background(), activities.ProbeInput{Content: c, UntilGone: true, ConfirmGap: gap})
	if err != nil || res.State != takedown.ProbeRemoved {
		t.Fatalf("probe = %+v, %v; want removed in one attempt", res, err)
	}
	if len(s.calls) != 2 {
		t.Fatalf("%d calls, want the sighting and its confirmation", len(s.calls))
	}
	if d := s.calls[1].Sub(s.calls[0]); d < gap {
		t.Errorf("confirmed %s after the first sighting, want at least the gap %s", d, gap)
	}

	// Content back by the second look: still present, nothing carried.
	a, s = scriptedActivities(t, takedown.ProbeRemoved, takedown.ProbePresent)
	_, err = a.Probe(context.Background(), activities.ProbeInput{Content: c, UntilGone: true, ConfirmGap: gap})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != activities.ErrStillPresent || len(s.calls) != 2 {
		t.Fatalf("removed then present came to %v after %d calls; want %s after 2", err, len(s.calls), activities.ErrStillPresent)
	}
	// Waiting is not an error: the SDK logs benign failures at debug level.
	if app.Category() != temporal.ApplicationErrorCategoryBenign {
		t.Errorf("%s is of category %v, want benign", app.Type(), app.Category())
	}

	// A gap of minutes goes through the retry policy: one call, then the
	// attempt asks to be retried after the gap.
	a, s = scriptedActivities(t, takedown.ProbeRemoved)
	_, err = a.Probe(context.Background(), activities.ProbeInput{Content: c, UntilGone: true, ConfirmGap: 5 * time.Minute})
	if !errors.As(err, &app) || app.Type() != activities.ErrUnconfirmed || app.NextRetryDelay() != 5*time.Minute || len(s.calls) != 1 {
		t.Fatalf("a five-minute gap came to %v after %d calls; want %s, retried in 5m, after 1", err, len(s.calls), activities.ErrUnconfirmed)
	}
	if app.Category() != temporal.ApplicationErrorCategoryBenign {
		t.Errorf("%s is of category %v, want benign", app.Type(), app.Category())
	}

	// A takedown that stops probing during the wait ends the attempt at once.
	a, s = scriptedActivities(t, takedown.ProbeRemoved, takedown.ProbeRemoved)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = a.Probe(ctx, activities.ProbeInput{Content: c, UntilGone: true, ConfirmGap: 2 * time.Second})
	if !errors.Is(err, context.DeadlineExceeded) || len(s.calls) != 1 {
		t.Fatalf("cancelled during the gap: %v after %d calls; want the context's error after 1", err, len(s.calls))
	}
}
