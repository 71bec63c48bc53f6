package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/workflows"
)

var a *activities.Activities

var (
	staff      = workflows.Actor{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000a"), Role: takedown.RoleStaff}
	supervisor = workflows.Actor{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000b"), Role: takedown.RoleSupervisor}
	auditor    = workflows.Actor{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000c"), Role: takedown.RoleAuditor}
)

func testPolicy() workflows.Policy {
	return workflows.Policy{
		Deadline: 24 * time.Hour, ReminderDeadline: 24 * time.Hour, PriorityDeadline: 24 * time.Hour,
		PortalDeadline: 4 * time.Hour,
		ProbeInitial:   30 * time.Second, ProbeMax: 30 * time.Minute, ProbeBackoff: 1.5,
		ConfirmGap: 5 * time.Minute, RecheckAfter: 7 * 24 * time.Hour,
	}
}

func testInput() workflows.Input {
	return workflows.Input{
		TakedownID: uuid.MustParse("11111111-2222-3333-4444-555555555555"),
		ItemID:     uuid.MustParse("aaaaaaaa-2222-3333-4444-555555555555"),
		Content:    takedown.Content{Platform: takedown.YouTube, ID: "dQw4w9WgXcQ", URL: "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
		Category:   takedown.DeepfakeSexual,
		Reference:  "TKD-111111112222",
		Language:   "ko",
		Policy:     testPolicy(),
	}
}

// platform scripts what the simulated platform does, as a function of the
// test clock, and records everything the workflow asked of it.
type platform struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	start time.Time

	mu       sync.Mutex
	notices  []takedown.Notice
	events   []takedown.Transition
	orders   int
	portal   bool
	state    func(elapsed time.Duration) takedown.ProbeState
	blocked  func(elapsed time.Duration) bool
	sendErr  func(n takedown.Notice) error
	probeIns []activities.ProbeInput
	noISP    bool
	// sendIns holds every send as the activity received it.
	sendIns []activities.SendNoticeInput
	// portalAll files every notice, not only the first, on a portal.
	portalAll bool
	orderErr  func() error
	recordErr func(tr takedown.Transition) error
	probeErr  func(elapsed time.Duration) error
	// rechecks, when set, answers the re-checks after removal in order.
	rechecks []takedown.ProbeState
	// proj is the status the store would show, applied as the store does.
	proj takedown.Status
}

func newPlatform(t *testing.T) *platform {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{WorkflowPanicPolicy: worker.FailWorkflow})
	env.RegisterWorkflow(workflows.Takedown)
	env.RegisterActivity(a)
	p := &platform{t: t, env: env, start: env.Now(), proj: takedown.StatusPending,
		state:   func(time.Duration) takedown.ProbeState { return takedown.ProbePresent },
		blocked: func(time.Duration) bool { return false },
	}
	env.OnActivity(a.RecordEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, tr takedown.Transition) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.recordErr != nil {
			if err := p.recordErr(tr); err != nil {
				return err
			}
		}
		p.events = append(p.events, tr)
		if tr.Status != "" && (tr.IfStatus == "" || tr.IfStatus == p.proj) {
			p.proj = tr.Status
		}
		return nil
	})
	env.OnActivity(a.SendNotice, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SendNoticeInput) (activities.SendNoticeResult, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.sendIns = append(p.sendIns, in)
		if p.sendErr != nil {
			if err := p.sendErr(in.Notice); err != nil {
				return activities.SendNoticeResult{}, err
			}
		}
		p.notices = append(p.notices, in.Notice)
		sub := platforms.Submission{Channel: takedown.ChannelAPI, Reference: "TKD-1", SentAt: env.Now()}
		if p.portal && in.Notice.Attempt == 1 || p.portalAll {
			sub = platforms.Submission{Channel: takedown.ChannelPortal, Reference: "TKD-1", AwaitingPortal: true}
			if in.IfStatus != "" && in.IfStatus == p.proj {
				p.proj = takedown.StatusAwaitingPortal
			}
			return activities.SendNoticeResult{Submission: sub}, nil
		}
		res := activities.SendNoticeResult{Submission: sub}
		if in.IfStatus != "" && in.IfStatus == p.proj {
			p.proj = takedown.StatusNoticeSent
		}
		if in.DeadlineAfter > 0 {
			res.Deadline = env.Now().Add(in.DeadlineAfter)
		}
		p.events = append(p.events, takedown.Transition{Kind: "notice_sent", Deadline: ptrTime(res.Deadline), Detail: map[string]any{"kind": string(in.Notice.Kind)}})
		return res, nil
	})
	// The real Probe activity's contract, driven by the script: until gone
	// it fails as still present, and a removal must be seen twice.
	env.OnActivity(a.Probe, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.ProbeInput) (takedown.ProbeResult, error) {
		p.mu.Lock()
		p.probeIns = append(p.probeIns, in)
		p.mu.Unlock()
		if p.probeErr != nil {
			if err := p.probeErr(env.Now().Sub(p.start)); err != nil {
				return takedown.ProbeResult{}, err
			}
		}
		st := p.state(env.Now().Sub(p.start))
		if in.Record != nil {
			p.mu.Lock()
			if len(p.rechecks) > 0 {
				st, p.rechecks = p.rechecks[0], p.rechecks[1:]
			}
			p.mu.Unlock()
		}
		res := takedown.ProbeResult{State: st, CheckedAt: env.Now()}
		if st == takedown.ProbeWithheld {
			res.Countries = []string{"KR"}
		}
		gone := st == takedown.ProbeRemoved || st == takedown.ProbeWithheld && !in.WithheldIsPresent
		if in.UntilGone && !gone {
			return res, temporal.NewApplicationError("present", activities.ErrStillPresent)
		}
		if in.Record != nil {
			p.mu.Lock()
			tr := *in.Record
			tr.Detail = map[string]any{"state": string(st)}
			p.events = append(p.events, tr)
			p.mu.Unlock()
		}
		return res, nil
	})
	env.OnActivity(a.SendBlockingOrder, mock.Anything, mock.Anything).Return(func(_ context.Context, o activities.BlockingOrder) (string, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.orderErr != nil {
			if err := p.orderErr(); err != nil {
				return "", err
			}
		}
		p.orders++
		p.events = append(p.events, takedown.Transition{Kind: "blocking_ordered"})
		return "ISP-1", nil
	})
	env.OnActivity(a.BlockingConfigured, mock.Anything).Return(func(context.Context) (bool, error) {
		return !p.noISP, nil
	})
	env.OnActivity(a.CheckBlocked, mock.Anything, mock.Anything).Return(func(ctx context.Context, _ takedown.Content) (time.Time, error) {
		if !p.blocked(env.Now().Sub(p.start)) {
			return time.Time{}, temporal.NewApplicationError("no", activities.ErrNotYetBlocked)
		}
		return env.Now(), nil
	})
	return p
}

// removedAfter scripts content that disappears after d.
func removedAfter(d time.Duration) func(time.Duration) takedown.ProbeState {
	return func(e time.Duration) takedown.ProbeState {
		if e >= d {
			return takedown.ProbeRemoved
		}
		return takedown.ProbePresent
	}
}

func (p *platform) kinds() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.events {
		out = append(out, string(e.Kind))
	}
	return out
}

func (p *platform) event(kind string) takedown.Transition {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.events {
		if string(e.Kind) == kind {
			return e
		}
	}
	p.t.Fatalf("no %q event in %v", kind, p.kinds())
	return takedown.Transition{}
}

// at runs fn at elapsed test time d.
func (p *platform) at(d time.Duration, fn func()) { p.env.RegisterDelayedCallback(fn, d) }

// expect sends an update; the engine answers later, so the verdict is
// checked in the callbacks. A decision is taken when its validator accepts
// it and its handler completes; a refusal, by either, must mention wantErr.
func (p *platform) expect(name string, arg any, accept bool, wantErr string) {
	p.t.Helper()
	p.expectID(name, uuid.NewString(), arg, accept, wantErr)
}

func (p *platform) expectID(name, id string, arg any, accept bool, wantErr string) {
	p.t.Helper()
	verdict := func(err error) {
		switch {
		case accept && err != nil:
			p.t.Errorf("update %s %+v refused: %v", name, arg, err)
		case !accept && err == nil:
			p.t.Errorf("update %s %+v taken, want refused", name, arg)
		case !accept && !strings.Contains(err.Error(), wantErr):
			p.t.Errorf("update %s refused with %q, want it to mention %q", name, err, wantErr)
		}
	}
	p.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   verdict,
		OnComplete: func(_ any, err error) { verdict(err) },
	}, arg)
}

func (p *platform) mustUpdate(name string, arg any) { p.t.Helper(); p.expect(name, arg, true, "") }

func (p *platform) refused(name string, arg any, why string) {
	p.t.Helper()
	p.expect(name, arg, false, why)
}

func (p *platform) run(in workflows.Input) workflows.Result {
	p.t.Helper()
	p.env.ExecuteWorkflow(workflows.Takedown, in)
	if !p.env.IsWorkflowCompleted() {
		p.t.Fatal("workflow did not complete")
	}
	if err := p.env.GetWorkflowError(); err != nil {
		p.t.Fatalf("workflow failed: %v", err)
	}
	var res workflows.Result
	if err := p.env.GetWorkflowResult(&res); err != nil {
		p.t.Fatal(err)
	}
	return res
}

func (p *platform) state_(t *testing.T) workflows.State {
	t.Helper()
	v, err := p.env.QueryWorkflow(workflows.QueryState)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.State
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func wantKinds(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n got  %s\n want %s", strings.Join(got, ","), strings.Join(want, ","))
	}
}

func TestRemovedWithinDeadline(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(3 * time.Hour)
	res := p.run(testInput())
	if res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "removed", "rechecked")
	rm := p.event("removed")
	if !rm.Closed || rm.RemovedAt == nil || rm.Detail["within_deadline"] != true {
		t.Errorf("removed = %+v", rm)
	}
	if len(p.notices) != 1 || p.notices[0].Kind != takedown.KindNotice || p.notices[0].Attempt != 1 ||
		p.notices[0].Key != activities.NoticeKey(testInput().TakedownID, takedown.YouTube, 1) {
		t.Errorf("notices = %+v", p.notices)
	}
	// Removal must be seen twice: the probe is asked to confirm.
	if p.probeIns[0].ConfirmGap != 5*time.Minute || !p.probeIns[0].UntilGone {
		t.Errorf("probe input = %+v", p.probeIns[0])
	}
	if ds := p.event("notice_sent"); ds.Deadline == nil || !ds.Deadline.Equal(p.start.Add(24*time.Hour)) {
		t.Errorf("deadline = %v, want start+24h", ds.Deadline)
	}
}

func TestDeadlinePassesReminderWorks(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(30 * time.Hour)
	res := p.run(testInput())
	if res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "deadline_passed", "notice_sent", "removed", "rechecked")
	if len(p.notices) != 2 || p.notices[1].Kind != takedown.KindReminder || p.notices[1].Priority || p.notices[1].Attempt != 2 {
		t.Fatalf("notices = %+v", p.notices)
	}
	if p.event("removed").Detail["within_deadline"] != false {
		t.Error("removal after the deadline counted as within it")
	}
	if lvl := p.event("deadline_passed").EscalationLevel; lvl == nil || takedown.Level(*lvl) != takedown.LevelReminder {
		t.Errorf("level = %v", lvl)
	}
}

func TestLadderSupervisorRefusesThenApprovesBlocking(t *testing.T) {
	p := newPlatform(t)
	p.blocked = func(e time.Duration) bool { return e > 80*time.Hour }
	// 72h: the third deadline passes; approval requested.
	p.at(75*time.Hour, func() {
		if st := p.state_(t); st.Status != takedown.StatusAwaitingApproval || st.Level != takedown.LevelApproval {
			t.Errorf("at 75h state = %+v", st)
		}
		// Staff may not decide; a refusal needs a reason.
		p.refused(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: staff, Approve: true}, "may not")
		p.refused(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor}, "needs a reason")
		p.mustUpdate(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor, Reason: "wait for the hotline"})
	})
	p.at(77*time.Hour, func() {
		p.mustUpdate(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor, Approve: true, Reason: "no response"})
	})
	res := p.run(testInput())
	if res.Status != takedown.StatusBlocked {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "deadline_passed", "notice_sent", "supervisor_alerted", "notice_sent", "blocking_approval_requested",
		"blocking_refused", "blocking_approved", "blocking_ordered", "blocked")
	if len(p.notices) != 3 || p.notices[2].Kind != takedown.KindPriority || !p.notices[2].Priority {
		t.Fatalf("notices = %+v", p.notices)
	}
	if p.orders != 1 {
		t.Errorf("blocking orders = %d", p.orders)
	}
	if refused := p.event("blocking_refused"); refused.Detail["actor_role"] != "supervisor" || refused.Detail["reason"] != "wait for the hotline" {
		t.Errorf("refusal = %+v", refused)
	}
}

func TestPlatformRejectsSupervisorCloses(t *testing.T) {
	p := newPlatform(t)
	p.at(5*time.Hour, func() {
		p.mustUpdate(workflows.UpdateRecordReply, workflows.Reply{Actor: staff, Kind: workflows.ReplyRejected, Note: "not illegal under local law"})
	})
	p.at(40*time.Hour, func() {
		// The clock stopped on rejection: no reminder went out meanwhile.
		if len(p.notices) != 1 {
			t.Errorf("notices while rejected: %d", len(p.notices))
		}
		p.mustUpdate(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor, Reason: "outside our remit"})
	})
	res := p.run(testInput())
	if res.Status != takedown.StatusRejected {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "rejected", "rejection_accepted")
	if !p.event("rejection_accepted").Closed {
		t.Error("rejection did not close the takedown")
	}
}

func TestPlatformRejectsAppealSucceeds(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(20 * time.Hour)
	p.at(5*time.Hour, func() {
		p.mustUpdate(workflows.UpdateRecordReply, workflows.Reply{Actor: staff, Kind: workflows.ReplyRejected})
	})
	p.at(6*time.Hour, func() {
		p.mustUpdate(workflows.UpdateAddInformation, workflows.Information{Actor: staff, Text: "court order attached"})
	})
	res := p.run(testInput())
	if res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "rejected", "appealed", "notice_sent", "removed", "rechecked")
	if len(p.notices) != 2 || p.notices[1].Kind != takedown.KindAppeal || p.notices[1].Information != "court order attached" {
		t.Fatalf("notices = %+v", p.notices)
	}
}

func TestWithheldEnds(t *testing.T) {
	p := newPlatform(t)
	p.state = func(e time.Duration) takedown.ProbeState {
		if e > time.Hour {
			return takedown.ProbeWithheld
		}
		return takedown.ProbePresent
	}
	res := p.run(testInput())
	if res.Status != takedown.StatusWithheld {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "withheld")
	w := p.event("withheld")
	if w.RemovedAt != nil || !w.Closed || fmt.Sprint(w.Detail["countries"]) != "[KR]" {
		t.Errorf("withheld = %+v; must not count as removed", w)
	}
}

func TestWithheldEscalatesWhenPolicySays(t *testing.T) {
	p := newPlatform(t)
	p.state = func(e time.Duration) takedown.ProbeState {
		switch {
		case e > 30*time.Hour:
			return takedown.ProbeRemoved
		case e > time.Hour:
			return takedown.ProbeWithheld
		}
		return takedown.ProbePresent
	}
	in := testInput()
	in.Policy.EscalateWithheld = true
	res := p.run(in)
	if res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "deadline_passed", "notice_sent", "removed", "rechecked")
	if !p.probeIns[0].WithheldIsPresent {
		t.Error("probe not told to look past withholding")
	}
}

func TestClarificationPausesAndResumesTheClock(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(50 * time.Hour)
	p.at(10*time.Hour, func() {
		p.mustUpdate(workflows.UpdateRecordReply, workflows.Reply{Actor: staff, Kind: workflows.ReplyClarification, Note: "asked for the victim's statement"})
	})
	p.at(40*time.Hour, func() {
		st := p.state_(t)
		if st.Status != takedown.StatusClarification || st.Overdue || st.Level != 0 {
			t.Errorf("at 40h, paused state = %+v", st)
		}
		p.mustUpdate(workflows.UpdateAddInformation, workflows.Information{Actor: staff, Text: "statement attached"})
	})
	res := p.run(testInput())
	if res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	// 14h were left when the clock stopped at 10h; it resumed at 40h, so the
	// deadline is 54h and removal at 50h is within it.
	wantKinds(t, p.kinds(), "notice_sent", "clarification_requested", "clarification_answered", "notice_sent", "removed", "rechecked")
	resumed := p.event("clarification_answered")
	if resumed.Deadline == nil || !resumed.Deadline.Equal(p.start.Add(54*time.Hour)) {
		t.Errorf("resumed deadline = %v, want start+54h", resumed.Deadline)
	}
	if p.event("removed").Detail["within_deadline"] != true {
		t.Error("paused time counted against the platform")
	}
	if len(p.notices) != 2 || p.notices[1].Kind != takedown.KindFollowUp {
		t.Errorf("notices = %+v", p.notices)
	}
}

func TestContentReappearsAndTheTakedownReopens(t *testing.T) {
	p := newPlatform(t)
	p.state = func(e time.Duration) takedown.ProbeState {
		switch {
		case e < 2*time.Hour:
			return takedown.ProbePresent
		case e < 5*24*time.Hour:
			return takedown.ProbeRemoved
		case e < 8*24*time.Hour:
			return takedown.ProbePresent // re-uploaded at the same address
		}
		return takedown.ProbeRemoved
	}
	res := p.run(testInput())
	if res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "removed", "rechecked", "rechecked", "reappeared", "notice_sent", "removed", "rechecked")
	if re := p.event("reappeared"); !re.Reopened || re.Status != takedown.StatusPending {
		t.Errorf("reappeared = %+v", re)
	}
	if len(p.notices) != 2 || p.notices[1].Kind != takedown.KindNotice || p.notices[1].Attempt != 2 {
		t.Errorf("notices = %+v", p.notices)
	}
}

func TestWithdrawnMidWait(t *testing.T) {
	p := newPlatform(t)
	p.at(30*time.Hour, func() {
		p.refused(workflows.UpdateWithdraw, workflows.Withdrawal{Actor: staff}, "needs a reason")
		p.refused(workflows.UpdateWithdraw, workflows.Withdrawal{Actor: auditor, Reason: "x"}, "may not")
		p.mustUpdate(workflows.UpdateWithdraw, workflows.Withdrawal{Actor: staff, Reason: "reported in error"})
	})
	res := p.run(testInput())
	if res.Status != takedown.StatusWithdrawn {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "deadline_passed", "notice_sent", "withdrawn")
	w := p.event("withdrawn")
	if !w.Closed || w.Detail["reason"] != "reported in error" || w.Detail["actor_id"] != staff.ID.String() {
		t.Errorf("withdrawn = %+v", w)
	}
}

func TestUpdatesFromWrongRoleAreRefused(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(10 * time.Hour)
	p.at(time.Hour, func() {
		cases := []struct {
			name string
			arg  any
		}{
			{workflows.UpdateRecordReply, workflows.Reply{Actor: auditor, Kind: workflows.ReplyOther}},
			{workflows.UpdateExtendDeadline, workflows.Extension{Actor: staff, Until: p.env.Now().Add(48 * time.Hour), Reason: "r"}},
			{workflows.UpdateWithdraw, workflows.Withdrawal{Actor: auditor, Reason: "r"}},
			{workflows.UpdateAddInformation, workflows.Information{Actor: auditor, Text: "x"}},
			{workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: staff, Approve: true}},
		}
		for _, c := range cases {
			p.refused(c.name, c.arg, "may not")
		}
	})
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "removed", "rechecked")
}

func TestSupervisorExtendsDeadline(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(35 * time.Hour)
	p.at(20*time.Hour, func() {
		p.mustUpdate(workflows.UpdateExtendDeadline, workflows.Extension{Actor: supervisor, Until: p.start.Add(40 * time.Hour), Reason: "platform holiday"})
	})
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_sent", "deadline_extended", "removed", "rechecked")
	if p.event("removed").Detail["within_deadline"] != true {
		t.Error("removal inside the extended deadline counted as late")
	}
}

func TestPortalFilingThenRemoval(t *testing.T) {
	p := newPlatform(t)
	p.portal = true
	p.state = removedAfter(10 * time.Hour)
	p.at(time.Hour, func() {
		if st := p.state_(t); st.Status != takedown.StatusAwaitingPortal {
			t.Errorf("status = %s", st.Status)
		}
		p.refused(workflows.UpdateRecordReply, workflows.Reply{Actor: staff, Kind: workflows.ReplyPortalSubmitted}, "ticket number is required")
		p.mustUpdate(workflows.UpdateRecordReply, workflows.Reply{Actor: staff, Kind: workflows.ReplyPortalSubmitted, Ticket: "LR-2026-0001"})
	})
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "portal_submitted", "removed", "rechecked")
	ps := p.event("portal_submitted")
	if ps.Detail["ticket"] != "LR-2026-0001" || ps.Deadline == nil || !ps.Deadline.Equal(p.start.Add(25*time.Hour)) {
		t.Errorf("portal_submitted = %+v", ps)
	}
}

func TestPermanentSendFailureEndsFailed(t *testing.T) {
	p := newPlatform(t)
	p.sendErr = func(takedown.Notice) error {
		return temporal.NewNonRetryableApplicationError("rejected", "permanent:forbidden", errors.New("403"))
	}
	if res := p.run(testInput()); res.Status != takedown.StatusFailed {
		t.Fatalf("status %s", res.Status)
	}
	wantKinds(t, p.kinds(), "notice_failed")
	if !p.event("notice_failed").Closed {
		t.Error("failed takedown not closed")
	}
}

func TestTransientSendFailureRetries(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(time.Hour)
	calls := 0
	p.sendErr = func(takedown.Notice) error {
		calls++
		if calls < 3 {
			return temporal.NewApplicationError("503", "transient:http_503")
		}
		return nil
	}
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved || calls != 3 {
		t.Fatalf("status %s after %d sends", res.Status, calls)
	}
}

// TestNinetyDaysOfProbingStaysSmall counts what a takedown that is never
// removed asks of the engine over 90 days, and bounds the history per run
// with the engine's measured costs (11 events for one activity, 6 for each
// further one, at most 5 per timer).
func TestNinetyDaysOfProbingStaysSmall(t *testing.T) {
	p := newPlatform(t)
	var mu sync.Mutex
	schedules, timers := 0, 0
	p.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		if info.Attempt == 1 {
			schedules++
		}
	})
	p.env.SetOnTimerScheduledListener(func(string, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		timers++
	})
	p.at(90*24*time.Hour, func() {
		p.mustUpdate(workflows.UpdateWithdraw, workflows.Withdrawal{Actor: supervisor, Reason: "end of test"})
	})
	if res := p.run(testInput()); res.Status != takedown.StatusWithdrawn {
		t.Fatalf("status %s", res.Status)
	}
	events := 5 + 6*schedules + 5*timers
	t.Logf("90 days: %d activities scheduled, %d timers, at most %d events", schedules, timers, events)
	if events >= 2000 {
		t.Fatalf("90 days of probing would write %d events", events)
	}
	// Probing went on the whole time, in fresh windows.
	if len(p.probeIns) < 90*24*2 {
		t.Errorf("only %d probes in 90 days", len(p.probeIns))
	}
}

func ptrTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// A run's revision, not workflow.GetVersion, chooses the branches added
// since revisions exist: a run of revision 1 writes its records through
// local activities whatever GetVersion would say (and never asks it, so
// no marker and no search-attribute upsert), while a run of revision 0
// still follows GetVersion.
func TestRevisionChoosesTheRecordsBranch(t *testing.T) {
	for _, tc := range []struct {
		revision  int
		wantLocal bool
	}{{0, false}, {workflows.Revision, true}} {
		t.Run(fmt.Sprint("revision ", tc.revision), func(t *testing.T) {
			p := newPlatform(t)
			p.state = removedAfter(time.Hour)
			// GetVersion answers as for a run recorded before the change.
			p.env.OnGetVersion("local-records", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			var mu sync.Mutex
			var local, remote int
			p.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
				if info.ActivityType.Name == "RecordEvent" {
					mu.Lock()
					local++
					mu.Unlock()
				}
			})
			p.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				if info.ActivityType.Name == "RecordEvent" {
					mu.Lock()
					remote++
					mu.Unlock()
				}
			})
			in := testInput()
			in.Revision = tc.revision
			if res := p.run(in); res.Status != takedown.StatusRemoved {
				t.Fatalf("status %s", res.Status)
			}
			mu.Lock()
			defer mu.Unlock()
			if (local > 0) != tc.wantLocal || (remote > 0) == tc.wantLocal || local+remote == 0 {
				t.Errorf("records: %d local, %d as activities; want all local: %v", local, remote, tc.wantLocal)
			}
		})
	}
}

// The stage the Temporal UI filters by is written only when a takedown
// leaves its happy path: a removal within the deadline upserts nothing
// (each upsert is a visibility write), a missed deadline shows as overdue
// and the ending as the outcome. Runs of revision 0 keep upserting every
// stage, as their histories say.
func TestStageIsUpsertedOffTheHappyPath(t *testing.T) {
	for _, tc := range []struct {
		name      string
		revision  int
		removedAt time.Duration
		want      []string
	}{
		{"in time", workflows.Revision, time.Hour, nil},
		{"late", workflows.Revision, 30 * time.Hour, []string{"notice_sent/overdue", "removed"}},
		{"revision 0", 0, time.Hour, []string{"notice_sent", "removed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlatform(t)
			p.state = removedAfter(tc.removedAt)
			var mu sync.Mutex
			var stages []string
			p.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
				sa := args.Get(0).(temporal.SearchAttributes)
				if v, ok := sa.GetKeyword(workflows.AttrStage); ok {
					mu.Lock()
					stages = append(stages, v)
					mu.Unlock()
				}
			}).Return(nil)
			in := testInput()
			in.Revision = tc.revision
			in.Policy.RecheckAfter = 0
			if res := p.run(in); res.Status != takedown.StatusRemoved {
				t.Fatalf("status %s", res.Status)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(stages, tc.want) {
				t.Errorf("stages upserted %q, want %q", stages, tc.want)
			}
		})
	}
}

// Sends and probes of a run of revision 2 or later go to the workflow's own
// queue, where the engine can hand them over with the workflow task that
// scheduled them; a run of an earlier revision keeps the platform's queues
// its history names, which the workers still serve.
func TestRevisionChoosesTheQueues(t *testing.T) {
	for _, tc := range []struct {
		revision          int
		wantSend, wantPrb string
	}{
		{1, workflows.SendQueue(takedown.YouTube), workflows.ProbeQueue(takedown.YouTube)},
		{workflows.Revision, workflows.TaskQueue, workflows.TaskQueue},
	} {
		t.Run(fmt.Sprint("revision ", tc.revision), func(t *testing.T) {
			p := newPlatform(t)
			p.state = removedAfter(time.Hour)
			var mu sync.Mutex
			queues := map[string]map[string]bool{}
			p.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				mu.Lock()
				defer mu.Unlock()
				if queues[info.ActivityType.Name] == nil {
					queues[info.ActivityType.Name] = map[string]bool{}
				}
				queues[info.ActivityType.Name][info.TaskQueue] = true
			})
			in := testInput()
			in.Revision = tc.revision
			if res := p.run(in); res.Status != takedown.StatusRemoved {
				t.Fatalf("status %s", res.Status)
			}
			mu.Lock()
			defer mu.Unlock()
			for name, want := range map[string]string{"SendNotice": tc.wantSend, "Probe": tc.wantPrb} {
				if got := queues[name]; len(got) != 1 || !got[want] {
					t.Errorf("%s ran on %v, want only %s", name, got, want)
				}
			}
		})
	}
}
