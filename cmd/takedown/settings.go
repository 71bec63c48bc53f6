package main

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/platforms"
)

func (e *env) duration(key string, def time.Duration) time.Duration {
	v := strings.TrimSpace(e.get(key))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not a duration like 5s or 2m", key, v))
		return def
	}
	return d
}

// dbSettings bound what one process asks of PostgreSQL.
type dbSettings struct {
	MaxConns         int
	DialTimeout      time.Duration
	StatementTimeout time.Duration
	StartupWait      time.Duration
}

func loadDB(e *env) dbSettings {
	s := dbSettings{
		MaxConns:         e.int("TAKEDOWN_DB_MAX_CONNS", 10),
		DialTimeout:      e.duration("TAKEDOWN_DB_CONNECT_TIMEOUT", 3*time.Second),
		StatementTimeout: e.duration("TAKEDOWN_DB_STATEMENT_TIMEOUT", 10*time.Second),
		StartupWait:      e.duration("TAKEDOWN_DB_STARTUP_WAIT", 60*time.Second),
	}
	if s.MaxConns < 1 {
		e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_DB_MAX_CONNS: must be at least 1"))
	}
	return s
}

func (s dbSettings) store(url string) store.Config {
	return store.Config{
		URL: url, MaxConns: int32(s.MaxConns), DialTimeout: s.DialTimeout,
		StatementTimeout: s.StatementTimeout, ConnectTimeout: s.StartupWait,
	}
}

// httpSettings are the API server's limits.
type httpSettings struct {
	Addr            string
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	RequestTimeout  time.Duration
	EngineTimeout   time.Duration
	ShutdownTimeout time.Duration
}

func loadHTTP(e *env) httpSettings {
	h := httpSettings{
		Addr:            e.str("TAKEDOWN_HTTP_ADDR", "127.0.0.1:8080"),
		ReadTimeout:     e.duration("TAKEDOWN_HTTP_READ_TIMEOUT", 15*time.Second),
		WriteTimeout:    e.duration("TAKEDOWN_HTTP_WRITE_TIMEOUT", 60*time.Second),
		IdleTimeout:     e.duration("TAKEDOWN_HTTP_IDLE_TIMEOUT", 120*time.Second),
		RequestTimeout:  e.duration("TAKEDOWN_REQUEST_TIMEOUT", 30*time.Second),
		EngineTimeout:   e.duration("TAKEDOWN_ENGINE_TIMEOUT", 3*time.Second),
		ShutdownTimeout: e.duration("TAKEDOWN_SHUTDOWN_TIMEOUT", 20*time.Second),
	}
	if h.WriteTimeout > 0 && h.RequestTimeout >= h.WriteTimeout {
		e.errs = append(e.errs, errors.New("TAKEDOWN_REQUEST_TIMEOUT must be shorter than TAKEDOWN_HTTP_WRITE_TIMEOUT, or a slow request loses its answer"))
	}
	return h
}

func (h httpSettings) server(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: min(h.ReadTimeout, 10*time.Second),
		ReadTimeout:       h.ReadTimeout,
		WriteTimeout:      h.WriteTimeout,
		IdleTimeout:       h.IdleTimeout,
	}
}

// loadPlatforms reads TAKEDOWN_PLATFORMS: the platforms this deployment
// serves, comma-separated, or "all" (the default).
func loadPlatforms(e *env) []platforms.Platform {
	v := strings.ToLower(e.str("TAKEDOWN_PLATFORMS", "all"))
	if v == "all" {
		return slices.Clone(platforms.All)
	}
	var out []platforms.Platform
	for _, f := range strings.Split(v, ",") {
		p := platforms.Platform(strings.TrimSpace(f))
		if p == "" || (p == "none" && len(out) == 0) {
			continue
		}
		if !p.Valid() {
			e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_PLATFORMS: unknown platform %q (known: %s)", p, joinPlatforms(platforms.All)))
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if out == nil {
		out = []platforms.Platform{}
	}
	return out
}

func joinPlatforms(ps []platforms.Platform) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}
