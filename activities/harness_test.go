package activities_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/adapterset"
	"github.com/takedown-oss/takedown/internal/isp"
	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// These tests run the real activities against a real database, the real
// adapters and the platform simulator on local sockets: everything a worker
// does except being driven by a Temporal server. Each test calls an activity
// as one attempt and plays the retry policy's part itself.

func TestMain(m *testing.M) { pgtest.Main(m) }

// t0 is a whole second, so that epoch-second headers (x-rate-limit-reset)
// convert back to exact durations.
var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// clock is the one clock of a test: the simulator, the adapters, the mail
// sender and the activities all read it, as they all read time.Now in
// production.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harnessConfig struct {
	start time.Time                           // default t0
	sim   simulator.Config                    // Now is set by the harness
	store func(*store.Store) activities.Store // wraps the real store; nil uses it as is
	// adapters adjusts the simulator-facing adapter configuration (a
	// relay's address, its timeout); http replaces the adapters' client.
	adapters func(*adapterset.Config)
	http     *http.Client
	// blocker wires the blocking-order channel to the simulator's gateway.
	blocker bool
	// rates paces the platforms through the store, on the test's clock.
	rates quota.Rates
}

type harness struct {
	t     *testing.T
	clock *clock
	sim   *simulator.Simulator
	store *store.Store
	acts  *activities.Activities
	env   *testsuite.TestActivityEnvironment
	staff uuid.UUID
}

func newHarness(t *testing.T, hc harnessConfig) *harness {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	clk := &clock{t: hc.start}
	if clk.t.IsZero() {
		clk.t = t0
	}

	simCfg := hc.sim
	simCfg.Now = clk.Now
	simCfg.Logger = quiet
	sim, err := simulator.New(simCfg)
	if err != nil {
		t.Fatalf("simulator.New: %v", err)
	}
	run, err := sim.Start("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() {
		run.Close()
		sim.Close()
	})

	st, err := store.Open(t.Context(), store.Config{URL: pgtest.URL(t), MaxConns: 4})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(st.Close)

	cfg := adapterset.ForSimulator(run.HTTPURL(), run.SMTPAddr())
	cfg.Mail.Now, cfg.YouTube.Now, cfg.Telegram.Now, cfg.X.Now, cfg.Meta.Now = clk.Now, clk.Now, clk.Now, clk.Now, clk.Now
	if hc.adapters != nil {
		hc.adapters(&cfg)
	}
	// The timeout only stops a broken test from hanging; the hang tests
	// end long before it through the activity's own deadline.
	httpClient := hc.http
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	ads, err := adapterset.Build(cfg, httpClient, quiet)
	if err != nil {
		t.Fatalf("adapterset.Build: %v", err)
	}
	var as activities.Store = st
	if hc.store != nil {
		as = hc.store(st)
	}
	var blocker activities.Blocker
	if hc.blocker {
		ic, err := isp.New(isp.Config{
			OrderURL: run.HTTPURL() + "/isp/orders", Token: "test-isp-token", VantageURL: run.HTTPURL() + "/isp/check", Now: clk.Now,
		}, httpClient, quiet)
		if err != nil {
			t.Fatalf("isp.New: %v", err)
		}
		blocker = ic
	}
	var pacer activities.Pacer
	if len(hc.rates.Send)+len(hc.rates.Probe) > 0 {
		pc, err := quota.NewPacer(st, hc.rates, clk.Now)
		if err != nil {
			t.Fatalf("quota.NewPacer: %v", err)
		}
		pacer = pc
	}
	acts, err := activities.New(activities.Activities{Store: as, Adapters: ads, Blocker: blocker, Pacer: pacer, Logger: quiet, Now: clk.Now})
	if err != nil {
		t.Fatalf("activities.New: %v", err)
	}

	staff, _, err := st.CreateUser(t.Context(), "analyst", takedown.RoleStaff)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	h := &harness{t: t, clock: clk, sim: sim, store: st, acts: acts, staff: staff.ID}
	h.env = h.newEnv(nil)
	return h
}

// newEnv is an activity environment whose activities run under ctx, when
// given: a context with a deadline stands for the activity's start-to-close
// timeout.
func (h *harness) newEnv(ctx context.Context) *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	if ctx != nil {
		env.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	}
	env.RegisterActivity(h.acts)
	return env
}

// takedownFor reports rawURL and confirms it, as staff do through the API.
func (h *harness) takedownFor(rawURL string) (takedown.Confirm, takedown.Content) {
	h.t.Helper()
	c, err := takedown.ParseURL(rawURL)
	if err != nil {
		h.t.Fatalf("ParseURL(%q): %v", rawURL, err)
	}
	it, err := h.store.CreateItem(h.t.Context(), store.NewItem{
		URL: c.URL, Platform: c.Platform, ContentID: c.ID, Category: takedown.DeepfakeSexual, CreatedBy: h.staff,
	})
	if err != nil {
		h.t.Fatalf("CreateItem: %v", err)
	}
	id := uuid.New()
	conf := takedown.Confirm{ItemID: it.ID, TakedownID: id, WorkflowID: takedown.WorkflowID(id), ConfirmedBy: h.staff}
	noStart := func(context.Context, takedown.Takedown) error { return nil }
	if _, err := h.store.ConfirmItem(h.t.Context(), conf, noStart); err != nil {
		h.t.Fatalf("ConfirmItem: %v", err)
	}
	return conf, c
}

// noticeInput is an attempt's notice as the workflow sends it: the first
// projects the takedown's new status while it is still pending.
func noticeInput(conf takedown.Confirm, c takedown.Content, attempt int) activities.SendNoticeInput {
	in := activities.SendNoticeInput{
		Confirm: conf,
		Notice: takedown.Notice{
			Key:         activities.NoticeKey(conf.TakedownID, c.Platform, attempt),
			Content:     c,
			Category:    takedown.DeepfakeSexual,
			LegalGround: "Act on Promotion of Information and Communications Network Utilization, Art. 44-7",
			Reference:   "KCSC-2026-000123",
			Language:    "ko",
			Attempt:     attempt,
			Kind:        takedown.KindNotice,
		},
	}
	if attempt == 1 {
		in.IfStatus = takedown.StatusPending
	}
	return in
}

// send runs SendNotice as one activity attempt.
func (h *harness) send(in activities.SendNoticeInput) (activities.SendNoticeResult, error) {
	h.t.Helper()
	var res activities.SendNoticeResult
	v, err := h.env.ExecuteActivity(h.acts.SendNotice, in)
	if err != nil {
		return res, err
	}
	if err := v.Get(&res); err != nil {
		h.t.Fatalf("decode SendNotice result: %v", err)
	}
	return res, nil
}

// mustSend runs SendNotice and fails the test on an error.
func (h *harness) mustSend(in activities.SendNoticeInput) activities.SendNoticeResult {
	h.t.Helper()
	res, err := h.send(in)
	if err != nil {
		h.t.Fatalf("SendNotice(%s): %v", in.Notice.Key, err)
	}
	return res
}

// probe runs Probe as one activity attempt in env (h.env when nil).
func (h *harness) probe(env *testsuite.TestActivityEnvironment, in activities.ProbeInput) (takedown.ProbeResult, error) {
	h.t.Helper()
	if env == nil {
		env = h.env
	}
	var res takedown.ProbeResult
	v, err := env.ExecuteActivity(h.acts.Probe, in)
	if err != nil {
		return res, err
	}
	if err := v.Get(&res); err != nil {
		h.t.Fatalf("decode Probe result: %v", err)
	}
	return res, nil
}

func (h *harness) setBehaviour(p takedown.Platform, contentID string, b simulator.Behaviour) {
	h.t.Helper()
	if err := h.sim.SetBehaviour(p, contentID, b); err != nil {
		h.t.Fatalf("SetBehaviour: %v", err)
	}
}

// noticeRow is the stored record of the notice with key.
func (h *harness) noticeRow(takedownID uuid.UUID, key string) takedown.NoticeRecord {
	h.t.Helper()
	ns, err := h.store.ListNotices(h.t.Context(), takedownID)
	if err != nil {
		h.t.Fatalf("ListNotices: %v", err)
	}
	for _, n := range ns {
		if n.Key == key {
			return n
		}
	}
	h.t.Fatalf("no notice row with key %s among %d", key, len(ns))
	return takedown.NoticeRecord{}
}

func (h *harness) takedownStatus(id uuid.UUID) takedown.Status {
	h.t.Helper()
	td, err := h.store.GetTakedown(h.t.Context(), id)
	if err != nil {
		h.t.Fatalf("GetTakedown: %v", err)
	}
	return td.Status
}

// appError returns the application error in err's chain: what the workflow
// and the retry policy see of a failed attempt.
func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	if err == nil {
		t.Fatal("the activity succeeded; want it to fail")
	}
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) holds no ApplicationError", err, err)
	}
	return ae
}

// outcome names what one probe attempt came to, for comparing sequences:
// a state when the activity succeeded, else the error type that the retry
// policy acts on, or "503" for a platform outage.
func outcome(t *testing.T, res takedown.ProbeResult, err error) string {
	t.Helper()
	if err == nil {
		return string(res.State)
	}
	ae := appError(t, err)
	if ae.NonRetryable() {
		t.Fatalf("probe failed for good: %v", err)
	}
	switch {
	case ae.Type() == activities.ErrStillPresent:
		return activities.ErrStillPresent
	case strings.Contains(ae.Error(), "http_503"):
		return "503"
	}
	return "error: " + ae.Error()
}
