package web

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

func reference(id uuid.UUID) string { return takedown.Reference(id) }

type overdueRow struct {
	TD   takedown.Takedown
	Late time.Duration
}

type overdueData struct {
	Rows      []overdueRow
	Platform  string
	Level     string
	Sort      string
	Query     string
	Platforms []takedown.Platform
	Poll      int
	AsOf      time.Time
}

var allPlatforms = []takedown.Platform{"telegram", "x", "meta", "youtube"}

// overduePage is the overdue board: every takedown past its deadline, how
// late and at which rung of the ladder. It refreshes itself: htmx asks for
// the table alone every Poll.
func (a *App) overduePage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := overdueData{Platform: q.Get("platform"), Level: q.Get("level"), Sort: cmp.Or(q.Get("sort"), "late"),
		Platforms: allPlatforms, Poll: int(a.poll.Seconds()), AsOf: a.now()}
	f := url.Values{"overdue": {"true"}, "limit": {"200"}}
	if d.Platform != "" {
		f.Set("platform", d.Platform)
	}
	if d.Level != "" {
		f.Set("level", d.Level)
	}
	var body struct {
		Takedowns []takedown.Takedown `json:"takedowns"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/takedowns?"+f.Encode(), nil, &body); err != nil {
		return err
	}
	for _, td := range body.Takedowns {
		row := overdueRow{TD: td}
		if td.Deadline != nil {
			row.Late = d.AsOf.Sub(*td.Deadline)
		}
		d.Rows = append(d.Rows, row)
	}
	slices.SortStableFunc(d.Rows, func(x, y overdueRow) int {
		switch d.Sort {
		case "level":
			return cmp.Compare(y.TD.EscalationLevel, x.TD.EscalationLevel)
		case "platform":
			return cmp.Compare(x.TD.Platform, y.TD.Platform)
		}
		return cmp.Compare(y.Late, x.Late)
	})
	d.Query = url.Values{"platform": {d.Platform}, "level": {d.Level}, "sort": {d.Sort}, "part": {"1"}}.Encode()
	v.Title, v.Data = v.T("overdue.title"), d
	if q.Get("part") == "1" {
		a.renderPart(w, v, "overdue", "board")
		return nil
	}
	a.render(w, v, "overdue")
	return nil
}

// Late says how late, in days and hours.
func (v *view) Late(d time.Duration) string {
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if days > 0 {
		return v.T("late.days_hours", days, hours)
	}
	return v.T("late.hours_minutes", hours, int(d%time.Hour/time.Minute))
}

func (a *App) escalationsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var body struct {
		Takedowns []takedown.Takedown `json:"takedowns"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/takedowns?status=awaiting_approval&limit=200", nil, &body); err != nil {
		return err
	}
	v.Title, v.Data = v.T("escalations.title"), body.Takedowns
	a.render(w, v, "escalations")
	return nil
}

func (a *App) decideEscalation(w http.ResponseWriter, r *http.Request, v *view) error {
	approve := r.PostFormValue("approve")
	if approve != "true" && approve != "false" {
		return pageError(http.StatusBadRequest, "error.bad_form")
	}
	return a.decide(w, r, v, "escalation", map[string]any{"approve": approve == "true", "reason": r.PostFormValue("reason")})
}

// extendDeadline reads the new deadline as a local time in the person's
// zone, as the form shows it.
func (a *App) extendDeadline(w http.ResponseWriter, r *http.Request, v *view) error {
	until, err := time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("until"), v.zone)
	if err != nil {
		return &pageErr{Status: http.StatusUnprocessableEntity, Key: "error.invalid", Detail: v.T("deadline.bad_time")}
	}
	return a.decide(w, r, v, "deadline", map[string]any{"until": until.UTC().Format(time.RFC3339), "reason": r.PostFormValue("reason")})
}

type complianceData struct {
	From, To string
	Rows     []store.ComplianceRow
	Chart    chart
	Query    string
}

func (a *App) compliance(w http.ResponseWriter, r *http.Request, v *view) (*complianceData, error) {
	q := r.URL.Query()
	to := a.now().In(v.zone)
	d := &complianceData{From: cmp.Or(q.Get("from"), to.AddDate(0, 0, -30).Format(time.DateOnly)), To: cmp.Or(q.Get("to"), to.AddDate(0, 0, 1).Format(time.DateOnly))}
	var body struct {
		Rows []store.ComplianceRow `json:"rows"`
	}
	p := url.Values{"from": {d.From}, "to": {d.To}}
	d.Query = p.Encode()
	if _, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/stats/compliance?"+p.Encode(), nil, &body); err != nil {
		return nil, err
	}
	d.Rows = body.Rows
	d.Chart = shareChart(v, d.Rows)
	return d, nil
}

func (a *App) compliancePage(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := a.compliance(w, r, v)
	if err != nil {
		return err
	}
	v.Title, v.Data = v.T("compliance.title"), d
	a.render(w, v, "compliance")
	return nil
}

// complianceCSV exports the figures. Cells a spreadsheet would read as a
// formula are quoted first.
func (a *App) complianceCSV(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := a.compliance(w, r, v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="compliance-`+d.From+`-`+d.To+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(safeRow([]string{"platform", "category", "total", "open", "removed", "removed_within_deadline", "within_deadline_share", "median_removal_seconds", "p90_removal_seconds"}))
	for _, row := range d.Rows {
		_ = cw.Write(safeRow([]string{string(row.Platform), string(row.Category), strconv.Itoa(row.Total), strconv.Itoa(row.Open),
			strconv.Itoa(row.Removed), strconv.Itoa(row.RemovedWithinDeadline), strconv.FormatFloat(row.WithinDeadlineShare, 'f', 4, 64),
			optSeconds(row.MedianRemovalSeconds), optSeconds(row.P90RemovalSeconds)}))
	}
	cw.Flush()
	return cw.Error()
}

func optSeconds(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', 0, 64)
}

// safeRow neutralizes cells that start like a formula (= + - @, tab, CR)
// by prefixing a quote, so that an exported cell never runs in a
// spreadsheet.
func safeRow(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			c = "'" + c
		}
		out[i] = c
	}
	return out
}

// Hours shows a duration in seconds as hours.
func (v *view) Hours(s *float64) string {
	if s == nil {
		return "—"
	}
	return v.T("unit.hours", fmt.Sprintf("%.1f", *s/3600))
}

// Percent shows a share.
func (v *view) Percent(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }
