// Package policy holds the operator's timing rules: how long a platform has to
// remove content of each category, and how often to probe. It is loaded from
// a JSON file so that deadlines can change (or be scaled down for a
// demonstration) without a new release.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/workflows"
)

// Duration reads "24h" or "90s" from JSON.
type Duration time.Duration

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"24h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	if v <= 0 {
		return fmt.Errorf("duration %q must be positive", s)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Rule is the timing for one platform and category. Zero fields inherit.
type Rule struct {
	Platform     platforms.Platform `json:"platform,omitempty"`
	Category     platforms.Category `json:"category,omitempty"`
	Deadline     Duration           `json:"deadline,omitempty"`
	ProbeInitial Duration           `json:"probe_initial,omitempty"`
	ProbeMax     Duration           `json:"probe_max,omitempty"`
}

// Policy is the whole file.
type Policy struct {
	// Scale multiplies every duration: 1 in production; 1/3600 turns hours
	// into seconds for a demonstration or an end-to-end test.
	Scale    float64 `json:"scale,omitempty"`
	Default  Rule    `json:"default"`
	Rules    []Rule  `json:"rules,omitempty"`
	Language string  `json:"language,omitempty"`
	// LegalGround is quoted in every notice.
	LegalGround string `json:"legal_ground,omitempty"`
}

// Default is used when no file is given: 24 hours (the regulator's and the
// government plan's service level), 12 hours for child sexual abuse material,
// probing every 30 s at first and backing off to every 30 minutes.
func Default() Policy {
	return Policy{
		Scale: 1,
		Default: Rule{
			Deadline:     Duration(24 * time.Hour),
			ProbeInitial: Duration(30 * time.Second),
			ProbeMax:     Duration(30 * time.Minute),
		},
		Rules: []Rule{
			{Category: platforms.CSAM, Deadline: Duration(12 * time.Hour)},
		},
		Language:    "ko",
		LegalGround: "Act on the Establishment and Operation of Korea Communications Commission, Art. 21(4); Act on Special Cases Concerning the Punishment of Sexual Crimes, Art. 14-2",
	}
}

// Load reads a policy file; an empty path gives Default.
func Load(path string) (Policy, error) {
	if path == "" {
		return Default(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("read policy: %w", err)
	}
	p := Default()
	p.Rules = nil
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("parse policy %s: %w", path, err)
	}
	return p, p.Validate()
}

// Validate checks the policy names only known platforms and categories.
func (p Policy) Validate() error {
	if p.Scale <= 0 {
		return fmt.Errorf("policy: scale must be positive")
	}
	for i, r := range p.Rules {
		if r.Platform != "" && !r.Platform.Valid() {
			return fmt.Errorf("policy: rule %d: unknown platform %q", i, r.Platform)
		}
		if r.Category != "" && !r.Category.Valid() {
			return fmt.Errorf("policy: rule %d: unknown category %q", i, r.Category)
		}
	}
	return nil
}

// For resolves the timing of one takedown: the default, overridden by rules
// for the category, then by rules for the platform and category together.
func (p Policy) For(pl platforms.Platform, c platforms.Category) workflows.Policy {
	r := p.Default
	for _, specificity := range []func(Rule) bool{
		func(x Rule) bool { return x.Platform == "" && x.Category == c },
		func(x Rule) bool { return x.Platform == pl && x.Category == "" },
		func(x Rule) bool { return x.Platform == pl && x.Category == c },
	} {
		for _, x := range p.Rules {
			if specificity(x) {
				r = merge(r, x)
			}
		}
	}
	scale := func(d Duration) time.Duration {
		v := time.Duration(float64(d) * p.Scale)
		return max(v, 100*time.Millisecond)
	}
	return workflows.Policy{
		Deadline:     scale(r.Deadline),
		ProbeInitial: scale(r.ProbeInitial),
		ProbeMax:     scale(r.ProbeMax),
		ProbeBackoff: 1.5,
	}
}

func merge(base, over Rule) Rule {
	if over.Deadline != 0 {
		base.Deadline = over.Deadline
	}
	if over.ProbeInitial != 0 {
		base.ProbeInitial = over.ProbeInitial
	}
	if over.ProbeMax != 0 {
		base.ProbeMax = over.ProbeMax
	}
	return base
}

// Notice gives the language and legal ground quoted in notices.
func (p Policy) Notice() (language, legalGround string) { return p.Language, p.LegalGround }
