package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// start reports url and confirms it, returning the takedown id and workflow id.
func start(t *testing.T, url string) (string, string) {
	t.Helper()
	return startAs(t, url, "ncii")
}

func getTakedown(t *testing.T, id string) takedown.Takedown {
	t.Helper()
	var td takedown.Takedown
	if code := call(t, takedown.RoleAuditor, "GET", "/api/v1/takedowns/"+id, nil, &td); code != http.StatusOK {
		t.Fatalf("get takedown: %d", code)
	}
	return td
}

// waitFor polls the takedown until ok says so.
func waitFor(t *testing.T, id string, within time.Duration, what string, ok func(takedown.Takedown) bool) takedown.Takedown {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		td := getTakedown(t, id)
		if ok(td) {
			return td
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; takedown is %s at level %d; events %v", within, what, td.Status, td.EscalationLevel, kindsOf(td))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func kindsOf(td takedown.Takedown) []string {
	var out []string
	for _, e := range td.Events {
		out = append(out, string(e.Kind))
	}
	return out
}

func overdueIDs(t *testing.T) []string {
	t.Helper()
	var page struct {
		Takedowns []takedown.Takedown `json:"takedowns"`
	}
	if code := call(t, takedown.RoleSupervisor, "GET", "/api/v1/takedowns?overdue=true&limit=200", nil, &page); code != http.StatusOK {
		t.Fatalf("overdue list: %d", code)
	}
	var ids []string
	for _, td := range page.Takedowns {
		ids = append(ids, td.ID.String())
	}
	return ids
}

func setBehaviour(t *testing.T, p takedown.Platform, id string, b simulator.Behaviour) {
	t.Helper()
	if err := stack.Simulator.SetBehaviour(p, id, b); err != nil {
		t.Fatal(err)
	}
}

// TestLadderToBlocking: a platform that never removes. The takedown shows
// up as overdue once its deadline passes, climbs reminder and priority
// notice, waits for a supervisor, and after approval the ISPs block it; then
// it leaves the overdue list.
func TestLadderToBlocking(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.Telegram, "neverchan/1", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := start(t, "https://t.me/neverchan/1")

	waitFor(t, id, 30*time.Second, "the deadline to pass", func(td takedown.Takedown) bool { return td.EscalationLevel >= 1 })
	if !slices.Contains(overdueIDs(t), id) {
		t.Error("overdue takedown missing from ?overdue=true")
	}
	// Nothing is waiting for a supervisor yet: the workflow refuses.
	var ae apiError
	if code := call(t, takedown.RoleSupervisor, "POST", "/api/v1/takedowns/"+id+"/escalation", map[string]any{"approve": true}, &ae); code != http.StatusConflict || ae.Error.Code != "refused" {
		t.Errorf("early approval: %d %+v", code, ae)
	}
	// Staff may never approve.
	if code := call(t, takedown.RoleStaff, "POST", "/api/v1/takedowns/"+id+"/escalation", map[string]any{"approve": true}, &ae); code != http.StatusForbidden {
		t.Errorf("staff approval: %d", code)
	}
	td := waitFor(t, id, 60*time.Second, "approval to be requested", func(td takedown.Takedown) bool { return td.Status == takedown.StatusAwaitingApproval })
	if n := stack.Simulator.NoticeCount(takedown.Telegram, "neverchan/1"); n != 3 {
		t.Errorf("telegram received %d notices, want notice, reminder and priority notice", n)
	}
	var after takedown.Takedown
	if code := call(t, takedown.RoleSupervisor, "POST", "/api/v1/takedowns/"+id+"/escalation",
		map[string]any{"approve": true, "reason": "no response after priority notice"}, &after); code != http.StatusAccepted {
		t.Fatalf("approve: %d", code)
	}
	td = waitFor(t, id, 30*time.Second, "blocking", func(td takedown.Takedown) bool { return td.Status == takedown.StatusBlocked })
	want := []string{"confirmed", "notice_sent", "deadline_passed", "notice_sent", "supervisor_alerted", "notice_sent",
		"blocking_approval_requested", "blocking_approved", "blocking_ordered", "blocked"}
	if got := kindsOf(td); !slices.Equal(got, want) {
		t.Errorf("events\n got  %v\n want %v", got, want)
	}
	if td.ClosedAt == nil || td.EscalationLevel != 4 {
		t.Errorf("blocked takedown = %+v", td)
	}
	if slices.Contains(overdueIDs(t), id) {
		t.Error("resolved takedown still listed as overdue")
	}
	if n := stack.Simulator.BlockingOrderCount(takedown.Telegram, "neverchan/1"); n != 1 {
		t.Errorf("ISPs received %d blocking orders, want 1", n)
	}
	checkHistory(t, wf, "blocked")
}

func TestWithheldOnX(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.X, "1790000000000000777", simulator.Behaviour{OnNotice: simulator.OnNoticeWithhold})
	id, wf := start(t, "https://x.com/someone/status/1790000000000000777")
	td := waitFor(t, id, 30*time.Second, "withheld", func(td takedown.Takedown) bool { return td.ClosedAt != nil })
	if td.Status != takedown.StatusWithheld || td.RemovedAt != nil {
		t.Fatalf("takedown = %s removed_at=%v; withheld must not count as removed", td.Status, td.RemovedAt)
	}
	checkHistory(t, wf, "withheld")
}

func TestRejectedThenAccepted(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.Meta, "instagram/RejectMe1", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := start(t, "https://www.instagram.com/p/RejectMe1/")
	waitFor(t, id, 20*time.Second, "the notice", func(td takedown.Takedown) bool { return td.Status == takedown.StatusNoticeSent })
	var td takedown.Takedown
	if code := call(t, takedown.RoleStaff, "POST", "/api/v1/takedowns/"+id+"/replies",
		map[string]any{"kind": "rejected", "note": "Meta says it does not violate local law"}, &td); code != http.StatusAccepted {
		t.Fatalf("record rejection: %d", code)
	}
	if td.Status != takedown.StatusRejected {
		t.Fatalf("after rejection status %s", td.Status)
	}
	// A refusal needs a reason: the API says so before the workflow is asked.
	var ae apiError
	if code := call(t, takedown.RoleSupervisor, "POST", "/api/v1/takedowns/"+id+"/escalation", map[string]any{"approve": false}, &ae); code != http.StatusUnprocessableEntity {
		t.Errorf("refusal without reason: %d", code)
	}
	if code := call(t, takedown.RoleSupervisor, "POST", "/api/v1/takedowns/"+id+"/escalation",
		map[string]any{"approve": false, "reason": "outside our remit"}, &td); code != http.StatusAccepted {
		t.Fatalf("accept rejection: %d", code)
	}
	td = waitFor(t, id, 20*time.Second, "closing", func(td takedown.Takedown) bool { return td.ClosedAt != nil })
	if td.Status != takedown.StatusRejected {
		t.Errorf("status %s", td.Status)
	}
	checkHistory(t, wf, "rejected")
}

func TestWithdrawn(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.YouTube, "WithdrawMe1", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := start(t, "https://youtu.be/WithdrawMe1")
	waitFor(t, id, 20*time.Second, "the notice", func(td takedown.Takedown) bool { return td.Status == takedown.StatusNoticeSent })
	var ae apiError
	if code := call(t, takedown.RoleAuditor, "POST", "/api/v1/takedowns/"+id+"/withdraw", map[string]any{"reason": "x"}, &ae); code != http.StatusForbidden {
		t.Errorf("auditor withdraw: %d", code)
	}
	var td takedown.Takedown
	if code := call(t, takedown.RoleStaff, "POST", "/api/v1/takedowns/"+id+"/withdraw", map[string]any{"reason": "reported in error"}, &td); code != http.StatusAccepted {
		t.Fatalf("withdraw: %d", code)
	}
	if td.Status != takedown.StatusWithdrawn {
		t.Fatalf("after withdrawal: %s", td.Status)
	}
	waitFor(t, id, 10*time.Second, "closing", func(td takedown.Takedown) bool { return td.ClosedAt != nil })
	// Closed: further decisions are refused by the workflow.
	if code := call(t, takedown.RoleStaff, "POST", "/api/v1/takedowns/"+id+"/withdraw", map[string]any{"reason": "again"}, &ae); code != http.StatusConflict {
		t.Errorf("second withdrawal: %d", code)
	}
	checkHistory(t, wf, "withdrawn")
}

func TestPlatformRefusesTheReportEndsFailed(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.YouTube, "RefusedVid1", simulator.Behaviour{OnNotice: simulator.OnNoticeReject})
	id, wf := start(t, "https://www.youtube.com/shorts/RefusedVid1")
	td := waitFor(t, id, 30*time.Second, "closing", func(td takedown.Takedown) bool { return td.ClosedAt != nil })
	if td.Status != takedown.StatusFailed {
		t.Fatalf("status %s, events %v", td.Status, kindsOf(td))
	}
	if got := stack.Simulator.Requests(simulator.RouteYouTubeReportAbuse); got < 1 {
		t.Errorf("reportAbuse requests = %d", got)
	}
	if !strings.Contains(strings.Join(kindsOf(td), ","), "notice_failed") {
		t.Errorf("events %v", kindsOf(td))
	}
	checkHistory(t, wf, "failed")
}
