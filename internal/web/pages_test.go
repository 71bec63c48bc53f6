package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/internal/web"
)

// TestEveryPageAsEveryRole opens every page as every role: a role the
// page does not name gets 403, the others the page.
func TestEveryPageAsEveryRole(t *testing.T) {
	e := newEnv(t)
	paths := map[string]string{
		"GET /app/intake": "/app/intake", "GET /app/queue": "/app/queue", "GET /app/takedowns": "/app/takedowns",
		"GET /app/takedowns/{id}": "/app/takedowns/" + e.overdue.ID.String(), "GET /app/overdue": "/app/overdue",
		"GET /app/escalations": "/app/escalations", "GET /app/compliance": "/app/compliance", "GET /app/compliance.csv": "/app/compliance.csv",
		"GET /app/takedowns/{id}/history": "/app/takedowns/" + e.overdue.ID.String() + "/history", "GET /app/audit": "/app/audit",
		"GET /app/users": "/app/users", "GET /app/evidence/{id}": "/app/evidence/" + e.evidence, "GET /app/tokens": "/app/tokens",
	}
	clients := map[takedown.Role]*client{}
	for _, r := range roles {
		clients[r] = e.client("en")
		clients[r].signIn(r)
	}
	checked := 0
	for pattern, allowed := range appRoutes(t, e) {
		if !strings.HasPrefix(pattern, "GET ") || allowed == nil || pattern == "GET /app/{$}" {
			continue
		}
		p, ok := paths[pattern]
		if !ok {
			t.Errorf("%s: no path to try", pattern)
			continue
		}
		for _, r := range roles {
			want := http.StatusForbidden
			for _, a := range allowed {
				if a == r {
					want = http.StatusOK
				}
			}
			code, body := clients[r].get(p)
			if code != want {
				t.Errorf("%s as %s: %d, want %d", p, r, code, want)
			}
			if want == http.StatusForbidden && !strings.Contains(body, "Your role may not open this page") {
				t.Errorf("%s as %s: the 403 page does not say why", p, r)
			}
			checked++
		}
	}
	t.Logf("page matrix: %d pages × roles checked", checked)
	if code, _ := e.client("en").get("/app/overdue"); code != http.StatusSeeOther {
		t.Errorf("signed out: %d, want a redirect to the sign-in page", code)
	}
}

// TestActionsRefused: staff cannot decide what supervisors decide, an
// auditor cannot change anything, and a form without its CSRF token is
// refused before it reaches the API.
func TestActionsRefused(t *testing.T) {
	e := newEnv(t)
	td := "/app/takedowns/" + e.waiting.ID.String()
	staff := e.client("en")
	staffCSRF := staff.signIn(takedown.RoleStaff)
	aud := e.client("en")
	audCSRF := aud.signIn(takedown.RoleAuditor)
	sup := e.client("en")
	sup.signIn(takedown.RoleSupervisor)

	cases := []struct {
		name string
		c    *client
		path string
		form url.Values
		want int
	}{
		{"staff approves", staff, td + "/escalation", url.Values{"csrf_token": {staffCSRF}, "approve": {"true"}, "reason": {"x"}}, 403},
		{"staff extends", staff, td + "/deadline", url.Values{"csrf_token": {staffCSRF}, "until": {"2026-12-01T10:00"}, "reason": {"x"}}, 403},
		{"staff disables a user", staff, "/app/users/user-auditor/disable", url.Values{"csrf_token": {staffCSRF}}, 403},
		{"auditor records a reply", aud, td + "/reply", url.Values{"csrf_token": {audCSRF}, "kind": {"other"}}, 403},
		{"auditor files URLs", aud, "/app/intake", url.Values{"csrf_token": {audCSRF}, "urls": {"https://t.me/a/1"}, "category": {"ncii"}}, 403},
		{"auditor approves", aud, td + "/escalation", url.Values{"csrf_token": {audCSRF}, "approve": {"true"}, "reason": {"x"}}, 403},
		{"supervisor without CSRF token", sup, td + "/escalation", url.Values{"approve": {"true"}, "reason": {"x"}}, 403},
		{"staff with a wrong CSRF token", staff, "/app/intake", url.Values{"csrf_token": {"forged"}, "urls": {"https://t.me/a/1"}, "category": {"ncii"}}, 403},
	}
	for _, c := range cases {
		code, body, _ := c.c.post(c.path, c.form)
		if code != c.want {
			t.Errorf("%s: %d, want %d: %s", c.name, code, c.want, body)
		}
	}
	if n := e.engine.names(); len(n) != 0 {
		t.Errorf("refused forms reached the workflow: %v", n)
	}
	if code, body := sup.get("/app/escalations"); code != 200 || !strings.Contains(body, e.waiting.ID.String()) {
		t.Errorf("the escalation is no longer waiting after refused forms: %d", code)
	}
}

// TestWorkflowRefusalShown: the workflow's refusal comes back as the
// API's 409 and the page says so, in the person's language.
func TestWorkflowRefusalShown(t *testing.T) {
	e := newEnv(t)
	e.engine.refuse = "the takedown is not waiting for approval"
	sup := e.client("ko")
	csrf := sup.signIn(takedown.RoleSupervisor)
	code, body, _ := sup.post("/app/takedowns/"+e.waiting.ID.String()+"/escalation", url.Values{"csrf_token": {csrf}, "approve": {"true"}, "reason": {"court order"}})
	if code != http.StatusConflict || !strings.Contains(body, "워크플로가 이 요청을 거절했습니다") || !strings.Contains(body, "not waiting for approval") {
		t.Errorf("refusal: %d %s", code, body)
	}
}

func TestCSVNeutralizesFormulas(t *testing.T) {
	got := safeRowForTest([]string{"=1+1", "+a", "-b", "@c", "\td", "\re", "ok", ""})
	want := []string{"'=1+1", "'+a", "'-b", "'@c", "'\td", "'\re", "ok", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d: %q, want %q", i, got[i], want[i])
		}
	}
}

var safeRowForTest = web.SafeRow

func appRoutes(t *testing.T, e *env) map[string][]takedown.Role {
	a, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return a.Routes()
}
