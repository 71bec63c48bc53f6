package api_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/password"
	"github.com/takedown-oss/takedown/internal/store"
)

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signinForm fetches the sign-in page and returns its cookie and token.
func (e *accountsEnv) signinForm() (cookie, token string) {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + "/signin")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = readAll(&b, resp)
	m := csrfField.FindStringSubmatch(b.String())
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-takedown-signin" {
			cookie = c.Value
		}
	}
	if m == nil || cookie == "" || m[1] != cookie {
		e.t.Fatalf("sign-in page: token %v, cookie %q", m, cookie)
	}
	return cookie, m[1]
}

type signinResult struct {
	status  int
	body    string
	session *http.Cookie
	header  http.Header
}

func (e *accountsEnv) postSignin(cookie, token, name, pw string, header map[string]string) signinResult {
	e.t.Helper()
	form := url.Values{"name": {name}, "password": {pw}}
	if token != "" {
		form.Set("csrf_token", token)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "__Host-takedown-signin", Value: cookie})
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = readAll(&b, resp)
	r := signinResult{status: resp.StatusCode, body: b.String(), header: resp.Header}
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-takedown-session" && c.Value != "" {
			r.session = c
		}
	}
	return r
}

// withSession sends a request with the session cookie (and no token).
func (e *accountsEnv) withSession(method, path, session, body string, header map[string]string) (int, string) {
	e.t.Helper()
	h := map[string]string{"Cookie": "__Host-takedown-session=" + session}
	for k, v := range header {
		h[k] = v
	}
	return e.request(method, path, "", body, h)
}

func TestPasswordSigninSessionsAndCSRF(t *testing.T) {
	e := newAccountsEnv(t, api.SessionConfig{Idle: 30 * time.Minute, Absolute: 8 * time.Hour})
	ctx := t.Context()
	hash, err := password.Hash("a long enough password", password.Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"user-staff", "user-supervisor"} {
		if _, err := e.store.SetPassword(ctx, store.CLI, n, hash); err != nil {
			t.Fatal(err)
		}
	}

	cookie, token := e.signinForm()
	// The form without its token, with another cookie's token, or posted
	// from another site is refused before the password is looked at.
	if r := e.postSignin(cookie, "", "user-staff", "a long enough password", nil); r.status != 403 || r.session != nil {
		t.Errorf("sign-in without CSRF token: %d, session %v", r.status, r.session)
	}
	if r := e.postSignin("another-cookie-value", token, "user-staff", "a long enough password", nil); r.status != 403 || r.session != nil {
		t.Errorf("sign-in with a mismatched token: %d", r.status)
	}
	cross := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
	if r := e.postSignin(cookie, token, "user-staff", "a long enough password", cross); r.status != 403 || r.session != nil || !strings.Contains(r.body, "cross_origin") {
		t.Errorf("cross-origin sign-in: %d %s", r.status, r.body)
	}
	if r := e.postSignin(cookie, token, "nobody", "a long enough password", nil); r.status != 401 || !strings.Contains(r.body, "Wrong name or password") {
		t.Errorf("unknown user: %d", r.status)
	}

	r := e.postSignin(cookie, token, "user-staff", "a long enough password", nil)
	if r.status != 200 || r.session == nil {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	if c := r.session; !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != int((8*time.Hour).Seconds()) {
		t.Errorf("session cookie %+v: want Secure, HttpOnly, SameSite=Lax, Path=/, 8 h", c)
	}
	session := r.session.Value
	status, body := e.withSession("GET", "/api/v1/me", session, "", nil)
	m := regexp.MustCompile(`"csrf_token":"([^"]+)"`).FindStringSubmatch(body)
	if status != 200 || m == nil || !strings.Contains(body, `"name":"user-staff"`) {
		t.Fatalf("me: %d %s", status, body)
	}
	csrf := m[1]

	item := `{"url":"https://t.me/session_chan/1","category":"ncii"}`
	if status, body := e.withSession("POST", "/api/v1/items", session, item, nil); status != 403 || !strings.Contains(body, `"csrf"`) {
		t.Errorf("post without CSRF token: %d %s", status, body)
	}
	if status, _ := e.withSession("POST", "/api/v1/items", session, item, map[string]string{"X-CSRF-Token": "wrong"}); status != 403 {
		t.Errorf("post with a wrong CSRF token: %d", status)
	}
	if status, _ := e.withSession("POST", "/api/v1/items", session, item, map[string]string{"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}); status != 403 {
		t.Errorf("cross-site post with the right token: %d", status)
	}
	if status, body := e.withSession("POST", "/api/v1/items", session, item, map[string]string{"X-CSRF-Token": csrf}); status != 201 {
		t.Errorf("post with CSRF token: %d %s", status, body)
	}
	// Roles still apply to sessions.
	if status, _ := e.withSession("GET", "/api/v1/audit", session, "", nil); status != 403 {
		t.Errorf("staff session reading the audit: %d", status)
	}

	// Idle timeout: 29 minutes of quiet keep the session; 30 end it.
	e.clock.Advance(29 * time.Minute)
	if status, _ := e.withSession("GET", "/api/v1/me", session, "", nil); status != 200 {
		t.Errorf("after 29 idle minutes: %d", status)
	}
	e.clock.Advance(30 * time.Minute)
	if status, body := e.withSession("GET", "/api/v1/me", session, "", nil); status != 401 || !strings.Contains(body, "session expired") {
		t.Errorf("after 30 idle minutes: %d %s", status, body)
	}

	// A disabled user's session stops at once.
	r = e.postSignin(cookie, token, "user-supervisor", "a long enough password", nil)
	if r.session == nil {
		t.Fatalf("supervisor sign-in: %d", r.status)
	}
	if status, _ := e.withSession("GET", "/api/v1/takedowns", r.session.Value, "", nil); status != 200 {
		t.Fatalf("supervisor session: %d", status)
	}
	if _, err := e.store.DisableUser(ctx, store.CLI, "user-supervisor"); err != nil {
		t.Fatal(err)
	}
	if status, body := e.withSession("GET", "/api/v1/takedowns", r.session.Value, "", nil); status != 401 || !strings.Contains(body, "disabled") {
		t.Errorf("disabled user's session: %d %s", status, body)
	}
	if r := e.postSignin(cookie, token, "user-supervisor", "a long enough password", nil); r.status != 403 || r.session != nil || !strings.Contains(r.body, "disabled") {
		t.Errorf("disabled user signing in: %d", r.status)
	}

	// Sign-out needs the CSRF token too, and ends the session.
	r = e.postSignin(cookie, token, "user-staff", "a long enough password", nil)
	s2 := r.session.Value
	_, body = e.withSession("GET", "/api/v1/me", s2, "", nil)
	csrf2 := regexp.MustCompile(`"csrf_token":"([^"]+)"`).FindStringSubmatch(body)[1]
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if status, _ := e.withSession("POST", "/signout", s2, "csrf_token=nope", form); status != 403 {
		t.Errorf("sign-out with a wrong token: %d", status)
	}
	if status, _ := e.withSession("POST", "/signout", s2, "csrf_token="+csrf2, form); status != 200 {
		t.Errorf("sign-out: %d", status)
	}
	if status, body := e.withSession("GET", "/api/v1/me", s2, "", nil); status != 401 || !strings.Contains(body, "signed out") {
		t.Errorf("after sign-out: %d %s", status, body)
	}
}

func TestFiveWrongPasswordsLockTheAccount(t *testing.T) {
	e := newAccountsEnv(t, api.SessionConfig{LockFor: 15 * time.Minute})
	ctx := t.Context()
	hash, _ := password.Hash("the right password", password.Params{Memory: 64, Time: 1, Threads: 1})
	u, err := e.store.SetPassword(ctx, store.CLI, "user-auditor", hash)
	if err != nil {
		t.Fatal(err)
	}
	cookie, token := e.signinForm()
	for i := 1; i <= 4; i++ {
		if r := e.postSignin(cookie, token, "user-auditor", "wrong", nil); r.status != 401 || strings.Contains(r.body, "locked") {
			t.Fatalf("wrong password %d: %d", i, r.status)
		}
	}
	r := e.postSignin(cookie, token, "user-auditor", "wrong", nil)
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many wrong passwords: this account is locked until") || r.header.Get("Retry-After") == "" {
		t.Fatalf("fifth wrong password: %d %s", r.status, r.body)
	}
	// Locked: even the right password is refused, without being checked.
	if r := e.postSignin(cookie, token, "user-auditor", "the right password", nil); r.status != 429 || r.session != nil {
		t.Errorf("right password while locked: %d", r.status)
	}
	// The lock does not touch the user's tokens, which are another credential.
	if status, _ := e.request("GET", "/api/v1/audit", e.callers["auditor"], "", nil); status != 200 {
		t.Errorf("auditor's token while the password is locked: %d", status)
	}
	e.clock.Advance(15 * time.Minute)
	if r := e.postSignin(cookie, token, "user-auditor", "the right password", nil); r.status != 200 || r.session == nil {
		t.Errorf("after the lock: %d", r.status)
	}

	entries, _, err := e.store.ListAudit(ctx, store.AuditFilter{SubjectType: "user", SubjectID: u.ID.String(), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action)
	}
	got := strings.Join(actions, ",")
	if !strings.HasSuffix(got, "user.set_password,signin.failed,signin.failed,signin.failed,signin.failed,signin.locked,signin.refused,signin") {
		t.Errorf("audit of the sign-ins: %s", got)
	}
}

func readAll(b *strings.Builder, resp *http.Response) (int64, error) { return io.Copy(b, resp.Body) }
