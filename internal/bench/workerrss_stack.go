package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/pgcluster"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// workerRun is the system of one run: everything but the worker in this
// process or in processes of its own.
type workerRun struct {
	cfg          WorkerRSSConfig
	bin          string
	pg           *pgcluster.Cluster
	temporal     *child
	temporalAddr string
	sim          *simulator.Simulator
	simStop      func() error
	simURL       string
	smtpAddr     string
	payloadKey   []byte
	decisionPub  ed25519.PublicKey
	runtimeURL   string
	worker       *child
	metricsURL   string
	store        *store.Store
	client       client.Client
}

// start brings up PostgreSQL, the engine, the simulator and the worker,
// and runs setup between them, as an operator would.
func (w *workerRun) start(ctx context.Context, rep *WorkerRSSReport) error {
	cfg := w.cfg
	var err error
	wprogress(cfg, "starting PostgreSQL in %s", cfg.Dir)
	if w.pg, err = pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(cfg.Dir, "postgres"), Logger: cfg.Logger}); err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	if w.bin = cfg.TakedownBin; w.bin == "" {
		wprogress(cfg, "building ./cmd/takedown")
		w.bin = filepath.Join(cfg.Dir, "takedown")
		build := exec.CommandContext(ctx, "go", "build", "-o", w.bin, "./cmd/takedown")
		build.Dir = cfg.ModuleDir
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build ./cmd/takedown: %w\n%s", err, out)
		}
	}
	if out, err := runChild(ctx, cfg.TemporalCLI, cfg.BaseEnv, "--version"); err == nil {
		rep.Machine.Temporal = strings.TrimSpace(out)
	}

	ports := make([]int, 5)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return err
		}
	}
	w.temporalAddr = "127.0.0.1:" + strconv.Itoa(ports[0])
	wprogress(cfg, "starting the Temporal dev server on %s", w.temporalAddr)
	w.temporal, err = startChild(cfg.Dir, "temporal", cfg.TemporalCLI, cfg.BaseEnv, "server", "start-dev", "--headless",
		"--ip", "127.0.0.1", "--port", strconv.Itoa(ports[0]), "--http-port", strconv.Itoa(ports[1]),
		"--metrics-port", strconv.Itoa(ports[2]), "--log-level", "error")
	if err != nil {
		return err
	}

	w.sim, err = simulator.New(simulator.Config{
		RemoveAfter: time.Hour, YouTubeQuota: unlimited, XRateLimit: unlimited,
		Logger: cfg.Logger.With("component", "simulator"),
	})
	if err != nil {
		return fmt.Errorf("start the simulator: %w", err)
	}
	for _, p := range takedown.Platforms {
		if err := w.sim.SetBehaviour(p, "", simulator.Behaviour{OnNotice: simulator.OnNoticeNever}); err != nil {
			return err
		}
	}
	running, err := w.sim.Start("127.0.0.1:"+strconv.Itoa(ports[3]), "127.0.0.1:"+strconv.Itoa(ports[4]))
	if err != nil {
		return fmt.Errorf("start the simulator: %w", err)
	}
	w.simStop, w.simURL, w.smtpAddr = running.Close, running.HTTPURL(), running.SMTPAddr()

	w.payloadKey = make([]byte, 32)
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(w.payloadKey)
	_, _ = rand.Read(seed)
	w.decisionPub = ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)

	if err := waitUntil(ctx, "the Temporal dev server", time.Minute, w.temporal, func() bool { return dialable(w.temporalAddr) }); err != nil {
		return err
	}
	role, password := "takedown_app", "bench-"+strconv.FormatInt(time.Now().UnixNano(), 36)
	u, err := url.Parse(w.pg.URL())
	if err != nil {
		return err
	}
	u.User = url.UserPassword(role, password)
	w.runtimeURL = u.String()
	wprogress(cfg, "takedown setup")
	if _, err := runChild(ctx, w.bin, w.env("DATABASE_URL="+w.pg.URL(), "TAKEDOWN_RUNTIME_ROLE="+role,
		"TAKEDOWN_RUNTIME_PASSWORD="+password), "setup"); err != nil {
		return err
	}

	mport, err := freePort()
	if err != nil {
		return err
	}
	w.metricsURL = "http://127.0.0.1:" + strconv.Itoa(mport)
	wprogress(cfg, "starting one takedown worker")
	if w.worker, err = startChild(cfg.Dir, "worker", w.bin, w.workerEnv(mport), "worker"); err != nil {
		return err
	}
	if err := waitUntil(ctx, "the worker ready", time.Minute, w.worker, func() bool { return httpOK(w.metricsURL + "/readyz") }); err != nil {
		return err
	}

	if w.store, err = store.Open(ctx, store.Config{URL: w.pg.URL(), MaxConns: 10, Logger: cfg.Logger}); err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	if rep.Machine.PostgreSQL, err = w.store.ServerVersion(ctx); err != nil {
		return err
	}
	cd, err := codec.New(w.payloadKey)
	if err != nil {
		return err
	}
	w.client, err = client.DialContext(ctx, client.Options{
		HostPort: w.temporalAddr, DataConverter: cd.DataConverter(),
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", w.temporalAddr, err)
	}
	return nil
}

// env is what every takedown process of the run gets.
func (w *workerRun) env(extra ...string) []string {
	return append(append(append([]string{}, w.cfg.BaseEnv...),
		"TEMPORAL_ADDRESS="+w.temporalAddr, "TAKEDOWN_LOG_FORMAT=json", "TAKEDOWN_LOG_LEVEL=warn",
		"TAKEDOWN_PAYLOAD_KEY="+base64.StdEncoding.EncodeToString(w.payloadKey),
		"TAKEDOWN_DECISION_PUBLIC_KEYS="+base64.StdEncoding.EncodeToString(w.decisionPub),
	), extra...)
}

// workerEnv points every adapter at the simulator, as an operator points
// them at the platforms, with the send rates lifted so that the notices go
// as fast as the worker sends them.
func (w *workerRun) workerEnv(metricsPort int) []string {
	host, port, _ := net.SplitHostPort(w.smtpAddr)
	sim := w.simURL
	env := w.env(
		"DATABASE_URL="+w.runtimeURL,
		"TAKEDOWN_METRICS_ADDR=127.0.0.1:"+strconv.Itoa(metricsPort),
		"SMTP_HOST="+host, "SMTP_PORT="+port, "SMTP_TLS=none", "SMTP_FROM=Takedown desk <takedown@regulator.test>",
		"YOUTUBE_API_BASE="+sim+"/youtube/v3", "YOUTUBE_ACCESS_TOKEN=dev-oauth-token",
		"TELEGRAM_PREVIEW_BASE="+sim+"/t.me", "TELEGRAM_NOTICE_TO=abuse@telegram.test",
		"X_API_BASE="+sim+"/x", "X_BEARER_TOKEN=dev-bearer-token", "X_CHANNEL=email", "X_NOTICE_TO=legal@x.test",
		"META_GRAPH_BASE="+sim+"/graph/v21.0", "META_APP_TOKEN=dev-app|dev-secret",
		"META_THREADS_OEMBED_URL="+sim+"/graph/v21.0/threads_oembed", "META_PUBLIC_BASE="+sim+"/web",
		"META_CHANNEL=email", "META_NOTICE_TO=government-requests@meta.test",
	)
	for _, p := range takedown.Platforms {
		env = append(env, "TAKEDOWN_SEND_RATE_"+strings.ToUpper(string(p))+"=0")
	}
	return append(env, w.cfg.WorkerEnv...)
}

// stop ends what start began, the worker first.
func (w *workerRun) stop(ctx context.Context) {
	if w.client != nil {
		w.client.Close()
	}
	if w.worker != nil {
		w.worker.stop(time.Minute)
	}
	if w.store != nil {
		w.store.Close()
	}
	if w.temporal != nil {
		w.temporal.stop(20 * time.Second)
	}
	if w.simStop != nil {
		_ = w.simStop()
	}
	if w.sim != nil {
		_ = w.sim.Close()
	}
	if w.pg != nil {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_ = w.pg.Stop(ctx)
	}
}
