package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/takedown-oss/takedown/internal/config"
	"github.com/takedown-oss/takedown/internal/devstack"
)

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "./.takedown", "where the engine, PostgreSQL and simulator keep their state")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address of the HTTP API")
	uiAddr := fs.String("ui", "127.0.0.1:8233", "address of the Temporal Web UI")
	temporalPort := fs.Int("temporal-port", 7233, "gRPC port of the embedded Temporal engine")
	simAddr := fs.String("simulator", "127.0.0.1:8090", "address of the platform simulator's HTTP server")
	smtpAddr := fs.String("smtp", "127.0.0.1:2525", "address of the platform simulator's SMTP server")
	removeAfter := fs.Duration("remove-after", 2*time.Second, "how long simulated platforms take to remove content after a notice")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e := &config.Env{Getenv: getenv}
	c := config.LoadCommon(e)
	if err := e.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := config.NewLogger(c, stderr)
	if c.PolicyFile == "" {
		// Hours become minutes, so that a person trying the system sees a
		// takedown through its ladder while watching; a policy file says
		// otherwise.
		c.Policy.Scale = 1.0 / 60
	}

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	stack, err := devstack.Start(ctx, devstack.Config{
		DataDir:           dir,
		HTTPAddr:          *httpAddr,
		UIAddr:            *uiAddr,
		TemporalAddress:   c.Temporal,
		TemporalPort:      *temporalPort,
		Namespace:         c.Namespace,
		DatabaseURL:       c.DatabaseURL,
		SimulatorHTTPAddr: *simAddr,
		SimulatorSMTPAddr: *smtpAddr,
		RemoveAfter:       *removeAfter,
		Policy:            c.Policy,
		PayloadKey:        c.PayloadKey,
		Logger:            logger,
	})
	if err != nil {
		return err
	}
	creds := filepath.Join(dir, "dev-credentials.json")
	if err := stack.WriteCredentials(creds); err != nil {
		stack.Stop(context.WithoutCancel(ctx))
		return err
	}
	fmt.Fprintf(stdout, `takedown is running.
  API           %s
  Temporal UI   %s
  Temporal      %s
  PostgreSQL    %s
  Simulator     %s (SMTP %s)
  web app       %s/app/ (sign in as demo-staff, demo-supervisor, demo-auditor, demo-admin)
  credentials   %s (their bearer tokens and passwords)
  policy        durations scaled ×%g (a 24h deadline lasts %s)
Press Ctrl-C to stop.
`, stack.APIURL, stack.UIURL, stack.TemporalAddr, config.RedactURL(stack.DatabaseURL), stack.SimulatorURL, stack.SMTPAddr, stack.APIURL, creds,
		c.Policy.Scale, time.Duration(float64(24*time.Hour)*c.Policy.Scale).Round(time.Second))

	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping…")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	stack.Stop(sctx)
	return nil
}
