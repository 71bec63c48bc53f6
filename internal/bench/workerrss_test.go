package bench

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/pgcluster"
)

// TestWorkerRSS runs the worker benchmark small: a takedown worker process
// against the Temporal CLI's dev server, holding a few dozen waiting
// takedowns. It takes about half a minute once the binary is built.
func TestWorkerRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, the Temporal dev server and a worker process")
	}
	cli := temporalCLIForTest(t)
	const n = 40
	var progress strings.Builder
	rep, err := RunWorkerRSS(t.Context(), WorkerRSSConfig{
		Takedowns: n, Concurrency: 20, ModuleDir: "../..", TemporalCLI: cli,
		BaseEnv:   []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")},
		WorkerEnv: []string{"TAKEDOWN_WORKFLOW_CACHE_SIZE=25"},
		SampleFor: time.Second, SampleEvery: time.Second,
		Dir: t.TempDir(), Progress: &progress,
	})
	if errors.Is(err, pgcluster.ErrBinariesNotFound) {
		skipOrFail(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if rep.Noticed != n || rep.Probed != n {
		t.Errorf("%d noticed and %d probed, want %d each", rep.Noticed, rep.Probed, n)
	}
	if rep.Idle == nil || rep.Idle.RSSMB <= 0 || rep.Max == nil || rep.Max.RSSMB < rep.Idle.RSSMB/2 {
		t.Fatalf("implausible readings: idle %+v, max %+v", rep.Idle, rep.Max)
	}
	if rep.Max.HWMMB < rep.Max.RSSMB || rep.Max.HeapInuseMB <= 0 || rep.Max.Goroutines <= 0 {
		t.Errorf("the worker's own figures are missing: %+v", rep.Max)
	}
	// The setting reached the worker: its cache stops at 25 of the 40.
	if c := rep.Max.StickyCache; c < 1 || c > 25 {
		t.Errorf("sticky cache holds %d workflows, want 1 to 25 (TAKEDOWN_WORKFLOW_CACHE_SIZE=25)", c)
	}
	if rep.AllWaitingSeconds <= 0 || rep.AllWaitingSeconds < rep.StartSeconds {
		t.Errorf("all waiting after %vs, all started after %vs", rep.AllWaitingSeconds, rep.StartSeconds)
	}
	if !strings.Contains(rep.Summary(), "40 takedowns waiting") {
		t.Errorf("summary: %s", rep.Summary())
	}
}

// temporalCLIForTest finds the Temporal CLI as the deployment test does.
func temporalCLIForTest(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("TEMPORAL_CLI")}
	if home, err := os.UserHomeDir(); err == nil {
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
	skipOrFail(t, "no Temporal CLI (go install github.com/temporalio/cli/cmd/temporal@v1.5.1, or set TEMPORAL_CLI)")
	return ""
}

// skipOrFail skips, except under CI where a missing prerequisite must not
// pass silently.
func skipOrFail(t *testing.T, format string, a ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, a...)
	}
	t.Skipf(format+" (set CI to make this a failure)", a...)
}
