// Package probesim plays a platform's probe schedule forward on a simulated
// clock: open takedowns arriving every day, content removed at random
// times, the probes the schedule asks for packed into batch calls at each
// slot, paid for under the quota ledger's rules. It answers what probing
// costs (units per day, ids per call) and how soon a removal is seen, with
// the very schedule, budget and packing the workers use.
package probesim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/quota"
)

// Config is one simulation.
type Config struct {
	Name     string                   `json:"name"`
	Schedule activities.ProbeSchedule `json:"schedule"`
	// ConfirmGap separates the two sightings removal needs.
	ConfirmGap time.Duration `json:"confirm_gap"`
	// BatchSize is the ids one call carries; a call costs ProbeCost units.
	BatchSize int `json:"batch_size"`
	ProbeCost int `json:"probe_cost"`
	// Budget is the platform's allowance; probes spend under its rules.
	Budget quota.Budget `json:"budget"`
	// NewPerDay takedowns arrive each day, at random times.
	NewPerDay int `json:"new_per_day"`
	// EarlyRemoval is the share of content removed in the first 24 hours
	// after the notice (at a uniformly random time); the rest is removed
	// uniformly between one day and 1+LateSpan days after it.
	EarlyRemoval float64       `json:"early_removal"`
	LateSpan     time.Duration `json:"late_span"`
	// Days simulated; the first WarmUp days fill the population and are
	// not measured.
	Days   int   `json:"days"`
	WarmUp int   `json:"warm_up_days"`
	Seed   int64 `json:"seed"`
}

// YouTube is the scenario the defaults are held to: 200 new
// takedowns a day, which with 40% removed on the first day and the rest
// over the next two weeks keeps about 1,000 open.
func YouTube(s activities.ProbeSchedule, gap time.Duration, b quota.Budget) Config {
	return Config{Name: "youtube", Schedule: s, ConfirmGap: gap, BatchSize: 50, ProbeCost: 1, Budget: b,
		NewPerDay: 200, EarlyRemoval: 0.4, LateSpan: 14 * 24 * time.Hour, Days: 40, WarmUp: 20, Seed: 1}
}

// Lag is a distribution of delays, in minutes.
type Lag struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_min"`
	P95 float64 `json:"p95_min"`
	Max float64 `json:"max_min"`
}

// Result is what one simulation measured over its measured days.
type Result struct {
	Config Config `json:"config"`
	// OpenAvg is the mean number of open takedowns at a slot.
	OpenAvg float64 `json:"open_avg"`
	// UnitsPerDay is what probes spent a day; Share is that over the
	// platform's units a day (for a windowed budget, over a day's worth).
	UnitsPerDay         float64 `json:"probe_units_per_day"`
	ShareOfDailyQuota   float64 `json:"share_of_daily_quota"`
	UnitsPerTakedownDay float64 `json:"units_per_open_takedown_day"`
	IDsPerCall          float64 `json:"ids_per_call"`
	// MaxCallsPerWindow is the most calls in one budget window.
	MaxCallsPerWindow int `json:"max_calls_per_window"`
	// RefusedCalls were held back by the ledger's pace or share.
	RefusedCalls int `json:"refused_calls"`
	// Detection is from removal to the first probe that saw it gone;
	// Recorded to the confirming probe, when removal is recorded. Early:
	// content removed within 24 hours of its notice; Late: afterwards.
	DetectionEarly Lag `json:"detection_lag_first_24h"`
	DetectionLate  Lag `json:"detection_lag_after_24h"`
	RecordedEarly  Lag `json:"recorded_lag_first_24h"`
	RecordedLate   Lag `json:"recorded_lag_after_24h"`
}

type tracked struct {
	key       string
	since     time.Time
	removedAt time.Time
	seenAt    time.Time // first sighting of removal
	confirmAt time.Time // earliest slot for the confirming probe
	done      bool
}

// Run plays the simulation.
func Run(c Config) (Result, error) {
	s := c.Schedule
	if !s.On() || c.BatchSize <= 0 || c.Days <= c.WarmUp || c.NewPerDay <= 0 {
		return Result{}, fmt.Errorf("probesim %s: a schedule, a batch size and measured days are required", c.Name)
	}
	rng := rand.New(rand.NewPCG(uint64(c.Seed), 2))
	day := 24 * time.Hour
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	measureFrom := start.Add(time.Duration(c.WarmUp) * day)
	end := start.Add(time.Duration(c.Days) * day)

	// Arrivals, in time order.
	var arrivals []time.Time
	for d := range c.Days {
		for range c.NewPerDay {
			arrivals = append(arrivals, start.Add(time.Duration(d)*day+time.Duration(rng.Int64N(int64(day)))))
		}
	}
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })

	var open []*tracked
	var detE, detL, recE, recL []float64
	var calls, ids, refused, slots, openSum int
	var units int
	windowCalls := map[time.Time]int{}
	var win quota.Window
	next := 0
	for t := start; t.Before(end); t = t.Add(s.Slot) {
		for next < len(arrivals) && arrivals[next].Before(t) {
			at := arrivals[next]
			removal := time.Duration(rng.Int64N(int64(day)))
			if rng.Float64() >= c.EarlyRemoval {
				removal = day + time.Duration(rng.Int64N(int64(c.LateSpan)))
			}
			open = append(open, &tracked{key: fmt.Sprintf("content-%d", next), since: at, removedAt: at.Add(removal)})
			next++
		}
		// Which probes this slot carries: every takedown due at it, and
		// every confirming probe whose gap has passed.
		var due []*tracked
		for _, td := range open {
			if td.done || td.since.After(t) {
				continue
			}
			if !td.seenAt.IsZero() {
				if !t.Before(td.confirmAt) {
					due = append(due, td)
				}
				continue
			}
			if s.Due(td.key, td.since, t) {
				due = append(due, td)
			}
		}
		measured := !t.Before(measureFrom)
		if measured {
			slots++
			openSum += len(open)
		}
		ws, we := c.Budget.Bounds(t)
		if !win.Start.Equal(ws) {
			win = quota.Window{Start: ws, End: we}
		}
		for i := 0; i < len(due); i += c.BatchSize {
			batch := due[i:min(i+c.BatchSize, len(due))]
			lim := c.Budget.Limits(quota.Probe, ws, we, t)
			if win.Reports+win.Probes+c.ProbeCost > lim.MaxTotal || win.Probes+c.ProbeCost > lim.MaxProbes {
				if measured {
					refused++
				}
				continue
			}
			win.Probes += c.ProbeCost
			if measured {
				calls++
				ids += len(batch)
				units += c.ProbeCost
				windowCalls[ws]++
			}
			for _, td := range batch {
				if t.Before(td.removedAt) {
					continue // still there
				}
				if td.seenAt.IsZero() {
					td.seenAt = t
					td.confirmAt = s.Next(td.key, td.since, t, c.ConfirmGap, true)
					continue
				}
				td.done = true
				if td.removedAt.Before(measureFrom) {
					continue
				}
				det, rec := td.seenAt.Sub(td.removedAt).Minutes(), t.Sub(td.removedAt).Minutes()
				if td.removedAt.Sub(td.since) < day {
					detE, recE = append(detE, det), append(recE, rec)
				} else {
					detL, recL = append(detL, det), append(recL, rec)
				}
			}
		}
		open = slices.DeleteFunc(open, func(td *tracked) bool { return td.done })
	}
	days := float64(c.Days - c.WarmUp)
	r := Result{Config: c, RefusedCalls: refused,
		DetectionEarly: lag(detE), DetectionLate: lag(detL), RecordedEarly: lag(recE), RecordedLate: lag(recL)}
	if slots > 0 {
		r.OpenAvg = float64(openSum) / float64(slots)
	}
	r.UnitsPerDay = float64(units) / days
	ws, we := c.Budget.Bounds(start)
	perDay := float64(c.Budget.Units) * float64(day) / float64(we.Sub(ws))
	r.ShareOfDailyQuota = r.UnitsPerDay / perDay
	if r.OpenAvg > 0 {
		r.UnitsPerTakedownDay = r.UnitsPerDay / r.OpenAvg
	}
	if calls > 0 {
		r.IDsPerCall = float64(ids) / float64(calls)
	}
	for _, n := range windowCalls {
		r.MaxCallsPerWindow = max(r.MaxCallsPerWindow, n)
	}
	return r, nil
}

func lag(xs []float64) Lag {
	if len(xs) == 0 {
		return Lag{}
	}
	slices.Sort(xs)
	q := func(p float64) float64 { return round(xs[min(int(p*float64(len(xs))), len(xs)-1)]) }
	return Lag{N: len(xs), P50: q(0.5), P95: q(0.95), Max: round(xs[len(xs)-1])}
}

func round(v float64) float64 { return float64(int(v*100+0.5)) / 100 }
