package activities_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/adapterset"
	"github.com/takedown-oss/takedown/internal/isp"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// silentListener accepts connections and never says a word: an SMTP relay
// that never greets.
func silentListener(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { <-done; _ = c.Close() }()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// A notice is uncertain only once it was written to the wire: a send that
// failed before (a relay that never greeted, a dial cut short by the
// activity's deadline) releases its claim and is sent normally next time,
// while one cut off after it was written is never sent again.
func TestUncertainOnlyOnceWritten(t *testing.T) {
	t.Parallel()
	const deadline = 300 * time.Millisecond
	// A dial that never completes, as to a host that drops SYNs.
	stuckDial := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}}
	tests := []struct {
		name          string
		url           string
		hc            harnessConfig
		hang          bool // the simulator takes the request and does not answer
		wantUncertain bool
	}{
		{
			name: "relay never greets", url: telegramURL,
			hc: harnessConfig{adapters: func(c *adapterset.Config) {
				c.Mail.Timeout = 200 * time.Millisecond
				c.Mail.Port = 0 // replaced below with a silent listener
			}},
		},
		{name: "dial cut short by the deadline", url: youtubeURL, hc: harnessConfig{http: stuckDial}},
		{
			name: "e-mail written, no reply", url: telegramURL, hang: true, wantUncertain: true,
			hc: harnessConfig{adapters: func(c *adapterset.Config) { c.Mail.Timeout = 200 * time.Millisecond }},
		},
		{name: "report written, no answer", url: youtubeURL, hang: true, wantUncertain: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hc := tt.hc
			if tt.name == "relay never greets" {
				port := silentListener(t)
				inner := hc.adapters
				hc.adapters = func(c *adapterset.Config) { inner(c); c.Mail.Host, c.Mail.Port = "127.0.0.1", port }
			}
			h := newHarness(t, hc)
			conf, c := h.takedownFor(tt.url)
			if tt.hang {
				h.setBehaviour(c.Platform, c.ID, simulator.Behaviour{Hang: simulator.Duration(time.Minute)})
			}
			in := noticeInput(conf, c, 1)

			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			res, err := h.acts.SendNotice(ctx, in)
			row := h.noticeRow(conf.TakedownID, in.Notice.Key)
			if tt.wantUncertain {
				if err != nil || !res.Uncertain {
					t.Fatalf("SendNotice = %+v, %v; want an uncertain result", res, err)
				}
				if row.State != takedown.NoticeUncertain {
					t.Errorf("notice row is %s, want %s", row.State, takedown.NoticeUncertain)
				}
				return
			}
			if err == nil || res.Uncertain {
				t.Fatalf("SendNotice = %+v, %v; want a retryable failure", res, err)
			}
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) || ae.NonRetryable() {
				t.Errorf("error %v is not a retryable application error", err)
			}
			if row.State != takedown.NoticeFailed {
				t.Errorf("notice row is %s, want %s (the claim released)", row.State, takedown.NoticeFailed)
			}
			if got := h.sim.NoticeCount(c.Platform, c.ID); got != 0 {
				t.Errorf("the platform holds %d notices, want 0", got)
			}
		})
	}
}

// A blocking order cut off by a crash (sent, but its record lost) is sent
// again under the same idempotency key: the gateway keeps it as one order,
// and the takedown goes on to check that the block took effect.
func TestBlockingOrderResentAfterCrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{blocker: true, store: func(s *store.Store) activities.Store { return &crashOnceStore{Store: s} }})
	conf, c := h.takedownFor(telegramURL)
	o := activities.BlockingOrder{
		Key: conf.TakedownID.String() + ":blocking", TakedownID: conf.TakedownID, Content: c,
		Category: takedown.DeepfakeSexual, Reference: "KCSC-2026-000123", ApprovedBy: uuid.New(),
	}
	send := func() (string, error) {
		v, err := h.env.ExecuteActivity(h.acts.SendBlockingOrder, o)
		if err != nil {
			return "", err
		}
		var ref string
		return ref, v.Get(&ref)
	}

	if _, err := send(); err == nil {
		t.Fatal("the first try succeeded; want the lost record to fail it")
	}
	if n := h.noticeRow(conf.TakedownID, o.Key); n.State != takedown.NoticeSending {
		t.Fatalf("order row is %s after the crash, want %s", n.State, takedown.NoticeSending)
	}
	ref, err := send()
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	orders := h.sim.BlockingOrders()
	if len(orders) != 1 {
		t.Fatalf("the gateway holds %d orders, want 1", len(orders))
	}
	if orders[0].Requests != 2 || orders[0].IdempotencyKey != isp.OrderID(o.Key) {
		t.Errorf("gateway order = %+v; want it sent twice under %s", orders[0], isp.OrderID(o.Key))
	}
	if ref != orders[0].OrderID {
		t.Errorf("reference %q, want the gateway's %q", ref, orders[0].OrderID)
	}
	if n := h.noticeRow(conf.TakedownID, o.Key); n.State != takedown.NoticeSent || n.Reference != ref {
		t.Errorf("order row = %s %q, want sent %q", n.State, n.Reference, ref)
	}

	h.clock.Advance(3 * time.Second) // past the simulator's RemoveAfter
	if _, err := h.env.ExecuteActivity(h.acts.CheckBlocked, c); err != nil {
		t.Errorf("CheckBlocked after the order took effect: %v", err)
	}
}

// A blocking check for content no order was accepted for ends at once
// instead of polling for the whole window.
func TestCheckBlockedWithoutAnOrderEnds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{blocker: true})
	_, c := h.takedownFor(telegramURL)
	_, err := h.env.ExecuteActivity(h.acts.CheckBlocked, c)
	ae := appError(t, err)
	if !ae.NonRetryable() || ae.Type() != activities.ErrOrderNotSent {
		t.Errorf("CheckBlocked = %v (type %s); want non-retryable %s", err, ae.Type(), activities.ErrOrderNotSent)
	}
	if got := h.sim.Requests(simulator.RouteISPCheck); got != 0 {
		t.Errorf("the vantage point was asked %d times, want 0", got)
	}
}

// probeWorkflow runs one probe activity with a heartbeat timeout, as the
// takedown workflow does.
func probeWorkflow(ctx workflow.Context, in activities.ProbeInput, heartbeat time.Duration) (takedown.ProbeResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Second,
		HeartbeatTimeout:    heartbeat,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 4},
	})
	var res takedown.ProbeResult
	err := workflow.ExecuteActivity(ctx, "Probe", in).Get(ctx, &res)
	return res, err
}

// beat is one heartbeat the engine received.
type beat struct {
	attempt int32
	state   takedown.ProbeState
}

// A probe whose platform is slow to answer stays alive by heartbeating
// throughout the call, and every beat carries the first sighting it
// started with: a worker lost mid-call must leave the next attempt that
// sighting, not an empty one.
func TestProbeHeartbeatsCarryTheSighting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	_, c := h.takedownFor(telegramURL)
	h.setBehaviour(c.Platform, c.ID, simulator.Behaviour{Initial: simulator.StatusRemoved, Hang: simulator.Duration(1200 * time.Millisecond)})

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(probeWorkflow)
	env.RegisterActivity(h.acts)
	var mu sync.Mutex
	var beats []beat
	env.SetOnActivityHeartbeatListener(func(info *activity.Info, details converter.EncodedValues) {
		var s struct {
			State takedown.ProbeState `json:"state"`
		}
		if details.HasValues() {
			_ = details.Get(&s)
		}
		mu.Lock()
		beats = append(beats, beat{info.Attempt, s.State})
		mu.Unlock()
	})
	const heartbeat = 300 * time.Millisecond
	env.ExecuteWorkflow(probeWorkflow, activities.ProbeInput{Content: c, UntilGone: true, ConfirmGap: time.Minute}, heartbeat)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("probe did not finish: %v (beats %v)", err, beats)
	}
	var res takedown.ProbeResult
	if err := env.GetWorkflowResult(&res); err != nil || res.State != takedown.ProbeRemoved {
		t.Fatalf("probe = %+v, %v; want removed", res, err)
	}

	mu.Lock()
	defer mu.Unlock()
	var during []beat // beats of the confirming attempt
	for _, b := range beats {
		if b.attempt > 2 {
			t.Fatalf("attempt %d ran: a slow answer cost a heartbeat timeout (beats %v)", b.attempt, beats)
		}
		if b.attempt == 2 {
			during = append(during, b)
		}
	}
	// 1.2 s of waiting at a beat per 75 ms is well over two beats.
	if len(during) < 2 {
		t.Fatalf("the confirming attempt beat %d times during a 1.2 s call, want several (beats %v)", len(during), beats)
	}
	for _, b := range during {
		if b.state != takedown.ProbeRemoved {
			t.Errorf("a beat of the confirming attempt carried %q, want the first sighting %q (beats %v)", b.state, takedown.ProbeRemoved, beats)
		}
	}
}
