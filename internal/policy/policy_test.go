package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

func writePolicy(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRulePrecedence checks the order rules apply in: the default, then the
// category's rule, then the platform's, then the one naming both; a later
// rule overrides only the fields it sets.
func TestRulePrecedence(t *testing.T) {
	p, err := Load(writePolicy(t, `{
		"default": {"deadline": "24h", "probe_initial": "30s"},
		"rules": [
			{"platform": "telegram", "category": "ncii", "deadline": "3h"},
			{"platform": "telegram", "deadline": "6h", "probe_initial": "10s"},
			{"category": "ncii", "deadline": "12h", "max_events_per_run": 500}
		]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		pl             takedown.Platform
		cat            takedown.Category
		deadline, prob time.Duration
		maxEvents      int
	}{
		{takedown.X, takedown.Sextortion, 24 * time.Hour, 30 * time.Second, 0},       // default only
		{takedown.X, takedown.NCII, 12 * time.Hour, 30 * time.Second, 500},           // category
		{takedown.Telegram, takedown.Sextortion, 6 * time.Hour, 10 * time.Second, 0}, // platform
		{takedown.Telegram, takedown.NCII, 3 * time.Hour, 10 * time.Second, 500},     // both, over platform, over category
	}
	for _, tc := range cases {
		got := p.For(tc.pl, tc.cat)
		if got.Deadline != tc.deadline || got.ProbeInitial != tc.prob || got.MaxEventsPerRun != tc.maxEvents {
			t.Errorf("%s/%s: deadline %s, probe %s, max events %d; want %s, %s, %d",
				tc.pl, tc.cat, got.Deadline, got.ProbeInitial, got.MaxEventsPerRun, tc.deadline, tc.prob, tc.maxEvents)
		}
	}
	// Fields the file leaves out keep the built-in defaults.
	if got := p.For(takedown.X, takedown.NCII); got.ConfirmGap != 5*time.Minute || got.RecheckAfter != 7*24*time.Hour {
		t.Errorf("defaults lost: confirm gap %s, recheck %s", got.ConfirmGap, got.RecheckAfter)
	}
}

func TestDefaultCSAMIsFaster(t *testing.T) {
	p := Default()
	if got := p.For(takedown.Meta, takedown.CSAM).Deadline; got != 12*time.Hour {
		t.Errorf("CSAM deadline %s, want 12h", got)
	}
	if got := p.For(takedown.Meta, takedown.NCII).Deadline; got != 24*time.Hour {
		t.Errorf("NCII deadline %s, want 24h", got)
	}
}

// TestScaling checks that durations shrink by Scale but never below their
// floors, that zero stays zero (off), and that the event bound is not scaled.
func TestScaling(t *testing.T) {
	p, err := Load(writePolicy(t, `{"scale": 0.0001, "default": {"deadline": "24h", "probe_initial": "30s", "recheck_after": "0s", "max_events_per_run": 40}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := p.For(takedown.YouTube, takedown.OtherIllegal)
	if want := time.Duration(float64(24*time.Hour) * 0.0001); got.Deadline != want {
		t.Errorf("deadline %s, want %s", got.Deadline, want)
	}
	if got.ProbeInitial != 100*time.Millisecond {
		t.Errorf("probe initial %s, want the 100ms floor", got.ProbeInitial)
	}
	if got.RecheckAfter != 0 {
		t.Errorf("recheck %s: a zero duration must stay off", got.RecheckAfter)
	}
	if got.MaxEventsPerRun != 40 {
		t.Errorf("max events %d, want 40 (unscaled)", got.MaxEventsPerRun)
	}
}

func TestBadFiles(t *testing.T) {
	cases := map[string]string{
		`{"default": {"deadlin": "24h"}}`:                             `unknown field "deadlin"`,
		`{"default": {"deadline": 24}}`:                               "duration must be a string",
		`{"default": {"deadline": "a day"}}`:                          `duration "a day"`,
		`{"default": {"deadline": "-1h"}}`:                            "must not be negative",
		`{"scale": -1}`:                                               "scale must be positive",
		`{"rules": [{"platform": "myspace"}]}`:                        `rule 0: unknown platform "myspace"`,
		`{"rules": [{"category": "spam"}]}`:                           `rule 0: unknown category "spam"`,
		`{"rules": [{"category": "ncii", "max_events_per_run": -5}]}`: "max_events_per_run must not be negative",
		`{"default": `:                                                "parse policy",
	}
	for body, want := range cases {
		_, err := Load(writePolicy(t, body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", body, err, want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "read policy") {
		t.Errorf("missing file: %v", err)
	}
	if p, err := Load(""); err != nil || p.Scale != 1 {
		t.Errorf("no file: %+v, %v", p.Scale, err)
	}
}
