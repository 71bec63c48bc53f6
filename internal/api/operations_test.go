package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/metrics"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

func TestConfirmEngineUnavailableIs503AndWritesNothing(t *testing.T) {
	e := newEnv(t)
	it := e.createItem("https://www.instagram.com/reel/Cunavail1/")
	e.engine.err = serviceerror.NewUnavailable("connection refused")
	var ae apiErr
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &ae); code != 503 || ae.Error.Code != "engine_unavailable" {
		t.Fatalf("confirm with engine unreachable: %d %+v", code, ae)
	}
	if strings.Contains(ae.Error.Message, "connection refused") {
		t.Errorf("internal error leaked: %q", ae.Error.Message)
	}
	got, _ := e.store.GetItem(context.Background(), it.ID)
	if got.Status != takedown.ItemPendingReview || got.TakedownID != nil {
		t.Fatalf("item after failed confirm: %+v", got)
	}
	if _, err := e.store.GetTakedown(context.Background(), takedown.IDFor(it.ID)); err == nil {
		t.Fatal("a takedown row was written although the engine refused")
	}
	e.engine.err = nil
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", nil); code != 202 {
		t.Fatalf("retry confirm: %d", code)
	}
}

func TestConfirmEngineHangingAnswers503Quickly(t *testing.T) {
	e := newEnvWith(t, func(c *api.Config) { c.EngineTimeout = 300 * time.Millisecond })
	it := e.createItem("https://www.instagram.com/reel/Chang1/")
	e.engine.block = true
	start := time.Now()
	var ae apiErr
	code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &ae)
	if code != 503 || ae.Error.Code != "engine_unavailable" {
		t.Fatalf("confirm with a hanging engine: %d %+v", code, ae)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("answered after %s, want about the engine timeout", d)
	}
}

func TestConfirmRefusesDisabledPlatform(t *testing.T) {
	e := newEnvWith(t, func(c *api.Config) {
		c.Platforms = []takedown.Platform{takedown.Telegram, takedown.X, takedown.Meta}
	})
	it := e.createItem("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
	var ae apiErr
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &ae); code != 422 || ae.Error.Code != "platform_disabled" {
		t.Fatalf("confirm on a disabled platform: %d %+v", code, ae)
	}
	if !strings.Contains(ae.Error.Message, "youtube") {
		t.Errorf("message does not name the platform: %q", ae.Error.Message)
	}
	if len(e.engine.started) != 0 {
		t.Errorf("a workflow was started for a disabled platform")
	}
	var res struct {
		Results []struct{ Outcome string } `json:"results"`
	}
	e.do(takedown.RoleStaff, "POST", "/api/v1/items/confirm", `{"item_ids":["`+it.ID.String()+`"]}`, &res)
	if len(res.Results) != 1 || res.Results[0].Outcome != "platform_disabled" {
		t.Errorf("batch outcome %+v", res.Results)
	}
	ok := e.createItem("https://t.me/somechannel/42")
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+ok.ID.String()+"/confirm", "", nil); code != 202 {
		t.Errorf("confirm on an enabled platform: %d", code)
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	m := metrics.New()
	e := newEnvWith(t, func(c *api.Config) { c.Metrics = m })
	if code := e.do("", "GET", "/healthz", "", nil); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	if code := e.do("", "GET", "/readyz", "", nil); code != 200 {
		t.Errorf("readyz: %d", code)
	}
	e.engine.healthErr = serviceerror.NewUnavailable("down")
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	if code := e.do("", "GET", "/readyz", "", &body); code != 503 || body.Checks["engine"] != "unavailable" || body.Checks["database"] != "ok" {
		t.Errorf("readyz with the engine down: %d %+v", code, body)
	}
	if code := e.do("", "GET", "/healthz", "", nil); code != 200 {
		t.Errorf("healthz must not depend on the engine: %d", code)
	}
	it := e.createItem("https://www.instagram.com/reel/Cmetrics1/")
	e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", nil)

	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for _, want := range []string{
		`takedown_http_requests_total{code="202",route="POST /api/v1/items/{id}/confirm"} 1`,
		`takedown_http_requests_total{code="201",route="POST /api/v1/items"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Neither the content's URL nor any id may appear in a label.
	for _, leak := range []string{"instagram", "Cmetrics1", it.ID.String()} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics exposes %q", leak)
		}
	}
}

// raceEngine writes the takedown as the workflow does (EnsureTakedown,
// before its first notice) before Start returns: the workflow got there
// ahead of the API's own commit.
type raceEngine struct {
	*fakeEngine
	store interface {
		EnsureTakedown(context.Context, takedown.Confirm) error
	}
}

func (r raceEngine) Start(ctx context.Context, wfID string, in workflows.Input, u workflows.Urgency) (string, error) {
	runID, err := r.fakeEngine.Start(ctx, wfID, in, u)
	if err != nil {
		return "", err
	}
	return runID, r.store.EnsureTakedown(ctx, takedown.Confirm{ItemID: in.ItemID, TakedownID: in.TakedownID, WorkflowID: wfID, ConfirmedBy: in.ConfirmedBy})
}

func TestConfirmWhenTheWorkflowWroteFirst(t *testing.T) {
	e := newEnvWith(t, func(c *api.Config) {
		c.Engine = raceEngine{fakeEngine: c.Engine.(*fakeEngine), store: c.Store.(*store.Store)}
	})
	it := e.createItem("https://www.instagram.com/reel/Crace1/")
	var res struct {
		TakedownID string `json:"takedown_id"`
	}
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &res); code != 202 || res.TakedownID != takedown.IDFor(it.ID).String() {
		t.Fatalf("confirm: %d %+v", code, res)
	}
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", nil); code != 409 {
		t.Errorf("second confirm: %d, want 409", code)
	}
}
