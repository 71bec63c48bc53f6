package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/workflows"
)

var a *activities.Activities

func testInput() workflows.Input {
	id := uuid.MustParse("11111111-2222-3333-4444-555555555555")
	return workflows.Input{
		TakedownID: id,
		ItemID:     uuid.MustParse("aaaaaaaa-2222-3333-4444-555555555555"),
		Content:    platforms.Content{Platform: platforms.YouTube, ID: "dQw4w9WgXcQ", URL: "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
		Category:   platforms.DeepfakeSexual,
		Reference:  "TKD-111111112222",
		Language:   "ko",
		Policy:     workflows.Policy{Deadline: 24 * time.Hour, ProbeInitial: 30 * time.Second, ProbeMax: 30 * time.Minute, ProbeBackoff: 1.5},
	}
}

type recorder struct{ events []takedown.Transition }

func (r *recorder) kinds() []string {
	var out []string
	for _, e := range r.events {
		out = append(out, e.Kind)
	}
	return out
}

func newEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *recorder) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{WorkflowPanicPolicy: worker.FailWorkflow})
	env.RegisterWorkflow(workflows.Takedown)
	env.RegisterActivity(a)
	rec := &recorder{}
	env.OnActivity(a.RecordEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, tr takedown.Transition) error {
		rec.events = append(rec.events, tr)
		return nil
	})
	return env, rec
}

func sent() activities.SendNoticeResult {
	return activities.SendNoticeResult{Submission: platforms.Submission{Channel: platforms.ChannelAPI, Reference: "TKD-1"}}
}

func TestTakedownRemovedWithinDeadline(t *testing.T) {
	env, rec := newEnv(t)
	in := testInput()
	env.OnActivity(a.SendNotice, mock.Anything, mock.MatchedBy(func(x activities.SendNoticeInput) bool {
		return x.Notice.Key == activities.NoticeKey(in.TakedownID, platforms.YouTube, 1) && x.Notice.Attempt == 1 &&
			x.Confirm.TakedownID == in.TakedownID && x.Notice.Content == in.Content
	})).Return(sent(), nil).Once()
	probes := 0
	env.OnActivity(a.Probe, mock.Anything, activities.ProbeInput{Content: in.Content, UntilGone: true}).
		Return(func(context.Context, activities.ProbeInput) (platforms.ProbeResult, error) {
			probes++
			return platforms.ProbeResult{State: platforms.StateRemoved, Reason: "video not returned"}, nil
		})

	env.ExecuteWorkflow(workflows.Takedown, in)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow did not complete: %v", env.GetWorkflowError())
	}
	var res workflows.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != takedown.StatusRemoved {
		t.Errorf("status = %s, want removed", res.Status)
	}
	if got := rec.kinds(); len(got) != 1 || got[0] != "removed" {
		t.Fatalf("recorded %v, want [removed]", got)
	}
	last := rec.events[0]
	if !last.Closed || last.RemovedAt == nil || last.Status != takedown.StatusRemoved || last.Detail["within_deadline"] != true {
		t.Errorf("outcome transition = %+v", last)
	}
	if probes != 1 {
		t.Errorf("probes = %d, want 1", probes)
	}
}

func TestTakedownDeadlinePassesThenRemoved(t *testing.T) {
	env, rec := newEnv(t)
	in := testInput()
	env.OnActivity(a.SendNotice, mock.Anything, mock.Anything).Return(sent(), nil).Once()
	// The platform takes 30 hours: the probe keeps failing as "still present"
	// until then, which the retry policy turns into polling.
	var start time.Time
	env.OnActivity(a.Probe, mock.Anything, mock.Anything).Return(func(ctx context.Context, _ activities.ProbeInput) (platforms.ProbeResult, error) {
		now := env.Now()
		if start.IsZero() {
			start = now
		}
		if now.Sub(start) < 30*time.Hour {
			return platforms.ProbeResult{}, temporal.NewApplicationError("present", activities.ErrStillPresent)
		}
		return platforms.ProbeResult{State: platforms.StateRemoved}, nil
	})
	env.ExecuteWorkflow(workflows.Takedown, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := rec.kinds()
	if len(got) != 2 || got[0] != "deadline_passed" || got[1] != "removed" {
		t.Fatalf("recorded %v, want [deadline_passed removed]", got)
	}
	if rec.events[1].Detail["within_deadline"] != false {
		t.Errorf("within_deadline = %v, want false", rec.events[1].Detail["within_deadline"])
	}
}

func TestTakedownWithheld(t *testing.T) {
	env, rec := newEnv(t)
	env.OnActivity(a.SendNotice, mock.Anything, mock.Anything).Return(sent(), nil)
	env.OnActivity(a.Probe, mock.Anything, mock.Anything).Return(platforms.ProbeResult{State: platforms.StateWithheld, Countries: []string{"KR"}}, nil)
	env.ExecuteWorkflow(workflows.Takedown, testInput())
	var res workflows.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != takedown.StatusWithheld {
		t.Errorf("status = %s, want withheld", res.Status)
	}
	if ev := rec.events[len(rec.events)-1]; ev.RemovedAt != nil || ev.Status != takedown.StatusWithheld {
		t.Errorf("withheld recorded as %+v; must not be counted as removed", ev)
	}
}

func TestTakedownPermanentSendFailure(t *testing.T) {
	env, rec := newEnv(t)
	calls := 0
	env.OnActivity(a.SendNotice, mock.Anything, mock.Anything).Return(func(context.Context, activities.SendNoticeInput) (activities.SendNoticeResult, error) {
		calls++
		return activities.SendNoticeResult{}, temporal.NewNonRetryableApplicationError("rejected", "permanent:forbidden", errors.New("403"))
	})
	env.ExecuteWorkflow(workflows.Takedown, testInput())
	var res workflows.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != takedown.StatusFailed || calls != 1 {
		t.Errorf("status = %s after %d sends, want failed after 1", res.Status, calls)
	}
	if got := rec.kinds(); len(got) != 1 || got[0] != "notice_failed" || !rec.events[0].Closed {
		t.Errorf("recorded %v", got)
	}
}

func TestTakedownTransientSendFailureRetries(t *testing.T) {
	env, _ := newEnv(t)
	calls := 0
	env.OnActivity(a.SendNotice, mock.Anything, mock.Anything).Return(func(context.Context, activities.SendNoticeInput) (activities.SendNoticeResult, error) {
		calls++
		if calls < 3 {
			return activities.SendNoticeResult{}, temporal.NewApplicationError("503", "transient:http_503")
		}
		return sent(), nil
	})
	env.OnActivity(a.Probe, mock.Anything, mock.Anything).Return(platforms.ProbeResult{State: platforms.StateRemoved}, nil)
	env.ExecuteWorkflow(workflows.Takedown, testInput())
	var res workflows.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != takedown.StatusRemoved || calls != 3 {
		t.Errorf("status %s after %d sends, want removed after 3", res.Status, calls)
	}
}

func TestTakedownStateQuery(t *testing.T) {
	env, _ := newEnv(t)
	env.OnActivity(a.SendNotice, mock.Anything, mock.Anything).Return(sent(), nil)
	env.OnActivity(a.Probe, mock.Anything, mock.Anything).Return(platforms.ProbeResult{}, temporal.NewApplicationError("present", activities.ErrStillPresent)).Times(3)
	env.OnActivity(a.Probe, mock.Anything, mock.Anything).Return(platforms.ProbeResult{State: platforms.StateRemoved}, nil)
	var mid workflows.State
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			t.Error(err)
			return
		}
		if err := v.Get(&mid); err != nil {
			t.Error(err)
		}
	}, time.Second)
	env.ExecuteWorkflow(workflows.Takedown, testInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if mid.Status != takedown.StatusNoticeSent || mid.Deadline.IsZero() || mid.Overdue {
		t.Errorf("mid-flight state = %+v", mid)
	}
}
