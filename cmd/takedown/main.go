// Command takedown runs the takedown orchestrator in production. It links
// neither the embedded engine, the Web UI, the simulator nor the benchmark:
// those are in cmd/takedown-dev.
//
//	takedown serve     the HTTP API, against an external Temporal and PostgreSQL
//	takedown worker    the Temporal workers, against the same
//	takedown migrate   apply database migrations and exit
//	takedown setup     migrate, runtime role, search attributes (idempotent)
//	takedown doctor    check a deployment's configuration and dependencies
//	takedown users     manage accounts; takedown tokens: their bearer tokens
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
		fmt.Fprintln(os.Stderr, "takedown:", err)
		os.Exit(1)
	}
}

const usage = `usage: takedown <command> [flags]

commands:
  serve      run the HTTP API (needs DATABASE_URL and TEMPORAL_ADDRESS)
  worker     run the Temporal workers (needs DATABASE_URL and TEMPORAL_ADDRESS)
  migrate    apply database migrations (needs DATABASE_URL)
  setup      migrate, create the runtime database role, register the
             namespace's search attributes, create the daily report's
             schedule; safe to run again
  doctor     check the database, the engine, the search attributes and each
             platform's credentials and endpoint; one line per problem
  health     GET a health URL, exit non-zero unless it answers 200
  users      add, list, change and disable accounts (needs DATABASE_URL)
  tokens     issue, list and revoke bearer tokens (needs DATABASE_URL)
  keygen     print fresh payload and decision keys for a deployment

Run 'takedown <command> -h' for the command's flags. Configuration is read
from the environment; see README.md. Development (dev, simulate, bench) is
in the other command, takedown-dev.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "worker":
		return runWorker(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "setup":
		return runSetup(ctx, rest, getenv, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, rest, getenv, stdout, stderr)
	case "health":
		return runHealth(ctx, rest, stdout)
	case "users":
		return runUsers(ctx, rest, getenv, stdout, stderr)
	case "tokens":
		return runTokens(ctx, rest, getenv, stdout, stderr)
	case "keygen":
		return runKeygen(rest, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
