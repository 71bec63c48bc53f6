package scratch

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/internal/bench"
)

func TestBare(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	cfg := Config{Logger: logger}
	if os.Getenv("MEM") == "" {
		cfg.DatabaseFile = dir + "/t.sqlite"
	}
	eng, err := Start(Config{DatabaseFile: cfg.DatabaseFile, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	defer func() { out, _ := exec.Command("ls", "-la", dir).CombinedOutput(); t.Logf("%s", out) }()
	c, err := client.Dial(client.Options{HostPort: eng.HostPort(), Logger: tlog.NewStructuredLogger(logger)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pollers, _ := strconv.Atoi(os.Getenv("POLLERS"))
	w := worker.New(c, "bare", worker.Options{MaxConcurrentWorkflowTaskPollers: pollers, MaxConcurrentActivityTaskPollers: pollers})
	w.RegisterWorkflowWithOptions(bench.Bare, workflow.RegisterOptions{Name: "BenchBare"})
	w.RegisterActivity(bench.Nop)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	conc, _ := strconv.Atoi(os.Getenv("CONC"))
	n := 300
	for round := 0; round < 2; round++ {
		var next atomic.Int64
		var wg sync.WaitGroup
		t0 := time.Now()
		for range conc {
			wg.Go(func() {
				for {
					i := next.Add(1)
					if i > int64(n) {
						return
					}
					wr, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: fmt.Sprintf("b-%d-%d", round, i), TaskQueue: "bare"}, "BenchBare", 3)
					if err != nil {
						t.Error(err)
						return
					}
					if err := wr.Get(context.Background(), nil); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		d := time.Since(t0)
		t.Logf("round %d: %d in %v = %.1f/s", round, n, d, float64(n)/d.Seconds())
	}
}
