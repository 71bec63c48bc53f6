package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

// fakeHistories answers like the real service for one takedown.
type fakeHistories struct{}

func (fakeHistories) Export(_ context.Context, workflowID, runID string, decoded bool) ([]byte, []string, error) {
	return []byte(`{"events":[]}`), []string{"run-1"}, nil
}
func (fakeHistories) Replay(context.Context, string) (int, error) { return 11, nil }

// testClock is the store's and the API's clock: fixed, moved by tests, and
// ticking a microsecond per reading so that rows keep their order.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Microsecond)
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// accountsEnv is an API whose callers are in every state a credential can
// be in.
type accountsEnv struct {
	*env
	clock   *testClock
	server  *api.Server
	callers map[string]string // caller → bearer token ("" for none)
	roles   map[string]takedown.Role
	// targetToken is the id of a token of the user "target", for the
	// account routes to act on.
	targetToken string
}

func newAccountsEnv(t *testing.T, sessions api.SessionConfig) *accountsEnv {
	t.Helper()
	ctx := t.Context()
	clk := &testClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	st, err := store.Open(ctx, store.Config{URL: pgtest.URL(t), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	e := &accountsEnv{
		env:     &env{t: t, store: st, engine: &fakeEngine{update: func(string, string, string, any) (workflows.Accepted, error) { return workflows.Accepted{}, nil }}, tokens: map[takedown.Role]string{}},
		clock:   clk,
		callers: map[string]string{"no token": "", "unknown token": "an-unknown-token-0123456789abcdef0123456"},
		roles:   map[string]takedown.Role{},
	}
	issue := func(user, name string, ttl time.Duration) (store.TokenInfo, string) {
		tk, secret, err := st.IssueToken(ctx, store.CLI, user, name, clk.Now().Add(ttl))
		if err != nil {
			t.Fatal(err)
		}
		return tk, secret
	}
	for _, r := range takedown.Roles {
		if _, err := st.AddUser(ctx, store.CLI, "user-"+string(r), r, ""); err != nil {
			t.Fatal(err)
		}
		_, tok := issue("user-"+string(r), "matrix", 90*24*time.Hour)
		e.tokens[r], e.callers[string(r)], e.roles[string(r)] = tok, tok, r
	}
	// Each bad credential belongs to a supervisor, who could do the most.
	for _, u := range []string{"expiring", "revoked", "disabled"} {
		if _, err := st.AddUser(ctx, store.CLI, u, takedown.RoleSupervisor, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, e.callers["expired token"] = issue("expiring", "short", time.Hour)
	tk, revoked := issue("revoked", "gone", 90*24*time.Hour)
	if _, err := st.RevokeToken(ctx, store.CLI, tk.ID); err != nil {
		t.Fatal(err)
	}
	e.callers["revoked token"] = revoked
	_, e.callers["disabled user"] = issue("disabled", "old", 90*24*time.Hour)
	if _, err := st.DisableUser(ctx, store.CLI, "disabled"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddUser(ctx, store.CLI, "target", takedown.RoleStaff, ""); err != nil {
		t.Fatal(err)
	}
	tt, _ := issue("target", "t", 90*24*time.Hour)
	e.targetToken = tt.ID.String()
	clk.Advance(2 * time.Hour) // past the expiring token's hour

	e.server = api.New(api.Config{
		Store: st, Engine: e.engine, Histories: fakeHistories{}, Policy: policy.Default(), Now: clk.Now, Sessions: sessions,
	})
	e.srv = httptest.NewServer(e.server)
	t.Cleanup(e.srv.Close)
	return e
}

// request sends one request and returns its status and body.
func (e *accountsEnv) request(method, path, token, body string, header map[string]string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAccessMatrix calls every route of the route table as every kind of
// caller and checks that exactly the roles the table names get through:
// bad credentials get 401, other roles 403, and the allowed roles the
// route's normal answer.
func TestAccessMatrix(t *testing.T) {
	e := newAccountsEnv(t, api.SessionConfig{})
	// One item stays pending for the confirm route; a takedown exists for
	// the takedown routes.
	pending := e.createItem("https://t.me/matrix_chan/1")
	tdID := confirmed(t, e.env, "https://t.me/matrix_chan/2")
	item, td := pending.ID.String(), tdID.String()
	// Evidence already kept: uploading it again answers 200.
	ev, _, err := e.store.AddEvidence(context.Background(), pending.ID, pending.CreatedBy, "image/png", []byte(pngFile))
	if err != nil {
		t.Fatal(err)
	}
	evidence := ev.ID.String()

	// What to send to each route, and what it answers when allowed. A new
	// route fails this test until it is added here.
	type call struct {
		path, body string
		ok         int
	}
	calls := map[string]call{
		"POST /signout":                           {"/signout", "", http.StatusBadRequest}, // a token has no session to end
		"GET /api/v1/me":                          {"/api/v1/me", "", 200},
		"POST /api/v1/items":                      {"/api/v1/items", `{"url":"https://t.me/matrix_chan/3","category":"ncii"}`, 201},
		"GET /api/v1/items":                       {"/api/v1/items?status=pending_review", "", 200},
		"GET /api/v1/items/{id}":                  {"/api/v1/items/" + item, "", 200},
		"POST /api/v1/items/{id}/evidence":        {"/api/v1/items/" + item + "/evidence", pngFile, 200},
		"GET /api/v1/items/{id}/evidence":         {"/api/v1/items/" + item + "/evidence", "", 200},
		"GET /api/v1/evidence/{id}":               {"/api/v1/evidence/" + evidence, "", 200},
		"POST /api/v1/items/{id}/confirm":         {"/api/v1/items/" + item + "/confirm", "", 202},
		"GET /api/v1/takedowns":                   {"/api/v1/takedowns", "", 200},
		"POST /api/v1/items/confirm":              {"/api/v1/items/confirm", `{"item_ids":["` + item + `"]}`, 200},
		"GET /api/v1/takedowns/{id}":              {"/api/v1/takedowns/" + td, "", 200},
		"GET /api/v1/takedowns/{id}/notices":      {"/api/v1/takedowns/" + td + "/notices", "", 200},
		"POST /api/v1/takedowns/{id}/replies":     {"/api/v1/takedowns/" + td + "/replies", `{"kind":"other","note":"called"}`, 202},
		"POST /api/v1/takedowns/{id}/information": {"/api/v1/takedowns/" + td + "/information", `{"text":"more"}`, 202},
		"POST /api/v1/takedowns/{id}/withdraw":    {"/api/v1/takedowns/" + td + "/withdraw", `{"reason":"test"}`, 202},
		"POST /api/v1/takedowns/{id}/escalation":  {"/api/v1/takedowns/" + td + "/escalation", `{"approve":true}`, 202},
		"POST /api/v1/takedowns/{id}/deadline":    {"/api/v1/takedowns/" + td + "/deadline", `{"until":"2026-12-30T00:00:00Z","reason":"r"}`, 202},
		"GET /api/v1/takedowns/{id}/history":      {"/api/v1/takedowns/" + td + "/history", "", 200},
		"POST /api/v1/takedowns/{id}/replay":      {"/api/v1/takedowns/" + td + "/replay", "", 200},
		"GET /api/v1/stats/compliance":            {"/api/v1/stats/compliance?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", "", 200},
		"GET /api/v1/audit":                       {"/api/v1/audit", "", 200},
		"GET /api/v1/quota":                       {"/api/v1/quota", "", 200},
		"GET /api/v1/users":                       {"/api/v1/users", "", 200},
		"POST /api/v1/users/{name}/disable":       {"/api/v1/users/target/disable", "", 200},
		"POST /api/v1/users/{name}/enable":        {"/api/v1/users/target/enable", "", 200},
		"GET /api/v1/tokens":                      {"/api/v1/tokens?user=target", "", 200},
		"POST /api/v1/tokens/{id}/revoke":         {"/api/v1/tokens/" + e.targetToken + "/revoke", "", 200},
	}
	public := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /signin": true, "POST /signin": true,
		"GET /signin/oidc": true, "GET /signin/oidc/callback": true}
	callers := []string{"no token", "unknown token", "expired token", "revoked token", "disabled user",
		string(takedown.RoleStaff), string(takedown.RoleSupervisor), string(takedown.RoleAuditor), string(takedown.RoleAdmin)}

	cases, routes := 0, 0
	for _, rt := range e.server.Routes() {
		if rt.Roles == nil {
			if !public[rt.Pattern] {
				t.Errorf("%s is open to anyone, but is not meant to be public", rt.Pattern)
			}
			continue
		}
		c, ok := calls[rt.Pattern]
		if !ok {
			t.Errorf("%s: no request for this route in the matrix", rt.Pattern)
			continue
		}
		routes++
		method, _, _ := strings.Cut(rt.Pattern, " ")
		for _, who := range callers {
			cases++
			allowed := false
			for _, r := range rt.Roles {
				allowed = allowed || e.roles[who] == r
			}
			status, body := e.request(method, c.path, e.callers[who], c.body, nil)
			want := c.ok
			switch {
			case e.roles[who] == "":
				want = http.StatusUnauthorized
			case !allowed:
				want = http.StatusForbidden
			}
			if status != want {
				t.Errorf("%s as %s: %d %s, want %d", rt.Pattern, who, status, strings.TrimSpace(body), want)
			}
		}
	}
	t.Logf("access matrix: %d routes × %d callers = %d cases, and %d public routes", routes, len(callers), cases, len(public))
	if routes < 23 {
		t.Errorf("only %d routes checked", routes)
	}
}

// pngFile is the smallest file that sniffs as PNG.
const pngFile = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
