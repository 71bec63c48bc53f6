package quota_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// lineStore is an in-memory PaceStore, one line per platform and purpose.
type lineStore struct {
	next  map[string]time.Time
	asked []time.Duration
	err   error
}

func (s *lineStore) ReserveTurn(_ context.Context, p takedown.Platform, purpose quota.Purpose, every time.Duration, now time.Time) (time.Time, error) {
	if s.err != nil {
		return time.Time{}, s.err
	}
	s.asked = append(s.asked, every)
	k := string(p) + "/" + string(purpose)
	at := s.next[k]
	if at.Before(now) {
		at = now
	}
	s.next[k] = at.Add(every)
	return at, nil
}

func TestPacerTurnsFollowTheRate(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	st := &lineStore{next: map[string]time.Time{}}
	pc, err := quota.NewPacer(st, quota.Rates{
		Send:  map[takedown.Platform]float64{takedown.YouTube: 0.5, takedown.X: 0},
		Probe: map[takedown.Platform]float64{takedown.X: 4},
	}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p       takedown.Platform
		purpose quota.Purpose
		paced   bool
	}{
		{takedown.YouTube, quota.Report, true}, {takedown.YouTube, quota.Probe, false},
		{takedown.X, quota.Report, false}, {takedown.X, quota.Probe, true},
		{takedown.Meta, quota.Report, false},
	} {
		if got := pc.Paced(tc.p, tc.purpose); got != tc.paced {
			t.Errorf("Paced(%s, %s) = %v, want %v", tc.p, tc.purpose, got, tc.paced)
		}
	}
	// Unpaced: no turn, nothing reserved.
	if _, ok, err := pc.Turn(t.Context(), takedown.Meta, quota.Report); ok || err != nil {
		t.Errorf("unpaced Turn: ok %v, err %v", ok, err)
	}
	if len(st.asked) != 0 {
		t.Errorf("an unpaced platform reserved %d turns", len(st.asked))
	}
	// 0.5 a second is a turn every 2 s; 4 a second every 250 ms.
	for i, want := range []time.Time{now, now.Add(2 * time.Second), now.Add(4 * time.Second)} {
		at, ok, err := pc.Turn(t.Context(), takedown.YouTube, quota.Report)
		if !ok || err != nil || !at.Equal(want) {
			t.Errorf("YouTube send %d: %s %v %v, want %s", i, at, ok, err, want)
		}
	}
	if at, _, _ := pc.Turn(t.Context(), takedown.X, quota.Probe); !at.Equal(now) {
		t.Errorf("X probe at %s, want %s", at, now)
	}
	if got := st.asked[len(st.asked)-1]; got != 250*time.Millisecond {
		t.Errorf("X probes every %s, want 250ms", got)
	}
	st.err = errors.New("database down")
	if _, _, err := pc.Turn(t.Context(), takedown.YouTube, quota.Report); err == nil || !strings.Contains(err.Error(), "database down") {
		t.Errorf("store failure: %v", err)
	}
}

func TestNewPacerRejectsBadRates(t *testing.T) {
	st := &lineStore{next: map[string]time.Time{}}
	for _, rate := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := quota.NewPacer(st, quota.Rates{Probe: map[takedown.Platform]float64{takedown.X: rate}}, nil); err == nil {
			t.Errorf("rate %g accepted", rate)
		}
	}
	if _, err := quota.NewPacer(nil, quota.Rates{}, nil); err == nil {
		t.Error("a pacer without a store was accepted")
	}
}
