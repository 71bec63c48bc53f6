package e2e

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/history"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// decision is what a decision answers: 202 and where the takedown stands.
type decision struct {
	Status          takedown.Status `json:"status"`
	EscalationLevel int             `json:"escalation_level"`
	Repeat          bool            `json:"repeat"`
}

func decide(t *testing.T, role takedown.Role, id, what string, body map[string]any) decision {
	t.Helper()
	var d decision
	if code := call(t, role, "POST", "/api/v1/takedowns/"+id+"/"+what, body, &d); code != http.StatusAccepted {
		t.Fatalf("%s: %d", what, code)
	}
	return d
}

// decideAfterStep makes a decision that follows a step an activity
// recorded (a notice sent, a portal task created). The record reaches
// PostgreSQL a moment before the activity's result reaches the workflow;
// a decision sent in that moment is refused, and the same decision a
// moment later is taken. A person reacting to the list never sees the
// difference; a test polling the record can.
func decideAfterStep(t *testing.T, role takedown.Role, id, what string, body map[string]any) decision {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var d decision
		code := call(t, role, "POST", "/api/v1/takedowns/"+id+"/"+what, body, &d)
		switch {
		case code == http.StatusAccepted:
			return d
		case code != http.StatusConflict || time.Now().After(deadline):
			t.Fatalf("%s: %d", what, code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func startAs(t *testing.T, url, category string) (string, string) {
	t.Helper()
	var it takedown.Item
	if code := call(t, takedown.RoleStaff, "POST", "/api/v1/items", map[string]string{"url": url, "category": category}, &it); code != http.StatusCreated {
		t.Fatalf("create item %s: %d", url, code)
	}
	var conf struct {
		TakedownID string `json:"takedown_id"`
		WorkflowID string `json:"workflow_id"`
	}
	if code := call(t, takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", nil, &conf); code != http.StatusAccepted {
		t.Fatalf("confirm: %d", code)
	}
	return conf.TakedownID, conf.WorkflowID
}

func withdraw(t *testing.T, id string) {
	t.Helper()
	decide(t, takedown.RoleStaff, id, "withdraw", map[string]any{"reason": "end of test"})
	waitFor(t, id, 20*time.Second, "closing", func(td takedown.Takedown) bool { return td.ClosedAt != nil })
}

// TestApprovalWithoutISPChannel runs alone (not in parallel): it switches
// the stack's ISP channel off. Approving a blocking order is refused at
// once with the reason, and the takedown goes on and can be withdrawn.
func TestApprovalWithoutISPChannel(t *testing.T) {
	needStack(t)
	stack.Blocking.SetEnabled(false)
	defer stack.Blocking.SetEnabled(true)
	setBehaviour(t, takedown.Telegram, "noispchan/3", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := start(t, "https://t.me/noispchan/3")
	waitFor(t, id, 60*time.Second, "approval to be requested", func(td takedown.Takedown) bool { return td.Status == takedown.StatusAwaitingApproval })
	var ae apiError
	code := call(t, takedown.RoleSupervisor, "POST", "/api/v1/takedowns/"+id+"/escalation", map[string]any{"approve": true, "reason": "x"}, &ae)
	if code != http.StatusConflict || !strings.Contains(ae.Error.Message, "no ISP channel") {
		t.Fatalf("approval without ISP channel: %d %+v", code, ae)
	}
	if td := getTakedown(t, id); td.ClosedAt != nil || td.Status != takedown.StatusAwaitingApproval {
		t.Errorf("after the refused approval: %s", td.Status)
	}
	withdraw(t, id)
	checkHistory(t, wf, "approval-without-isp")
}

// A platform that takes the first notice and refuses every e-mail after it:
// the ladder still reaches the supervisor, with an alert per failed notice.
func TestRefusedEmailsStillClimb(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.Telegram, "bouncechan/4", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := start(t, "https://t.me/bouncechan/4")
	waitFor(t, id, 20*time.Second, "the notice", func(td takedown.Takedown) bool { return td.Status == takedown.StatusNoticeSent })
	setBehaviour(t, takedown.Telegram, "bouncechan/4", simulator.Behaviour{OnNotice: simulator.OnNoticeBounce})
	td := waitFor(t, id, 60*time.Second, "approval to be requested", func(td takedown.Takedown) bool { return td.Status == takedown.StatusAwaitingApproval })
	k := kindsOf(td)
	if count(k, "notice_failed") != 2 || count(k, "supervisor_alerted") != 3 {
		t.Errorf("events %v: want two failed notices and three alerts", k)
	}
	if n := stack.Simulator.NoticeCount(takedown.Telegram, "bouncechan/4"); n != 1 {
		t.Errorf("telegram received %d notices", n)
	}
	withdraw(t, id)
	checkHistory(t, wf, "failed-sends")
}

func count(kinds []string, kind string) int {
	n := 0
	for _, k := range kinds {
		if k == kind {
			n++
		}
	}
	return n
}

// The platform asks a question; the clock pauses, the answer goes out as a
// follow-up, the clock resumes, and the platform removes the content.
func TestClarificationThenRemoval(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.X, "1790000000000000901", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := start(t, "https://x.com/someone/status/1790000000000000901")
	waitFor(t, id, 20*time.Second, "the notice", func(td takedown.Takedown) bool { return td.Status == takedown.StatusNoticeSent })
	if d := decideAfterStep(t, takedown.RoleStaff, id, "replies", map[string]any{"kind": "clarification_requested"}); d.Status != takedown.StatusClarification {
		t.Fatalf("after the question: %+v", d)
	}
	setBehaviour(t, takedown.X, "1790000000000000901", simulator.Behaviour{OnNotice: simulator.OnNoticeRemove})
	if d := decide(t, takedown.RoleStaff, id, "information", map[string]any{"text": "The post shows a real person without consent."}); d.Status != takedown.StatusNoticeSent {
		t.Fatalf("after the answer: %+v", d)
	}
	td := waitFor(t, id, 30*time.Second, "removal", func(td takedown.Takedown) bool { return td.Status == takedown.StatusRemoved })
	if !slices.Contains(kindsOf(td), "clarification_answered") {
		t.Errorf("events %v", kindsOf(td))
	}
	waitFor(t, id, 20*time.Second, "the re-check", func(td takedown.Takedown) bool { return slices.Contains(kindsOf(td), "rechecked") })
	waitClosed(t, wf)
	checkHistory(t, wf, "clarification")
}

// A supervisor extends the deadline; then a follow-up gets the content
// removed within it.
func TestExtensionThenRemoval(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.Meta, "instagram/ExtendMe1", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := start(t, "https://www.instagram.com/p/ExtendMe1/")
	td := waitFor(t, id, 20*time.Second, "the notice", func(td takedown.Takedown) bool { return td.Status == takedown.StatusNoticeSent && td.Deadline != nil })
	until := td.Deadline.Add(20 * time.Second)
	decideAfterStep(t, takedown.RoleSupervisor, id, "deadline", map[string]any{"until": until, "reason": "platform asked for time"})
	td = waitFor(t, id, 10*time.Second, "the new deadline", func(td takedown.Takedown) bool { return td.Deadline != nil && td.Deadline.Equal(until) })
	setBehaviour(t, takedown.Meta, "instagram/ExtendMe1", simulator.Behaviour{OnNotice: simulator.OnNoticeRemove})
	decide(t, takedown.RoleStaff, id, "information", map[string]any{"text": "Court order attached."})
	td = waitFor(t, id, 30*time.Second, "removal", func(td takedown.Takedown) bool { return td.Status == takedown.StatusRemoved })
	if td.EscalationLevel != 0 {
		t.Errorf("removed at level %d, want within the extended deadline", td.EscalationLevel)
	}
	waitClosed(t, wf)
	checkHistory(t, wf, "extension")
}

// The platform rejects; staff appeal with more material; it removes.
func TestAppealThenRemoval(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.Meta, "instagram/AppealMe1", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := start(t, "https://www.instagram.com/p/AppealMe1/")
	waitFor(t, id, 20*time.Second, "the notice", func(td takedown.Takedown) bool { return td.Status == takedown.StatusNoticeSent })
	decideAfterStep(t, takedown.RoleStaff, id, "replies", map[string]any{"kind": "rejected"})
	setBehaviour(t, takedown.Meta, "instagram/AppealMe1", simulator.Behaviour{OnNotice: simulator.OnNoticeRemove})
	if d := decide(t, takedown.RoleStaff, id, "information", map[string]any{"text": "The person depicted is a minor."}); d.Status != takedown.StatusNoticeSent {
		t.Fatalf("after the appeal: %+v", d)
	}
	waitFor(t, id, 30*time.Second, "removal", func(td takedown.Takedown) bool { return td.Status == takedown.StatusRemoved })
	waitClosed(t, wf)
	checkHistory(t, wf, "appeal")
	if n := stack.Simulator.NoticeCount(takedown.Meta, "instagram/AppealMe1"); n != 2 {
		t.Errorf("Meta received %d notices, want the notice and the appeal", n)
	}
}

// Removed content that comes back reopens the takedown: a new notice, and
// removal again.
func TestReappearedContentReopens(t *testing.T) {
	needStack(t)
	t.Parallel()
	id, wf := start(t, "https://t.me/comebackchan/5")
	waitFor(t, id, 30*time.Second, "removal", func(td takedown.Takedown) bool { return td.Status == takedown.StatusRemoved })
	// The uploader posts it again before the re-check.
	if err := stack.Simulator.Reupload(takedown.Telegram, "comebackchan/5"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, id, 30*time.Second, "reappearance", func(td takedown.Takedown) bool { return slices.Contains(kindsOf(td), "reappeared") })
	td := waitFor(t, id, 30*time.Second, "removal again", func(td takedown.Takedown) bool {
		return td.Status == takedown.StatusRemoved && count(kindsOf(td), "removed") == 2
	})
	if n := stack.Simulator.NoticeCount(takedown.Telegram, "comebackchan/5"); n != 2 {
		t.Errorf("telegram received %d notices, want 2; events %v", n, kindsOf(td))
	}
	waitClosed(t, wf)
	checkHistory(t, wf, "reopened")
}

// YouTube's priority channel is a portal: staff file it and record the
// ticket; the supervisor refuses blocking once, then approves it.
func TestPortalFilingRefusalThenBlocking(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.YouTube, "PortalVid01", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := start(t, "https://www.youtube.com/watch?v=PortalVid01")
	waitFor(t, id, 60*time.Second, "the priority rung", func(td takedown.Takedown) bool { return td.EscalationLevel >= 2 })
	// The portal task appears once the priority notice is "sent".
	waitFor(t, id, 20*time.Second, "the portal task", func(td takedown.Takedown) bool {
		return slices.Contains(kindsOf(td), "portal_task_created")
	})
	decideAfterStep(t, takedown.RoleStaff, id, "replies", map[string]any{"kind": "portal_submitted", "ticket": "PF-2026-17"})
	waitFor(t, id, 60*time.Second, "approval to be requested", func(td takedown.Takedown) bool { return td.Status == takedown.StatusAwaitingApproval })
	decide(t, takedown.RoleSupervisor, id, "escalation", map[string]any{"approve": false, "reason": "wait for the flagger team"})
	decide(t, takedown.RoleSupervisor, id, "escalation", map[string]any{"approve": true, "reason": "no response"})
	td := waitFor(t, id, 30*time.Second, "blocking", func(td takedown.Takedown) bool { return td.Status == takedown.StatusBlocked })
	k := kindsOf(td)
	for _, want := range []string{"portal_submitted", "blocking_refused", "blocking_approved", "blocked"} {
		if !slices.Contains(k, want) {
			t.Errorf("no %s in %v", want, k)
		}
	}
	waitClosed(t, wf)
	checkHistory(t, wf, "portal-refusal-blocked")
}

// A takedown whose history grows past its policy's bound continues as new,
// carrying its state: the ladder goes on in the next run, and export and
// replay cover every run.
func TestContinueAsNewCarriesTheTakedown(t *testing.T) {
	needStack(t)
	t.Parallel()
	setBehaviour(t, takedown.Telegram, "longchan/6", simulator.Behaviour{OnNotice: simulator.OnNoticeNever})
	id, wf := startAs(t, "https://t.me/longchan/6", "other_illegal")
	waitFor(t, id, 60*time.Second, "approval to be requested", func(td takedown.Takedown) bool { return td.Status == takedown.StatusAwaitingApproval })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runs, err := history.Runs(ctx, stack.Client, wf)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) < 2 {
		t.Fatalf("%d runs; the takedown did not continue as new", len(runs))
	}
	decide(t, takedown.RoleSupervisor, id, "escalation", map[string]any{"approve": true, "reason": "no response"})
	waitFor(t, id, 30*time.Second, "blocking", func(td takedown.Takedown) bool { return td.Status == takedown.StatusBlocked })
	if n := stack.Simulator.NoticeCount(takedown.Telegram, "longchan/6"); n != 3 {
		t.Errorf("telegram received %d notices across runs, want 3", n)
	}
	var replay struct {
		Events        int  `json:"events"`
		Deterministic bool `json:"deterministic"`
	}
	if code := call(t, takedown.RoleAuditor, "POST", "/api/v1/takedowns/"+id+"/replay", nil, &replay); code != 200 || !replay.Deterministic {
		t.Errorf("replay: %d %+v", code, replay)
	}
	waitClosed(t, wf)
	// The export names every run and gives each one.
	get := func(query string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", stack.APIURL+"/api/v1/takedowns/"+id+"/history"+query, nil)
		req.Header.Set("Authorization", "Bearer "+stack.Tokens[takedown.RoleAuditor])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, _ := get("")
	ids := strings.Split(resp.Header.Get("X-Takedown-Runs"), ",")
	if resp.StatusCode != 200 || len(ids) < 2 {
		t.Fatalf("export: %d runs %v", resp.StatusCode, ids)
	}
	if resp, b := get("?run_id=" + ids[0]); resp.StatusCode != 200 || !strings.Contains(string(b), "WorkflowExecutionContinuedAsNew") &&
		!strings.Contains(string(b), "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW") {
		t.Errorf("first run: %d, continued-as-new event missing", resp.StatusCode)
	}
	if resp, _ := get("?run_id=00000000-0000-0000-0000-000000000000"); resp.StatusCode != 404 {
		t.Errorf("unknown run: %d", resp.StatusCode)
	}
	checkHistory(t, wf, "continued")
}

// waitClosed waits for the workflow run to complete, so that its stored
// history is whole.
func waitClosed(t *testing.T, workflowID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stack.Client.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
		t.Fatalf("workflow %s: %v", workflowID, err)
	}
}
