package quota

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Spend asks the store to add units to a window, within limits.
type Spend struct {
	Platform takedown.Platform
	Start    time.Time
	End      time.Time
	Purpose  Purpose
	Units    int
	// IDs is how many content ids a probe call carries.
	IDs int
	Limits
}

// Store keeps the windows; every worker shares it.
type Store interface {
	// SpendQuota adds the spend if, after it, the window stays within the
	// limits and is not exhausted, in one statement; it answers the window
	// as it stands and whether the spend was made (a refusal is counted).
	SpendQuota(ctx context.Context, s Spend) (Window, bool, error)
	// RefundQuota takes back a spend made in the window starting at
	// Start, which must hold at least the units.
	RefundQuota(ctx context.Context, s Spend) (Window, error)
	// ExhaustQuota marks a window spent.
	ExhaustQuota(ctx context.Context, p takedown.Platform, start, end time.Time) error
	// QuotaWindows lists the windows that end after the given time.
	QuotaWindows(ctx context.Context, after time.Time) ([]Window, error)
}

// Ledger spends the platforms' allowances.
type Ledger struct {
	store   Store
	budgets map[takedown.Platform]Budget
	now     func() time.Time
}

// NewLedger checks the budgets. A platform without one is not metered.
func NewLedger(s Store, budgets map[takedown.Platform]Budget, now func() time.Time) (*Ledger, error) {
	if s == nil {
		return nil, errors.New("quota: a store is required")
	}
	for p, b := range budgets {
		if err := b.Validate(); err != nil {
			return nil, fmt.Errorf("quota for %s: %w", p, err)
		}
	}
	if now == nil {
		now = time.Now
	}
	return &Ledger{store: s, budgets: budgets, now: now}, nil
}

// Budget is a platform's allowance, if it is metered.
func (l *Ledger) Budget(p takedown.Platform) (Budget, bool) {
	b, ok := l.budgets[p]
	return b, ok
}

// Grant is the ledger's answer.
type Grant struct {
	OK bool
	// RetryAt is when to ask again, when refused.
	RetryAt time.Time
	Window  Window
}

// Spend spends units of a platform's allowance for a purpose. An unmetered
// platform is always granted.
func (l *Ledger) Spend(ctx context.Context, p takedown.Platform, purpose Purpose, units, ids int) (Grant, error) {
	b, ok := l.budgets[p]
	if !ok {
		return Grant{OK: true}, nil
	}
	now := l.now()
	start, end := b.Bounds(now)
	w, ok, err := l.store.SpendQuota(ctx, Spend{Platform: p, Start: start, End: end, Purpose: purpose,
		Units: units, IDs: ids, Limits: b.Limits(purpose, start, end, now)})
	if err != nil {
		return Grant{}, fmt.Errorf("spend %d %s units of %s: %w", units, purpose, p, err)
	}
	if ok {
		return Grant{OK: true, Window: w}, nil
	}
	return Grant{RetryAt: b.RetryAt(purpose, units, w, now), Window: w}, nil
}

// Refund gives back what a granted spend paid, to the window it was paid
// from, when the call it paid for never reached the platform: a platform
// charges for the requests it receives (YouTube charges even for invalid
// ones), not for those that never arrived. A grant of an unmetered
// platform has nothing to give back.
func (l *Ledger) Refund(ctx context.Context, p takedown.Platform, g Grant, purpose Purpose, units, ids int) error {
	if _, ok := l.budgets[p]; !ok || !g.OK || units <= 0 {
		return nil
	}
	if _, err := l.store.RefundQuota(ctx, Spend{Platform: p, Start: g.Window.Start, End: g.Window.End,
		Purpose: purpose, Units: units, IDs: ids}); err != nil {
		return fmt.Errorf("refund %d %s units of %s: %w", units, purpose, p, err)
	}
	return nil
}

// Exhausted records that the platform said its allowance is spent; the
// ledger refuses everything until the window ends, which it answers.
func (l *Ledger) Exhausted(ctx context.Context, p takedown.Platform) (time.Time, error) {
	b, ok := l.budgets[p]
	if !ok {
		return time.Time{}, nil
	}
	start, end := b.Bounds(l.now())
	if err := l.store.ExhaustQuota(ctx, p, start, end); err != nil {
		return time.Time{}, fmt.Errorf("mark the %s quota exhausted: %w", p, err)
	}
	return end, nil
}

// Status is a platform's current window with its budget, for people.
type Status struct {
	Window
	Budget    Budget `json:"budget"`
	ProbeCap  int    `json:"probe_cap"`
	PacedCap  int    `json:"probe_cap_now"`
	Remaining int    `json:"remaining"`
}

// Status lists every metered platform's current window.
func (l *Ledger) Status(ctx context.Context) ([]Status, error) {
	now := l.now()
	ws, err := l.store.QuotaWindows(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("read quota windows: %w", err)
	}
	var out []Status
	for p, b := range l.budgets {
		start, end := b.Bounds(now)
		w := Window{Platform: p, Start: start, End: end}
		for _, x := range ws {
			if x.Platform == p && x.Start.Equal(start) {
				w = x
			}
		}
		rem := b.Units - w.Reports - w.Probes
		if w.Exhausted {
			rem = 0
		}
		out = append(out, Status{Window: w, Budget: b, ProbeCap: b.ProbeCap(),
			PacedCap: b.PacedProbeCap(start, end, now), Remaining: max(rem, 0)})
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(string(a.Platform), string(b.Platform)) })
	return out, nil
}
