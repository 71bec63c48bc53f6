package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/takedown-oss/takedown/internal/config"
)

// env and common are the shared configuration's types, under the short
// names this package has always used.
type (
	env    = config.Env
	common = config.Common
)

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
		Addr:            e.Str("TAKEDOWN_HTTP_ADDR", "127.0.0.1:8080"),
		ReadTimeout:     e.Duration("TAKEDOWN_HTTP_READ_TIMEOUT", 15*time.Second),
		WriteTimeout:    e.Duration("TAKEDOWN_HTTP_WRITE_TIMEOUT", 60*time.Second),
		IdleTimeout:     e.Duration("TAKEDOWN_HTTP_IDLE_TIMEOUT", 120*time.Second),
		RequestTimeout:  e.Duration("TAKEDOWN_REQUEST_TIMEOUT", 30*time.Second),
		EngineTimeout:   e.Duration("TAKEDOWN_ENGINE_TIMEOUT", 3*time.Second),
		ShutdownTimeout: e.Duration("TAKEDOWN_SHUTDOWN_TIMEOUT", 20*time.Second),
	}
	if h.WriteTimeout > 0 && h.RequestTimeout >= h.WriteTimeout {
		e.Fail(errors.New("TAKEDOWN_REQUEST_TIMEOUT must be shorter than TAKEDOWN_HTTP_WRITE_TIMEOUT, or a slow request loses its answer"))
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
