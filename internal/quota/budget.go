// Package quota keeps each platform's allowance — YouTube's quota units a
// day, X's requests a 15-minute window — in one ledger that every worker
// shares, so that reports and probes spend it knowingly: reports first,
// probes from a share of their own, spread over the window.
package quota

import (
	"fmt"
	"time"
	_ "time/tzdata" // YouTube's day ends at midnight America/Los_Angeles, wherever the worker runs.

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Purpose is what units are spent on.
type Purpose string

const (
	// Report: a notice sent through the platform's API (YouTube's
	// reportAbuse, 50 units). Reports come first.
	Report Purpose = "report"
	// Probe: a status call answering up to a batch of ids.
	Probe Purpose = "probe"
)

// Budget is one platform's allowance.
type Budget struct {
	// Units per window: quota units (YouTube) or requests (X).
	Units int `json:"units"`
	// Window: fixed windows of this length from the Unix epoch (X's 15
	// minutes), or, when Daily is set, calendar days in that zone.
	Window time.Duration  `json:"window,omitempty"`
	Daily  *time.Location `json:"-"`
	// ProbeShare is the part of Units probes may take. Probes take it
	// evenly over the window (plus a small burst), so that a busy morning
	// of probes never leaves the afternoon's reports short.
	ProbeShare float64 `json:"probe_share"`
	// ReportReserve is what probes always leave unspent, for reports and
	// for what the platform counts that the ledger does not see (YouTube
	// charges the abuse-reason list too).
	ReportReserve int `json:"report_reserve"`
}

// DefaultBudgets are the platforms' published allowances: YouTube's
// 10,000 units a day (reset at midnight Pacific time), of which probes take
// at most a tenth; X's 900 post lookups per app per 15 minutes, all of them
// probes (X takes notices through its portal, not its API).
func DefaultBudgets() map[takedown.Platform]Budget {
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(fmt.Sprintf("quota: embedded time zone data: %v", err))
	}
	return map[takedown.Platform]Budget{
		takedown.YouTube: {Units: 10_000, Daily: pacific, ProbeShare: 0.10, ReportReserve: 500},
		takedown.X:       {Units: 900, Window: 15 * time.Minute, ProbeShare: 0.95},
	}
}

// Validate says what is wrong with a budget.
func (b Budget) Validate() error {
	switch {
	case b.Units <= 0:
		return fmt.Errorf("units must be positive, not %d", b.Units)
	case b.Daily == nil && b.Window <= 0:
		return fmt.Errorf("a window length or a daily time zone is required")
	case b.ProbeShare < 0 || b.ProbeShare > 1:
		return fmt.Errorf("probe share must be between 0 and 1, not %g", b.ProbeShare)
	case b.ReportReserve < 0 || b.ReportReserve > b.Units:
		return fmt.Errorf("report reserve must be between 0 and the units, not %d", b.ReportReserve)
	}
	return nil
}

// Bounds is the window that holds t.
func (b Budget) Bounds(t time.Time) (start, end time.Time) {
	if b.Daily != nil {
		l := t.In(b.Daily)
		start = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, b.Daily)
		return start.UTC(), start.AddDate(0, 0, 1).UTC()
	}
	start = t.Truncate(b.Window)
	return start.UTC(), start.Add(b.Window).UTC()
}

// ProbeCap is the probes' share.
func (b Budget) ProbeCap() int { return int(float64(b.Units) * b.ProbeShare) }

// probeBurst is how far probes may run ahead of an even pace: enough for a
// slot's batches, small against the share.
func (b Budget) probeBurst() int { return max(b.ProbeCap()/50, 1) }

// PacedProbeCap is what probes may have spent by now.
func (b Budget) PacedProbeCap(start, end, now time.Time) int {
	frac := float64(now.Sub(start)) / float64(end.Sub(start))
	return min(b.ProbeCap(), int(frac*float64(b.ProbeCap()))+b.probeBurst())
}

// Limits are the ceilings one spend must stay under, worked out in Go and
// applied by the store in one statement, so that concurrent workers never
// overspend.
type Limits struct {
	// MaxTotal bounds reports and probes together after the spend.
	MaxTotal int
	// MaxProbes bounds probes after the spend (probes only).
	MaxProbes int
}

// Limits for units of purpose spent at now.
func (b Budget) Limits(p Purpose, start, end, now time.Time) Limits {
	if p == Report {
		return Limits{MaxTotal: b.Units, MaxProbes: -1}
	}
	return Limits{MaxTotal: b.Units - b.ReportReserve, MaxProbes: b.PacedProbeCap(start, end, now)}
}

// RetryAt is when a refused spend can next succeed: for a probe held back
// by the pace, once the pace has caught up; otherwise the next window.
func (b Budget) RetryAt(p Purpose, units int, w Window, now time.Time) time.Time {
	if p == Probe && !w.Exhausted && w.Reports+w.Probes+units <= b.Units-b.ReportReserve && w.Probes+units <= b.ProbeCap() {
		need := w.Probes + units - b.probeBurst()
		frac := float64(need) / float64(b.ProbeCap())
		at := w.Start.Add(time.Duration(frac * float64(w.End.Sub(w.Start))))
		if at.After(now) {
			return at
		}
		return now.Add(time.Second)
	}
	return w.End
}

// Window is what one window of a platform's allowance holds.
type Window struct {
	Platform takedown.Platform `json:"platform"`
	Start    time.Time         `json:"start"`
	End      time.Time         `json:"end"`
	Reports  int               `json:"report_units"`
	Probes   int               `json:"probe_units"`
	// Calls counts the probe calls the units paid for; IDs the content
	// ids they carried.
	Calls int `json:"probe_calls"`
	IDs   int `json:"probe_ids"`
	// Exhausted is set when the platform itself said the allowance is
	// spent (another client of the same project, or units the ledger does
	// not see); nothing more is spent until the window ends.
	Exhausted bool `json:"exhausted"`
	// Refused counts spends the ledger turned down, by purpose.
	RefusedReports int `json:"refused_reports"`
	RefusedProbes  int `json:"refused_probes"`
	// Refunded counts units paid for calls that never reached the
	// platform and were given back (they are no longer in Reports or
	// Probes).
	Refunded int `json:"refunded_units"`
}

// Scaled turns the budgets' windows into fixed windows scale times as long,
// for a stack whose policy is scaled (a demonstration's hours in seconds):
// the probes' pace then keeps step with the scaled probe schedule.
func Scaled(budgets map[takedown.Platform]Budget, scale float64) map[takedown.Platform]Budget {
	out := make(map[takedown.Platform]Budget, len(budgets))
	for p, b := range budgets {
		if scale > 0 && scale != 1 {
			length := b.Window
			if b.Daily != nil {
				length = 24 * time.Hour
			}
			b.Daily, b.Window = nil, max(time.Duration(float64(length)*scale), time.Second)
		}
		out[p] = b
	}
	return out
}
