package quota

import (
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

func TestDailyWindowFollowsPacificMidnight(t *testing.T) {
	yt := DefaultBudgets()[takedown.YouTube]
	pacific := yt.Daily
	// The day daylight saving time begins is 23 hours long.
	at := time.Date(2026, 3, 8, 12, 0, 0, 0, pacific)
	start, end := yt.Bounds(at)
	if !start.Equal(time.Date(2026, 3, 8, 0, 0, 0, 0, pacific)) || end.Sub(start) != 23*time.Hour {
		t.Errorf("window %s – %s, want Pacific midnight to midnight, 23 h", start, end)
	}
	x := DefaultBudgets()[takedown.X]
	start, end = x.Bounds(time.Date(2026, 3, 8, 12, 7, 30, 0, time.UTC))
	if !start.Equal(time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)) || end.Sub(start) != 15*time.Minute {
		t.Errorf("X window %s – %s, want the 15 minutes holding 12:07:30", start, end)
	}
}

func TestProbesArePacedAndReportsComeFirst(t *testing.T) {
	b := Budget{Units: 10_000, Window: 24 * time.Hour, ProbeShare: 0.1, ReportReserve: 500}
	start := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	if got := b.PacedProbeCap(start, end, start); got != 20 {
		t.Errorf("cap at the window's start = %d, want the burst (20)", got)
	}
	if got := b.PacedProbeCap(start, end, start.Add(12*time.Hour)); got != 520 {
		t.Errorf("cap at noon = %d, want 500 + 20", got)
	}
	if got := b.PacedProbeCap(start, end, end.Add(-time.Second)); got != 1000 {
		t.Errorf("cap at the end = %d, want the share 1000", got)
	}
	l := b.Limits(Report, start, end, start)
	if l.MaxTotal != 10_000 || l.MaxProbes != -1 {
		t.Errorf("report limits %+v, want every unit and no probe bound", l)
	}
	l = b.Limits(Probe, start, end, start.Add(12*time.Hour))
	if l.MaxTotal != 9_500 || l.MaxProbes != 520 {
		t.Errorf("probe limits %+v, want the reserve left and the pace", l)
	}
	// Held back by the pace: ask again once the pace has caught up.
	w := Window{Start: start, End: end, Probes: 520}
	if got := b.RetryAt(Probe, 1, w, start.Add(12*time.Hour)); !got.Equal(start.Add(time.Duration(501.0 / 1000 * float64(24*time.Hour)))) {
		t.Errorf("retry at %s, want when 521 units are paced", got)
	}
	// Held back because reports took the rest: the next window.
	w = Window{Start: start, End: end, Reports: 9_400, Probes: 100}
	if got := b.RetryAt(Probe, 1, w, start.Add(12*time.Hour)); !got.Equal(end) {
		t.Errorf("retry at %s, want the window's end", got)
	}
	if got := b.RetryAt(Report, 50, Window{Start: start, End: end, Exhausted: true}, start); !got.Equal(end) {
		t.Errorf("report retry at %s, want the window's end", got)
	}
}

func TestBudgetValidate(t *testing.T) {
	for _, b := range []Budget{
		{Units: 0, Window: time.Hour},
		{Units: 10, ProbeShare: 0.5},
		{Units: 10, Window: time.Hour, ProbeShare: 1.5},
		{Units: 10, Window: time.Hour, ReportReserve: 11},
	} {
		if b.Validate() == nil {
			t.Errorf("%+v accepted", b)
		}
	}
	for p, b := range DefaultBudgets() {
		if err := b.Validate(); err != nil {
			t.Errorf("default %s: %v", p, err)
		}
	}
}
