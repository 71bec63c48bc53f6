package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/takedown-oss/takedown/internal/bench"
)

// runWorkerRSS measures one worker process's memory (bench -worker-rss)
// and prints the JSON report, then its summary line.
func runWorkerRSS(ctx context.Context, cfg bench.WorkerRSSConfig, getenv func(string) string, out string, stdout io.Writer) error {
	if cfg.TemporalCLI == "" {
		cfg.TemporalCLI = findTemporalCLI(getenv)
	}
	if cfg.TemporalCLI == "" {
		return errors.New("bench -worker-rss: no Temporal CLI (go install github.com/temporalio/cli/cmd/temporal@v1.5.1, or set TEMPORAL_CLI or -temporal-cli)")
	}
	for _, kv := range cfg.WorkerEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("-worker-env %q: want KEY=VALUE", kv)
		}
	}
	if cfg.TakedownBin == "" {
		// go build runs in the module that holds this command's source.
		gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
		if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
			return errors.New("bench -worker-rss: run it from the takedown module, or give -takedown-bin")
		}
		cfg.ModuleDir = filepath.Dir(strings.TrimSpace(string(gomod)))
	}
	cfg.BaseEnv = []string{"PATH=" + getenv("PATH"), "HOME=" + getenv("HOME")}
	rep, runErr := bench.RunWorkerRSS(ctx, cfg)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if _, err := stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if out != "" {
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	fmt.Fprintln(stdout, rep.Summary())
	return runErr
}

// findTemporalCLI looks where the tests look: $TEMPORAL_CLI, the directory
// the CI script installs it into, then PATH.
func findTemporalCLI(getenv func(string) string) string {
	candidates := []string{getenv("TEMPORAL_CLI")}
	if home := getenv("HOME"); home != "" {
		candidates = append(candidates, filepath.Join(home, ".cache", "takedown-tools", "bin", "temporal"))
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); c != "" && err == nil && !fi.IsDir() {
			return c
		}
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p
	}
	return ""
}

// envList is a repeatable KEY=VALUE flag.
type envList []string

func (l *envList) String() string     { return strings.Join(*l, ",") }
func (l *envList) Set(v string) error { *l = append(*l, v); return nil }
