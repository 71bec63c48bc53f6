// Package devstack runs the whole system in one process for development, the
// end-to-end tests and the benchmark: a real embedded Temporal engine
// persisted in SQLite, a private PostgreSQL cluster, the platform simulator,
// the workers, the HTTP API and the Temporal Web UI. It is the one place the
// system is wired in one process; the options say where those uses differ.
// Every server lives until Stop: the context given to Start bounds starting,
// not running.
package devstack

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/adapterset"
	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/devengine"
	"github.com/takedown-oss/takedown/internal/history"
	"github.com/takedown-oss/takedown/internal/password"
	"github.com/takedown-oss/takedown/internal/pgcluster"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/internal/web"
	"github.com/takedown-oss/takedown/internal/workers"
	"github.com/takedown-oss/takedown/workflows"
)

// Config says where the stack keeps its state and where it listens. Empty
// addresses pick free ports.
type Config struct {
	DataDir string
	// HTTPAddr is the API's address (e.g. 127.0.0.1:8080).
	HTTPAddr string
	// UIAddr is the Temporal Web UI's address.
	UIAddr string
	// TemporalAddress, when set, uses that cluster instead of the embedded engine.
	TemporalAddress string
	// TemporalPort is the embedded engine's frontend port (0 = free port).
	TemporalPort int
	Namespace    string
	// DatabaseURL, when set, uses that database instead of a private cluster.
	DatabaseURL string
	// SimulatorHTTPAddr and SimulatorSMTPAddr are where the simulator listens.
	SimulatorHTTPAddr string
	SimulatorSMTPAddr string
	// RemoveAfter is how long simulated platforms take to remove content.
	RemoveAfter time.Duration
	Policy      policy.Policy
	// Ephemeral keeps the engine in memory and the database unsynced: for tests.
	Ephemeral bool
	// PayloadKey seals what the engine stores; empty means the key in
	// DataDir/payload.key, created on first start.
	PayloadKey []byte
	// Budgets are the metered platforms' allowances; nil takes the
	// platforms' own, with windows scaled like the policy.
	Budgets map[takedown.Platform]quota.Budget
	// PoolConns sizes the store's pool (0: the store's default).
	PoolConns int
	// Simulator, when set, configures the simulator instead of the
	// development defaults (state kept in DataDir, RemoveAfter); its Logger
	// is filled in when nil.
	Simulator *simulator.Config
	// NoUI leaves the Temporal Web UI out.
	NoUI bool
	// QuietClient discards the SDK client's logs unless Logger is at debug
	// level: it logs every failed activity attempt at error level, and a
	// probe that finds content still up fails by design.
	QuietClient bool
	// Logger receives every part's logs; nil discards them.
	Logger *slog.Logger
}

// Stack is the running system.
type Stack struct {
	APIURL       string
	UIURL        string
	TemporalAddr string
	DatabaseURL  string
	SimulatorURL string
	SMTPAddr     string
	Tokens       map[takedown.Role]string
	// Passwords sign the demo users in at /signin (user demo-<role>).
	Passwords map[takedown.Role]string
	Client    client.Client
	Simulator *simulator.Simulator
	Store     *store.Store
	Codec     *codec.Codec
	// Postgres is the private cluster (nil with Config.DatabaseURL).
	Postgres *pgcluster.Cluster
	// Signer signs decisions as the API does, for callers that signal
	// takedowns directly.
	Signer *workflows.Signer
	// Ledger is the platforms' allowances, as workers spend them.
	Ledger *quota.Ledger
	// StopWorkers stops the workers before the rest, once.
	StopWorkers func()
	// Blocking is the ISP channel; switched off, the stack behaves as a
	// deployment without one.
	Blocking *SwitchableBlocker

	logger  *slog.Logger
	closers []func(context.Context) error
}

// Credentials is what `takedown dev` writes for people and scripts.
type Credentials struct {
	API        string            `json:"api"`
	TemporalUI string            `json:"temporal_ui"`
	Temporal   string            `json:"temporal"`
	Simulator  string            `json:"simulator"`
	Tokens     map[string]string `json:"tokens"`
	// Passwords are for the sign-in page, by user name.
	Passwords map[string]string `json:"passwords"`
	SignIn    string            `json:"sign_in"`
}

// Start brings every part up in dependency order. On failure, what was
// started is stopped again.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	logger := cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	cfg.Namespace = cmp.Or(cfg.Namespace, "default")
	if cfg.DataDir == "" {
		return nil, errors.New("devstack: data dir is required")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	s := &Stack{logger: logger}
	defer func() {
		if err != nil {
			s.Stop(context.WithoutCancel(ctx))
		}
	}()

	// PostgreSQL.
	s.DatabaseURL = cfg.DatabaseURL
	if s.DatabaseURL == "" {
		pg, err := pgcluster.Start(ctx, pgcluster.Config{
			Dir: filepath.Join(cfg.DataDir, "postgres"), Ephemeral: cfg.Ephemeral, Logger: logger,
		})
		if err != nil {
			return nil, fmt.Errorf("start private PostgreSQL: %w", err)
		}
		s.closers = append(s.closers, pg.Stop)
		s.Postgres = pg
		s.DatabaseURL = pg.URL()
	}
	if err := store.Migrate(ctx, s.DatabaseURL, logger); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Config{URL: s.DatabaseURL, MaxConns: int32(cfg.PoolConns), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.Store = st
	s.closers = append(s.closers, func(context.Context) error { st.Close(); return nil })

	// Temporal, with every payload it stores sealed.
	key := cfg.PayloadKey
	if len(key) == 0 {
		if key, err = codec.LoadOrCreateKey(filepath.Join(cfg.DataDir, "payload.key")); err != nil {
			return nil, err
		}
	}
	if s.Codec, err = codec.New(key); err != nil {
		return nil, err
	}
	// Decisions are signed by the API and checked by the workers, as in
	// production; both run here, so one process holds both halves.
	seed, err := codec.LoadOrCreateKey(filepath.Join(cfg.DataDir, "decision.key"))
	if err != nil {
		return nil, err
	}
	decisionKey := ed25519.NewKeyFromSeed(seed)
	if err := workflows.TrustDecisionKeys(decisionKey.Public().(ed25519.PublicKey)); err != nil {
		return nil, err
	}
	signer, err := workflows.NewSigner(decisionKey, nil)
	if err != nil {
		return nil, err
	}
	s.Signer = signer
	s.TemporalAddr = cfg.TemporalAddress
	if s.TemporalAddr == "" {
		ecfg := devengine.Config{
			FrontendPort:     cfg.TemporalPort,
			Namespace:        cfg.Namespace,
			SearchAttributes: workflows.SearchAttributeTypes,
			Logger:           logger,
		}
		if !cfg.Ephemeral {
			ecfg.DatabaseFile = filepath.Join(cfg.DataDir, "temporal.sqlite")
		}
		eng, err := devengine.Start(ecfg)
		if err != nil {
			return nil, fmt.Errorf("start embedded Temporal: %w", err)
		}
		s.closers = append(s.closers, func(context.Context) error { return eng.Stop() })
		s.TemporalAddr = eng.HostPort()
	}
	clientLogger := logger.With("component", "temporal-client")
	if cfg.QuietClient && !logger.Enabled(ctx, slog.LevelDebug) {
		clientLogger = slog.New(slog.DiscardHandler)
	}
	opts := client.Options{
		HostPort: s.TemporalAddr, Namespace: cfg.Namespace, DataConverter: s.Codec.DataConverter(),
		Logger: tlog.NewStructuredLogger(clientLogger),
	}
	if cfg.TemporalAddress == "" {
		// The embedded engine is in this process, reached over loopback:
		// gzip would only spend CPU on both ends of every call (about 2 ms
		// a takedown, measured in BENCHMARKS.md), and payloads are sealed,
		// so they hardly compress anyway.
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", s.TemporalAddr, err)
	}
	s.Client = c
	s.closers = append(s.closers, func(context.Context) error { c.Close(); return nil })

	// The platform simulator, and every adapter pointed at it.
	simCfg := simulator.Config{
		RemoveAfter: cmp.Or(cfg.RemoveAfter, 2*time.Second),
		StatePath:   filepath.Join(cfg.DataDir, "simulator.json"),
	}
	if cfg.Simulator != nil {
		simCfg = *cfg.Simulator
	}
	simCfg.Logger = cmp.Or(simCfg.Logger, logger.With("component", "simulator"))
	sim, err := simulator.New(simCfg)
	if err != nil {
		return nil, fmt.Errorf("start platform simulator: %w", err)
	}
	s.closers = append(s.closers, func(context.Context) error { return sim.Close() })
	running, err := sim.Start(cmp.Or(cfg.SimulatorHTTPAddr, "127.0.0.1:0"), cmp.Or(cfg.SimulatorSMTPAddr, "127.0.0.1:0"))
	if err != nil {
		return nil, fmt.Errorf("start platform simulator: %w", err)
	}
	s.closers = append(s.closers, func(context.Context) error { return running.Close() })
	s.Simulator = sim
	s.SimulatorURL, s.SMTPAddr = running.HTTPURL(), running.SMTPAddr()

	ads, blocker, err := adapterset.BuildForSimulator(s.SimulatorURL, s.SMTPAddr, logger)
	if err != nil {
		return nil, err
	}
	budgets := cfg.Budgets
	if budgets == nil {
		budgets = quota.Scaled(quota.DefaultBudgets(), cfg.Policy.Scale)
	}
	ledger, err := quota.NewLedger(st, budgets, nil)
	if err != nil {
		return nil, err
	}
	// A scaled policy's slots are a fraction of a second: a batch waits
	// for the probes that reach the worker at about the same moment only.
	var gather time.Duration
	if cfg.Policy.Scale != 1 {
		gather = 20 * time.Millisecond
	}
	if err := adapterset.Meter(ads, ledger, nil, nil, logger, gather, nil); err != nil {
		return nil, err
	}
	s.Ledger = ledger
	s.Blocking = &SwitchableBlocker{Blocker: blocker}
	s.Blocking.on.Store(true)
	acts, err := activities.New(activities.Activities{Store: st, Adapters: ads, Blocker: s.Blocking, Logger: logger.With("component", "activities")})
	if err != nil {
		return nil, err
	}
	ws, err := workers.Start(c, acts)
	if err != nil {
		return nil, err
	}
	s.StopWorkers = sync.OnceFunc(ws.Stop)
	s.closers = append(s.closers, func(context.Context) error { s.StopWorkers(); return nil })

	// Demo users, one per role, with fresh tokens and passwords on every
	// start.
	s.Tokens, s.Passwords = map[takedown.Role]string{}, map[takedown.Role]string{}
	for _, r := range takedown.Roles {
		tok, err := store.NewToken()
		if err != nil {
			return nil, err
		}
		name := "demo-" + string(r)
		if _, err := st.UpsertUserToken(ctx, name, r, tok); err != nil {
			return nil, fmt.Errorf("create demo user %s: %w", r, err)
		}
		pw, err := store.NewToken()
		if err != nil {
			return nil, err
		}
		pw = pw[:20]
		// Cheap parameters: the password is in a file next to it anyway,
		// and four full-cost hashes would slow every start.
		hash, err := password.Hash(pw, password.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
		if err != nil {
			return nil, err
		}
		if _, err := st.SetPassword(ctx, store.CLI, name, hash); err != nil {
			return nil, fmt.Errorf("set password of demo user %s: %w", r, err)
		}
		s.Tokens[r], s.Passwords[r] = tok, pw
	}

	// The API.
	srv := api.New(api.Config{
		Store: st, Engine: workflows.Starter{Client: c, Signer: signer}, Policy: cfg.Policy, Quota: ledger,
		Histories: history.Service{Client: c, Codec: s.Codec, Logger: logger},
		Logger:    logger.With("component", "api"),
	})
	app, err := web.New(web.Config{API: srv, Logger: logger.With("component", "web")})
	if err != nil {
		return nil, err
	}
	srv.Mount("/app/", app)
	l, err := net.Listen("tcp", cmp.Or(cfg.HTTPAddr, "127.0.0.1:0"))
	if err != nil {
		return nil, fmt.Errorf("listen for the API: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("API server stopped", "err", err)
		}
	}()
	s.closers = append(s.closers, hs.Shutdown)
	s.APIURL = "http://" + l.Addr().String()

	// The Temporal Web UI.
	if cfg.NoUI {
		return s, nil
	}
	ui, uiURL, err := startUI(cmp.Or(cfg.UIAddr, "127.0.0.1:0"), s.TemporalAddr, cfg.Namespace)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func(context.Context) error { ui.Stop(); return nil })
	s.UIURL = uiURL
	return s, nil
}

// Credentials returns what a person needs to use the stack.
func (s *Stack) Credentials() Credentials {
	toks, pws := map[string]string{}, map[string]string{}
	for r, t := range s.Tokens {
		toks[string(r)] = t
	}
	for r, p := range s.Passwords {
		pws["demo-"+string(r)] = p
	}
	return Credentials{API: s.APIURL, TemporalUI: s.UIURL, Temporal: s.TemporalAddr, Simulator: s.SimulatorURL,
		Tokens: toks, Passwords: pws, SignIn: s.APIURL + "/app/signin"}
}

// WriteCredentials writes the credentials file, readable by its owner only:
// it holds bearer tokens.
func (s *Stack) WriteCredentials(path string) error {
	b, err := json.MarshalIndent(s.Credentials(), "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	return os.Rename(tmp, path)
}

// Stop stops everything in reverse order of starting.
func (s *Stack) Stop(ctx context.Context) {
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](ctx); err != nil {
			s.logger.Warn("stopping", "err", err)
		}
	}
	s.closers = nil
}

// SwitchableBlocker is an ISP channel that can be taken away, so that one
// development stack can also show a deployment that has none.
type SwitchableBlocker struct {
	activities.Blocker
	on atomic.Bool
}

// SetEnabled switches the channel on or off.
func (b *SwitchableBlocker) SetEnabled(on bool) { b.on.Store(on) }

// Configured tells the activities whether blocking orders can be sent.
func (b *SwitchableBlocker) Configured() bool { return b.on.Load() }
