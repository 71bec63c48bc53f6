package store_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// Turns are handed out one interval apart in the order they are asked for;
// an idle platform banks no burst, a worker whose clock lags never moves a
// turn backwards, and each platform and purpose has its own line.
func TestReserveTurnSpacesCallsAtTheRate(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	every := 400 * time.Millisecond
	reserve := func(p takedown.Platform, purpose quota.Purpose, now time.Time) time.Time {
		t.Helper()
		at, err := s.ReserveTurn(ctx, p, purpose, every, now)
		if err != nil {
			t.Fatalf("ReserveTurn: %v", err)
		}
		return at
	}
	for i, want := range []time.Time{base, base.Add(every), base.Add(2 * every)} {
		if got := reserve(takedown.YouTube, quota.Report, base); !got.Equal(want) {
			t.Errorf("turn %d at %s, want %s", i, got, want)
		}
	}
	// A clock behind the line gets the next turn, not its own now.
	if got, want := reserve(takedown.YouTube, quota.Report, base.Add(-time.Hour)), base.Add(3*every); !got.Equal(want) {
		t.Errorf("lagging clock got %s, want %s", got, want)
	}
	// After an idle hour the next call goes now, and the one after it one
	// interval later: idleness is not saved up.
	later := base.Add(time.Hour)
	if got := reserve(takedown.YouTube, quota.Report, later); !got.Equal(later) {
		t.Errorf("after idling got %s, want %s", got, later)
	}
	if got, want := reserve(takedown.YouTube, quota.Report, later), later.Add(every); !got.Equal(want) {
		t.Errorf("second after idling got %s, want %s", got, want)
	}
	// Other lines are untouched by all of that.
	if got := reserve(takedown.YouTube, quota.Probe, base); !got.Equal(base) {
		t.Errorf("YouTube probes got %s, want %s", got, base)
	}
	if got := reserve(takedown.X, quota.Report, base); !got.Equal(base) {
		t.Errorf("X reports got %s, want %s", got, base)
	}
}

// Workers reserving at the same moment each get a turn of their own: no
// two share one and none is skipped.
func TestReserveTurnConcurrently(t *testing.T) {
	s := newStore(t)
	const n = 24
	every := time.Second
	var mu sync.Mutex
	var got []time.Time
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			at, err := s.ReserveTurn(t.Context(), takedown.Telegram, quota.Report, every, base)
			if err != nil {
				t.Errorf("ReserveTurn: %v", err)
				return
			}
			mu.Lock()
			got = append(got, at)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.SortFunc(got, time.Time.Compare)
	if len(got) != n {
		t.Fatalf("%d turns for %d callers", len(got), n)
	}
	for i, at := range got {
		if want := base.Add(time.Duration(i) * every); !at.Equal(want) {
			t.Errorf("turn %d at %s, want %s", i, at, want)
		}
	}
}

func TestReserveTurnRejectsNonsense(t *testing.T) {
	s := newStore(t)
	for _, tc := range []struct {
		purpose quota.Purpose
		every   time.Duration
	}{{quota.Report, 0}, {quota.Probe, -time.Second}, {"gossip", time.Second}} {
		if _, err := s.ReserveTurn(t.Context(), takedown.Meta, tc.purpose, tc.every, base); !errors.Is(err, takedown.ErrInvalid) {
			t.Errorf("%s every %s: err %v, want ErrInvalid", tc.purpose, tc.every, err)
		}
	}
}
