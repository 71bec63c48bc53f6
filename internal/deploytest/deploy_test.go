// Package deploytest runs takedown as an operator deploys it: the binary
// built once, `setup`, `serve` and two `worker` processes, against a
// Temporal server started as a separate process with an empty namespace
// (the Temporal CLI's dev server) and a fresh PostgreSQL, with the platform
// simulator (in this process) standing in for the platforms. It links
// neither the engine nor the workers: they are processes, reached through
// HTTP and SQL.
package deploytest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/takedown-oss/takedown/internal/pgcluster"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// skipOrFail skips, except under CI where a missing prerequisite must not
// pass silently.
func skipOrFail(t *testing.T, format string, a ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, a...)
	}
	t.Skipf(format+" (set CI to make this a failure)", a...)
}

// temporalCLI finds the Temporal CLI: $TEMPORAL_CLI, the directory .ci/run
// installs it into, or PATH.
func temporalCLI(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("TEMPORAL_CLI")}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache", "takedown-tools", "bin", "temporal"))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c
		}
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p
	}
	skipOrFail(t, "deploytest: no Temporal CLI (go install github.com/temporalio/cli/cmd/temporal@v1.5.1, or set TEMPORAL_CLI)")
	return ""
}

func buildTakedown(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "takedown")
	// The image's build (internal/deploy/Dockerfile): what is tested is
	// what is deployed.
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/takedown")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// fastPolicy turns the ladder's hours into seconds (scale 0.001) and
// probes every second or so, so that fifty takedowns end in seconds.
//
// The first deadline (40h, so 144 s) is just longer than the engine's
// timeout for a send lost with the killed worker (2 min). A notice that
// reached the platform before the kill is then confirmed removed well
// before it, so no reminder duplicates it; a notice claimed but never
// delivered is recorded as uncertain and never re-sent, and the reminder at
// the deadline is the one notice that platform receives.
const fastPolicy = `{"scale": 0.001, "default": {"deadline": "40h", "reminder_deadline": "720h", "priority_deadline": "720h",
  "portal_deadline": "720h", "probe_initial": "1000s", "probe_max": "3000s", "confirm_gap": "1000s", "recheck_after": "720h"}}`

type stack struct {
	bin, ownerURL, runtimeURL, temporalAddr string
	simURL                                  string
	base                                    []string // environment every process gets
	pg                                      *pgcluster.Cluster
	pgDir                                   string
	temporal                                *proc
}

func (s *stack) env(extra ...string) []string {
	return append(append([]string{}, s.base...), extra...)
}

// workerEnv points every adapter at the simulator, as an operator points
// them at the platforms.
func (s *stack) workerEnv(smtpAddr string, metricsPort int) []string {
	host, port, _ := net.SplitHostPort(smtpAddr)
	sim := s.simURL
	return s.env(
		"DATABASE_URL="+s.runtimeURL,
		"TAKEDOWN_METRICS_ADDR=127.0.0.1:"+strconv.Itoa(metricsPort),
		"SMTP_HOST="+host, "SMTP_PORT="+port, "SMTP_TLS=none", "SMTP_FROM=Takedown desk <takedown@regulator.test>",
		"YOUTUBE_API_BASE="+sim+"/youtube/v3", "YOUTUBE_ACCESS_TOKEN=dev-oauth-token",
		"TELEGRAM_PREVIEW_BASE="+sim+"/t.me", "TELEGRAM_NOTICE_TO=abuse@telegram.test",
		"X_API_BASE="+sim+"/x", "X_BEARER_TOKEN=dev-bearer-token", "X_CHANNEL=email", "X_NOTICE_TO=legal@x.test",
		"META_GRAPH_BASE="+sim+"/graph/v21.0", "META_APP_TOKEN=dev-app|dev-secret",
		"META_THREADS_OEMBED_URL="+sim+"/graph/v21.0/threads_oembed", "META_PUBLIC_BASE="+sim+"/web",
		"META_CHANNEL=email", "META_NOTICE_TO=government-requests@meta.test",
		// Four notices a second per platform: the batch takes a few seconds
		// to send, so a worker killed after the first notices dies mid-batch.
		"TAKEDOWN_SEND_RATE_YOUTUBE=4", "TAKEDOWN_SEND_RATE_TELEGRAM=4", "TAKEDOWN_SEND_RATE_X=4", "TAKEDOWN_SEND_RATE_META=4",
	)
}

func TestDeployment(t *testing.T) {
	temporalBin := temporalCLI(t)
	ctx := t.Context()
	s := &stack{pgDir: t.TempDir()}
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: s.pgDir})
	if errors.Is(err, pgcluster.ErrBinariesNotFound) {
		skipOrFail(t, "deploytest: %v", err)
	}
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	s.pg = pg
	t.Cleanup(func() { _ = s.pg.Stop(context.Background()) })
	s.ownerURL = pg.URL()
	s.bin = buildTakedown(t)

	tport := freePort(t)
	s.temporalAddr = "127.0.0.1:" + strconv.Itoa(tport)
	s.temporal = start(t, "temporal", temporalBin, append(os.Environ(), "TEMPORAL_ADDRESS="), "server", "start-dev", "--headless",
		"--ip", "127.0.0.1", "--port", strconv.Itoa(tport), "--http-port", strconv.Itoa(freePort(t)),
		"--metrics-port", strconv.Itoa(freePort(t)), "--log-level", "error")

	simPort, smtpPort := freePort(t), freePort(t)
	s.simURL = "http://127.0.0.1:" + strconv.Itoa(simPort)
	smtpAddr := "127.0.0.1:" + strconv.Itoa(smtpPort)
	// The simulator is a development tool (takedown-dev simulate), not in
	// the production binary: it runs in this test's process.
	sim, err := simulator.New(simulator.Config{RemoveAfter: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	simRun, err := sim.Start("127.0.0.1:"+strconv.Itoa(simPort), smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = simRun.Close() })

	policyFile := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policyFile, []byte(fastPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	// serve signs decisions with the private half; workers check them with
	// the public half (as takedown keygen prints them).
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed)
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	s.base = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TEMPORAL_ADDRESS=" + s.temporalAddr, "TAKEDOWN_LOG_FORMAT=json",
		"TAKEDOWN_POLICY_FILE=" + policyFile, "TAKEDOWN_PAYLOAD_KEY=" + base64.StdEncoding.EncodeToString(key),
		"TAKEDOWN_DECISION_KEY=" + base64.StdEncoding.EncodeToString(seed),
		"TAKEDOWN_DECISION_PUBLIC_KEYS=" + base64.StdEncoding.EncodeToString(pub),
	}
	waitFor(t, "the simulator", 30*time.Second, func() bool { return httpOK(s.simURL + "/_sim/state") })
	waitFor(t, "the Temporal dev server", 60*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", s.temporalAddr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	t.Run("doctor before setup names the missing search attributes", func(t *testing.T) {
		out, err := run(t, s.bin, append(s.workerEnv(smtpAddr, 0), "DATABASE_URL="+s.ownerURL), "doctor")
		if err == nil {
			t.Fatalf("doctor found no problem before setup:\n%s", out)
		}
		for _, want := range []string{"TakedownPlatform", "TakedownCategory", "TakedownStage", "TakedownDeadline"} {
			if n := countLines(out, "PROBLEM", "search attribute "+want+" is not registered"); n != 1 {
				t.Errorf("doctor: %d lines about %s, want 1:\n%s", n, want, out)
			}
		}
		if countLines(out, "PROBLEM", "database:", "run takedown setup") != 1 {
			t.Errorf("doctor does not say the schema is missing:\n%s", out)
		}
	})

	t.Run("doctor names each broken part on one line", func(t *testing.T) {
		env := s.workerEnv(smtpAddr, 0)
		env = append(env, "DATABASE_URL=postgres://takedown@127.0.0.1:"+strconv.Itoa(freePort(t))+"/takedown?sslmode=disable",
			"TEMPORAL_ADDRESS=127.0.0.1:"+strconv.Itoa(freePort(t)), "YOUTUBE_ACCESS_TOKEN=")
		start := time.Now()
		out, err := run(t, s.bin, env, "doctor")
		if err == nil {
			t.Fatalf("doctor exited 0:\n%s", out)
		}
		checks := map[string][]string{
			"wrong database URL":       {"PROBLEM", "database: cannot connect"},
			"unreachable engine":       {"PROBLEM", "engine: cannot reach TEMPORAL_ADDRESS"},
			"missing youtube token":    {"PROBLEM", "youtube: missing credentials", "YOUTUBE_ACCESS_TOKEN"},
			"other platforms are fine": {"ok", "telegram: endpoint http"},
		}
		for what, parts := range checks {
			if n := countLines(out, parts...); n != 1 {
				t.Errorf("%s: %d matching lines, want 1:\n%s", what, n, out)
			}
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("doctor took %s", d)
		}
	})

	runtimeRole, runtimePassword := "takedown_app", "runtime-"+strconv.FormatInt(time.Now().UnixNano(), 36)
	u, _ := url.Parse(s.ownerURL)
	u.User = url.UserPassword(runtimeRole, runtimePassword)
	s.runtimeURL = u.String()
	setupEnv := s.env("DATABASE_URL="+s.ownerURL, "TAKEDOWN_RUNTIME_ROLE="+runtimeRole, "TAKEDOWN_RUNTIME_PASSWORD="+runtimePassword)
	out, err := run(t, s.bin, setupEnv, "setup")
	if err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	for _, want := range []string{"runtime role takedown_app created", "search attribute TakedownPlatform (Keyword) registered",
		"schedule takedown-daily-compliance-report created", "setup complete"} {
		if !strings.Contains(out, want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}
	out, err = run(t, s.bin, setupEnv, "setup")
	if err != nil || !strings.Contains(out, "TakedownPlatform (Keyword) already registered") || !strings.Contains(out, "takedown_app exists") ||
		!strings.Contains(out, "schedule takedown-daily-compliance-report already exists") {
		t.Errorf("setup again: %v\n%s", err, out)
	}

	t.Run("runtime role cannot rewrite history or alter tables", func(t *testing.T) { checkRuntimeRole(t, s.runtimeURL) })

	t.Run("doctor after setup finds nothing wrong", func(t *testing.T) {
		out, err := run(t, s.bin, s.workerEnv(smtpAddr, 0), "doctor")
		if err != nil || !strings.Contains(out, "no problems found") {
			t.Errorf("doctor: %v\n%s", err, out)
		}
	})

	owner, err := store.Open(ctx, store.Config{URL: s.ownerURL})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	_, token, err := owner.CreateUser(ctx, "deploy-staff", takedown.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}

	apiPort := freePort(t)
	apiURL := "http://127.0.0.1:" + strconv.Itoa(apiPort)
	start(t, "serve", s.bin, s.env("DATABASE_URL="+s.runtimeURL, "TAKEDOWN_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(apiPort)), "serve")
	m1, m2 := freePort(t), freePort(t)
	w1 := start(t, "worker-1", s.bin, s.workerEnv(smtpAddr, m1), "worker")
	start(t, "worker-2", s.bin, s.workerEnv(smtpAddr, m2), "worker")
	w2Metrics := "http://127.0.0.1:" + strconv.Itoa(m2)
	waitFor(t, "serve ready", 60*time.Second, func() bool { return httpOK(apiURL + "/readyz") })
	waitFor(t, "worker 1 ready", 60*time.Second, func() bool { return httpOK("http://127.0.0.1:" + strconv.Itoa(m1) + "/readyz") })
	waitFor(t, "worker 2 ready", 60*time.Second, func() bool { return httpOK(w2Metrics + "/readyz") })
	if !strings.Contains(tail(w1.log, 1000), "temporal_") && !strings.Contains(scrape(t, w2Metrics+"/metrics"), "go_goroutines") {
		t.Fatal("worker metrics are not served")
	}
	before := scrape(t, w2Metrics+"/metrics")

	api := &client{base: apiURL, token: token, http: httpClient()}
	ids := createItems(t, api, 0, 50)
	body := `{"item_ids":["` + strings.Join(ids, `","`) + `"]}`
	var batch struct {
		Results []struct{ Outcome string } `json:"results"`
	}
	if code, err := api.do("POST", "/api/v1/items/confirm", body, &batch); err != nil || code != 200 {
		t.Fatalf("confirm batch: %d %v", code, err)
	}
	for i, r := range batch.Results {
		if r.Outcome != "started" {
			t.Fatalf("item %d: %s", i, r.Outcome)
		}
	}
	// Kill a worker in the middle: some notices out, most not yet.
	deadline := time.Now().Add(time.Minute)
	for len(simState(t, s.simURL).Notices) < 8 {
		if time.Now().After(deadline) {
			t.Fatal("no notices within a minute of confirming")
		}
		time.Sleep(20 * time.Millisecond)
	}
	w1.stop(syscall.SIGKILL, time.Second)
	sentAtKill := len(simState(t, s.simURL).Notices)
	t.Logf("worker 1 killed after %d of 50 notices", sentAtKill)

	start := time.Now()
	waitFor(t, "all 50 takedowns removed", 5*time.Minute, func() bool {
		var list struct {
			Takedowns []takedown.Takedown `json:"takedowns"`
		}
		code, err := api.do("GET", "/api/v1/takedowns?status=removed&limit=200", "", &list)
		return err == nil && code == 200 && len(list.Takedowns) == 50
	})
	t.Logf("all 50 removed %s after the kill", time.Since(start).Round(time.Millisecond))

	snap := simState(t, s.simURL)
	perContent := map[string]int{}
	for _, n := range snap.Notices {
		perContent[string(n.Platform)+"/"+n.ContentID]++
		if n.Duplicate {
			t.Errorf("duplicate notice for %s/%s", n.Platform, n.ContentID)
		}
	}
	if len(perContent) != 50 {
		t.Errorf("notices reached %d contents, want 50", len(perContent))
	}
	for k, n := range perContent {
		if n != 1 {
			t.Errorf("%s got %d notices, want 1", k, n)
		}
	}

	t.Run("metrics move", func(t *testing.T) {
		apiPage := scrape(t, apiURL+"/metrics")
		if got := metricSum(apiPage, "takedown_takedowns", `status="removed"`); got != 50 {
			t.Errorf("takedown_takedowns{status=removed} = %v, want 50", got)
		}
		if got := metricSum(apiPage, "takedown_http_requests_total", `code="200"`, `route="POST /api/v1/items/confirm"`); got != 1 {
			t.Errorf("batch confirm requests = %v", got)
		}
		after := scrape(t, w2Metrics+"/metrics")
		for _, name := range []string{"takedown_notices_sent_total", "takedown_time_to_removal_seconds_count", "takedown_platform_calls_total"} {
			if b, a := metricSum(before, name), metricSum(after, name); a <= b {
				t.Errorf("%s did not move on the surviving worker: %v then %v", name, b, a)
			}
		}
		if !strings.Contains(after, "temporal_") {
			t.Error("the Temporal SDK's metrics are missing")
		}
		for _, page := range []string{apiPage, after} {
			if strings.Contains(page, "t.me/") || strings.Contains(page, "youtube.com") || strings.Contains(page, ids[0]) {
				t.Error("/metrics exposes a URL or an id")
			}
		}
	})

	t.Run("the daily report's schedule runs on the workers", func(t *testing.T) {
		if out, err := run(t, temporalBin, os.Environ(), "schedule", "trigger", "--schedule-id", "takedown-daily-compliance-report",
			"--address", s.temporalAddr); err != nil {
			t.Fatalf("trigger schedule: %v\n%s", err, out)
		}
		waitFor(t, "the compliance report in the audit trail", 30*time.Second, func() bool {
			var n int
			err := owner.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'report.compliance'`).Scan(&n)
			return err == nil && n == 1
		})
	})

	// A fresh item, then the engine goes away: confirm answers 503 within
	// 5 s and leaves the item as it was.
	pending := createItems(t, api, 50, 1)[0]
	s.temporal.stop(syscall.SIGKILL, time.Second)
	t.Run("engine stopped: confirm 503 within 5 s, nothing written", func(t *testing.T) {
		began := time.Now()
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		code, err := api.do("POST", "/api/v1/items/"+pending+"/confirm", "", &e)
		if d := time.Since(began); err != nil || code != 503 || d > 5*time.Second {
			t.Errorf("confirm with the engine down: %d %+v %v after %s", code, e, err, d)
		}
		checkUntouched(t, owner, pending)
	})

	t.Run("database stopped: list 503 within 5 s", func(t *testing.T) {
		owner.Close()
		if err := s.pg.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/api/v1/takedowns", "/api/v1/items/" + pending} {
			began := time.Now()
			code, err := api.do("GET", path, "", nil)
			if d := time.Since(began); err != nil || code != 503 || d > 5*time.Second {
				t.Errorf("GET %s with the database down: %d %v after %s", path, code, err, d)
			}
		}
		began := time.Now()
		if code, _ := api.do("POST", "/api/v1/items/"+pending+"/confirm", "", nil); code != 503 || time.Since(began) > 5*time.Second {
			t.Errorf("confirm with the database down: %d after %s", code, time.Since(began))
		}
		// Back up: nothing was half-written while it was down.
		pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: s.pgDir})
		if err != nil {
			t.Fatal(err)
		}
		s.pg = pg
		st, err := store.Open(ctx, store.Config{URL: pg.URL()})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		checkUntouched(t, st, pending)
	})
}

func httpClient() http.Client { return http.Client{Timeout: 30 * time.Second} }

func countLines(out string, parts ...string) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// createItems reports n items, numbered from first, spread over the four
// platforms, and returns their ids in order.
func createItems(t *testing.T, api *client, first, n int) []string {
	t.Helper()
	var mu sync.Mutex
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for k := range n {
		i := first + k
		wg.Add(1)
		go func() {
			defer wg.Done()
			var u string
			switch i % 4 {
			case 0:
				u = fmt.Sprintf("https://www.youtube.com/watch?v=dpl%08d", i)
			case 1:
				u = fmt.Sprintf("https://t.me/deploychan/%d", 1000+i)
			case 2:
				u = fmt.Sprintf("https://x.com/someone/status/%d", 1790000000000100000+i)
			default:
				u = fmt.Sprintf("https://www.instagram.com/p/Dpl%06d/", i)
			}
			var it takedown.Item
			code, err := api.do("POST", "/api/v1/items", `{"url":"`+u+`","category":"deepfake_sexual"}`, &it)
			if err != nil || code != 201 {
				errs <- fmt.Errorf("create %s: %d %v", u, code, err)
				return
			}
			mu.Lock()
			ids[k] = it.ID.String()
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ids
}

func simState(t *testing.T, simURL string) simulator.Snapshot {
	t.Helper()
	var snap simulator.Snapshot
	c := &client{base: simURL, http: httpClient()}
	if code, err := c.do("GET", "/_sim/state", "", &snap); err != nil || code != 200 {
		t.Fatalf("simulator state: %d %v", code, err)
	}
	return snap
}

// checkUntouched fails unless the item is still pending review, with no
// takedown row and no events.
func checkUntouched(t *testing.T, st *store.Store, itemID string) {
	t.Helper()
	ctx := context.Background()
	var status string
	var takedowns, events int
	err := st.Pool().QueryRow(ctx, `SELECT status,
		(SELECT count(*) FROM takedowns WHERE item_id = items.id),
		(SELECT count(*) FROM takedown_events e JOIN takedowns d ON d.id = e.takedown_id WHERE d.item_id = items.id)
		FROM items WHERE id = $1`, itemID).Scan(&status, &takedowns, &events)
	if err != nil {
		t.Fatal(err)
	}
	if status != string(takedown.ItemPendingReview) || takedowns != 0 || events != 0 {
		t.Errorf("item %s half-written: status %s, %d takedowns, %d events", itemID, status, takedowns, events)
	}
}

func checkRuntimeRole(t *testing.T, runtimeURL string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, runtimeURL)
	if err != nil {
		t.Fatalf("connect as the runtime role: %v", err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`UPDATE takedown_events SET kind = 'x'`, `DELETE FROM takedown_events`, `TRUNCATE takedown_events`,
		`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`,
		`ALTER TABLE takedown_events DISABLE TRIGGER ALL`, `ALTER TABLE takedowns ADD COLUMN x int`,
		`ALTER TABLE items ADD COLUMN x int`, `ALTER TABLE notices ADD COLUMN x int`, `ALTER TABLE users ADD COLUMN x int`,
		`ALTER TABLE audit_log ADD COLUMN x int`,
	} {
		_, err := conn.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("runtime role: %q gave %v, want permission denied", q, err)
		}
	}
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("runtime role owns %d tables (%v)", tables, err)
	}
}
