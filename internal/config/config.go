// Package config parses the configuration the commands share. It is given a
// getenv function: only the commands under cmd/ read the environment itself.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// Env reads configuration through Getenv and collects what is wrong with it,
// so that a command reports every bad variable at once.
type Env struct {
	Getenv func(string) string
	errs   []error
	// ReadFile reads the files named by *_FILE (os.ReadFile; tests replace it).
	ReadFile func(string) ([]byte, error)
	// seen records every key read, so that a test can tell a deployment's
	// variables from ones the binary would ignore.
	seen map[string]bool
}

func (e *Env) Get(key string) string {
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	e.seen[key] = true
	return e.Getenv(key)
}

func (e *Env) Str(key, def string) string {
	if v := strings.TrimSpace(e.Get(key)); v != "" {
		return v
	}
	return def
}

// Secret reads KEY, or the file named by KEY_FILE, so secrets can come from a
// mounted file instead of the process environment.
func (e *Env) Secret(key string) string {
	v, path := e.Get(key), e.Get(key+"_FILE")
	if v != "" {
		return v
	}
	if path != "" {
		read := e.ReadFile
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

func (e *Env) Int(key string, def int) int {
	v := e.Get(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not an integer", key, v))
	}
	return n
}

func (e *Env) Float(key string, def float64) float64 {
	v := e.Get(key)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not a non-negative number", key, v))
	}
	return f
}

// Err joins every problem found so far.
func (e *Env) Err() error { return errors.Join(e.errs...) }

// Fail records a problem with the configuration.
func (e *Env) Fail(err error) { e.errs = append(e.errs, err) }

// Seen tells whether key was read.
func (e *Env) Seen(key string) bool { return e.seen[key] }

// Common is the configuration every command shares.
type Common struct {
	LogLevel    slog.Level
	LogFormat   string
	PolicyFile  string
	Policy      policy.Policy
	DatabaseURL string
	Temporal    string
	Namespace   string
	Rates       quota.Rates
	// PayloadKey and Codec seal the payloads the engine stores (nil when
	// no key is set).
	PayloadKey []byte
	Codec      *codec.Codec
	DB         DBSettings
	// Platforms are the platforms this deployment serves (TAKEDOWN_PLATFORMS).
	Platforms []takedown.Platform
	// Budgets are the metered platforms' allowances, shared by every
	// worker through the database.
	Budgets map[takedown.Platform]quota.Budget
}

// LoadCommon reads the Common configuration.
func LoadCommon(e *Env) Common {
	c := Common{
		LogFormat:   e.Str("TAKEDOWN_LOG_FORMAT", "text"),
		PolicyFile:  e.Str("TAKEDOWN_POLICY_FILE", ""),
		DatabaseURL: e.Secret("DATABASE_URL"),
		Temporal:    e.Str("TEMPORAL_ADDRESS", ""),
		Namespace:   e.Str("TEMPORAL_NAMESPACE", "default"),
		Rates:       quota.Rates{Send: map[takedown.Platform]float64{}, Probe: map[takedown.Platform]float64{}},
	}
	if err := c.LogLevel.UnmarshalText([]byte(e.Str("TAKEDOWN_LOG_LEVEL", "info"))); err != nil {
		e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_LOG_LEVEL: %w", err))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_LOG_FORMAT: must be text or json"))
	}
	if k := e.Secret("TAKEDOWN_PAYLOAD_KEY"); k != "" {
		key, err := codec.ParseKey(k)
		if err == nil {
			c.PayloadKey = key
			c.Codec, err = codec.New(key)
		}
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_PAYLOAD_KEY: %w", err))
		}
	}
	c.DB = LoadDB(e)
	c.Platforms = LoadPlatforms(e)
	c.Budgets = LoadBudgets(e)
	p, err := policy.Load(c.PolicyFile)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("TAKEDOWN_POLICY_FILE: %w", err))
	}
	c.Policy = p
	for _, pl := range takedown.Platforms {
		up := strings.ToUpper(string(pl))
		c.Rates.Send[pl] = e.Float("TAKEDOWN_SEND_RATE_"+up, DefaultSendRate[pl])
		c.Rates.Probe[pl] = e.Float("TAKEDOWN_PROBE_RATE_"+up, 0)
	}
	return c
}

// DefaultSendRate keeps each platform under its published limits. YouTube's
// default quota is 10,000 units a day and a report costs 50: 200 a day.
var DefaultSendRate = map[takedown.Platform]float64{
	takedown.YouTube:  200.0 / 86400,
	takedown.Telegram: 1,
	takedown.X:        1,
	takedown.Meta:     1,
}

// NewLogger writes to w at the configured level and format, naming the
// takedown of every line that names its workflow.
func NewLogger(c Common, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(takedownIDs{Handler: h})
}
