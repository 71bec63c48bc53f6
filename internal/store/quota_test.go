package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// The ledger's arithmetic as the database keeps it: the first spend of a
// window creates it, a spend that would pass a limit is refused and
// counted, probes stop at their own cap before reports do, a window the
// platform called spent refuses everything, and workers spending at once
// never overspend.
func TestSpendQuota(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	limits := quota.Limits{MaxTotal: 100, MaxProbes: 10}
	spend := func(purpose quota.Purpose, units int) (quota.Window, bool) {
		t.Helper()
		sp := quota.Spend{Platform: takedown.YouTube, Start: start, End: end, Purpose: purpose, Units: units, Limits: limits}
		if purpose == quota.Probe {
			sp.IDs = units
		}
		w, ok, err := s.SpendQuota(ctx, sp)
		if err != nil {
			t.Fatalf("SpendQuota(%s, %d): %v", purpose, units, err)
		}
		return w, ok
	}

	if w, ok := spend(quota.Report, 50); !ok || w.Reports != 50 || !w.End.Equal(end) {
		t.Fatalf("first spend of a window = %+v, %v; want the window created with 50 report units", w, ok)
	}
	if w, ok := spend(quota.Probe, 8); !ok || w.Probes != 8 || w.Calls != 1 || w.IDs != 8 {
		t.Fatalf("probe spend = %+v, %v; want 8 probe units in one call", w, ok)
	}
	if w, ok := spend(quota.Probe, 3); ok || w.Probes != 8 || w.RefusedProbes != 1 {
		t.Fatalf("probe past the probe cap = %+v, %v; want refused and counted", w, ok)
	}
	if w, ok := spend(quota.Report, 42); !ok || w.Reports != 92 {
		t.Fatalf("report within the total = %+v, %v", w, ok)
	}
	if w, ok := spend(quota.Report, 50); ok || w.Reports != 92 || w.RefusedReports != 1 {
		t.Fatalf("report past the total = %+v, %v; want refused and counted", w, ok)
	}
	// A call paid for that never reached the platform gives its units
	// back to the window they came from; never more than it holds.
	refund := func(purpose quota.Purpose, units, ids int) (quota.Window, error) {
		return s.RefundQuota(ctx, quota.Spend{Platform: takedown.YouTube, Start: start, End: end, Purpose: purpose, Units: units, IDs: ids})
	}
	if w, err := refund(quota.Report, 50, 0); err != nil || w.Reports != 42 || w.Probes != 8 || w.Refunded != 50 {
		t.Fatalf("refund of a report = %+v, %v; want 42 report units left and 50 refunded", w, err)
	}
	if w, err := refund(quota.Probe, 8, 8); err != nil || w.Probes != 0 || w.Calls != 0 || w.IDs != 0 || w.Refunded != 58 {
		t.Fatalf("refund of a probe call = %+v, %v; want no probe units, calls or ids left", w, err)
	}
	if _, err := refund(quota.Report, 43, 0); !errors.Is(err, takedown.ErrConflict) {
		t.Fatalf("refund of more than the window holds: %v, want a conflict", err)
	}
	if w, ok := spend(quota.Report, 50); !ok || w.Reports != 92 {
		t.Fatalf("report after the refund = %+v, %v; want the refunded units spendable again", w, ok)
	}
	if _, err := s.RefundQuota(ctx, quota.Spend{Platform: takedown.YouTube, Start: end, End: end.Add(time.Hour), Purpose: quota.Report, Units: 1}); !errors.Is(err, takedown.ErrConflict) {
		t.Fatalf("refund to a window never spent from: %v, want a conflict", err)
	}

	// A spend too large for a window that does not exist yet is refused
	// too, and the window it created stays empty.
	start, end = end, end.Add(24*time.Hour)
	if w, ok := spend(quota.Report, 101); ok || w.Reports != 0 || w.RefusedReports != 1 {
		t.Fatalf("spend larger than a fresh window = %+v, %v", w, ok)
	}
	if err := s.ExhaustQuota(ctx, takedown.YouTube, start, end); err != nil {
		t.Fatal(err)
	}
	if w, ok := spend(quota.Report, 1); ok || !w.Exhausted || w.Reports != 0 {
		t.Fatalf("spend in an exhausted window = %+v, %v", w, ok)
	}

	// Twenty workers spend 10 units each at once against a total of 100,
	// in a window none of them has seen.
	start, end = end, end.Add(24*time.Hour)
	limits = quota.Limits{MaxTotal: 100, MaxProbes: 100}
	var mu sync.Mutex
	granted := 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, ok, err := s.SpendQuota(ctx, quota.Spend{Platform: takedown.X, Start: start, End: end,
				Purpose: quota.Report, Units: 10, Limits: limits})
			if err != nil {
				t.Errorf("SpendQuota: %v", err)
				return
			}
			if ok {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	ws, err := s.QuotaWindows(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	var w quota.Window
	for _, x := range ws {
		if x.Platform == takedown.X && x.Start.Equal(start) {
			w = x
		}
	}
	if granted != 10 || w.Reports != 100 || w.RefusedReports != 10 {
		t.Errorf("%d of 20 concurrent spends granted, window %+v; want 10 granted, 100 units, 10 refused", granted, w)
	}
}
