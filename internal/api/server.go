// Package api is the HTTP API used by commission staff, supervisors and
// auditors. Every route but /healthz, /readyz and /metrics needs a bearer token, and each checks the
// caller's role.
package api

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/metrics"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/workflows"
)

const maxBody = 1 << 20

// Store is what the API needs from the database.
type Store interface {
	Ping(ctx context.Context) error
	UserByToken(ctx context.Context, token string) (takedown.User, error)
	CreateItem(ctx context.Context, it store.NewItem) (takedown.Item, error)
	GetItem(ctx context.Context, id uuid.UUID) (takedown.Item, error)
	ConfirmItem(ctx context.Context, c store.Confirm, start func(context.Context, takedown.Takedown) error) (takedown.Takedown, error)
	GetTakedown(ctx context.Context, id uuid.UUID) (takedown.Takedown, error)
	ListTakedowns(ctx context.Context, f store.TakedownFilter) ([]takedown.Takedown, string, error)
	AppendAudit(ctx context.Context, e store.AuditEntry) error
	ComplianceStats(ctx context.Context, from, to time.Time) ([]store.ComplianceRow, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, int64, error)
	ListNotices(ctx context.Context, takedownID uuid.UUID) ([]store.Notice, error)
}

// Engine starts workflows, passes human decisions to them, and answers
// whether the engine is up.
type Engine interface {
	Start(ctx context.Context, workflowID string, in workflows.Input, u workflows.Urgency) error
	Update(ctx context.Context, workflowID, name string, arg any) error
	Healthy(ctx context.Context) error
}

// Histories exports and replays a takedown's workflow history for auditors.
type Histories interface {
	Export(ctx context.Context, workflowID string, decoded bool) ([]byte, error)
	Replay(ctx context.Context, workflowID string) (events int, err error)
}

// Policy resolves a takedown's timing and the wording of its notice.
type Policy interface {
	For(p platforms.Platform, c platforms.Category) workflows.Policy
	Notice() (language, legalGround string)
}

// Config wires the server.
type Config struct {
	Store     Store
	Engine    Engine
	Histories Histories
	Policy    Policy
	Logger    *slog.Logger
	Now       func() time.Time
	// Platforms are the platforms takedowns may be confirmed for; confirming
	// one for another platform is refused. Nil means every platform.
	Platforms []platforms.Platform
	// RequestTimeout bounds every request (default 30 s).
	RequestTimeout time.Duration
	// EngineTimeout bounds starting a workflow and the engine's health
	// check (default 3 s), so that a confirm with the engine down answers
	// 503 quickly.
	EngineTimeout time.Duration
	// Metrics, if set, is served at /metrics and records every request.
	Metrics *metrics.Metrics
}

// Server is the HTTP API.
type Server struct {
	store     Store
	engine    Engine
	histories Histories
	policy    Policy
	logger    *slog.Logger
	now       func() time.Time
	enabled   map[platforms.Platform]bool
	timeout   time.Duration
	metrics   *metrics.Metrics
	mux       *http.ServeMux
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	s := &Server{
		store:     cfg.Store,
		engine:    boundedEngine{Engine: cfg.Engine, timeout: cmp.Or(cfg.EngineTimeout, 3*time.Second)},
		histories: cfg.Histories,
		policy:    cfg.Policy,
		logger:    cmp.Or(cfg.Logger, slog.Default()),
		now:       cfg.Now,
		timeout:   cmp.Or(cfg.RequestTimeout, 30*time.Second),
		metrics:   cfg.Metrics,
		enabled:   map[platforms.Platform]bool{},
		mux:       http.NewServeMux(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.Platforms == nil {
		cfg.Platforms = platforms.All
	}
	for _, p := range cfg.Platforms {
		s.enabled[p] = true
	}
	all := []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor, takedown.RoleAuditor}
	staff := []takedown.Role{takedown.RoleStaff}
	staffOrSupervisor := []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor}
	supervisor := []takedown.Role{takedown.RoleSupervisor}
	readers := []takedown.Role{takedown.RoleSupervisor, takedown.RoleAuditor}
	auditor := []takedown.Role{takedown.RoleAuditor}

	s.mux.Handle("GET /healthz", s.wrap(s.healthz))
	s.mux.Handle("GET /readyz", s.wrap(s.readyz))
	if s.metrics != nil {
		s.mux.Handle("GET /metrics", s.metrics.Handler())
	}
	s.mux.Handle("POST /api/v1/items", s.auth(staff, s.createItem))
	s.mux.Handle("GET /api/v1/items/{id}", s.auth(all, s.getItem))
	s.mux.Handle("POST /api/v1/items/{id}/confirm", s.auth(staff, s.confirmItem))
	s.mux.Handle("GET /api/v1/takedowns", s.auth(all, s.listTakedowns))
	s.mux.Handle("POST /api/v1/items/confirm", s.auth(staff, s.confirmBatch))
	s.mux.Handle("GET /api/v1/takedowns/{id}", s.auth(all, s.getTakedown))
	s.mux.Handle("GET /api/v1/takedowns/{id}/notices", s.auth(all, s.listNotices))
	s.mux.Handle("POST /api/v1/takedowns/{id}/replies", s.auth(staffOrSupervisor, s.recordReply))
	s.mux.Handle("POST /api/v1/takedowns/{id}/information", s.auth(staffOrSupervisor, s.addInformation))
	s.mux.Handle("POST /api/v1/takedowns/{id}/withdraw", s.auth(staffOrSupervisor, s.withdraw))
	s.mux.Handle("POST /api/v1/takedowns/{id}/escalation", s.auth(supervisor, s.decideEscalation))
	s.mux.Handle("POST /api/v1/takedowns/{id}/deadline", s.auth(supervisor, s.extendDeadline))
	s.mux.Handle("GET /api/v1/takedowns/{id}/history", s.auth(auditor, s.exportHistory))
	s.mux.Handle("POST /api/v1/takedowns/{id}/replay", s.auth(auditor, s.replayHistory))
	s.mux.Handle("GET /api/v1/stats/compliance", s.auth(readers, s.complianceStats))
	s.mux.Handle("GET /api/v1/audit", s.auth(auditor, s.listAudit))
	s.mux.Handle("/", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "not_found", "no such route")
	}))
	return s
}

// ServeHTTP implements http.Handler. Every request gets a deadline, so
// that a part that hangs costs the caller a 503, not a connection held open.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	r = r.WithContext(ctx)
	if s.metrics == nil {
		s.mux.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	s.mux.ServeHTTP(sw, r)
	// r.Pattern is the route ("GET /api/v1/takedowns/{id}"), never the
	// path, so no id or URL becomes a label.
	s.metrics.Request(r.Pattern, sw.code, time.Since(start))
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// healthz says the process is alive; it checks nothing else, so that an
// orchestrator does not restart the API because the database is down.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	return nil
}

// readyz says whether the API can serve: the database and the engine answer.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"api": "ok", "database": "ok", "engine": "ok"}
	healthy := true
	if err := s.store.Ping(ctx); err != nil {
		checks["database"], healthy = "unavailable", false
		s.logger.Warn("health: database", "err", err)
	}
	if err := s.engine.Healthy(ctx); err != nil {
		checks["engine"], healthy = "unavailable", false
		s.logger.Warn("health: engine", "err", err)
	}
	status := http.StatusOK
	if !healthy {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"status": map[bool]string{true: "ok", false: "degraded"}[healthy], "checks": checks})
	return nil
}
