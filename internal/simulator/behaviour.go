package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// OnNotice is what a platform does when a notice for content reaches it.
type OnNotice string

const (
	// OnNoticeRemove removes the content RemoveAfter after the notice (the default).
	OnNoticeRemove OnNotice = "remove"
	// OnNoticeNever receives the notice and does nothing, ever.
	OnNoticeNever OnNotice = "never"
	// OnNoticeReject refuses the notice: API channels answer 403 forbidden;
	// e-mail and portal notices are received and a rejection reply is recorded.
	OnNoticeReject OnNotice = "reject"
	// OnNoticeWithhold geo-restricts the content in Countries instead of removing it.
	OnNoticeWithhold OnNotice = "withhold"
	// OnNoticeBounce refuses e-mail notices at the door (SMTP 550, mailbox
	// unavailable), as a designated address that was withdrawn does; API
	// channels answer 403 as with reject.
	OnNoticeBounce OnNotice = "bounce"
	// OnNoticePortal ignores e-mail and API notices: only a portal submission
	// (POST /_sim/portal) leads to removal.
	OnNoticePortal OnNotice = "portal"
)

// Status is what the platform shows of a piece of content.
type Status string

const (
	StatusPresent  Status = "present"
	StatusRemoved  Status = "removed"
	StatusWithheld Status = "withheld"
)

// Duration is a time.Duration that reads and writes JSON as "90s", "2m", …
// A bare JSON number is read as seconds.
type Duration time.Duration

// MarshalJSON writes d in time.Duration's string form.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "1m30s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err := json.Unmarshal(b, &secs); err != nil {
			return fmt.Errorf("duration must be a string like \"90s\" or a number of seconds: %s", b)
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("read duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// RateLimit answers requests with a rate-limit error.
type RateLimit struct {
	// Status is the HTTP status of the answer: 429 (the default), or 403 for
	// YouTube's older rateLimitExceeded form.
	Status int `json:"status,omitempty"`
	// RetryAfterSeconds goes into Retry-After (and, on X, x-rate-limit-reset).
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
	// Count is how many of the next requests are limited; 0 limits every
	// request for as long as the behaviour is set.
	Count int `json:"count,omitempty"`
}

// Behaviour scripts how a platform, or one piece of content on it, acts.
// A per-content behaviour is laid over its platform's default field by field:
// a zero field inherits the default's.
type Behaviour struct {
	OnNotice OnNotice `json:"on_notice,omitempty"`
	// RemoveAfter overrides Config.RemoveAfter: how long after the notice the
	// content disappears (or is withheld).
	RemoveAfter Duration `json:"remove_after,omitempty"`
	// RestoreAfter brings removed or withheld content back this long after it went.
	RestoreAfter Duration   `json:"restore_after,omitempty"`
	RateLimit    *RateLimit `json:"rate_limit,omitempty"`
	// FailRate is the share (0..1) of requests answered with a 503, drawn from
	// a PRNG seeded with Seed so that a test sees the same failures every run.
	FailRate float64 `json:"fail_rate,omitempty"`
	Seed     int64   `json:"seed,omitempty"`
	// Hang delays every answer this long, or until the client gives up.
	Hang Duration `json:"hang,omitempty"`
	// Malformed answers 200 with a truncated or garbage body.
	Malformed bool `json:"malformed,omitempty"`
	// Quota is YouTube's daily unit budget; only the platform default's counts.
	Quota int `json:"quota,omitempty"`
	// Initial is the content's status before any notice: "removed" stands for
	// content that never existed or is already gone.
	Initial Status `json:"initial,omitempty"`
	// Countries lists where withheld content is restricted (default KR).
	Countries []string `json:"countries,omitempty"`
}

// Validate reports the first field that makes no sense.
func (b Behaviour) Validate() error {
	switch b.OnNotice {
	case "", OnNoticeRemove, OnNoticeNever, OnNoticeReject, OnNoticeWithhold, OnNoticePortal, OnNoticeBounce:
	default:
		return fmt.Errorf("on_notice %q is not one of remove, never, reject, withhold, portal, bounce", b.OnNotice)
	}
	switch b.Initial {
	case "", StatusPresent, StatusRemoved, StatusWithheld:
	default:
		return fmt.Errorf("initial %q is not one of present, removed, withheld", b.Initial)
	}
	if b.RemoveAfter < 0 || b.RestoreAfter < 0 || b.Hang < 0 {
		return errors.New("durations must not be negative")
	}
	if b.FailRate < 0 || b.FailRate > 1 {
		return fmt.Errorf("fail_rate %v is outside 0..1", b.FailRate)
	}
	if b.Quota < 0 {
		return errors.New("quota must not be negative")
	}
	if rl := b.RateLimit; rl != nil {
		if rl.Status != 0 && (rl.Status < 400 || rl.Status > 599) {
			return fmt.Errorf("rate_limit.status %d is not a 4xx or 5xx status", rl.Status)
		}
		if rl.RetryAfterSeconds < 0 || rl.Count < 0 {
			return errors.New("rate_limit fields must not be negative")
		}
	}
	for _, c := range b.Countries {
		if len(c) != 2 || strings.ToUpper(c) != c {
			return fmt.Errorf("country %q is not an upper-case ISO 3166-1 alpha-2 code", c)
		}
	}
	return nil
}

// over lays o over b: every non-zero field of o wins.
func (b Behaviour) over(o Behaviour) Behaviour {
	if o.OnNotice != "" {
		b.OnNotice = o.OnNotice
	}
	if o.RemoveAfter != 0 {
		b.RemoveAfter = o.RemoveAfter
	}
	if o.RestoreAfter != 0 {
		b.RestoreAfter = o.RestoreAfter
	}
	if o.RateLimit != nil {
		b.RateLimit = o.RateLimit
	}
	if o.FailRate != 0 {
		b.FailRate, b.Seed = o.FailRate, o.Seed
	}
	if o.Hang != 0 {
		b.Hang = o.Hang
	}
	if o.Malformed {
		b.Malformed = true
	}
	if o.Quota != 0 {
		b.Quota = o.Quota
	}
	if o.Initial != "" {
		b.Initial = o.Initial
	}
	if len(o.Countries) > 0 {
		b.Countries = o.Countries
	}
	return b
}

func (b Behaviour) countries() []string {
	if len(b.Countries) > 0 {
		return b.Countries
	}
	return []string{"KR"}
}

// Script is a set of initial behaviours, usually read from a JSON file:
//
//	{"defaults": {"youtube": {"quota": 500}, "x": {"on_notice": "withhold"}},
//	 "contents": [{"url": "https://t.me/chan/12", "behaviour": {"on_notice": "never"}},
//	              {"platform": "youtube", "content_id": "dQw4w9WgXcQ", "behaviour": {"initial": "removed"}}]}
type Script struct {
	Defaults map[takedown.Platform]Behaviour `json:"defaults,omitempty"`
	Contents []ScriptContent                 `json:"contents,omitempty"`
}

// ScriptContent is one piece of content's behaviour, named either by URL or
// by platform and normalized content id.
type ScriptContent struct {
	Platform  takedown.Platform `json:"platform,omitempty"`
	ContentID string            `json:"content_id,omitempty"`
	URL       string            `json:"url,omitempty"`
	Behaviour Behaviour         `json:"behaviour"`
}

// LoadScript reads and validates a behaviour script.
func LoadScript(path string) (*Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load simulator script: %w", err)
	}
	var sc Script
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("load simulator script %s: %w", path, err)
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("load simulator script %s: %w", path, err)
	}
	return &sc, nil
}

// Validate checks every behaviour and that every content is identifiable.
func (sc *Script) Validate() error {
	for p, b := range sc.Defaults {
		if !p.Valid() {
			return fmt.Errorf("defaults: unknown platform %q", p)
		}
		if err := b.Validate(); err != nil {
			return fmt.Errorf("defaults for %s: %w", p, err)
		}
	}
	for i, e := range sc.Contents {
		if _, err := e.content(); err != nil {
			return fmt.Errorf("contents[%d]: %w", i, err)
		}
		if err := e.Behaviour.Validate(); err != nil {
			return fmt.Errorf("contents[%d]: %w", i, err)
		}
	}
	return nil
}

func (e ScriptContent) content() (takedown.Content, error) {
	if e.URL != "" {
		c, err := takedown.ParseURL(e.URL)
		if err != nil {
			return takedown.Content{}, fmt.Errorf("identify url: %w", err)
		}
		if e.Platform != "" && e.Platform != c.Platform {
			return takedown.Content{}, fmt.Errorf("url is on %s, not %s", c.Platform, e.Platform)
		}
		return c, nil
	}
	return identifyID(e.Platform, e.ContentID)
}

// slot is a behaviour as set, with the running state it needs: how many
// rate-limited answers it gave and where its PRNG stands. Both live in the
// saved state so that a restart continues the same sequence.
type slot struct {
	Behaviour     Behaviour `json:"behaviour"`
	RateLimitUsed int       `json:"rate_limit_used,omitempty"`
	RNG           uint64    `json:"rng"`
}

func newSlot(b Behaviour) *slot {
	return &slot{Behaviour: b, RNG: uint64(b.Seed)}
}

// draw returns the next number in [0,1) of a splitmix64 sequence: tiny,
// deterministic, and its whole state is one integer that fits in the JSON.
func (s *slot) draw() float64 {
	s.RNG += 0x9e3779b97f4a7c15
	z := s.RNG
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}
