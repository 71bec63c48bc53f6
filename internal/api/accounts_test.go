package api_test

import (
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

func TestAdminManagesAccounts(t *testing.T) {
	e := newAccountsEnv(t, api.SessionConfig{})
	admin, staff := e.callers["admin"], e.callers["staff"]
	if code, _ := e.request("GET", "/api/v1/me", staff, "", nil); code != 200 {
		t.Fatalf("staff token: %d", code)
	}
	if code, body := e.request("POST", "/api/v1/users/user-staff/disable", admin, "", nil); code != 200 {
		t.Fatalf("disable: %d %s", code, body)
	}
	if code, body := e.request("GET", "/api/v1/me", staff, "", nil); code != 401 || !strings.Contains(body, "disabled") {
		t.Errorf("disabled user's token: %d %s", code, body)
	}
	if code, body := e.request("POST", "/api/v1/users/user-admin/disable", admin, "", nil); code != 409 {
		t.Errorf("admin disabling themself: %d %s", code, body)
	}
	if code, _ := e.request("POST", "/api/v1/users/nobody/disable", admin, "", nil); code != 404 {
		t.Errorf("unknown user: %d", code)
	}
	if code, _ := e.request("POST", "/api/v1/tokens/not-a-uuid/revoke", admin, "", nil); code != 404 {
		t.Errorf("malformed token id: %d", code)
	}
	_, body := e.request("GET", "/api/v1/users", admin, "", nil)
	if !strings.Contains(body, `"name":"user-staff"`) || !strings.Contains(body, `"disabled_at"`) || strings.Contains(body, "hash") {
		t.Errorf("users: %s", body)
	}
	entries, _, err := e.store.ListAudit(t.Context(), store.AuditFilter{SubjectType: "user"})
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Action != "user.disable" || last.ActorRole != string(takedown.RoleAdmin) || last.ActorID == nil || last.Detail["via"] != "api" {
		t.Errorf("audit of the disable: %+v", last)
	}
}
