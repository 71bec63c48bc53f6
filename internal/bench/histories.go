package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/history"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/workflows"
)

// HistoryCost is what a takedown writes to the engine's history.
type HistoryCost struct {
	HappyPath  *HappyPath  `json:"happy_path,omitempty"`
	NinetyDays *NinetyDays `json:"ninety_days_probing,omitempty"`
}

// HappyPath is measured on real histories of the throughput run.
type HappyPath struct {
	Method  string `json:"method"`
	Sampled int    `json:"sampled"`
	// EventsMean is the mean history length; EventsMin and EventsMax bound it.
	EventsMean float64 `json:"events_mean"`
	EventsMin  int     `json:"events_min"`
	EventsMax  int     `json:"events_max"`
	BytesMean  float64 `json:"bytes_mean"`
	// Activities is how many activities one takedown scheduled (first
	// sampled history), by type in ActivityTypes; Timers how many timers.
	Activities    int            `json:"activities"`
	ActivityTypes map[string]int `json:"activity_types"`
	Timers        int            `json:"timers"`
	EventTypes    map[string]int `json:"event_types"`
	// FormulaEvents is 5 + 6·activities + 5·timers, the estimate used for
	// 90 days of probing; set beside the measured length it shows how
	// close that estimate is.
	FormulaEvents int `json:"formula_events"`
	// Steps is where a takedown's time in the engine goes: for each event
	// of the sampled histories, the time since the event before it, summed
	// by the event's type and averaged over the histories. A task's
	// Started is its wait in matching (schedule to start); a workflow
	// task's Completed is the worker's work on it (local activities
	// included); an activity's Completed or Failed is its run.
	StepsMeanMs map[string]float64 `json:"steps_mean_ms"`

	histories []*historypb.History
	fetch     time.Duration
}

// NinetyDays is a takedown that is never removed, on the production policy,
// run for 90 simulated days in the SDK's test environment.
type NinetyDays struct {
	Method        string        `json:"method"`
	SimulatedDays int           `json:"simulated_days"`
	Policy        PolicySummary `json:"policy"`
	// ActivitiesScheduled counts first attempts, by type in ByActivity;
	// retries (the probing itself, ProbeAttempts) add no history events.
	ActivitiesScheduled int            `json:"activities_scheduled"`
	ByActivity          map[string]int `json:"by_activity"`
	ProbeAttempts       int            `json:"probe_attempts"`
	Timers              int            `json:"timers"`
	// EventsPerRun is the estimate 5 + 6·activities + 5·timers, an upper
	// bound from the engine's measured costs (TEMPORAL.md).
	EventsPerRun   int     `json:"events_per_run_estimate"`
	ContinuedAsNew bool    `json:"continued_as_new"`
	FinalStatus    string  `json:"final_status"`
	WallSeconds    float64 `json:"wall_s"`
}

func formulaEvents(activities, timers int) int { return 5 + 6*activities + 5*timers }

// describeHappyPath fetches up to cfg.Replays histories of the measured
// takedowns, spread over the run, and describes them. They are kept for the
// replay measurement.
func describeHappyPath(ctx context.Context, cfg Config, st *stack, samples []sample) (*HappyPath, error) {
	n := min(cfg.Replays, len(samples))
	progress(cfg, "history: fetching %d histories", n)
	hp := &HappyPath{
		Method:        "histories fetched from the engine (client.GetWorkflowHistory) after the throughput run",
		ActivityTypes: map[string]int{},
		EventTypes:    map[string]int{},
	}
	t0 := time.Now()
	var events, size int
	for k := range n {
		s := samples[k*len(samples)/n]
		h, err := history.Fetch(ctx, st.client, s.workflowID, "")
		if err != nil {
			return nil, err
		}
		hp.histories = append(hp.histories, h)
		l := len(h.GetEvents())
		if k == 0 || l < hp.EventsMin {
			hp.EventsMin = l
		}
		hp.EventsMax = max(hp.EventsMax, l)
		events += l
		size += proto.Size(h)
	}
	hp.fetch = time.Since(t0)
	if n == 0 {
		return nil, errors.New("no takedown to describe")
	}
	hp.Sampled = n
	hp.EventsMean = round3(float64(events) / float64(n))
	hp.BytesMean = round3(float64(size) / float64(n))
	for _, ev := range hp.histories[0].GetEvents() {
		hp.EventTypes[ev.GetEventType().String()]++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			hp.Activities++
			hp.ActivityTypes[ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()]++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			hp.Timers++
		}
	}
	hp.FormulaEvents = formulaEvents(hp.Activities, hp.Timers)
	hp.StepsMeanMs = steps(hp.histories)
	return hp, nil
}

// steps sums the gaps before each event by the event's type, averaged over
// the histories, in milliseconds.
func steps(hs []*historypb.History) map[string]float64 {
	out := map[string]float64{}
	for _, h := range hs {
		evs := h.GetEvents()
		for i := 1; i < len(evs); i++ {
			gap := evs[i].GetEventTime().AsTime().Sub(evs[i-1].GetEventTime().AsTime())
			out[strings.TrimPrefix(evs[i].GetEventType().String(), "EVENT_TYPE_")] += ms(gap)
		}
	}
	for k, v := range out {
		out[k] = round3(v / float64(len(hs)))
	}
	return out
}

// Replay is the SDK's replayer over stored histories.
type Replay struct {
	Method             string  `json:"method"`
	Histories          int     `json:"histories"`
	Events             int     `json:"events"`
	FetchSeconds       float64 `json:"fetch_s"`
	ReplaySeconds      float64 `json:"replay_s"`
	HistoriesPerSecond float64 `json:"histories_per_s"`
	EventsPerSecond    float64 `json:"events_per_s"`
}

// runReplay replays the fetched histories one after the other, each with a
// new replayer, as an auditor's replay request and the replay tests do.
func runReplay(ctx context.Context, cfg Config, st *stack, hp *HappyPath) (*Replay, error) {
	progress(cfg, "replay: %d histories", len(hp.histories))
	quiet := slog.New(slog.DiscardHandler)
	r := &Replay{
		Method:       "internal/history.Replay (a new SDK WorkflowReplayer per history, payloads opened by the codec), one goroutine",
		Histories:    len(hp.histories),
		FetchSeconds: seconds(hp.fetch),
	}
	t0 := time.Now()
	for _, h := range hp.histories {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := history.Replay(quiet, h, st.codec.DataConverter()); err != nil {
			return nil, err
		}
		r.Events += len(h.GetEvents())
	}
	d := time.Since(t0)
	r.ReplaySeconds = seconds(d)
	r.HistoriesPerSecond = rate(r.Histories, d)
	r.EventsPerSecond = rate(r.Events, d)
	return r, nil
}

// ninetyDays is how long the never-removed takedown is followed.
const ninetyDays = 90 * 24 * time.Hour

// simulateNinetyDays follows a takedown whose content is never removed for
// 90 days of the production policy in the SDK's test environment, which
// skips time: the real engine cannot wait 90 days. It counts what the
// workflow asks of the engine, as TestNinetyDaysOfProbingStaysSmall does,
// and estimates the events from the engine's measured costs.
func simulateNinetyDays(cfg Config) (*NinetyDays, error) {
	progress(cfg, "history: 90 simulated days of probing")
	pol := policy.Default().For(takedown.Telegram, takedown.DeepfakeSexual)
	nd := &NinetyDays{
		Method: "SDK test environment (go.temporal.io/sdk/testsuite) with time skipping and the activities mocked; " +
			"events estimated as 5 + 6*activities_scheduled + 5*timers",
		SimulatedDays: int(ninetyDays / (24 * time.Hour)),
		Policy:        summarize(pol),
		ByActivity:    map[string]int{},
	}
	var s testsuite.WorkflowTestSuite
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{WorkflowPanicPolicy: worker.FailWorkflow})
	env.RegisterWorkflowWithOptions(workflows.Takedown, workflow.RegisterOptions{Name: "Takedown"})
	var a *activities.Activities // only its methods' names are used
	env.RegisterActivity(a)

	var mu sync.Mutex
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		if info.Attempt == 1 {
			nd.ActivitiesScheduled++
			nd.ByActivity[info.ActivityType.Name]++
		}
		if info.ActivityType.Name == "Probe" {
			nd.ProbeAttempts++
		}
	})
	env.SetOnTimerScheduledListener(func(string, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		nd.Timers++
	})
	env.OnActivity(a.RecordEvent, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(a.SendNotice, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendNoticeInput) (activities.SendNoticeResult, error) {
			res := activities.SendNoticeResult{Submission: platforms.Submission{
				Channel: takedown.ChannelEmail, Reference: in.Notice.Reference, SentAt: env.Now(),
			}}
			if in.DeadlineAfter > 0 {
				res.Deadline = env.Now().Add(in.DeadlineAfter)
			}
			return res, nil
		})
	// The content stays up: every probe until gone fails as still present,
	// which is what makes the retry policy probe again.
	env.OnActivity(a.Probe, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ProbeInput) (takedown.ProbeResult, error) {
			res := takedown.ProbeResult{State: takedown.ProbePresent, CheckedAt: env.Now()}
			if in.UntilGone {
				return res, temporal.NewApplicationError("present", activities.ErrStillPresent)
			}
			return res, nil
		})
	env.OnActivity(a.SendBlockingOrder, mock.Anything, mock.Anything).Return("ISP-1", nil)
	env.OnActivity(a.CheckBlocked, mock.Anything, mock.Anything).Return(time.Time{},
		temporal.NewApplicationError("not yet", activities.ErrNotYetBlocked))

	// The withdrawal is signed, as the API signs it, by a key of this
	// simulation's own (trusted beside the stack's), on the simulated clock.
	td := uuid.MustParse("00000000-0000-0000-0000-0000000000d0")
	wfID := takedown.WorkflowID(td)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: wfID})
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("decision key: %w", err)
	}
	if err := workflows.TrustDecisionKeys(key.Public().(ed25519.PublicKey)); err != nil {
		return nil, err
	}
	signer, err := workflows.NewSigner(key, env.Now)
	if err != nil {
		return nil, err
	}
	var updErr error
	env.RegisterDelayedCallback(func() {
		const updateID = "end-of-ninety-days"
		arg, err := signer.Sign(wfID, updateID, workflows.UpdateWithdraw, workflows.Withdrawal{
			Actor:  workflows.Actor{ID: uuid.MustParse("00000000-0000-0000-0000-0000000000b0"), Role: takedown.RoleSupervisor},
			Reason: "end of the simulated 90 days",
		})
		if err != nil {
			updErr = fmt.Errorf("sign the withdrawal: %w", err)
			return
		}
		env.UpdateWorkflow(workflows.UpdateWithdraw, updateID, &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { updErr = fmt.Errorf("withdrawal refused: %w", err) },
			OnAccept:   func() {},
			OnComplete: func(_ any, err error) { updErr = err },
		}, arg)
	}, ninetyDays)

	in := workflows.Input{
		TakedownID: td,
		ItemID:     uuid.MustParse("00000000-0000-0000-0000-0000000000e0"),
		Content:    takedown.Content{Platform: takedown.Telegram, ID: "benchchannel/1", URL: "https://t.me/benchchannel/1"},
		Category:   takedown.DeepfakeSexual,
		Reference:  "TKD-BENCH",
		Language:   "ko",
		Policy:     pol,
	}
	t0 := time.Now()
	env.ExecuteWorkflow(workflows.Takedown, in)
	nd.WallSeconds = seconds(time.Since(t0))
	if !env.IsWorkflowCompleted() {
		return nil, errors.New("the simulated takedown did not complete")
	}
	if updErr != nil {
		return nil, updErr
	}
	if err := env.GetWorkflowError(); err != nil {
		var can *workflow.ContinueAsNewError
		if !errors.As(err, &can) {
			return nil, fmt.Errorf("simulated takedown: %w", err)
		}
		nd.ContinuedAsNew, nd.FinalStatus = true, "continued as new"
	} else {
		var res workflows.Result
		if err := env.GetWorkflowResult(&res); err != nil {
			return nil, err
		}
		nd.FinalStatus = string(res.Status)
	}
	nd.EventsPerRun = formulaEvents(nd.ActivitiesScheduled, nd.Timers)
	return nd, nil
}
