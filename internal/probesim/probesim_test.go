package probesim

import (
	"testing"

	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// TestDefaultYouTubeScheduleFitsItsShare holds the production defaults to
// the targets: about 1,000 open YouTube takedowns with 200 new a day spend
// at most a tenth of the daily quota on probes, and a removal is seen
// within 10 minutes (p95) in the first day after the notice and within the
// hour after that.
func TestDefaultYouTubeScheduleFitsItsShare(t *testing.T) {
	pol := policy.Default().For(takedown.YouTube, takedown.DeepfakeSexual)
	r, err := Run(YouTube(pol.ProbeSchedule, pol.ConfirmGap, quota.DefaultBudgets()[takedown.YouTube]))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("open %.0f, %.0f units/day (%.1f%%), %.1f ids/call, refused %d, detection p95 %.1f / %.1f min, recorded p95 %.1f / %.1f min",
		r.OpenAvg, r.UnitsPerDay, 100*r.ShareOfDailyQuota, r.IDsPerCall, r.RefusedCalls,
		r.DetectionEarly.P95, r.DetectionLate.P95, r.RecordedEarly.P95, r.RecordedLate.P95)
	if r.OpenAvg < 850 || r.OpenAvg > 1150 {
		t.Errorf("%.0f open on average, want the scenario's 1,000", r.OpenAvg)
	}
	if r.ShareOfDailyQuota > 0.10 {
		t.Errorf("probes spend %.1f%% of the day's quota, want at most 10%%", 100*r.ShareOfDailyQuota)
	}
	if r.DetectionEarly.N < 1000 || r.DetectionEarly.P95 > 10 {
		t.Errorf("first-day detection %+v, want p95 ≤ 10 min over many removals", r.DetectionEarly)
	}
	if r.DetectionLate.N < 1000 || r.DetectionLate.P95 > 60 {
		t.Errorf("later detection %+v, want p95 ≤ 60 min over many removals", r.DetectionLate)
	}
	if r.IDsPerCall < 40 {
		t.Errorf("%.1f ids a call, want calls close to full (50)", r.IDsPerCall)
	}
}

// TestAShortBudgetSlowsProbesDown: with a share too small for the
// schedule, the ledger holds calls back and detection slows, but probes
// never spend more than their share.
func TestAShortBudgetSlowsProbesDown(t *testing.T) {
	pol := policy.Default().For(takedown.YouTube, takedown.DeepfakeSexual)
	b := quota.DefaultBudgets()[takedown.YouTube]
	b.ProbeShare = 0.04
	c := YouTube(pol.ProbeSchedule, pol.ConfirmGap, b)
	c.Days, c.WarmUp = 25, 20
	r, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if r.RefusedCalls == 0 || r.UnitsPerDay > float64(b.ProbeCap())*1.01 {
		t.Errorf("refused %d calls, spent %.0f units a day: want calls held back and at most the share (%d)", r.RefusedCalls, r.UnitsPerDay, b.ProbeCap())
	}
}

// TestDefaultXScheduleFitsItsWindow: X's lookups take 100 posts a request;
// the default grid stays far inside 900 requests a quarter hour.
func TestDefaultXScheduleFitsItsWindow(t *testing.T) {
	pol := policy.Default().For(takedown.X, takedown.DeepfakeSexual)
	b := quota.DefaultBudgets()[takedown.X]
	c := YouTube(pol.ProbeSchedule, pol.ConfirmGap, b)
	c.Name, c.BatchSize = "x", 100
	r, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("open %.0f, %.0f requests/day, at most %d in a window, %.1f ids/call, detection p95 %.1f / %.1f min, recorded p95 %.1f / %.1f min",
		r.OpenAvg, r.UnitsPerDay, r.MaxCallsPerWindow, r.IDsPerCall, r.DetectionEarly.P95, r.DetectionLate.P95, r.RecordedEarly.P95, r.RecordedLate.P95)
	if r.MaxCallsPerWindow > b.ProbeCap() || r.RefusedCalls != 0 {
		t.Errorf("%d calls in one window (share %d), %d refused", r.MaxCallsPerWindow, b.ProbeCap(), r.RefusedCalls)
	}
	if r.DetectionEarly.P95 > 2 || r.DetectionLate.P95 > 10 {
		t.Errorf("detection p95 %.1f / %.1f min, want within the grid's 2 and 10 minutes", r.DetectionEarly.P95, r.DetectionLate.P95)
	}
}
