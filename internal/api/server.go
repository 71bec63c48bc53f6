// Package api is the HTTP API used by commission staff, supervisors and
// auditors. Every route but /healthz, /readyz, /metrics and the sign-in
// pages needs a bearer token or a session cookie, and each checks the
// caller's role (see routes.go).
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
	"github.com/takedown-oss/takedown/workflows"
)

const maxBody = 1 << 20

// Store is what the API needs from the database.
type Store interface {
	Ping(ctx context.Context) error
	UserByToken(ctx context.Context, token string) (takedown.User, error)
	SessionUser(ctx context.Context, secret string, idle time.Duration) (store.Session, error)
	StartSession(ctx context.Context, u takedown.User, method string, absolute time.Duration) (string, store.Session, error)
	EndSession(ctx context.Context, secret string) error
	CredentialsFor(ctx context.Context, name string) (store.Credentials, error)
	SigninFailed(ctx context.Context, userID uuid.UUID, max int, lockFor time.Duration) (time.Time, error)
	ProvisionUser(ctx context.Context, via, name string, role takedown.Role) (takedown.User, error)
	ListUsers(ctx context.Context) ([]store.UserInfo, error)
	DisableUser(ctx context.Context, op store.Operator, name string) (takedown.User, error)
	EnableUser(ctx context.Context, op store.Operator, name string) (takedown.User, error)
	ListTokens(ctx context.Context, user string) ([]store.TokenInfo, error)
	RevokeToken(ctx context.Context, op store.Operator, id uuid.UUID) (store.TokenInfo, error)
	CreateItem(ctx context.Context, it store.NewItem) (takedown.Item, error)
	GetItem(ctx context.Context, id uuid.UUID) (takedown.Item, error)
	PendingItems(ctx context.Context, limit int) ([]takedown.Item, error)
	AddEvidence(ctx context.Context, itemID, by uuid.UUID, contentType string, data []byte) (store.Evidence, bool, error)
	ListEvidence(ctx context.Context, itemID uuid.UUID) ([]store.Evidence, error)
	EvidenceFile(ctx context.Context, id uuid.UUID) (store.Evidence, []byte, error)
	ConfirmItem(ctx context.Context, c takedown.Confirm, start func(context.Context, takedown.Takedown) error, audit ...store.AuditEntry) (takedown.Takedown, error)
	GetTakedown(ctx context.Context, id uuid.UUID) (takedown.Takedown, error)
	ListTakedowns(ctx context.Context, f store.TakedownFilter) ([]takedown.Takedown, string, error)
	AppendAudit(ctx context.Context, e store.AuditEntry) error
	ComplianceStats(ctx context.Context, from, to time.Time) ([]store.ComplianceRow, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, int64, error)
	ListNotices(ctx context.Context, takedownID uuid.UUID) ([]takedown.NoticeRecord, error)
}

// Engine starts workflows, passes human decisions to them, and answers
// whether the engine is up.
type Engine interface {
	// Start returns the run's id ("" for a takedown that already closed).
	Start(ctx context.Context, workflowID string, in workflows.Input, u workflows.Urgency) (runID string, err error)
	Update(ctx context.Context, workflowID, updateID, name string, arg any) (workflows.Accepted, error)
	Healthy(ctx context.Context) error
}

// Histories exports and replays a takedown's workflow history for auditors.
type Histories interface {
	Export(ctx context.Context, workflowID, runID string, decoded bool) (history []byte, runIDs []string, err error)
	Replay(ctx context.Context, workflowID string) (events int, err error)
}

// Policy resolves a takedown's timing and the wording of its notice.
type Policy interface {
	For(p takedown.Platform, c takedown.Category) workflows.Policy
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
	Sessions  SessionConfig
	// OIDC, when set, adds sign-in through an identity provider.
	OIDC *OIDC
	// Platforms are the platforms takedowns may be confirmed for; confirming
	// one for another platform is refused. Nil means every platform.
	Platforms []takedown.Platform
	// RequestTimeout bounds every request (default 30 s).
	RequestTimeout time.Duration
	// EngineTimeout bounds starting a workflow and the engine's health
	// check (default 3 s), so that a confirm with the engine down answers
	// 503 quickly.
	EngineTimeout time.Duration
	// Metrics, if set, is served at /metrics and records every request.
	Metrics *metrics.Metrics
	// Quota, if set, answers where the platforms' allowances stand.
	Quota Quota
}

// Server is the HTTP API.
type Server struct {
	store     Store
	engine    Engine
	histories Histories
	policy    Policy
	logger    *slog.Logger
	now       func() time.Time
	sessions  SessionConfig
	oidc      *OIDC
	enabled   map[takedown.Platform]bool
	timeout   time.Duration
	metrics   *metrics.Metrics
	quota     Quota
	mux       *http.ServeMux
	cop       *http.CrossOriginProtection
	routes    []Route
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	s := &Server{
		store:     cfg.Store,
		quota:     cfg.Quota,
		engine:    boundedEngine{Engine: cfg.Engine, timeout: cmp.Or(cfg.EngineTimeout, 3*time.Second)},
		histories: cfg.Histories,
		policy:    cfg.Policy,
		logger:    cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		now:       cfg.Now,
		sessions:  cfg.Sessions.withDefaults(),
		oidc:      cfg.OIDC,
		timeout:   cmp.Or(cfg.RequestTimeout, 30*time.Second),
		metrics:   cfg.Metrics,
		enabled:   map[takedown.Platform]bool{},
		mux:       http.NewServeMux(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.Platforms == nil {
		cfg.Platforms = takedown.Platforms
	}
	for _, p := range cfg.Platforms {
		s.enabled[p] = true
	}
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		if rt.Roles == nil {
			s.mux.Handle(rt.Pattern, s.wrap(rt.h))
		} else {
			s.mux.Handle(rt.Pattern, s.auth(rt.Roles, rt.h))
		}
	}
	if s.metrics != nil {
		s.mux.Handle("GET /metrics", s.metrics.Handler())
	}
	s.mux.Handle("/", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "not_found", "no such route")
	}))
	// Browsers say where a request comes from: a state-changing request
	// from another site is refused whatever credentials it carries.
	s.cop = http.NewCrossOriginProtection()
	s.cop.SetDenyHandler(s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusForbidden, "cross_origin", "cross-origin request refused")
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
	h := s.cop.Handler(s.mux)
	if s.metrics == nil {
		h.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	h.ServeHTTP(sw, r)
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
