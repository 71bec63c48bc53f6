package api

import (
	"net/http"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Route is one entry of the route table: a pattern of http.ServeMux and
// the roles that may call it (nil: anyone, signed in or not).
type Route struct {
	Pattern string
	Roles   []takedown.Role
	h       handler
}

// Routes is the route table, for tests that check every route.
func (s *Server) Routes() []Route { return s.routes }

// routeTable says who may do what. Admins manage accounts and nothing
// else: no route about items or takedowns names them, and no one else may
// touch accounts.
func (s *Server) routeTable() []Route {
	var (
		all               = []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor, takedown.RoleAuditor}
		anyone            = []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor, takedown.RoleAuditor, takedown.RoleAdmin}
		staff             = []takedown.Role{takedown.RoleStaff}
		staffOrSupervisor = []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor}
		supervisor        = []takedown.Role{takedown.RoleSupervisor}
		readers           = []takedown.Role{takedown.RoleSupervisor, takedown.RoleAuditor}
		auditor           = []takedown.Role{takedown.RoleAuditor}
		admin             = []takedown.Role{takedown.RoleAdmin}
	)
	return []Route{
		{"GET /healthz", nil, s.healthz},
		{"GET /readyz", nil, s.readyz},
		{"GET /signin", nil, s.signinPage},
		{"POST /signin", nil, s.signin},
		{"GET /signin/oidc", nil, s.oidcStart},
		{"GET /signin/oidc/callback", nil, s.oidcCallback},
		{"POST /signout", anyone, s.signout},
		{"GET /api/v1/me", anyone, s.me},
		{"POST /api/v1/items", staff, s.createItem},
		{"GET /api/v1/items", staff, s.listItems},
		{"GET /api/v1/items/{id}", all, s.getItem},
		{"POST /api/v1/items/{id}/evidence", staff, s.addEvidence},
		{"GET /api/v1/items/{id}/evidence", all, s.listEvidence},
		{"GET /api/v1/evidence/{id}", all, s.getEvidence},
		{"POST /api/v1/items/{id}/confirm", staff, s.confirmItem},
		{"GET /api/v1/takedowns", all, s.listTakedowns},
		{"POST /api/v1/items/confirm", staff, s.confirmBatch},
		{"GET /api/v1/takedowns/{id}", all, s.getTakedown},
		{"GET /api/v1/takedowns/{id}/notices", all, s.listNotices},
		{"POST /api/v1/takedowns/{id}/replies", staffOrSupervisor, s.recordReply},
		{"POST /api/v1/takedowns/{id}/information", staffOrSupervisor, s.addInformation},
		{"POST /api/v1/takedowns/{id}/withdraw", staffOrSupervisor, s.withdraw},
		{"POST /api/v1/takedowns/{id}/escalation", supervisor, s.decideEscalation},
		{"POST /api/v1/takedowns/{id}/deadline", supervisor, s.extendDeadline},
		{"GET /api/v1/takedowns/{id}/history", auditor, s.exportHistory},
		{"POST /api/v1/takedowns/{id}/replay", auditor, s.replayHistory},
		{"GET /api/v1/stats/compliance", readers, s.complianceStats},
		{"GET /api/v1/quota", all, s.quotaStatus},
		{"GET /api/v1/audit", auditor, s.listAudit},
		{"GET /api/v1/users", admin, s.listUsers},
		{"POST /api/v1/users/{name}/disable", admin, s.setUserEnabled(false)},
		{"POST /api/v1/users/{name}/enable", admin, s.setUserEnabled(true)},
		{"GET /api/v1/tokens", admin, s.listTokens},
		{"POST /api/v1/tokens/{id}/revoke", admin, s.revokeToken},
	}
}

// me tells a caller who they are and, when they came with a session, the
// CSRF token their state-changing requests must carry.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	body := map[string]any{"user": c.user}
	if c.session != nil {
		body["csrf_token"] = c.session.CSRF
		body["session_expires_at"] = c.session.ExpiresAt
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
