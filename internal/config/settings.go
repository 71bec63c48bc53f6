package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// Duration reads a Go duration such as 5s or 2m.
func (e *Env) Duration(key string, def time.Duration) time.Duration {
	v := strings.TrimSpace(e.Get(key))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.Fail(fmt.Errorf("%s: %q is not a duration like 5s or 2m", key, v))
		return def
	}
	return d
}

// DBSettings bound what one process asks of PostgreSQL.
type DBSettings struct {
	MaxConns         int
	DialTimeout      time.Duration
	StatementTimeout time.Duration
	StartupWait      time.Duration
}

// LoadDB reads the TAKEDOWN_DB_* settings.
func LoadDB(e *Env) DBSettings {
	s := DBSettings{
		MaxConns:         e.Int("TAKEDOWN_DB_MAX_CONNS", 10),
		DialTimeout:      e.Duration("TAKEDOWN_DB_CONNECT_TIMEOUT", 3*time.Second),
		StatementTimeout: e.Duration("TAKEDOWN_DB_STATEMENT_TIMEOUT", 10*time.Second),
		StartupWait:      e.Duration("TAKEDOWN_DB_STARTUP_WAIT", 60*time.Second),
	}
	if s.MaxConns < 1 {
		e.Fail(fmt.Errorf("TAKEDOWN_DB_MAX_CONNS: must be at least 1"))
	}
	return s
}

// Store is the store's configuration for the database at url.
func (s DBSettings) Store(url string) store.Config {
	return store.Config{
		URL: url, MaxConns: int32(s.MaxConns), DialTimeout: s.DialTimeout,
		StatementTimeout: s.StatementTimeout, ConnectTimeout: s.StartupWait,
	}
}

// LoadPlatforms reads TAKEDOWN_PLATFORMS: the platforms this deployment
// serves, comma-separated, or "all" (the default).
func LoadPlatforms(e *Env) []takedown.Platform {
	v := strings.ToLower(e.Str("TAKEDOWN_PLATFORMS", "all"))
	if v == "all" {
		return slices.Clone(takedown.Platforms)
	}
	var out []takedown.Platform
	for _, f := range strings.Split(v, ",") {
		p := takedown.Platform(strings.TrimSpace(f))
		if p == "" || (p == "none" && len(out) == 0) {
			continue
		}
		if !p.Valid() {
			e.Fail(fmt.Errorf("TAKEDOWN_PLATFORMS: unknown platform %q (known: %s)", p, JoinPlatforms(takedown.Platforms)))
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if out == nil {
		out = []takedown.Platform{}
	}
	return out
}

// JoinPlatforms lists platforms for a message.
func JoinPlatforms(ps []takedown.Platform) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// LoadBudgets reads the metered platforms' allowances; the defaults are the
// platforms' published ones (quota.DefaultBudgets).
func LoadBudgets(e *Env) map[takedown.Platform]quota.Budget {
	b := quota.DefaultBudgets()
	yt := b[takedown.YouTube]
	yt.Units = e.Int("TAKEDOWN_YOUTUBE_QUOTA_UNITS", yt.Units)
	yt.ProbeShare = e.Float("TAKEDOWN_YOUTUBE_PROBE_SHARE", yt.ProbeShare)
	yt.ReportReserve = e.Int("TAKEDOWN_YOUTUBE_REPORT_RESERVE", yt.ReportReserve)
	b[takedown.YouTube] = yt
	x := b[takedown.X]
	x.Units = e.Int("TAKEDOWN_X_LOOKUPS_PER_WINDOW", x.Units)
	b[takedown.X] = x
	for p, v := range b {
		if err := v.Validate(); err != nil {
			e.Fail(fmt.Errorf("%s quota: %w", p, err))
		}
	}
	return b
}
