package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/config"
	"github.com/takedown-oss/takedown/internal/history"
	"github.com/takedown-oss/takedown/internal/isp"
	"github.com/takedown-oss/takedown/internal/metrics"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/web"
	"github.com/takedown-oss/takedown/workflows"
)

// requireExternal checks the settings serve and worker cannot do without:
// they never start an embedded engine or a private database.
func requireExternal(c common) error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	}
	if c.Temporal == "" {
		errs = append(errs, errors.New("TEMPORAL_ADDRESS is required (host:port of the Temporal frontend)"))
	}
	if c.Codec == nil {
		errs = append(errs, errors.New("TAKEDOWN_PAYLOAD_KEY is required (32 bytes, base64 or hex): it seals victims' data in the engine's history"))
	}
	return errors.Join(errs...)
}

// temporalOptions are the client options every command uses.
func temporalOptions(c common, logger *slog.Logger, mh client.MetricsHandler) client.Options {
	return client.Options{
		HostPort: c.Temporal, Namespace: c.Namespace, DataConverter: c.Codec.DataConverter(),
		Logger:         tlog.NewStructuredLogger(logger.With("component", "temporal-client")),
		MetricsHandler: mh,
	}
}

func dialTemporal(ctx context.Context, c common, logger *slog.Logger, mh client.MetricsHandler) (client.Client, error) {
	cl, err := client.DialContext(ctx, temporalOptions(c, logger, mh))
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", c.Temporal, err)
	}
	return cl, nil
}

func openStore(ctx context.Context, c common, logger *slog.Logger, obs store.Observer) (*store.Store, error) {
	cfg := c.DB.Store(c.DatabaseURL)
	cfg.Logger, cfg.Observer = logger, obs
	return store.Open(ctx, cfg)
}

// parseFlags parses a command's flags; the commands below take none but -h.
func parseFlags(name string, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs.Parse(args)
}

// serveConfig is everything serve reads.
type serveConfig struct {
	common
	HTTP     httpSettings
	Signer   *workflows.Signer
	Sessions api.SessionConfig
	OIDC     *api.OIDCConfig
}

func loadServe(e *env) (serveConfig, error) {
	c := serveConfig{common: config.LoadCommon(e), HTTP: loadHTTP(e),
		Signer: decisionSigner(e), Sessions: sessionConfig(e), OIDC: oidcConfig(e)}
	return c, errors.Join(e.Err(), requireExternal(c.common))
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := parseFlags("serve", args, stderr); err != nil {
		return err
	}
	c, err := loadServe(&env{Getenv: getenv})
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := config.NewLogger(c.common, stderr)
	m := metrics.New()
	mh, stopMetrics := m.TemporalHandler()
	defer stopMetrics()
	st, err := openStore(ctx, c.common, logger, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	var idp *api.OIDC
	if c.OIDC != nil {
		if idp, err = api.NewOIDC(ctx, *c.OIDC); err != nil {
			return err
		}
	}
	// The engine is dialled lazily: the API starts, and answers 503 on what
	// needs the engine, while the engine is still starting or is down.
	tc, err := client.NewLazyClient(temporalOptions(c.common, logger, mh))
	if err != nil {
		return fmt.Errorf("configure Temporal client: %w", err)
	}
	defer tc.Close()
	m.RegisterTakedowns(st.CountTakedowns, logger)

	ledger, err := quota.NewLedger(st, c.Budgets, nil)
	if err != nil {
		return err
	}
	srv := api.New(api.Config{
		Store: st, Quota: ledger, Engine: workflows.Starter{Client: tc, Signer: c.Signer}, Policy: c.Policy, Sessions: c.Sessions, OIDC: idp,
		Histories: history.Service{Client: tc, Codec: c.Codec, Logger: logger}, Logger: logger.With("component", "api"),
		Platforms: c.Platforms, RequestTimeout: c.HTTP.RequestTimeout, EngineTimeout: c.HTTP.EngineTimeout, Metrics: m,
	})
	app, err := web.New(web.Config{API: srv, Logger: logger.With("component", "web")})
	if err != nil {
		return err
	}
	srv.Mount("/app/", app)
	l, err := net.Listen("tcp", c.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.HTTP.Addr, err)
	}
	hs := c.HTTP.server(srv)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	logger.Info("API listening", "addr", l.Addr().String(), "platforms", config.JoinPlatforms(c.Platforms))
	fmt.Fprintf(stdout, "takedown API listening on http://%s\n", l.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Drain: stop accepting, let the requests in flight finish.
	logger.Info("shutting down: draining requests", "timeout", c.HTTP.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.HTTP.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("drain API: %w", err)
	}
	return nil
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := parseFlags("migrate", args, stderr); err != nil {
		return err
	}
	e := &env{Getenv: getenv}
	c := config.LoadCommon(e)
	if c.DatabaseURL == "" {
		e.Fail(errors.New("DATABASE_URL is required"))
	}
	if err := e.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if err := store.Migrate(ctx, c.DatabaseURL, config.NewLogger(c, stderr)); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// loadISP reads the channel for access-blocking orders.
func loadISP(e *env) isp.Config {
	return isp.Config{
		OrderURL:     e.Str("TAKEDOWN_ISP_ORDER_URL", ""),
		Token:        e.Secret("TAKEDOWN_ISP_TOKEN"),
		VantageURL:   e.Str("TAKEDOWN_ISP_VANTAGE_URL", ""),
		VantageToken: e.Secret("TAKEDOWN_ISP_VANTAGE_TOKEN"),
		LegalBasis:   e.Str("TAKEDOWN_ISP_LEGAL_BASIS", isp.DefaultLegalBasis),
	}
}

// newBlocker configures the channel for access-blocking orders. Without
// TAKEDOWN_ISP_ORDER_URL the last rung of the ladder is disabled: an approved
// order fails loudly instead of pretending to be sent.
func newBlocker(cfg isp.Config, logger *slog.Logger) (activities.Blocker, error) {
	if cfg.OrderURL == "" {
		logger.Warn("TAKEDOWN_ISP_ORDER_URL is not set: access-blocking orders cannot be sent")
		return nil, nil
	}
	b, err := isp.New(cfg, &http.Client{Timeout: 30 * time.Second}, logger.With("component", "isp"))
	if err != nil {
		return nil, fmt.Errorf("configure blocking orders: %w", err)
	}
	return b, nil
}
