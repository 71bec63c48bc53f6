package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/store"
)

// oidcSignin goes through the whole redirect dance with a real OpenID
// Connect provider running in the test, and returns the callback's answer.
func oidcSignin(t *testing.T, base string) (int, string, *http.Cookie) {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(base + "/signin/oidc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var flow *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-takedown-oidc" {
			flow = c
		}
	}
	if resp.StatusCode != http.StatusFound || flow == nil || !strings.Contains(resp.Header.Get("Location"), "code_challenge=") {
		t.Fatalf("start: %d, cookie %v, location %s", resp.StatusCode, flow, resp.Header.Get("Location"))
	}
	// The provider signs the queued user in and sends the browser back.
	resp, err = noFollow.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, base+"/signin/oidc/callback?") {
		t.Fatalf("provider sent the browser to %q (%d)", back, resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", back, nil)
	req.AddCookie(flow)
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = readAll(&b, resp)
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-takedown-session" && c.Value != "" {
			return resp.StatusCode, b.String(), c
		}
	}
	return resp.StatusCode, b.String(), nil
}

func TestOIDCSigninMapsAClaimToARole(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	e := newAccountsEnv(t, api.SessionConfig{})
	// The API needs its own address for the redirect, so it is served again
	// with the provider configured.
	var srv *httptest.Server
	var handler http.Handler
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := m.Config()
	o, err := api.NewOIDC(t.Context(), api.OIDCConfig{
		Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RedirectURL: srv.URL + "/signin/oidc/callback",
	})
	if err != nil {
		t.Fatal(err)
	}
	handler = api.New(api.Config{Store: e.store, Engine: e.engine, Histories: fakeHistories{}, Policy: policy.Default(), Now: e.clock.Now, OIDC: o})
	e.srv = srv

	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "kim@regulator.example", EmailVerified: true, Groups: []string{"everyone", "takedown-supervisor"}})
	status, body, session := oidcSignin(t, srv.URL)
	if status != 200 || session == nil || !strings.Contains(body, "kim@regulator.example (supervisor)") {
		t.Fatalf("sign-in: %d %v %s", status, session, body)
	}
	if code, body := e.withSession("GET", "/api/v1/takedowns", session.Value, "", nil); code != 200 {
		t.Errorf("supervisor session: %d %s", code, body)
	}

	// The provider moves Kim to auditor: the next sign-in follows it.
	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "kim@regulator.example", Groups: []string{"takedown-auditor"}})
	if _, body, s := oidcSignin(t, srv.URL); s == nil || !strings.Contains(body, "(auditor)") {
		t.Errorf("second sign-in: %s", body)
	}
	// No role, or two, is no entry.
	for _, groups := range [][]string{{"everyone"}, {"takedown-staff", "takedown-admin"}, {"takedown-root"}} {
		m.QueueUser(&mockoidc.MockUser{Subject: "2", Email: "lee@regulator.example", Groups: groups})
		if status, _, s := oidcSignin(t, srv.URL); status != 403 || s != nil {
			t.Errorf("groups %v: %d, session %v", groups, status, s)
		}
	}
	// A disabled account stays out whatever the provider says.
	if _, err := e.store.DisableUser(t.Context(), store.CLI, "kim@regulator.example"); err != nil {
		t.Fatal(err)
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "kim@regulator.example", Groups: []string{"takedown-supervisor"}})
	if status, body, s := oidcSignin(t, srv.URL); status != 403 || s != nil || !strings.Contains(body, "disabled") {
		t.Errorf("disabled account: %d %s", status, body)
	}
	// A callback that did not start here is refused.
	if code, _ := e.request("GET", "/signin/oidc/callback?state=x&code=y", "", "", nil); code != 403 {
		t.Errorf("forged callback: %d", code)
	}
}
