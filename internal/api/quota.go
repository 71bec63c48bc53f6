package api

import (
	"context"
	"net/http"
	"time"

	"github.com/takedown-oss/takedown/internal/quota"
)

// Quota tells where each metered platform's allowance stands.
type Quota interface {
	Status(ctx context.Context) ([]quota.Status, error)
}

type quotaView struct {
	Platform      string    `json:"platform"`
	WindowStart   time.Time `json:"window_start"`
	WindowEnd     time.Time `json:"window_end"`
	Units         int       `json:"units"`
	ReportUnits   int       `json:"report_units"`
	ProbeUnits    int       `json:"probe_units"`
	ProbeShare    int       `json:"probe_share_units"`
	ProbeShareNow int       `json:"probe_share_units_now"`
	ReportReserve int       `json:"report_reserve_units"`
	Remaining     int       `json:"remaining_units"`
	ProbeCalls    int       `json:"probe_calls"`
	ProbeIDs      int       `json:"probe_ids"`
	IDsPerCall    float64   `json:"ids_per_probe_call"`
	Exhausted     bool      `json:"exhausted"`
	// RefundedUnits were paid for calls that never reached the platform
	// and given back; they are no longer in report_units or probe_units.
	RefundedUnits int `json:"refunded_units"`
	Refused       struct {
		Reports int `json:"reports"`
		Probes  int `json:"probes"`
	} `json:"refused"`
}

// quotaStatus shows each metered platform's current window: what reports
// and probes spent, what probes may spend by now, what is left, and how
// many calls the ledger held back. Staff see why a notice waits;
// supervisors and auditors what probing costs.
func (s *Server) quotaStatus(w http.ResponseWriter, r *http.Request) error {
	out := []quotaView{}
	if s.quota != nil {
		st, err := s.quota.Status(r.Context())
		if err != nil {
			return err
		}
		for _, q := range st {
			v := quotaView{Platform: string(q.Platform), WindowStart: q.Start, WindowEnd: q.End, Units: q.Budget.Units,
				ReportUnits: q.Reports, ProbeUnits: q.Probes, ProbeShare: q.ProbeCap, ProbeShareNow: q.PacedCap,
				ReportReserve: q.Budget.ReportReserve, Remaining: q.Remaining, ProbeCalls: q.Calls, ProbeIDs: q.IDs, Exhausted: q.Exhausted,
				RefundedUnits: q.Refunded}
			if q.Calls > 0 {
				v.IDsPerCall = float64(q.IDs) / float64(q.Calls)
			}
			v.Refused.Reports, v.Refused.Probes = q.RefusedReports, q.RefusedProbes
			out = append(out, v)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"platforms": out})
	return nil
}
