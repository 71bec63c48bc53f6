package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ReportTaskQueue is where the scheduled reports run, apart from the
// takedowns so that a report never waits behind a batch.
const ReportTaskQueue = "takedown-reports"

// DailyReportSchedule is the id of the schedule setup creates, and
// DailyReportWorkflow the workflow type it starts.
const (
	DailyReportSchedule = "takedown-daily-compliance-report"
	DailyReportWorkflow = "DailyComplianceReport"
	// ComplianceReportActivity writes one day's figures to the audit trail.
	ComplianceReportActivity = "ComplianceReport"
)

// ReportPeriod is the day a report covers, [From, To).
type ReportPeriod struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// ReportSummary is what a report found, for the workflow's result.
type ReportSummary struct {
	Period                ReportPeriod `json:"period"`
	Takedowns             int          `json:"takedowns"`
	Removed               int          `json:"removed"`
	RemovedWithinDeadline int          `json:"removed_within_deadline"`
	// AlreadyReported is set when an earlier run wrote this day's report.
	AlreadyReported bool `json:"already_reported,omitempty"`
}

// DailyComplianceReport reports on the previous UTC day: the schedule
// starts it shortly after midnight. The day comes from the workflow's clock,
// which is the time the run started, so a run that is retried or delayed
// still reports on the day it was meant for.
func DailyComplianceReport(ctx workflow.Context) (ReportSummary, error) {
	today := workflow.Now(ctx).UTC().Truncate(24 * time.Hour)
	period := ReportPeriod{From: today.Add(-24 * time.Hour), To: today}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           ReportTaskQueue,
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: 10 * time.Minute, MaximumAttempts: 50},
	})
	var out ReportSummary
	err := workflow.ExecuteActivity(ctx, ComplianceReportActivity, period).Get(ctx, &out)
	return out, err
}
