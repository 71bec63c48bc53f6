package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/adapterset"
	"github.com/takedown-oss/takedown/internal/config"
	"github.com/takedown-oss/takedown/internal/isp"
	"github.com/takedown-oss/takedown/internal/metrics"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/reports"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/internal/workers"
	"github.com/takedown-oss/takedown/workflows"
)

// workerConfig is everything worker reads.
type workerConfig struct {
	common
	Adapters adapterset.Config
	// Missing names, per platform, the credentials or addresses left unset
	// (by variable name), which keep it off on this worker.
	Missing map[takedown.Platform][]string
	// MetricsAddr serves /metrics, /healthz and /readyz ("" = not served).
	MetricsAddr string
	ISP         isp.Config
	// DecisionKeys are the public keys of the APIs whose signed decisions
	// the workflows accept.
	DecisionKeys []ed25519.PublicKey
	// WorkflowCacheSize is how many workflows stay in memory between tasks.
	WorkflowCacheSize int
}

func loadWorker(e *env) (workerConfig, error) {
	c := workerConfig{common: config.LoadCommon(e), ISP: loadISP(e)}
	c.Adapters = loadAdapters(e)
	c.Missing = missingCredentials(c.Adapters)
	c.MetricsAddr = e.Str("TAKEDOWN_METRICS_ADDR", "")
	c.DecisionKeys = decisionPublicKeys(e)
	c.WorkflowCacheSize = config.LoadWorkflowCacheSize(e)
	return c, errors.Join(e.Err(), requireExternal(c.common))
}

// missingCredentials names, by environment variable, what each platform
// needs and does not have, so that an operator reads which variable to set
// rather than which field of which struct is empty.
func missingCredentials(a adapterset.Config) map[takedown.Platform][]string {
	out := map[takedown.Platform][]string{}
	email := func(p takedown.Platform, prefix string, to string, chs ...takedown.Channel) {
		uses := false
		for _, ch := range chs {
			uses = uses || ch == takedown.ChannelEmail
		}
		if !uses {
			return
		}
		if a.Mail.Host == "" {
			out[p] = append(out[p], "SMTP_HOST")
		}
		if a.Mail.From == "" {
			out[p] = append(out[p], "SMTP_FROM")
		}
		if to == "" {
			out[p] = append(out[p], prefix+"_NOTICE_TO")
		}
	}
	if a.YouTube.AccessToken == "" {
		out[takedown.YouTube] = append(out[takedown.YouTube], "YOUTUBE_ACCESS_TOKEN")
	}
	email(takedown.Telegram, "TELEGRAM", a.Telegram.To, a.Telegram.Channel, a.Telegram.PriorityChannel)
	if a.X.BearerToken == "" {
		out[takedown.X] = append(out[takedown.X], "X_BEARER_TOKEN")
	}
	email(takedown.X, "X", a.X.To, a.X.Channel, a.X.PriorityChannel)
	if a.Meta.AppAccessToken == "" {
		out[takedown.Meta] = append(out[takedown.Meta], "META_APP_TOKEN")
	}
	email(takedown.Meta, "META", a.Meta.To, a.Meta.Channel, a.Meta.PriorityChannel)
	return out
}

// buildAdapters builds every platform's adapter; the platforms that are
// disabled, lack credentials or fail to configure are off, with the reason.
func buildAdapters(c workerConfig, hc *http.Client, logger *slog.Logger) adapterset.Built {
	var enabled []takedown.Platform
	off := map[takedown.Platform]error{}
	for _, p := range c.Platforms {
		if miss := c.Missing[p]; len(miss) > 0 {
			off[p] = fmt.Errorf("no credentials: %s not set", strings.Join(miss, ", "))
			continue
		}
		enabled = append(enabled, p)
	}
	b := adapterset.BuildEach(c.Adapters, enabled, hc, logger)
	for p, err := range off {
		b.Off[p] = err
	}
	return b
}

func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := parseFlags("worker", args, stderr); err != nil {
		return err
	}
	e := &env{Getenv: getenv}
	c, err := loadWorker(e)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if err := workflows.TrustDecisionKeys(c.DecisionKeys...); err != nil {
		return err
	}
	logger := config.NewLogger(c.common, stderr)
	m := metrics.New()
	mh, stopMetrics := m.TemporalHandler()
	defer stopMetrics()

	built := buildAdapters(c, &http.Client{Timeout: 30 * time.Second}, logger)
	for _, p := range takedown.Platforms {
		if err := built.Off[p]; err != nil {
			logger.Warn("platform off", "platform", string(p), "reason", err.Error())
			fmt.Fprintf(stdout, "platform %s: off (%v)\n", p, err)
		} else {
			fmt.Fprintf(stdout, "platform %s: on\n", p)
		}
	}
	if len(built.Off) == len(takedown.Platforms) {
		logger.Warn("every platform is off: this worker runs workflows but sends and probes nothing")
	}
	blocker, err := newBlocker(c.ISP, logger)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c.common, logger, m)
	if err != nil {
		return err
	}
	defer st.Close()
	tc, err := dialTemporal(ctx, c.common, logger, mh)
	if err != nil {
		return err
	}
	defer tc.Close()
	ledger, err := quota.NewLedger(st, c.Budgets, nil)
	if err != nil {
		return err
	}
	if err := adapterset.Meter(built.Adapters, ledger, built.Off, m.Quota(), logger, 0, nil); err != nil {
		return err
	}
	pacer, err := quota.NewPacer(st, c.Rates, nil)
	if err != nil {
		return err
	}
	acts, err := activities.New(activities.Activities{
		Store: st, Adapters: adapterset.Instrument(built.Adapters, m), Blocker: blocker, Pacer: pacer,
		Logger: logger.With("component", "activities"),
	})
	if err != nil {
		return err
	}
	if c.MetricsAddr != "" {
		stop, err := serveOps(c.MetricsAddr, m, st, tc, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	workers.SetWorkflowCacheSize(c.WorkflowCacheSize)
	ws, err := workers.Start(tc, acts)
	if err != nil {
		return err
	}
	rw, err := reports.StartWorker(tc, &reports.Activities{Store: st, Logger: logger})
	if err != nil {
		ws.Stop()
		return err
	}
	defer rw.Stop()
	fmt.Fprintf(stdout, "takedown workers polling %s (namespace %s)\n", c.Temporal, c.Namespace)
	<-ctx.Done()
	// Stop polling, let running activities finish (up to the workers' stop
	// timeout); what is left is handed back to the engine, which gives it to
	// another worker when its timeout passes.
	logger.Info("shutting down: finishing running tasks", "timeout", workers.StopTimeout.String())
	ws.Stop()
	return nil
}

// serveOps serves /metrics, /healthz and /readyz for a process without an
// API (the worker), so that it can be scraped and probed the same way.
func serveOps(addr string, m *metrics.Metrics, st *store.Store, tc client.Client, logger *slog.Logger) (func(), error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		var problems []string
		if err := st.Ping(ctx); err != nil {
			problems = append(problems, "database unavailable")
		}
		if _, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			problems = append(problems, "engine unavailable")
		}
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, strings.Join(problems, "\n")+"\n")
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (TAKEDOWN_METRICS_ADDR): %w", addr, err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server", "err", err)
		}
	}()
	logger.Info("metrics and health listening", "addr", l.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}, nil
}
