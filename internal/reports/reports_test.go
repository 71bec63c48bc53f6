package reports_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/reports"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/workflows"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestDailyReportCoversThePreviousDay runs the workflow in the SDK's test
// environment with its clock set: the period must be the UTC day before.
func TestDailyReportCoversThePreviousDay(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2026, 3, 15, 0, 10, 0, 0, time.UTC))
	var got workflows.ReportPeriod
	env.RegisterActivityWithOptions(func(_ context.Context, p workflows.ReportPeriod) (workflows.ReportSummary, error) {
		got = p
		return workflows.ReportSummary{Period: p, Takedowns: 3}, nil
	}, activity.RegisterOptions{Name: workflows.ComplianceReportActivity})
	env.ExecuteWorkflow(workflows.DailyComplianceReport)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var sum workflows.ReportSummary
	if err := env.GetWorkflowResult(&sum); err != nil || sum.Takedowns != 3 {
		t.Errorf("result %+v, %v", sum, err)
	}
	want := workflows.ReportPeriod{From: time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)}
	if !got.From.Equal(want.From) || !got.To.Equal(want.To) {
		t.Errorf("period %v, want %v", got, want)
	}
}

// TestComplianceReportWritesOncePerDay runs the activity against a real
// database twice for the same day: one audit entry.
func TestComplianceReportWritesOncePerDay(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, store.Config{URL: pgtest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &reports.Activities{Store: st}
	var env testsuite.WorkflowTestSuite
	aenv := env.NewTestActivityEnvironment()
	aenv.RegisterActivityWithOptions(a.ComplianceReport, activity.RegisterOptions{Name: workflows.ComplianceReportActivity})
	p := workflows.ReportPeriod{From: time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)}
	for i, wantAgain := range []bool{false, true} {
		v, err := aenv.ExecuteActivity(workflows.ComplianceReportActivity, p)
		if err != nil {
			t.Fatal(err)
		}
		var sum workflows.ReportSummary
		if err := v.Get(&sum); err != nil {
			t.Fatal(err)
		}
		if sum.AlreadyReported != wantAgain {
			t.Errorf("run %d: already reported = %v", i+1, sum.AlreadyReported)
		}
	}
	recs, _, err := st.ListAudit(ctx, store.AuditFilter{SubjectType: "report", SubjectID: "2026-03-14"})
	if err != nil || len(recs) != 1 || recs[0].Action != reports.Action {
		t.Errorf("audit entries %+v, %v", recs, err)
	}
}
