package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/bench"
	"github.com/takedown-oss/takedown/internal/config"
)

// runBench starts the whole system in a temporary directory, measures it
// and prints one JSON object (see BENCHMARKS.md).
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 0, "takedowns through the API, and as many bare workflows (default 2000; 400 with -quick)")
	concurrency := fs.Int("concurrency", 50, "takedowns in flight at once")
	pairs := fs.Int("pairs", 0, "rounds of ours and of the bare workflow, alternating (default 8; 2 with -quick)")
	quick := fs.Bool("quick", false, "a run of well under a minute, for CI")
	seedRows := fs.Int("seed-rows", 0, "takedowns in the query database (default 1000000; 20000 with -quick)")
	waiting := fs.Int("waiting", 0, "takedowns waiting on deadlines while memory is measured (default 10000; 200 with -quick)")
	replays := fs.Int("replays", 0, "stored histories replayed (default 200; 20 with -quick)")
	queryRuns := fs.Int("query-runs", 0, "timed runs of each query (default 200; 50 with -quick)")
	poolConns := fs.Int("pg-conns", 0, "size of the store's PostgreSQL pool (default: the store's own, as dev and serve use)")
	out := fs.String("out", "", "also write the JSON report to this file")
	keep := fs.Bool("keep", false, "keep the working directory (engine and PostgreSQL files) for inspection")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	profileDir := fs.String("phase-profiles", "", "write a CPU profile of each round of the throughput and engine-ceiling loops alone into this directory")
	workerRSS := fs.Int("worker-rss", 0, "instead of the rest: measure one `takedown worker` process holding this many waiting takedowns")
	takedownBin := fs.String("takedown-bin", "", "with -worker-rss: the takedown binary (default: go build ./cmd/takedown)")
	temporalCLI := fs.String("temporal-cli", "", "with -worker-rss: the Temporal CLI (default: $TEMPORAL_CLI, ~/.cache/takedown-tools/bin/temporal, PATH)")
	var workerEnv envList
	fs.Var(&workerEnv, "worker-env", "with -worker-rss: KEY=VALUE added to the worker's environment (repeatable)")
	sampleFor := fs.Duration("sample-for", 30*time.Second, "with -worker-rss: how long to read the worker's memory once all wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for name, v := range map[string]int{"n": *n, "concurrency": *concurrency, "seed-rows": *seedRows,
		"waiting": *waiting, "replays": *replays, "query-runs": *queryRuns, "pg-conns": *poolConns} {
		if v < 0 {
			return fmt.Errorf("-%s must not be negative", name)
		}
	}
	if *workerRSS < 0 {
		return fmt.Errorf("-worker-rss must not be negative")
	}
	e := &config.Env{Getenv: getenv}
	var level slog.Level
	if err := level.UnmarshalText([]byte(e.Str("TAKEDOWN_LOG_LEVEL", "error"))); err != nil {
		return fmt.Errorf("configuration: TAKEDOWN_LOG_LEVEL: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	dir, err := bench.Temp()
	if err != nil {
		return err
	}
	if *keep {
		fmt.Fprintf(stderr, "bench: working directory %s is kept\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if *workerRSS > 0 {
		return runWorkerRSS(ctx, bench.WorkerRSSConfig{
			Takedowns: *workerRSS, Concurrency: *concurrency, TakedownBin: *takedownBin, TemporalCLI: *temporalCLI,
			WorkerEnv: workerEnv, SampleFor: *sampleFor, Dir: dir,
			Command: strings.TrimSpace("takedown-dev bench " + strings.Join(args, " ")),
			Logger:  logger, Progress: stderr,
		}, getenv, *out, stdout)
	}
	if *cpuProfile != "" && *profileDir != "" {
		return fmt.Errorf("-cpuprofile and -phase-profiles exclude each other: the runtime takes one profile at a time")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, runErr := bench.Run(ctx, bench.Config{
		Takedowns: *n, Concurrency: *concurrency, SeedRows: *seedRows, Waiting: *waiting,
		Replays: *replays, QueryRuns: *queryRuns, Quick: *quick, PoolConns: *poolConns, Pairs: *pairs,
		Dir:        dir,
		ProfileDir: *profileDir,
		Command:    strings.TrimSpace("takedown-dev bench " + strings.Join(args, " ")),
		Logger:     logger,
		Progress:   stderr,
	})
	// Query plans hold "->" and "<": keep them readable.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	b := buf.Bytes()
	if _, err := stdout.Write(b); err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return runErr
}
