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
	"github.com/takedown-oss/takedown/internal/adapters"
	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/history"
	"github.com/takedown-oss/takedown/internal/isp"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/web"
	"github.com/takedown-oss/takedown/internal/workers"
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

func dialTemporal(ctx context.Context, c common, logger *slog.Logger) (client.Client, error) {
	cl, err := client.DialContext(ctx, client.Options{
		HostPort: c.Temporal, Namespace: c.Namespace, DataConverter: c.Codec.DataConverter(),
		Logger: tlog.NewStructuredLogger(logger.With("component", "temporal-client")),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", c.Temporal, err)
	}
	return cl, nil
}

// connect opens the database and dials the engine, for the commands that
// run against an external deployment.
func connect(ctx context.Context, c common, logger *slog.Logger) (*store.Store, client.Client, func(), error) {
	st, err := store.Open(ctx, store.Config{URL: c.DatabaseURL, Logger: logger})
	if err != nil {
		return nil, nil, nil, err
	}
	tc, err := dialTemporal(ctx, c, logger)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, tc, func() { tc.Close(); st.Close() }, nil
}

// parseFlags parses a command's flags; the commands below take none but -h.
func parseFlags(name string, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs.Parse(args)
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := parseFlags("serve", args, stderr); err != nil {
		return err
	}
	e := &env{getenv: getenv}
	c := loadCommon(e)
	addr := e.str("TAKEDOWN_HTTP_ADDR", "127.0.0.1:8080")
	signer, sessions, oidcCfg := decisionSigner(e), sessionConfig(e), oidcConfig(e)
	if err := errors.Join(e.err(), requireExternal(c)); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := newLogger(c, stderr)
	st, tc, closeAll, err := connect(ctx, c, logger)
	if err != nil {
		return err
	}
	defer closeAll()
	var idp *api.OIDC
	if oidcCfg != nil {
		if idp, err = api.NewOIDC(ctx, *oidcCfg); err != nil {
			return err
		}
	}

	srv := api.New(api.Config{
		Store: st, Engine: workflows.Starter{Client: tc, Signer: signer}, Policy: c.Policy, Sessions: sessions, OIDC: idp,
		Histories: history.Service{Client: tc, Codec: c.Codec, Logger: logger}, Logger: logger.With("component", "api"),
	})
	app, err := web.New(web.Config{API: srv, Logger: logger.With("component", "web")})
	if err != nil {
		return err
	}
	srv.Mount("/app/", app)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	fmt.Fprintf(stdout, "takedown API listening on http://%s\n", l.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := parseFlags("worker", args, stderr); err != nil {
		return err
	}
	e := &env{getenv: getenv}
	c := loadCommon(e)
	acfg := loadAdapters(e)
	decisionKeys := decisionPublicKeys(e)
	if err := errors.Join(e.err(), requireExternal(c)); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if err := workflows.TrustDecisionKeys(decisionKeys...); err != nil {
		return err
	}
	logger := newLogger(c, stderr)
	st, tc, closeAll, err := connect(ctx, c, logger)
	if err != nil {
		return err
	}
	defer closeAll()
	ads, err := adapters.Build(acfg, &http.Client{Timeout: 30 * time.Second}, logger)
	if err != nil {
		return fmt.Errorf("configure platform adapters: %w", err)
	}
	blocker, err := newBlocker(e, logger)
	if err != nil {
		return err
	}
	acts, err := activities.New(activities.Activities{Store: st, Adapters: ads, Blocker: blocker, Logger: logger.With("component", "activities")})
	if err != nil {
		return err
	}
	ws, err := workers.Start(tc, acts, c.Rates)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "takedown workers polling %s (namespace %s)\n", c.Temporal, c.Namespace)
	<-ctx.Done()
	ws.Stop()
	return nil
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := parseFlags("migrate", args, stderr); err != nil {
		return err
	}
	e := &env{getenv: getenv}
	c := loadCommon(e)
	if c.DatabaseURL == "" {
		e.errs = append(e.errs, errors.New("DATABASE_URL is required"))
	}
	if err := e.err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if err := store.Migrate(ctx, c.DatabaseURL, newLogger(c, stderr)); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// newBlocker configures the channel for access-blocking orders. Without
// TAKEDOWN_ISP_ORDER_URL the last rung of the ladder is disabled: an approved
// order fails loudly instead of pretending to be sent.
func newBlocker(e *env, logger *slog.Logger) (activities.Blocker, error) {
	cfg := isp.Config{
		OrderURL:     e.str("TAKEDOWN_ISP_ORDER_URL", ""),
		Token:        e.secret("TAKEDOWN_ISP_TOKEN"),
		VantageURL:   e.str("TAKEDOWN_ISP_VANTAGE_URL", ""),
		VantageToken: e.secret("TAKEDOWN_ISP_VANTAGE_TOKEN"),
		LegalBasis:   e.str("TAKEDOWN_ISP_LEGAL_BASIS", isp.DefaultLegalBasis),
	}
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
