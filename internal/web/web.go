// Package web is the web application for staff, supervisors, auditors and
// admins: server-rendered pages in Korean and English. It holds no rules of
// its own about who may do what: every read and every decision goes
// through the JSON API's routes, in process, with the person's own session,
// so roles, validation, CSRF and the workflow's refusals are the API's.
package web

import (
	"cmp"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

//go:embed static
var staticFS embed.FS

// Config wires the web application.
type Config struct {
	// API is the JSON API (an *api.Server) every page reads and writes
	// through.
	API    http.Handler
	Logger *slog.Logger
	// Zone is the time zone dates are shown in unless the person chose
	// another (default Asia/Seoul).
	Zone *time.Location
	// Poll is how often the overdue board refreshes itself (default 30 s).
	Poll time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// App is the web application, served under /app/.
type App struct {
	api    http.Handler
	logger *slog.Logger
	zone   *time.Location
	poll   time.Duration
	now    func() time.Time
	cat    catalogs
	pages  *pages
	mux    *http.ServeMux
}

// New builds the application; it fails only on a broken template or
// catalog, which the tests catch.
func New(cfg Config) (*App, error) {
	zone := cfg.Zone
	if zone == nil {
		z, err := time.LoadLocation("Asia/Seoul")
		if err != nil {
			z = time.FixedZone("KST", 9*3600)
		}
		zone = z
	}
	cat, err := loadCatalogs(messageFS)
	if err != nil {
		return nil, err
	}
	a := &App{api: cfg.API, logger: cmp.Or(cfg.Logger, slog.Default()), zone: zone,
		poll: cmp.Or(cfg.Poll, 30*time.Second), cat: cat, mux: http.NewServeMux(), now: cfg.Now}
	if a.now == nil {
		a.now = time.Now
	}
	if a.pages, err = parsePages(templateFS, a.funcs()); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	a.mux.Handle("GET /app/static/", http.StripPrefix("/app/static/", cacheFor(http.FileServerFS(static))))
	for _, rt := range a.routes() {
		a.mux.Handle(rt.pattern, a.wrap(rt.roles, rt.h))
	}
	a.mux.Handle("/app/", a.wrap(nil, func(w http.ResponseWriter, r *http.Request, v *view) error {
		return pageError(http.StatusNotFound, "error.not_found")
	}))
	return a, nil
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func cacheFor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

type route struct {
	pattern string
	// roles may see the page (nil: anyone, signed in or not). The API
	// checks again whatever the page reads or does.
	roles []takedown.Role
	h     pageHandler
}

var (
	staff      = []takedown.Role{takedown.RoleStaff}
	supervisor = []takedown.Role{takedown.RoleSupervisor}
	auditor    = []takedown.Role{takedown.RoleAuditor}
	admin      = []takedown.Role{takedown.RoleAdmin}
	workers    = []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor}
	readers    = []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor, takedown.RoleAuditor}
	everyoneIn = []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor, takedown.RoleAuditor, takedown.RoleAdmin}
)

// Routes lists the application's pages and the roles that may open them,
// for tests that try every page as every role.
func (a *App) Routes() map[string][]takedown.Role {
	m := map[string][]takedown.Role{}
	for _, rt := range a.routes() {
		m[rt.pattern] = rt.roles
	}
	return m
}

func (a *App) routes() []route {
	return []route{
		{"GET /app/signin", nil, a.signinPage},
		{"POST /app/signin", nil, a.signin},
		{"POST /app/lang", nil, a.setLanguage},
		{"GET /app/{$}", everyoneIn, a.home},
		{"POST /app/signout", everyoneIn, a.signout},

		{"GET /app/intake", staff, a.intakePage},
		{"POST /app/intake", staff, a.intake},
		{"GET /app/queue", staff, a.queuePage},
		{"POST /app/queue/confirm", staff, a.confirm},

		{"GET /app/takedowns", readers, a.searchPage},
		{"GET /app/takedowns/{id}", readers, a.takedownPage},
		{"POST /app/takedowns/{id}/reply", workers, a.recordReply},
		{"POST /app/takedowns/{id}/evidence", staff, a.addEvidence},
		{"GET /app/evidence/{id}", readers, a.evidenceFile},
		{"POST /app/takedowns/{id}/information", workers, a.answerClarification},

		{"GET /app/overdue", supervisor, a.overduePage},
		{"GET /app/escalations", supervisor, a.escalationsPage},
		{"POST /app/takedowns/{id}/escalation", supervisor, a.decideEscalation},
		{"POST /app/takedowns/{id}/deadline", supervisor, a.extendDeadline},
		{"GET /app/compliance", supervisor, a.compliancePage},
		{"GET /app/compliance.csv", supervisor, a.complianceCSV},

		{"GET /app/takedowns/{id}/history", auditor, a.historyPage},
		{"POST /app/takedowns/{id}/replay", auditor, a.replay},
		{"GET /app/audit", auditor, a.auditPage},

		{"GET /app/users", admin, a.usersPage},
		{"POST /app/users/{name}/{action}", admin, a.setUser},
		{"GET /app/tokens", admin, a.tokensPage},
		{"POST /app/tokens/{id}/revoke", admin, a.revokeToken},
	}
}

func allowed(roles []takedown.Role, r takedown.Role) bool { return slices.Contains(roles, r) }
