// Package e2e drives the whole system through its HTTP API on the real
// embedded Temporal engine, a real PostgreSQL and the platform simulator. It
// is the only test binary that links the Temporal server, and it starts one
// stack for all its tests.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/devstack"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/takedown"
)

var (
	stack *devstack.Stack
	// stackErr is why the shared stack did not start (outside CI only).
	stackErr error
)

// needStack skips a test that uses the shared stack when it could not start.
func needStack(t *testing.T) {
	t.Helper()
	if stack == nil {
		t.Skipf("the end-to-end stack could not start: %v", stackErr)
	}
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "takedown-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	level := slog.LevelWarn
	if os.Getenv("TAKEDOWN_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	// Everything the system logs at info and above is also kept, to check
	// at the end that no victim's data reached the logs.
	logger := slog.New(teeHandler{
		slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}),
		slog.NewTextHandler(&captured, &slog.HandlerOptions{Level: slog.LevelInfo}),
	})
	pol := policy.Default()
	// Hours become seconds: a takedown's whole life fits in a test.
	// 24 hours become 3 seconds: a takedown's whole ladder fits in a test.
	pol.Scale = 1.0 / 28800
	hours := policy.Duration(8 * time.Hour)
	pol.Default.RecheckAfter = &hours // one second, scaled
	// Takedowns of this category continue as new after a few events, so
	// that a run carried across continue-as-new is exercised on the engine.
	events := 25
	pol.Rules = append(pol.Rules, policy.Rule{Category: takedown.OtherIllegal, MaxEventsPerRun: &events})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The stored histories in workflows/testdata are sealed with this key,
	// so that histories recorded here replay there.
	key, err := codec.LoadOrCreateKey(filepath.Join("..", "..", "workflows", "testdata", "payload.key"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stack, err = devstack.Start(ctx, devstack.Config{
		PayloadKey:  key,
		DataDir:     dir,
		Ephemeral:   true,
		RemoveAfter: 500 * time.Millisecond,
		Policy:      pol,
		Logger:      logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start stack:", err)
		if os.Getenv("CI") != "" {
			return 1
		}
		// Outside CI, each test that needs the stack skips and says why;
		// the tests that start their own processes still run.
		stackErr = err
		stack = nil
		return m.Run()
	}
	code := m.Run()
	stack.Stop(context.Background())
	if code == 0 {
		if leaks := victimDataInLogs(); len(leaks) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: victims' data in the logs: %v\n", leaks)
			return 1
		}
	}
	return code
}

// Strings that identify reported content or carry staff notes; none may
// appear in a log line.
var victimMarkers = []string{
	"e2eYtVid001", "E2EChannel", "e2echannel", "E2EinstaPost", "1790000000000000001",
	"neverchan", "RejectMe1", "WithdrawMe1", "RefusedVid1", "restartchan", "1790000000000000777",
	"does not violate local law",
}

func victimDataInLogs() []string {
	logs := captured.String()
	var found []string
	for _, m := range victimMarkers {
		if strings.Contains(logs, m) {
			found = append(found, m)
		}
	}
	return found
}

var captured lockedBuffer

type teeHandler [2]slog.Handler

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t[0].Enabled(ctx, l) || t[1].Enabled(ctx, l)
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{t[0].WithAttrs(as), t[1].WithAttrs(as)}
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{t[0].WithGroup(name), t[1].WithGroup(name)}
}

// call makes one API request as role (or without a token when role is "")
// and decodes the JSON answer into out when it is not nil.
func call(t *testing.T, role takedown.Role, method, path string, body any, out any) int {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, stack.APIURL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+stack.Tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}
