package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

func TestQuotaStatus(t *testing.T) {
	now := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC) // noon in Los Angeles
	var ledger *quota.Ledger
	e := newEnvWith(t, func(c *api.Config) {
		l, err := quota.NewLedger(c.Store.(quota.Store), quota.DefaultBudgets(), func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		ledger, c.Quota = l, l
	})
	ctx := context.Background()
	if g, err := ledger.Spend(ctx, takedown.YouTube, quota.Report, 50, 0); err != nil || !g.OK {
		t.Fatalf("report spend: %+v %v", g, err)
	}
	for range 3 {
		if g, err := ledger.Spend(ctx, takedown.YouTube, quota.Probe, 1, 40); err != nil || !g.OK {
			t.Fatalf("probe spend: %+v %v", g, err)
		}
	}
	var out struct {
		Platforms []struct {
			Platform      string    `json:"platform"`
			WindowStart   time.Time `json:"window_start"`
			Units         int       `json:"units"`
			ReportUnits   int       `json:"report_units"`
			ProbeUnits    int       `json:"probe_units"`
			ProbeShare    int       `json:"probe_share_units"`
			ProbeShareNow int       `json:"probe_share_units_now"`
			Remaining     int       `json:"remaining_units"`
			IDsPerCall    float64   `json:"ids_per_probe_call"`
		} `json:"platforms"`
	}
	if code := e.do(takedown.RoleStaff, "GET", "/api/v1/quota", "", &out); code != 200 {
		t.Fatalf("GET /api/v1/quota: %d", code)
	}
	if len(out.Platforms) != 2 || out.Platforms[0].Platform != "x" || out.Platforms[1].Platform != "youtube" {
		t.Fatalf("platforms %+v, want x and youtube", out.Platforms)
	}
	yt := out.Platforms[1]
	midnight := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC) // midnight PST
	if !yt.WindowStart.Equal(midnight) || yt.Units != 10_000 || yt.ReportUnits != 50 || yt.ProbeUnits != 3 ||
		yt.Remaining != 10_000-53 || yt.ProbeShare != 1000 || yt.ProbeShareNow != 520 || yt.IDsPerCall != 40 {
		t.Errorf("youtube %+v", yt)
	}
}
