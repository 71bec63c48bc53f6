// Command takedown-dev runs the takedown orchestrator for development: the
// embedded Temporal engine, the Web UI, the platform simulator and the
// benchmark live here, so that the production command links none of them.
//
//	takedown-dev dev       the whole system in one process
//	takedown-dev simulate  the platform simulator alone
//	takedown-dev bench     measure throughput, latency, history size and query speed
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "takedown-dev:", err)
		os.Exit(1)
	}
}

const usage = `usage: takedown-dev <command> [flags]

commands:
  dev        run everything in one process (embedded Temporal, private PostgreSQL,
             platform simulator, workers, API, Temporal Web UI)
  simulate   run the platform simulator alone
  bench      measure throughput, latency, history size and query speed

Production runs the other command, takedown (serve, worker, setup, ...).
Run 'takedown-dev <command> -h' for the command's flags. Configuration is
read from the environment; see README.md.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, getenv, stdout, stderr)
	case "simulate":
		return runSimulate(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
