// Package reports writes the scheduled compliance reports: one day's
// figures per platform and category, recorded in the audit trail where
// auditors already read, by a workflow a Temporal Schedule starts.
package reports

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/workflows"
)

// Store is what reports need from the database.
type Store interface {
	ComplianceStats(ctx context.Context, from, to time.Time) ([]store.ComplianceRow, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, int64, error)
	AppendAudit(ctx context.Context, e store.AuditEntry) error
}

// Activities are the report's activities.
type Activities struct {
	Store  Store
	Logger *slog.Logger
}

// Action is the audit action of a daily report; its subject is the day.
const Action = "report.compliance"

// ComplianceReport computes the figures of the period and appends them to
// the audit trail, once per day: a retried run finds the entry and writes
// nothing more.
func (a *Activities) ComplianceReport(ctx context.Context, p workflows.ReportPeriod) (workflows.ReportSummary, error) {
	day := p.From.UTC().Format(time.DateOnly)
	sum := workflows.ReportSummary{Period: p}
	existing, _, err := a.Store.ListAudit(ctx, store.AuditFilter{SubjectType: "report", SubjectID: day, Limit: 10})
	if err != nil {
		return sum, fmt.Errorf("report %s: look for an earlier report: %w", day, err)
	}
	rows, err := a.Store.ComplianceStats(ctx, p.From, p.To)
	if err != nil {
		return sum, fmt.Errorf("report %s: %w", day, err)
	}
	for _, r := range rows {
		sum.Takedowns += r.Total
		sum.Removed += r.Removed
		sum.RemovedWithinDeadline += r.RemovedWithinDeadline
	}
	for _, e := range existing {
		if e.Action == Action {
			sum.AlreadyReported = true
			return sum, nil
		}
	}
	if err := a.Store.AppendAudit(ctx, store.AuditEntry{
		ActorRole: "system", Action: Action, SubjectType: "report", SubjectID: day,
		Detail: map[string]any{"from": p.From, "to": p.To, "rows": rows,
			"takedowns": sum.Takedowns, "removed": sum.Removed, "removed_within_deadline": sum.RemovedWithinDeadline},
	}); err != nil {
		return sum, fmt.Errorf("report %s: record: %w", day, err)
	}
	activity.GetLogger(ctx).Info("compliance report written", "day", day, "takedowns", sum.Takedowns)
	return sum, nil
}

// StartWorker polls the report task queue. The caller stops it.
func StartWorker(c client.Client, a *Activities) (worker.Worker, error) {
	w := worker.New(c, workflows.ReportTaskQueue, worker.Options{WorkerStopTimeout: 10 * time.Second})
	w.RegisterWorkflowWithOptions(workflows.DailyComplianceReport, workflow.RegisterOptions{Name: workflows.DailyReportWorkflow})
	w.RegisterActivityWithOptions(a.ComplianceReport, activity.RegisterOptions{Name: workflows.ComplianceReportActivity})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start report worker: %w", err)
	}
	return w, nil
}

// EnsureSchedule creates the daily report's schedule (00:10 UTC) unless it
// exists, and reports whether it created it.
func EnsureSchedule(ctx context.Context, c client.Client) (bool, error) {
	h := c.ScheduleClient().GetHandle(ctx, workflows.DailyReportSchedule)
	if _, err := h.Describe(ctx); err == nil {
		return false, nil
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: workflows.DailyReportSchedule,
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Hour: []client.ScheduleRange{{Start: 0}}, Minute: []client.ScheduleRange{{Start: 10}},
			}},
			TimeZoneName: "UTC",
		},
		Action: &client.ScheduleWorkflowAction{
			ID: "takedown-daily-compliance-report", Workflow: workflows.DailyReportWorkflow, TaskQueue: workflows.ReportTaskQueue,
		},
	})
	if err != nil {
		return false, fmt.Errorf("create schedule %s: %w", workflows.DailyReportSchedule, err)
	}
	return true, nil
}
