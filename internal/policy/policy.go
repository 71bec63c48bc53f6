// Package policy holds the operator's timing rules: how long a platform has to
// remove content of each category, the escalation ladder, and how often to
// probe. It is loaded from a JSON file so that deadlines can change (or be
// scaled down for a demonstration) without a new release.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/takedown"
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
	if v < 0 {
		return fmt.Errorf("duration %q must not be negative", s)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Rule is the timing for one platform and category. Fields left out inherit
// from less specific rules.
type Rule struct {
	Platform         takedown.Platform `json:"platform,omitempty"`
	Category         takedown.Category `json:"category,omitempty"`
	Deadline         *Duration         `json:"deadline,omitempty"`
	ReminderDeadline *Duration         `json:"reminder_deadline,omitempty"`
	PriorityDeadline *Duration         `json:"priority_deadline,omitempty"`
	PortalDeadline   *Duration         `json:"portal_deadline,omitempty"`
	ProbeInitial     *Duration         `json:"probe_initial,omitempty"`
	ProbeMax         *Duration         `json:"probe_max,omitempty"`
	ConfirmGap       *Duration         `json:"confirm_gap,omitempty"`
	RecheckAfter     *Duration         `json:"recheck_after,omitempty"`
	EscalateWithheld *bool             `json:"escalate_withheld,omitempty"`
	// ProbeSlot puts probes on a grid of slots shared by every takedown of
	// the platform, so that one call answers many (see
	// activities.ProbeSchedule): every ProbeEarly for ProbeEarlyFor after
	// the notice, then every ProbeLate. Zero (the default) keeps the
	// backoff from ProbeInitial to ProbeMax, one call a probe.
	ProbeSlot     *Duration `json:"probe_slot,omitempty"`
	ProbeEarly    *Duration `json:"probe_early,omitempty"`
	ProbeEarlyFor *Duration `json:"probe_early_for,omitempty"`
	ProbeLate     *Duration `json:"probe_late,omitempty"`
	// MaxEventsPerRun bounds one workflow run's history (not scaled).
	MaxEventsPerRun *int `json:"max_events_per_run,omitempty"`
}

// Policy is the whole file.
type Policy struct {
	// Scale multiplies every duration: 1 in production; 1/3600 turns hours
	// into seconds for a demonstration or an end-to-end test.
	Scale   float64 `json:"scale,omitempty"`
	Default Rule    `json:"default"`
	Rules   []Rule  `json:"rules,omitempty"`
	// Language and LegalGround are quoted in every notice.
	Language    string `json:"language,omitempty"`
	LegalGround string `json:"legal_ground,omitempty"`
}

func d(v time.Duration) *Duration { x := Duration(v); return &x }
func b(v bool) *bool              { return &v }

// Default is used when no file is given. The removal deadline is 24 hours
// (the regulator's and the government plan's service level), 12 for child
// sexual abuse material; each further rung gets 24 hours; content is probed
// every 30 s at first, backing off to every 30 minutes; removal must be seen
// twice 5 minutes apart and is checked again after 7 days. Geo-restriction
// in KR ends a takedown: it is what an overseas platform can be asked for.
func Default() Policy {
	return Policy{
		Scale: 1,
		Default: Rule{
			Deadline:         d(24 * time.Hour),
			ReminderDeadline: d(24 * time.Hour),
			PriorityDeadline: d(24 * time.Hour),
			PortalDeadline:   d(4 * time.Hour),
			ProbeInitial:     d(30 * time.Second),
			ProbeMax:         d(30 * time.Minute),
			ConfirmGap:       d(5 * time.Minute),
			RecheckAfter:     d(7 * 24 * time.Hour),
			EscalateWithheld: b(false),
		},
		Rules: []Rule{
			{Category: takedown.CSAM, Deadline: d(12 * time.Hour), ReminderDeadline: d(12 * time.Hour), PriorityDeadline: d(12 * time.Hour)},
			// YouTube's status call costs a unit of a 10,000-unit day for up
			// to 50 videos: a slot every 10 minutes keeps the first day's
			// detection within 10 minutes, hourly after that within the
			// hour, and 1,000 open takedowns under a tenth of the day.
			{Platform: takedown.YouTube, ProbeSlot: d(10 * time.Minute), ProbeEarly: d(10 * time.Minute),
				ProbeEarlyFor: d(24 * time.Hour), ProbeLate: d(time.Hour)},
			// X's lookup takes 100 posts for one of 900 requests a quarter
			// hour: probes can afford to be far more frequent.
			{Platform: takedown.X, ProbeSlot: d(2 * time.Minute), ProbeEarly: d(2 * time.Minute),
				ProbeEarlyFor: d(24 * time.Hour), ProbeLate: d(10 * time.Minute)},
		},
		Language:    "ko",
		LegalGround: "Act on the Establishment and Operation of Korea Communications Commission, Art. 21(4); Act on Special Cases Concerning the Punishment of Sexual Crimes, Art. 14-2",
	}
}

// Load reads a policy file; an empty path gives Default. Fields the file
// leaves out keep their defaults.
func Load(path string) (Policy, error) {
	if path == "" {
		return Default(), nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("read policy: %w", err)
	}
	p := Default()
	var f Policy
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Policy{}, fmt.Errorf("parse policy %s: %w", path, err)
	}
	if f.Scale != 0 {
		p.Scale = f.Scale
	}
	p.Default = merge(p.Default, f.Default)
	if f.Rules != nil {
		p.Rules = f.Rules
	}
	if f.Language != "" {
		p.Language = f.Language
	}
	if f.LegalGround != "" {
		p.LegalGround = f.LegalGround
	}
	return p, p.Validate()
}

// Validate checks the policy names only known platforms and categories.
func (p Policy) Validate() error {
	if p.Scale <= 0 {
		return fmt.Errorf("policy: scale must be positive")
	}
	if err := p.Default.validate(); err != nil {
		return fmt.Errorf("policy: default: %w", err)
	}
	for i, r := range p.Rules {
		if err := r.validate(); err != nil {
			return fmt.Errorf("policy: rule %d: %w", i, err)
		}
		if r.Platform != "" && !r.Platform.Valid() {
			return fmt.Errorf("policy: rule %d: unknown platform %q", i, r.Platform)
		}
		if r.Category != "" && !r.Category.Valid() {
			return fmt.Errorf("policy: rule %d: unknown category %q", i, r.Category)
		}
	}
	return nil
}

// validate refuses what would make a takedown's timers nonsense: a
// negative duration, or a negative bound on a run's events.
func (r Rule) validate() error {
	for name, v := range map[string]*Duration{
		"deadline": r.Deadline, "reminder_deadline": r.ReminderDeadline, "priority_deadline": r.PriorityDeadline,
		"portal_deadline": r.PortalDeadline, "probe_initial": r.ProbeInitial, "probe_max": r.ProbeMax,
		"confirm_gap": r.ConfirmGap, "recheck_after": r.RecheckAfter,
		"probe_slot": r.ProbeSlot, "probe_early": r.ProbeEarly, "probe_early_for": r.ProbeEarlyFor, "probe_late": r.ProbeLate,
	} {
		if v != nil && *v < 0 {
			return fmt.Errorf("%s must not be negative", name)
		}
	}
	if r.MaxEventsPerRun != nil && *r.MaxEventsPerRun < 0 {
		return fmt.Errorf("max_events_per_run must not be negative")
	}
	if r.ProbeSlot != nil && *r.ProbeSlot > 0 {
		for name, v := range map[string]*Duration{"probe_early": r.ProbeEarly, "probe_late": r.ProbeLate} {
			if v != nil && *v < *r.ProbeSlot {
				return fmt.Errorf("%s must be at least probe_slot", name)
			}
		}
	}
	return nil
}

// For resolves the timing of one takedown: the default, overridden by rules
// for the category, then for the platform, then for both together.
func (p Policy) For(pl takedown.Platform, c takedown.Category) workflows.Policy {
	r := p.Default
	for _, matches := range []func(Rule) bool{
		func(x Rule) bool { return x.Platform == "" && x.Category == c },
		func(x Rule) bool { return x.Platform == pl && x.Category == "" },
		func(x Rule) bool { return x.Platform == pl && x.Category == c },
	} {
		for _, x := range p.Rules {
			if matches(x) {
				r = merge(r, x)
			}
		}
	}
	scale := func(v *Duration, floor time.Duration) time.Duration {
		if v == nil {
			return 0
		}
		s := time.Duration(float64(*v) * p.Scale)
		if *v > 0 && s < floor {
			s = floor
		}
		return s
	}
	return workflows.Policy{
		Deadline:         scale(r.Deadline, time.Second),
		ReminderDeadline: scale(r.ReminderDeadline, time.Second),
		PriorityDeadline: scale(r.PriorityDeadline, time.Second),
		PortalDeadline:   scale(r.PortalDeadline, time.Second),
		ProbeInitial:     scale(r.ProbeInitial, 100*time.Millisecond),
		ProbeMax:         scale(r.ProbeMax, 100*time.Millisecond),
		ProbeBackoff:     1.5,
		ConfirmGap:       scale(r.ConfirmGap, 100*time.Millisecond),
		RecheckAfter:     scale(r.RecheckAfter, time.Second),
		EscalateWithheld: r.EscalateWithheld != nil && *r.EscalateWithheld,
		MaxEventsPerRun:  ptrValue(r.MaxEventsPerRun),
		ProbeSchedule:    schedule(r, scale),
	}
}

// schedule resolves the probe grid. A slot is at least a second, however
// the policy is scaled: the engine retries an activity no sooner than that
// (a shorter wait comes back after about a second), so a finer grid would
// only be missed.
func schedule(r Rule, scale func(*Duration, time.Duration) time.Duration) activities.ProbeSchedule {
	const floor = time.Second
	slot := scale(r.ProbeSlot, floor)
	if slot <= 0 {
		return activities.ProbeSchedule{}
	}
	return activities.ProbeSchedule{Slot: slot, Early: max(scale(r.ProbeEarly, floor), slot),
		EarlyFor: scale(r.ProbeEarlyFor, floor), Late: max(scale(r.ProbeLate, floor), slot)}
}

func ptrValue[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}

// Notice gives the language and legal ground quoted in notices.
func (p Policy) Notice() (language, legalGround string) { return p.Language, p.LegalGround }

func merge(base, over Rule) Rule {
	pick := func(a, b *Duration) *Duration {
		if b != nil {
			return b
		}
		return a
	}
	base.Deadline = pick(base.Deadline, over.Deadline)
	base.ReminderDeadline = pick(base.ReminderDeadline, over.ReminderDeadline)
	base.PriorityDeadline = pick(base.PriorityDeadline, over.PriorityDeadline)
	base.PortalDeadline = pick(base.PortalDeadline, over.PortalDeadline)
	base.ProbeInitial = pick(base.ProbeInitial, over.ProbeInitial)
	base.ProbeMax = pick(base.ProbeMax, over.ProbeMax)
	base.ConfirmGap = pick(base.ConfirmGap, over.ConfirmGap)
	base.RecheckAfter = pick(base.RecheckAfter, over.RecheckAfter)
	base.ProbeSlot = pick(base.ProbeSlot, over.ProbeSlot)
	base.ProbeEarly = pick(base.ProbeEarly, over.ProbeEarly)
	base.ProbeEarlyFor = pick(base.ProbeEarlyFor, over.ProbeEarlyFor)
	base.ProbeLate = pick(base.ProbeLate, over.ProbeLate)
	if over.EscalateWithheld != nil {
		base.EscalateWithheld = over.EscalateWithheld
	}
	if over.MaxEventsPerRun != nil {
		base.MaxEventsPerRun = over.MaxEventsPerRun
	}
	return base
}
