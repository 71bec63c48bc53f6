package quota

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Rates caps how fast each platform is called, in calls per second across
// every worker (0 or absent = unlimited): Send for notices, Probe for
// status probes.
type Rates struct {
	Send  map[takedown.Platform]float64
	Probe map[takedown.Platform]float64
}

// PaceStore reserves turns; every worker shares it.
type PaceStore interface {
	// ReserveTurn gives the caller the later of now and the platform's
	// next free turn for the purpose, and moves the next free turn one
	// interval past it, in one statement.
	ReserveTurn(ctx context.Context, p takedown.Platform, purpose Purpose, interval time.Duration, now time.Time) (time.Time, error)
}

// Pacer spaces a platform's calls at its configured rate. A caller reserves
// a turn and calls at that time, however far ahead it is: unlike a rate
// limiter that turns callers away, nobody loses their place by waiting, so
// a backlog (a morning's confirmations against YouTube's 200 reports a day)
// goes out in the order it was confirmed, at the rate, and no turn is
// wasted on a caller that gave up and asked again.
//
// The engine could enforce the same rate on a task queue of the
// platform's own (TaskQueueActivitiesPerSecond), which is how sends were
// paced before: it costs every send and probe a trip through matching
// that an activity on the workflow's own queue does not make (see
// BENCHMARKS.md), whether or not the platform has a rate at all.
type Pacer struct {
	store PaceStore
	every map[Purpose]map[takedown.Platform]time.Duration
	now   func() time.Time
}

// NewPacer checks the rates.
func NewPacer(s PaceStore, r Rates, now func() time.Time) (*Pacer, error) {
	if s == nil {
		return nil, errors.New("quota: a store is required to pace calls")
	}
	if now == nil {
		now = time.Now
	}
	pc := &Pacer{store: s, now: now, every: map[Purpose]map[takedown.Platform]time.Duration{}}
	for purpose, rates := range map[Purpose]map[takedown.Platform]float64{Report: r.Send, Probe: r.Probe} {
		pc.every[purpose] = map[takedown.Platform]time.Duration{}
		for p, rate := range rates {
			switch {
			case math.IsNaN(rate) || math.IsInf(rate, 0) || rate < 0:
				return nil, fmt.Errorf("quota: %s rate of %s must be a positive number or 0, not %g", purpose, p, rate)
			case rate == 0:
				continue
			}
			// A rate above a million a second is no rate: the interval
			// would round to nothing.
			pc.every[purpose][p] = max(time.Duration(float64(time.Second)/rate), time.Microsecond)
		}
	}
	return pc, nil
}

// Paced says whether calls of the purpose to p are paced at all.
func (pc *Pacer) Paced(p takedown.Platform, purpose Purpose) bool {
	_, ok := pc.every[purpose][p]
	return ok
}

// Turn reserves the next turn for a call of the purpose to p and answers
// when it is; ok is false (and nothing is reserved) when the platform is
// not paced for that purpose.
func (pc *Pacer) Turn(ctx context.Context, p takedown.Platform, purpose Purpose) (at time.Time, ok bool, err error) {
	every, ok := pc.every[purpose][p]
	if !ok {
		return time.Time{}, false, nil
	}
	at, err = pc.store.ReserveTurn(ctx, p, purpose, every, pc.now())
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reserve a %s turn on %s: %w", purpose, p, err)
	}
	return at, true, nil
}
