package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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
	update    func(workflowID, name string, arg any) error
}

func (f *fakeEngine) Start(_ context.Context, _ string, in workflows.Input, u workflows.Urgency) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.started = append(f.started, in)
	f.urgencies = append(f.urgencies, u)
	return nil
}

func (f *fakeEngine) Update(_ context.Context, workflowID, name string, arg any) error {
	if f.update == nil {
		return errors.New("no update expected")
	}
	return f.update(workflowID, name, arg)
}
func (f *fakeEngine) Healthy(context.Context) error { return nil }

type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  *store.Store
	engine *fakeEngine
	tokens map[takedown.Role]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{URL: pgtest.URL(t)})
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
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	e.srv = httptest.NewServer(api.New(api.Config{
		Store: st, Engine: e.engine, Policy: policy.Default(), Now: func() time.Time { return now },
	}))
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
	}
	if code := e.do(takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", "", &conf); code != 202 {
		t.Fatalf("confirm: %d", code)
	}
	if conf.TakedownID != api.TakedownIDFor(it.ID) || conf.WorkflowID != takedown.WorkflowID(conf.TakedownID) {
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
