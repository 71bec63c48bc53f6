package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/workers"
	"github.com/takedown-oss/takedown/platforms"
)

// env reads configuration from the environment; it is the only place that does.
type env struct {
	getenv func(string) string
	errs   []error
	// readFile reads the files named by *_FILE (os.ReadFile; tests replace it).
	readFile func(string) ([]byte, error)
	// seen records every key read, so that a test can tell a deployment's
	// variables from ones the binary would ignore.
	seen map[string]bool
}

func (e *env) get(key string) string {
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	e.seen[key] = true
	return e.getenv(key)
}

func (e *env) str(key, def string) string {
	if v := strings.TrimSpace(e.get(key)); v != "" {
		return v
	}
	return def
}

// secret reads KEY, or the file named by KEY_FILE, so secrets can come from a
// mounted file instead of the process environment.
func (e *env) secret(key string) string {
	v, path := e.get(key), e.get(key+"_FILE")
	if v != "" {
		return v
	}
	if path != "" {
		read := e.readFile
		if read == nil {
			read = os.ReadFile
		}
		b, err := read(path)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s_FILE: %w", key, err))
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	return ""
}

func (e *env) int(key string, def int) int {
	v := e.get(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not an integer", key, v))
	}
	return n
}

func (e *env) float(key string, def float64) float64 {
	v := e.get(key)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not a non-negative number", key, v))
	}
	return f
}

func (e *env) err() error { return errors.Join(e.errs...) }

// common is the configuration every command shares.
type common struct {
	LogLevel    slog.Level
	LogFormat   string
	PolicyFile  string
	Policy      policy.Policy
	DatabaseURL string
	Temporal    string
	Namespace   string
	Rates       workers.Rates
	// PayloadKey and Codec seal the payloads the engine stores (nil when
	// no key is set).
	PayloadKey []byte
	Codec      *codec.Codec
	DB         dbSettings
	// Platforms are the platforms this deployment serves (TAKEDOWN_PLATFORMS).
	Platforms []platforms.Platform
}

func loadCommon(e *env) common {
	c := common{
		LogFormat:   e.str("TAKEDOWN_LOG_FORMAT", "text"),
		PolicyFile:  e.str("TAKEDOWN_POLICY_FILE", ""),
		DatabaseURL: e.secret("DATABASE_URL"),
		Temporal:    e.str("TEMPORAL_ADDRESS", ""),
		Namespace:   e.str("TEMPORAL_NAMESPACE", "default"),
		Rates:       workers.Rates{Send: map[platforms.Platform]float64{}, Probe: map[platforms.Platform]float64{}},
	}
	if err := c.LogLevel.UnmarshalText([]byte(e.str("TAKEDOWN_LOG_LEVEL", "info"))); err != nil {
		e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_LOG_LEVEL: %w", err))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_LOG_FORMAT: must be text or json"))
	}
	if k := e.secret("TAKEDOWN_PAYLOAD_KEY"); k != "" {
		key, err := codec.ParseKey(k)
		if err == nil {
			c.PayloadKey = key
			c.Codec, err = codec.New(key)
		}
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_PAYLOAD_KEY: %w", err))
		}
	}
	c.DB = loadDB(e)
	c.Platforms = loadPlatforms(e)
	p, err := policy.Load(c.PolicyFile)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_POLICY_FILE: %w", err))
	}
	c.Policy = p
	for _, pl := range platforms.All {
		up := strings.ToUpper(string(pl))
		c.Rates.Send[pl] = e.float("TAKEDOWN_SEND_RATE_"+up, defaultSendRate[pl])
		c.Rates.Probe[pl] = e.float("TAKEDOWN_PROBE_RATE_"+up, 0)
	}
	return c
}

// defaultSendRate keeps each platform under its published limits. YouTube's
// default quota is 10,000 units a day and a report costs 50: 200 a day.
var defaultSendRate = map[platforms.Platform]float64{
	platforms.YouTube:  200.0 / 86400,
	platforms.Telegram: 1,
	platforms.X:        1,
	platforms.Meta:     1,
}

func newLogger(c common, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(takedownIDs{Handler: h})
}
