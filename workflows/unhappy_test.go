package workflows_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

func permanent(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, "permanent:smtp_550", errors.New(msg))
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

// withdrawAt ends a takedown that would otherwise wait for ever.
func (p *platform) withdrawAt(d time.Duration) {
	p.at(d, func() {
		p.mustUpdate(workflows.UpdateWithdraw, workflows.Withdrawal{Actor: staff, Reason: "end of test"})
	})
}

// A platform that takes the first notice and refuses every later one: the
// ladder still climbs to the supervisor, who is told of each failure.
func TestFailedRemindersStillClimb(t *testing.T) {
	p := newPlatform(t)
	p.sendErr = func(n takedown.Notice) error {
		if n.Attempt > 1 {
			return permanent("550 mailbox unavailable")
		}
		return nil
	}
	p.at(73*time.Hour, func() {
		st := p.state_(t)
		if st.Status != takedown.StatusAwaitingApproval || st.Asked != workflows.RequestApproveBlocking {
			t.Errorf("at 73h state = %+v", st)
		}
	})
	p.withdrawAt(74 * time.Hour)
	if res := p.run(testInput()); res.Status != takedown.StatusWithdrawn {
		t.Fatalf("status %s", res.Status)
	}
	k := p.kinds()
	if count(k, "notice_failed") != 2 || count(k, "supervisor_alerted") != 3 || !slices.Contains(k, "blocking_approval_requested") {
		t.Errorf("events %v: want two failed notices, an alert for each and one for the priority rung, then the approval request", k)
	}
	// Only the first notice projects a status: a later one must not
	// overwrite what the takedown became meanwhile.
	for i, in := range p.sendIns {
		if want := takedown.Status(""); i > 0 && in.IfStatus != want || i == 0 && in.IfStatus != takedown.StatusPending {
			t.Errorf("send %d (%s) projects if status is %q", i, in.Notice.Kind, in.IfStatus)
		}
	}
}

func TestApprovalWithoutISPChannelIsRefused(t *testing.T) {
	p := newPlatform(t)
	p.noISP = true
	p.at(73*time.Hour, func() {
		p.refused(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor, Approve: true, Reason: "x"}, "no ISP channel")
	})
	p.withdrawAt(74 * time.Hour)
	if res := p.run(testInput()); res.Status != takedown.StatusWithdrawn {
		t.Fatalf("status %s", res.Status)
	}
	if p.orders != 0 {
		t.Errorf("%d blocking orders", p.orders)
	}
}

// Content that came back, and a new notice the platform refuses: the
// takedown is open, its ladder runs, and decisions are still taken.
func TestReopenWithAFailedNoticeGoesOn(t *testing.T) {
	p := newPlatform(t)
	p.state = func(e time.Duration) takedown.ProbeState {
		if e >= time.Hour && e < 100*time.Hour {
			return takedown.ProbeRemoved
		}
		return takedown.ProbePresent
	}
	p.rechecks = []takedown.ProbeState{takedown.ProbePresent, takedown.ProbePresent}
	p.sendErr = func(n takedown.Notice) error {
		if n.Attempt == 2 {
			return permanent("550")
		}
		return nil
	}
	p.at(175*time.Hour, func() {
		st := p.state_(t)
		if st.Status != takedown.StatusNoticeSent || !st.Rung.Running() || st.Waiting() == "" {
			t.Errorf("after the failed re-notice: %+v", st)
		}
	})
	p.withdrawAt(176 * time.Hour)
	if res := p.run(testInput()); res.Status != takedown.StatusWithdrawn {
		t.Fatalf("status %s", res.Status)
	}
	k := p.kinds()
	i := slices.Index(k, "reappeared")
	if i < 0 || !slices.Equal(k[i:i+4], []string{"reappeared", "notice_failed", "supervisor_alerted", "ladder_started"}) {
		t.Errorf("events %v", k)
	}
}

// A blocking order the gateway refuses goes back to the supervisor with the
// reason; a second approval sends it.
func TestFailedBlockingOrderAsksAgain(t *testing.T) {
	p := newPlatform(t)
	p.blocked = func(e time.Duration) bool { return e > 76*time.Hour }
	fails := 1
	p.orderErr = func() error {
		if fails > 0 {
			fails--
			return permanent("gateway refused the order")
		}
		return nil
	}
	p.at(73*time.Hour, func() {
		p.mustUpdate(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor, Approve: true, Reason: "no answer"})
	})
	p.at(74*time.Hour, func() {
		st := p.state_(t)
		if st.Status != takedown.StatusAwaitingApproval || st.Asked != workflows.RequestApproveBlocking || !strings.Contains(st.LastFailure, "gateway refused") {
			t.Errorf("after the failed order: %+v", st)
		}
		p.mustUpdate(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor, Approve: true, Reason: "again"})
	})
	if res := p.run(testInput()); res.Status != takedown.StatusBlocked {
		t.Fatalf("status %s, events %v", res.Status, p.kinds())
	}
	if k := p.kinds(); count(k, "blocking_order_failed") != 1 || count(k, "blocking_approved") != 2 || p.orders != 1 {
		t.Errorf("events %v, orders %d", k, p.orders)
	}
}

// The same update id twice is one decision: one follow-up notice.
func TestRepeatedDecisionIsTakenOnce(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(2 * time.Hour)
	info := workflows.Information{Actor: staff, Text: "the uploader is in KR"}
	p.at(time.Hour, func() {
		p.expectID(workflows.UpdateAddInformation, "key-1", info, true, "")
		p.expectID(workflows.UpdateAddInformation, "key-1", info, true, "")
	})
	p.at(90*time.Minute, func() { p.expectID(workflows.UpdateAddInformation, "key-1", info, true, "") })
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	if n := count(p.kinds(), "information_added"); n != 1 || len(p.notices) != 2 {
		t.Errorf("%d information records, %d notices", n, len(p.notices))
	}
}

// Two approvals delivered together: one is taken, the other refused with the
// reason; one order goes out.
func TestTwoApprovalsAtOnce(t *testing.T) {
	p := newPlatform(t)
	p.blocked = func(e time.Duration) bool { return e > 75*time.Hour }
	var taken, refused []string
	p.at(73*time.Hour, func() {
		for i := range 2 {
			p.env.UpdateWorkflow(workflows.UpdateDecideEscalation, uuid.NewString(), &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) { refused = append(refused, err.Error()) },
				OnComplete: func(_ any, err error) {
					if err != nil {
						refused = append(refused, err.Error())
					} else {
						taken = append(taken, "approval")
					}
				},
			}, workflows.EscalationDecision{Actor: supervisor, Approve: true, Reason: "approval " + string(rune('A'+i))})
		}
	})
	if res := p.run(testInput()); res.Status != takedown.StatusBlocked {
		t.Fatalf("status %s", res.Status)
	}
	if len(taken) != 1 || len(refused) != 1 || !strings.Contains(refused[0], "no escalation is waiting") || p.orders != 1 {
		t.Errorf("taken %v refused %v orders %d", taken, refused, p.orders)
	}
}

// An extension that arrives as the deadline fires either wins (no reminder
// before the new deadline) or is refused with the reason; never both.
func TestExtensionAtTheDeadline(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(60 * time.Hour)
	level := takedown.LevelNotice
	var outcome error
	taken := false
	p.at(24*time.Hour, func() {
		p.env.UpdateWorkflow(workflows.UpdateExtendDeadline, uuid.NewString(), &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { outcome = err },
			OnComplete: func(_ any, err error) { outcome, taken = err, err == nil },
		}, workflows.Extension{Actor: supervisor, Until: p.start.Add(48 * time.Hour), Reason: "holiday", Level: &level})
	})
	p.run(testInput())
	reminded := slices.ContainsFunc(p.notices, func(n takedown.Notice) bool { return n.Kind == takedown.KindReminder })
	switch {
	case taken && reminded && p.notices[1].Attempt == 2 && p.event("deadline_passed").At.Before(p.start.Add(48*time.Hour)):
		t.Errorf("extension taken and the reminder sent anyway: %v", p.kinds())
	case !taken && (outcome == nil || !strings.Contains(outcome.Error(), "moved from level 0")):
		t.Errorf("extension neither taken nor refused with the reason: %v", outcome)
	}
}

// A follow-up filed on a portal is a task for staff with its own deadline;
// the ladder's rung is not shortened to it.
func TestFollowUpOnPortalKeepsTheRung(t *testing.T) {
	p := newPlatform(t)
	p.portalAll = true
	p.at(time.Hour, func() {
		p.mustUpdate(workflows.UpdateRecordReply, workflows.Reply{Actor: staff, Kind: workflows.ReplyPortalSubmitted, Ticket: "LR-1"})
	})
	p.at(2*time.Hour, func() {
		p.mustUpdate(workflows.UpdateAddInformation, workflows.Information{Actor: staff, Text: "more context"})
	})
	p.at(24*time.Hour, func() {
		st := p.state_(t)
		if st.Level != takedown.LevelNotice || st.Portal == nil || !st.Portal.Overdue {
			t.Errorf("at 24h: %+v", st)
		}
	})
	p.at(26*time.Hour, func() {
		if st := p.state_(t); st.Level != takedown.LevelReminder {
			t.Errorf("at 26h level %d", st.Level)
		}
	})
	p.withdrawAt(27 * time.Hour)
	p.run(testInput())
	if k := p.kinds(); count(k, "portal_overdue") != 1 || count(k, "deadline_passed") != 1 {
		t.Errorf("events %v", k)
	}
	if dp := p.event("deadline_passed"); !dp.At.Equal(p.start.Add(25 * time.Hour)) {
		t.Errorf("deadline passed at %v, want 25h after start", dp.At.Sub(p.start))
	}
}

// A takedown resumed after continue-as-new keeps its stopped clocks: a
// rejected takedown sends no reminder.
func TestResumeKeepsStoppedClocks(t *testing.T) {
	p := newPlatform(t)
	in := testInput()
	in.Resume = &workflows.State{
		Status: takedown.StatusRejected, Level: takedown.LevelReminder, Attempt: 2,
		Asked: workflows.RequestDecideRejection, Probing: true, FirstNotice: p.start.Add(-30 * time.Hour), Seq: 6,
		Rung: workflows.Clock{Gen: 3}, Deadline: workflows.Clock{State: workflows.ClockRunning, At: p.start.Add(-6 * time.Hour), Gen: 1},
	}
	p.at(100*time.Hour, func() {
		p.mustUpdate(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor, Reason: "outside our remit"})
	})
	if res := p.run(in); res.Status != takedown.StatusRejected {
		t.Fatalf("status %s", res.Status)
	}
	if len(p.notices) != 0 {
		t.Errorf("resumed rejected takedown sent %+v", p.notices)
	}
	if ra := p.event("rejection_accepted"); ra.EventKey != "rejection_accepted:7" {
		t.Errorf("event keys do not go on from the carried sequence: %s", ra.EventKey)
	}
}

// A clarification asked after the removal deadline passed keeps that
// deadline, and the rung resumes with what it had left.
func TestClarificationAfterTheDeadline(t *testing.T) {
	p := newPlatform(t)
	p.at(30*time.Hour, func() {
		p.mustUpdate(workflows.UpdateRecordReply, workflows.Reply{Actor: staff, Kind: workflows.ReplyClarification})
	})
	p.at(80*time.Hour, func() {
		p.mustUpdate(workflows.UpdateAddInformation, workflows.Information{Actor: staff, Text: "answer"})
	})
	p.at(97*time.Hour, func() {
		if st := p.state_(t); st.Level != takedown.LevelReminder {
			t.Errorf("at 97h level %d", st.Level)
		}
	})
	p.at(99*time.Hour, func() {
		if st := p.state_(t); st.Level != takedown.LevelPriority {
			t.Errorf("at 99h level %d (the reminder rung had 18h left at 30h)", st.Level)
		}
	})
	p.withdrawAt(100 * time.Hour)
	p.run(testInput())
	ans := p.event("clarification_answered")
	if ans.Deadline == nil || !ans.Deadline.Equal(p.start.Add(24*time.Hour)) || ans.Status != takedown.StatusNoticeSent {
		t.Errorf("clarification answered = %+v; the deadline had passed at 24h and must stay there", ans)
	}
	if n := p.notices[len(p.notices)-1]; n.Kind != takedown.KindPriority {
		t.Errorf("last notice %s", n.Kind)
	}
}

// A refused blocking order is asked about again after the priority deadline.
func TestRefusedBlockingIsAskedAgain(t *testing.T) {
	p := newPlatform(t)
	p.at(73*time.Hour, func() {
		p.mustUpdate(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor, Reason: "wait for the hotline"})
	})
	p.at(90*time.Hour, func() {
		if st := p.state_(t); st.Status != takedown.StatusNoticeSent || !st.Rung.Running() {
			t.Errorf("after refusal: %+v", st)
		}
	})
	p.at(98*time.Hour, func() {
		if st := p.state_(t); st.Asked != workflows.RequestApproveBlocking {
			t.Errorf("not asked again: %+v", st)
		}
	})
	p.withdrawAt(99 * time.Hour)
	p.run(testInput())
	if n := count(p.kinds(), "blocking_approval_requested"); n != 2 {
		t.Errorf("asked %d times: %v", n, p.kinds())
	}
}

// While ISPs are asked to block, the platform is still probed: its removal
// ends the takedown as removed.
func TestRemovalSeenWhileBlocking(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(80 * time.Hour)
	p.at(73*time.Hour, func() {
		p.mustUpdate(workflows.UpdateDecideEscalation, workflows.EscalationDecision{Actor: supervisor, Approve: true, Reason: "x"})
	})
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s, events %v", res.Status, p.kinds())
	}
	// A local activity's argument reaches the mock unencoded (an int), an
	// activity's through JSON (a float64): compare the number.
	if r := p.event("removed"); fmt.Sprint(r.Detail["level"]) != fmt.Sprint(int(takedown.LevelBlocking)) {
		t.Errorf("removed = %+v", r)
	}
}

// One re-check that sees the content is not enough to reopen: a second, a
// confirmation gap later, must agree.
func TestReopenNeedsTwoSightings(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(time.Hour)
	p.rechecks = []takedown.ProbeState{takedown.ProbePresent, takedown.ProbeRemoved}
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	if k := p.kinds(); slices.Contains(k, "reappeared") || count(k, "rechecked") != 2 || len(p.notices) != 1 {
		t.Errorf("events %v", k)
	}
}

// A record the database refuses for good does not wedge the takedown.
func TestRefusedRecordDoesNotWedge(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(30 * time.Hour)
	p.recordErr = func(tr takedown.Transition) error {
		if tr.Kind == "deadline_passed" {
			return temporal.NewNonRetryableApplicationError("refused", "projection_refused", nil)
		}
		return nil
	}
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	if k := p.kinds(); slices.Contains(k, "deadline_passed") || len(p.notices) != 2 {
		t.Errorf("events %v, notices %d", k, len(p.notices))
	}
}

// A database down for longer than the bookkeeping activity's budget is
// waited out; nothing is lost.
func TestDatabaseOutageIsWaitedOut(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(4 * time.Hour)
	p.recordErr = func(tr takedown.Transition) error {
		if p.env.Now().Sub(p.start) < 3*time.Hour {
			return errors.New("connection refused")
		}
		return nil
	}
	p.at(10*time.Minute, func() {
		p.mustUpdate(workflows.UpdateRecordReply, workflows.Reply{Actor: staff, Kind: workflows.ReplyActionClaimed})
	})
	// Queued behind the first while the database is down: written hours
	// later, it still says when it happened.
	p.at(20*time.Minute, func() {
		p.mustUpdate(workflows.UpdateRecordReply, workflows.Reply{Actor: staff, Kind: workflows.ReplyOther, Note: "called them"})
	})
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	k := p.kinds()
	if !slices.Contains(k, "reply_recorded") || !slices.Contains(k, "removed") {
		t.Errorf("events %v", k)
	}
	var ats []time.Duration
	for _, e := range p.events {
		if e.Kind == "reply_recorded" {
			ats = append(ats, e.At.Sub(p.start))
		}
	}
	if !slices.Equal(ats, []time.Duration{10 * time.Minute, 20 * time.Minute}) {
		t.Errorf("replies recorded at %v, want at 10m and 20m, when they were made", ats)
	}
}

// A probe that fails for good is on the record and starts again later.
func TestProbeFailureStartsAgain(t *testing.T) {
	p := newPlatform(t)
	p.state = removedAfter(3 * time.Hour)
	p.probeErr = func(e time.Duration) error {
		if e < time.Hour {
			return temporal.NewNonRetryableApplicationError("no adapter", "unknown_platform", nil)
		}
		return nil
	}
	if res := p.run(testInput()); res.Status != takedown.StatusRemoved {
		t.Fatalf("status %s", res.Status)
	}
	if k := p.kinds(); count(k, "probe_failed") < 1 {
		t.Errorf("events %v", k)
	}
}

// A withdrawal while the first notice waits on the platform's quota ends
// the takedown at once.
func TestWithdrawWhileTheNoticeWaits(t *testing.T) {
	p := newPlatform(t)
	p.sendErr = func(takedown.Notice) error {
		return temporal.NewApplicationErrorWithOptions("quota", "rate_limited:quotaExceeded",
			temporal.ApplicationErrorOptions{NextRetryDelay: 20 * time.Hour})
	}
	p.at(time.Hour, func() {
		if st := p.state_(t); st.Status != takedown.StatusPending || st.Waiting() != "notice in flight" {
			t.Errorf("while the notice waits: %+v", st)
		}
	})
	p.withdrawAt(2 * time.Hour)
	if res := p.run(testInput()); res.Status != takedown.StatusWithdrawn {
		t.Fatalf("status %s", res.Status)
	}
	if w := p.event("withdrawn"); !w.At.Equal(p.start.Add(2 * time.Hour)) {
		t.Errorf("withdrawn at %v", w.At.Sub(p.start))
	}
}
