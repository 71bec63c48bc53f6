package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/takedown-oss/takedown/internal/config"
	"github.com/takedown-oss/takedown/internal/simulator"
)

func runSimulate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http", "127.0.0.1:8090", "address of the simulator's HTTP server")
	smtpAddr := fs.String("smtp", "127.0.0.1:2525", "address of the simulator's SMTP server")
	statePath := fs.String("state", "", "file to keep the simulator's state in across restarts (default: memory only)")
	scriptPath := fs.String("script", "", "JSON file of scripted behaviours per platform and content")
	removeAfter := fs.Duration("remove-after", 2*time.Second, "how long after a notice content disappears")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e := &config.Env{Getenv: getenv}
	c := config.LoadCommon(e)
	if err := e.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := config.NewLogger(c, stderr)
	cfg := simulator.Config{Logger: logger, RemoveAfter: *removeAfter, StatePath: *statePath}
	if *scriptPath != "" {
		sc, err := simulator.LoadScript(*scriptPath)
		if err != nil {
			return err
		}
		cfg.Script = sc
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		return err
	}
	defer sim.Close()
	run, err := sim.Start(*httpAddr, *smtpAddr)
	if err != nil {
		return err
	}
	defer run.Close()
	fmt.Fprintf(stdout, "platform simulator: HTTP %s, SMTP %s (control API at %s/_sim/state)\n", run.HTTPURL(), run.SMTPAddr(), run.HTTPURL())
	<-ctx.Done()
	return nil
}
