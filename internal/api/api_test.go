package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fakeEngine records started workflows; err makes Start fail.
type fakeEngine struct {
	mu        sync.Mutex
	started   []workflows.Input
	urgencies []workflows.Urgency
	err       error
	update    func(workflowID, updateID, name string, arg any) (workflows.Accepted, error)
	block     bool  // Start waits for its context to end
	healthErr error // what Healthy answers
}

func (f *fakeEngine) Start(ctx context.Context, _ string, in workflows.Input, u workflows.Urgency) (string, error) {
	if f.block {
		<-ctx.Done()
		return "", ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	f.started = append(f.started, in)
	f.urgencies = append(f.urgencies, u)
	return fakeRunID(in), nil
}

// fakeRunID is the run id the fake engine gives a takedown's workflow.
func fakeRunID(in workflows.Input) string { return "run-" + in.TakedownID.String() }

func (f *fakeEngine) Update(_ context.Context, workflowID, updateID, name string, arg any) (workflows.Accepted, error) {
	if f.update == nil {
		return workflows.Accepted{}, errors.New("no update expected")
	}
	return f.update(workflowID, updateID, name, arg)
}
func (f *fakeEngine) Healthy(context.Context) error { return f.healthErr }

type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  *store.Store
	engine *fakeEngine
	tokens map[takedown.Role]string
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t, nil) }

// newEnvWith is newEnv with the server's configuration adjusted by adjust.
func newEnvWith(t *testing.T, adjust func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	// Every clock is fixed: rows are stamped on the day the assertions are
	// about, whatever day the test runs. The store's clock ticks so that
	// rows keep the order they were written in.
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var ticks atomic.Int64
	storeNow := func() time.Time { return now.Add(time.Duration(ticks.Add(1)) * time.Microsecond) }
	st, err := store.Open(ctx, store.Config{URL: pgtest.URL(t), Now: storeNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	e := &env{t: t, store: st, engine: &fakeEngine{}, tokens: map[takedown.Role]string{}}
	for _, r := range []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor, takedown.RoleAuditor} {
		_, tok, err := st.CreateUser(ctx, "user-"+string(r), r)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = tok
	}
	cfg := api.Config{
		Store: st, Engine: e.engine, Policy: policy.Default(), Now: func() time.Time { return now },
	}
	if adjust != nil {
		adjust(&cfg)
	}
	e.srv = httptest.NewServer(api.New(cfg))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) do(role takedown.Role, method, path string, body string, out any) int {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Errorf("%s %s: content type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

type apiErr struct {
	Error struct{ Code, Message string } `json:"error"`
}

func (e *env) createItem(url string) takedown.Item {
	e.t.Helper()
	var it takedown.Item
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items", `{"url":"`+url+`","category":"ncii"}`, &it); code != 201 {
		e.t.Fatalf("create item: %d", code)
	}
	return it
}

func TestCreateItemNormalizes(t *testing.T) {
	e := newEnv(t)
	it := e.createItem("https://youtu.be/dQw4w9WgXcQ?t=42")
	if it.Platform != "youtube" || it.ContentID != "dQw4w9WgXcQ" || it.Status != takedown.ItemPendingReview {
		t.Fatalf("item = %+v", it)
	}
	// The same video in another URL form is the same content.
	var ae apiErr
	code := e.do(takedown.RoleStaff, "POST", "/api/v1/items", `{"url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ","category":"ncii"}`, &ae)
	if code != http.StatusConflict || ae.Error.Code != "duplicate_item" || !strings.Contains(ae.Error.Message, it.ID.String()) {
		t.Fatalf("duplicate: %d %+v", code, ae)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	it := e.createItem("https://t.me/somechannel/12")
	big := `{"url":"https://t.me/a_channel/1","category":"ncii","note":"` + strings.Repeat("x", 1<<20) + `"}`
	cases := []struct {
		name   string
		role   takedown.Role
		method string
		path   string
		body   string
		status int
		code   string
	}{
		{"malformed URL", takedown.RoleStaff, "POST", "/api/v1/items", `{"url":"http://[::1","category":"ncii"}`, 422, "invalid_url"},
		{"unsupported URL", takedown.RoleStaff, "POST", "/api/v1/items", `{"url":"https://example.com/a","category":"ncii"}`, 422, "unsupported_url"},
		{"missing URL", takedown.RoleStaff, "POST", "/api/v1/items", `{"category":"ncii"}`, 422, "invalid_url"},
		{"unknown category", takedown.RoleStaff, "POST", "/api/v1/items", `{"url":"https://t.me/a_channel/1","category":"spam"}`, 422, "invalid_category"},
		{"malformed JSON", takedown.RoleStaff, "POST", "/api/v1/items", `{"url":`, 400, "malformed_json"},
		{"unknown field", takedown.RoleStaff, "POST", "/api/v1/items", `{"url":"https://t.me/a_channel/1","category":"ncii","x":1}`, 400, "malformed_json"},
		{"body over 1 MiB", takedown.RoleStaff, "POST", "/api/v1/items", big, 413, "body_too_large"},
		{"no token", "", "POST", "/api/v1/items", `{}`, 401, "unauthenticated"},
		{"auditor may not create", takedown.RoleAuditor, "POST", "/api/v1/items", `{"url":"https://t.me/a_channel/1","category":"ncii"}`, 403, "forbidden"},
		{"supervisor may not confirm", takedown.RoleSupervisor, "POST", "/api/v1/items/" + it.ID.String() + "/confirm", "", 403, "forbidden"},
		{"unknown item", takedown.RoleStaff, "POST", "/api/v1/items/" + uuid.NewString() + "/confirm", "", 404, "not_found"},
		{"malformed id", takedown.RoleAuditor, "GET", "/api/v1/takedowns/not-a-uuid", "", 404, "not_found"},
		{"unknown takedown", takedown.RoleAuditor, "GET", "/api/v1/takedowns/" + uuid.NewString(), "", 404, "not_found"},
		{"bad status filter", takedown.RoleAuditor, "GET", "/api/v1/takedowns?status=gone", "", 400, "invalid_filter"},
		{"bad cursor", takedown.RoleAuditor, "GET", "/api/v1/takedowns?cursor=bm90LWEtY3Vyc29y", "", 400, "invalid_cursor"},
		{"unknown route", takedown.RoleAuditor, "GET", "/api/v2/nothing", "", 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ae apiErr
			if got := e.do(tc.role, tc.method, tc.path, tc.body, &ae); got != tc.status || ae.Error.Code != tc.code {
				t.Fatalf("got %d %q (%s), want %d %q", got, ae.Error.Code, ae.Error.Message, tc.status, tc.code)
			}
		})
	}
	// Nothing was written by any of them: only the one item exists, unconfirmed.
	var list struct{ Takedowns []takedown.Takedown }
	e.do(takedown.RoleAuditor, "GET", "/api/v1/takedowns", "", &list)
	if len(list.Takedowns) != 0 {
		t.Errorf("takedowns written: %d", len(list.Takedowns))
	}
	got, err := e.store.GetItem(context.Background(), it.ID)
	if err != nil || got.Status != takedown.ItemPendingReview {
		t.Errorf("item after errors: %+v %v", got, err)
	}
	if len(e.engine.started) != 0 {
		t.Errorf("workflows started: %d", len(e.engine.started))
	}
}

func TestConfirmOnceThenConflict(t *testing.T) {
	e := newEnv(t)
	it := e.createItem("https://x.com/someone/status/1234567890")
	var conf struct {
		TakedownID uuid.UUID `json:"takedown_id"`
		WorkflowID string    `json:"workflow_id"`
		RunID      string    `json:"run_id"`
	}
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &conf); code != 202 {
		t.Fatalf("confirm: %d", code)
	}
	// The answer names the run the engine started, for a client to follow.
	if conf.TakedownID != takedown.IDFor(it.ID) || conf.WorkflowID != takedown.WorkflowID(conf.TakedownID) ||
		conf.RunID != fakeRunID(workflows.Input{TakedownID: conf.TakedownID}) {
		t.Errorf("confirm = %+v", conf)
	}
	var ae apiErr
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &ae); code != 409 || ae.Error.Code != "already_confirmed" {
		t.Fatalf("second confirm: %d %+v", code, ae)
	}
	if len(e.engine.started) != 1 {
		t.Fatalf("started %d workflows, want 1", len(e.engine.started))
	}
	in := e.engine.started[0]
	if in.TakedownID != conf.TakedownID || in.Content.ID != "1234567890" || in.Policy.Deadline != 24*time.Hour || in.Reference == "" {
		t.Errorf("workflow input = %+v", in)
	}
	var td takedown.Takedown
	if code := e.do(takedown.RoleAuditor, "GET", "/api/v1/takedowns/"+conf.TakedownID.String(), "", &td); code != 200 {
		t.Fatalf("get: %d", code)
	}
	if td.Status != takedown.StatusPending || td.Platform != "x" || len(td.Events) != 1 || td.Events[0].Kind != "confirmed" {
		t.Errorf("takedown = %+v", td)
	}
}

func TestConfirmEngineDownWritesNothing(t *testing.T) {
	e := newEnv(t)
	it := e.createItem("https://www.instagram.com/reel/Cabc123/")
	e.engine.err = errors.New("engine unavailable")
	var ae apiErr
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &ae); code != 500 || ae.Error.Code != "internal" {
		t.Fatalf("confirm with engine down: %d %+v", code, ae)
	}
	if strings.Contains(ae.Error.Message, "engine unavailable") {
		t.Errorf("internal error leaked: %q", ae.Error.Message)
	}
	got, _ := e.store.GetItem(context.Background(), it.ID)
	if got.Status != takedown.ItemPendingReview {
		t.Fatalf("item status %s after failed confirm", got.Status)
	}
	// Once the engine is back, the same item can be confirmed.
	e.engine.err = nil
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", nil); code != 202 {
		t.Fatalf("retry confirm: %d", code)
	}
}

func TestListPaginatesNewestFirst(t *testing.T) {
	e := newEnv(t)
	var ids []uuid.UUID
	for i := range 5 {
		it := e.createItem("https://t.me/pagechannel/" + string(rune('1'+i)))
		var conf struct {
			TakedownID uuid.UUID `json:"takedown_id"`
		}
		e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &conf)
		ids = append(ids, conf.TakedownID)
	}
	var seen []uuid.UUID
	cursor := ""
	for range 10 {
		var page struct {
			Takedowns  []takedown.Takedown `json:"takedowns"`
			NextCursor string              `json:"next_cursor"`
		}
		path := "/api/v1/takedowns?limit=2&platform=telegram"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if code := e.do(takedown.RoleSupervisor, "GET", path, "", &page); code != 200 {
			t.Fatalf("list: %d", code)
		}
		for _, td := range page.Takedowns {
			seen = append(seen, td.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 5 {
		t.Fatalf("saw %d takedowns, want 5", len(seen))
	}
	for i := range seen {
		if seen[i] != ids[len(ids)-1-i] {
			t.Fatalf("order %v, want newest first %v", seen, ids)
		}
	}
	var none struct{ Takedowns []takedown.Takedown }
	e.do(takedown.RoleAuditor, "GET", "/api/v1/takedowns?platform=youtube", "", &none)
	if len(none.Takedowns) != 0 {
		t.Errorf("platform filter returned %d", len(none.Takedowns))
	}
}

func confirmed(t *testing.T, e *env, url string) uuid.UUID {
	t.Helper()
	it := e.createItem(url)
	var conf struct {
		TakedownID uuid.UUID `json:"takedown_id"`
	}
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &conf); code != 202 {
		t.Fatalf("confirm: %d", code)
	}
	return conf.TakedownID
}

func TestDecisionsReachTheWorkflowWithTheCaller(t *testing.T) {
	e := newEnv(t)
	id := confirmed(t, e, "https://t.me/decide_chan/5")
	type call struct {
		wf, key, name string
		arg           any
	}
	var calls []call
	e.engine.update = func(wf, key, name string, arg any) (workflows.Accepted, error) {
		calls = append(calls, call{wf, key, name, arg})
		return workflows.Accepted{Status: takedown.StatusNoticeSent, Level: takedown.LevelReminder}, nil
	}
	cases := []struct {
		role   takedown.Role
		path   string
		body   string
		update string
		check  func(any) bool
	}{
		{takedown.RoleStaff, "/replies", `{"kind":"portal_submitted","ticket":"LR-1"}`, workflows.UpdateRecordReply,
			func(a any) bool {
				r := a.(workflows.Reply)
				return r.Ticket == "LR-1" && r.Actor.Role == takedown.RoleStaff
			}},
		{takedown.RoleStaff, "/information", `{"text":"statement attached"}`, workflows.UpdateAddInformation,
			func(a any) bool { return a.(workflows.Information).Text == "statement attached" }},
		{takedown.RoleSupervisor, "/escalation", `{"approve":true}`, workflows.UpdateDecideEscalation,
			func(a any) bool {
				d := a.(workflows.EscalationDecision)
				return d.Approve && d.Actor.Role == takedown.RoleSupervisor
			}},
		{takedown.RoleSupervisor, "/deadline", `{"until":"2026-12-01T00:00:00Z","reason":"holiday"}`, workflows.UpdateExtendDeadline,
			func(a any) bool {
				return a.(workflows.Extension).Until.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
			}},
		{takedown.RoleSupervisor, "/withdraw", `{"reason":"duplicate report"}`, workflows.UpdateWithdraw,
			func(a any) bool { return a.(workflows.Withdrawal).Reason == "duplicate report" }},
	}
	for _, tc := range cases {
		calls = nil
		var out decisionOut
		if code := e.do(tc.role, "POST", "/api/v1/takedowns/"+id.String()+tc.path, tc.body, &out); code != 202 {
			t.Fatalf("%s: %d", tc.path, code)
		}
		if len(calls) != 1 || calls[0].name != tc.update || calls[0].wf != takedown.WorkflowID(id) || !tc.check(calls[0].arg) {
			t.Errorf("%s: update calls %+v", tc.path, calls)
		}
		if out.TakedownID != id || out.Status != takedown.StatusNoticeSent || out.EscalationLevel != 1 || calls[0].key == "" || out.IdempotencyKey != calls[0].key {
			t.Errorf("%s: answered with %+v", tc.path, out)
		}
	}
}

func TestDecisionErrors(t *testing.T) {
	e := newEnv(t)
	id := confirmed(t, e, "https://t.me/decide_chan/6")
	e.engine.update = func(string, string, string, any) (workflows.Accepted, error) {
		return workflows.Accepted{}, &workflows.RefusedError{Reason: "no escalation is waiting for a decision"}
	}
	base := "/api/v1/takedowns/" + id.String()
	cases := []struct {
		name   string
		role   takedown.Role
		path   string
		body   string
		status int
		code   string
	}{
		{"workflow refuses", takedown.RoleSupervisor, base + "/escalation", `{"approve":true}`, 409, "refused"},
		{"staff may not approve", takedown.RoleStaff, base + "/escalation", `{"approve":true}`, 403, "forbidden"},
		{"auditor may not withdraw", takedown.RoleAuditor, base + "/withdraw", `{"reason":"x"}`, 403, "forbidden"},
		{"refusal needs a reason", takedown.RoleSupervisor, base + "/escalation", `{"approve":false}`, 422, "invalid_reason"},
		{"approve is required", takedown.RoleSupervisor, base + "/escalation", `{}`, 422, "invalid_approve"},
		{"unknown reply kind", takedown.RoleStaff, base + "/replies", `{"kind":"maybe"}`, 422, "invalid_kind"},
		{"withdraw needs a reason", takedown.RoleStaff, base + "/withdraw", `{}`, 422, "invalid_reason"},
		{"unknown takedown", takedown.RoleStaff, "/api/v1/takedowns/" + uuid.NewString() + "/withdraw", `{"reason":"x"}`, 404, "not_found"},
		{"history is for auditors", takedown.RoleSupervisor, base + "/history", "", 403, "forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ae apiErr
			if got := e.do(tc.role, "POST", tc.path, tc.body, &ae); tc.path == base+"/history" {
				got = e.do(tc.role, "GET", tc.path, "", &ae)
				if got != tc.status {
					t.Fatalf("got %d", got)
				}
			} else if got != tc.status || ae.Error.Code != tc.code {
				t.Fatalf("got %d %q (%s), want %d %q", got, ae.Error.Code, ae.Error.Message, tc.status, tc.code)
			}
		})
	}
}

func TestBatchConfirmIsIdempotentAndLowPriority(t *testing.T) {
	e := newEnv(t)
	a := e.createItem("https://t.me/batch_chan/1")
	b := e.createItem("https://t.me/batch_chan/2")
	missing := uuid.New()
	body := `{"item_ids":["` + a.ID.String() + `","` + b.ID.String() + `","` + missing.String() + `"]}`
	var res struct {
		Results []struct {
			ItemID  string `json:"item_id"`
			Outcome string `json:"outcome"`
			RunID   string `json:"run_id"`
		} `json:"results"`
	}
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/confirm", body, &res); code != 200 {
		t.Fatalf("batch: %d", code)
	}
	got := []string{res.Results[0].Outcome, res.Results[1].Outcome, res.Results[2].Outcome}
	if strings.Join(got, ",") != "started,started,not_found" {
		t.Fatalf("outcomes %v", got)
	}
	if want := fakeRunID(workflows.Input{TakedownID: takedown.IDFor(a.ID)}); res.Results[0].RunID != want || res.Results[2].RunID != "" {
		t.Errorf("run ids %q, %q; want %q for the started one and none for the missing one", res.Results[0].RunID, res.Results[2].RunID, want)
	}
	if len(e.engine.urgencies) != 2 || e.engine.urgencies[0] != workflows.UrgencyBatch {
		t.Errorf("urgencies %v, want batch", e.engine.urgencies)
	}
	// The same batch again starts nothing new.
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/confirm", body, &res); code != 200 {
		t.Fatalf("batch again: %d", code)
	}
	if res.Results[0].Outcome != "already_confirmed" || len(e.engine.started) != 2 {
		t.Errorf("repeat: %+v, started %d", res.Results, len(e.engine.started))
	}
	var ae apiErr
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/confirm", `{"item_ids":[]}`, &ae); code != 422 {
		t.Errorf("empty batch: %d", code)
	}
}

func TestComplianceStats(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	// Two YouTube takedowns: one removed 2 h after its notice (within its
	// deadline), one still open.
	for i, removed := range []bool{true, false} {
		id := confirmed(t, e, "https://www.youtube.com/watch?v=statsVid00"+string(rune('1'+i)))
		sent := now.Add(-10 * time.Hour)
		dl := sent.Add(24 * time.Hour)
		if _, err := e.store.RecordTransition(ctx, takedown.Transition{TakedownID: id, EventKey: "n", Kind: "notice_sent", At: sent,
			Status: takedown.StatusNoticeSent, NoticeSentAt: &sent, Deadline: &dl}); err != nil {
			t.Fatal(err)
		}
		if removed {
			at := sent.Add(2 * time.Hour)
			if _, err := e.store.RecordTransition(ctx, takedown.Transition{TakedownID: id, EventKey: "r", Kind: "removed", At: at,
				Status: takedown.StatusRemoved, RemovedAt: &at, Closed: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var out struct {
		Rows []map[string]any `json:"rows"`
	}
	if code := e.do(takedown.RoleSupervisor, "GET", "/api/v1/stats/compliance?from=2026-11-01&to=2026-12-01", "", &out); code != 200 {
		t.Fatalf("stats: %d", code)
	}
	if len(out.Rows) != 1 {
		t.Fatalf("rows %+v", out.Rows)
	}
	r := out.Rows[0]
	if r["platform"] != "youtube" || r["category"] != "ncii" || r["total"] != 2.0 || r["removed"] != 1.0 || r["open"] != 1.0 ||
		r["removed_within_deadline"] != 1.0 || r["within_deadline_share"] != 0.5 ||
		r["median_removal_seconds"] != 7200.0 || r["p90_removal_seconds"] != 7200.0 {
		t.Errorf("row = %v", r)
	}
	var ae apiErr
	if code := e.do(takedown.RoleSupervisor, "GET", "/api/v1/stats/compliance?from=2026-12-01&to=2026-11-01", "", &ae); code != 400 {
		t.Errorf("inverted range: %d", code)
	}
	if code := e.do(takedown.RoleStaff, "GET", "/api/v1/stats/compliance", "", &ae); code != 403 {
		t.Errorf("staff stats: %d", code)
	}
}

func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	id := confirmed(t, e, "https://t.me/audit_chan/9")
	var out struct {
		Entries []store.AuditRecord `json:"entries"`
	}
	if code := e.do(takedown.RoleAuditor, "GET", "/api/v1/audit", "", &out); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	var actions []string
	entries := out.Entries[:0]
	for _, a := range out.Entries {
		if a.SubjectType == "user" { // the accounts the test set up
			continue
		}
		entries = append(entries, a)
		actions = append(actions, a.Action+":"+a.ActorRole)
	}
	out.Entries = entries
	if strings.Join(actions, ",") != "item.create:staff,item.confirm:staff" {
		t.Errorf("audit trail %v", actions)
	}
	if out.Entries[1].Detail["takedown_id"] != id.String() {
		t.Errorf("confirm entry %+v", out.Entries[1])
	}
	var ae apiErr
	if code := e.do(takedown.RoleSupervisor, "GET", "/api/v1/audit", "", &ae); code != 403 {
		t.Errorf("supervisor reading audit: %d", code)
	}
}

type decisionOut struct {
	TakedownID      uuid.UUID       `json:"takedown_id"`
	IdempotencyKey  string          `json:"idempotency_key"`
	Repeat          bool            `json:"repeat"`
	Status          takedown.Status `json:"status"`
	EscalationLevel int             `json:"escalation_level"`
}

// TestDecisionsAreSafeToRepeat: a retried request carries the same update
// id — the client's Idempotency-Key, scoped to the caller, or one derived
// from the request and the takedown's state — so the workflow answers it
// with the first outcome; the audit trail names the key and the repeat.
func TestDecisionsAreSafeToRepeat(t *testing.T) {
	e := newEnv(t)
	id := confirmed(t, e, "https://t.me/repeat_chan/7")
	seen := map[string]bool{}
	var keys []string
	e.engine.update = func(_, key, _ string, _ any) (workflows.Accepted, error) {
		keys = append(keys, key)
		repeat := seen[key]
		seen[key] = true
		return workflows.Accepted{Status: takedown.StatusWithdrawn, Repeat: repeat}, nil
	}
	path := "/api/v1/takedowns/" + id.String() + "/withdraw"
	post := func(key, body string) (int, decisionOut) {
		t.Helper()
		req, err := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.tokens[takedown.RoleStaff])
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out decisionOut
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	// Derived keys: the same request twice is one decision; another reason
	// is another decision.
	_, first := post("", `{"reason":"duplicate report"}`)
	code, again := post("", `{"reason":"duplicate report"}`)
	if code != 202 || !again.Repeat || first.Repeat || first.IdempotencyKey != again.IdempotencyKey {
		t.Errorf("repeat: %d first %+v again %+v", code, first, again)
	}
	if _, other := post("", `{"reason":"reported in error"}`); other.IdempotencyKey == first.IdempotencyKey || other.Repeat {
		t.Errorf("a different decision got the same key: %+v", other)
	}
	// A client key is used, scoped to the caller.
	if _, out := post("retry-1", `{"reason":"x"}`); !strings.HasSuffix(out.IdempotencyKey, ":retry-1") || !strings.HasPrefix(out.IdempotencyKey, e.userID(t, takedown.RoleStaff)) {
		t.Errorf("client key = %q", out.IdempotencyKey)
	}
	if code, _ := post(strings.Repeat("k", 201), `{"reason":"x"}`); code != 400 {
		t.Errorf("oversized key: %d", code)
	}
	if code, _ := post("bad key", `{"reason":"x"}`); code != 400 {
		t.Errorf("key with a space: %d", code)
	}
	var out struct {
		Entries []store.AuditRecord `json:"entries"`
	}
	if code := e.do(takedown.RoleAuditor, "GET", "/api/v1/audit", "", &out); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	var repeats int
	out.Entries = slices.DeleteFunc(out.Entries, func(a store.AuditRecord) bool { return a.Action != "takedown.withdraw" })
	for _, a := range out.Entries {
		if a.Detail["idempotency_key"] == nil {
			t.Errorf("audit entry without its key: %+v", a)
		}
		if a.Detail["repeat"] == true {
			repeats++
		}
	}
	if len(out.Entries) != 4 || repeats != 1 {
		t.Errorf("audit entries %d, repeats %d: %+v", len(out.Entries), repeats, out.Entries)
	}
}

func (e *env) userID(t *testing.T, r takedown.Role) string {
	t.Helper()
	u, err := e.store.UserByToken(context.Background(), e.tokens[r])
	if err != nil {
		t.Fatal(err)
	}
	return u.ID.String()
}
