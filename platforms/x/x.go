// Package x is the X (Twitter) adapter. X has no API to report content:
// governments file through its Legal Request Submissions portal, so notices
// become portal tasks (or e-mails, where an address is agreed). Probes read
// the post through API v2, whose withheld field shows a geo-restriction.
package x

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/httpx"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/adapter"
)

// Defaults.
const (
	DefaultAPIBaseURL = "https://api.x.com"
	DefaultCountry    = "KR"
)

const (
	// defaultRateLimitWait is X's rate-limit window, used when a 429 names
	// no reset time.
	defaultRateLimitWait = 15 * time.Minute
	maxBody              = 1 << 20
	platformLabel        = "X"
)

// Problem types of API v2 errors.
const (
	problemNotFound      = "https://api.twitter.com/2/problems/resource-not-found"
	problemNotAuthorized = "https://api.twitter.com/2/problems/not-authorized-for-resource"
)

// Mailer sends a notice by e-mail and returns its Message-ID;
// *mail.Sender is one.
type Mailer = platforms.Mailer

// Config configures the X adapter.
type Config struct {
	// APIBaseURL is the API v2 host, DefaultAPIBaseURL by default.
	APIBaseURL string
	// BearerToken is an app-only bearer token; required, probes need it.
	BearerToken string
	// Mailer, To and PriorityTo are used when a channel is email;
	// PriorityTo defaults to To.
	Mailer     Mailer
	To         string
	PriorityTo string
	// Channel and PriorityChannel are portal (the default) or email.
	Channel         takedown.Channel
	PriorityChannel takedown.Channel
	// Country is the regulator's country: a post withheld there is reported
	// withheld, DefaultCountry by default.
	Country string
	// Now is the clock, time.Now by default.
	Now func() time.Time
}

// Client is the X adapter.
type Client struct {
	cfg  Config
	base adapter.Base
}

var _ platforms.Adapter = (*Client)(nil)

// New validates cfg, fills its defaults and returns the adapter. A nil
// httpClient gets one with a 30 s timeout.
func New(cfg Config, httpClient *http.Client, logger *slog.Logger) (*Client, error) {
	cfg.APIBaseURL = strings.TrimRight(cmp.Or(cfg.APIBaseURL, DefaultAPIBaseURL), "/")
	cfg.Country = strings.ToUpper(cmp.Or(cfg.Country, DefaultCountry))
	if err := adapter.CheckAbsoluteURL("APIBaseURL", cfg.APIBaseURL); err != nil {
		return nil, fmt.Errorf("x config: %w", err)
	}
	if cfg.BearerToken == "" {
		return nil, errors.New("x config: BearerToken is required")
	}
	if len(cfg.Country) != 2 {
		return nil, fmt.Errorf("x config: Country %q is not a two-letter country code", cfg.Country)
	}
	base, err := adapter.NewBase(takedown.X, platforms.Route{Name: platformLabel, Channel: cfg.Channel, To: cfg.To,
		PriorityChannel: cfg.PriorityChannel, PriorityTo: cfg.PriorityTo}, cfg.Mailer, httpClient, logger, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("x config: %w", err)
	}
	cfg.Now = base.Now
	return &Client{cfg: cfg, base: base}, nil
}

// Send leaves a portal task, or e-mails the notice where so configured.
func (c *Client) Send(ctx context.Context, n takedown.Notice) (platforms.Submission, error) {
	return c.base.SendRouted(ctx, n, platformLabel)
}

type withheld struct {
	Copyright    bool     `json:"copyright"`
	CountryCodes []string `json:"country_codes"`
	Scope        string   `json:"scope"`
}

type post struct {
	ID       string    `json:"id"`
	Withheld *withheld `json:"withheld"`
}

// tweetResponse is the part of GET /2/tweets/:id a probe reads.
type tweetResponse struct {
	Data   *post        `json:"data"`
	Errors []apiProblem `json:"errors"`
	// A request-level problem (invalid id, bad auth) is the body itself.
	apiProblem
}

type apiProblem struct {
	// Value and ResourceID name the post a lookup's error is about.
	Value      string `json:"value"`
	ResourceID string `json:"resource_id"`
	Title      string `json:"title"`
	Type       string `json:"type"`
	Detail     string `json:"detail"`
}

// Probe reads the post through API v2.
//
// An answer we cannot parse is a transient error, not "unknown": the post
// lookup is cheap (one request of a 15-minute window), a garbled body is
// almost always a proxy or a truncated read, and retrying soon gives the
// workflow a real answer sooner than the next probe round would. It is never
// read as removed.
func (c *Client) Probe(ctx context.Context, content takedown.Content) (takedown.ProbeResult, error) {
	if !isStatusID(content.ID) {
		return takedown.ProbeResult{}, platforms.Permanent("invalid_content_id", errors.New("not a numeric X post id"))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.cfg.APIBaseURL+"/2/tweets/"+content.ID+"?tweet.fields=withheld", nil)
	if err != nil {
		return takedown.ProbeResult{}, platforms.Permanent("bad_request", errors.New("build post lookup"))
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.BearerToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.base.HTTP.Do(req)
	if err != nil {
		return takedown.ProbeResult{}, httpx.NetworkError("look up post", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return takedown.ProbeResult{}, httpx.NetworkError("read post lookup", err)
	}

	status := resp.StatusCode
	httpCode := fmt.Sprintf("http_%d", status)
	switch {
	case status == http.StatusTooManyRequests:
		return takedown.ProbeResult{}, platforms.RateLimited(httpCode, c.rateLimitWait(resp.Header),
			errors.New("look up post: HTTP 429"))
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return takedown.ProbeResult{}, platforms.Permanent("unauthorized",
			fmt.Errorf("look up post: HTTP %d: the bearer token was refused", status))
	case status >= 500:
		return takedown.ProbeResult{}, platforms.Transient(httpCode, fmt.Errorf("look up post: HTTP %d", status))
	}

	res := takedown.ProbeResult{CheckedAt: c.cfg.Now()}
	var tr tweetResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return takedown.ProbeResult{}, platforms.Transient("malformed_response",
			fmt.Errorf("look up post: HTTP %d with an unreadable body", status))
	}
	if status == http.StatusOK && tr.Data != nil {
		c.readPost(&res, tr.Data.Withheld)
		return res, nil
	}
	problems := tr.Errors
	if tr.apiProblem != (apiProblem{}) {
		problems = append(problems, tr.apiProblem)
	}
	for _, p := range problems {
		switch {
		case p.Type == problemNotFound || p.Title == "Not Found Error":
			res.State, res.Reason = takedown.ProbeRemoved, cmp.Or(p.Detail, p.Title)
			return res, nil
		case p.Type == problemNotAuthorized || p.Title == "Authorization Error":
			// A protected post or a suspended author: not public, but not
			// shown to be removed either.
			res.State, res.Reason = takedown.ProbeUnknown, cmp.Or(p.Detail, p.Title)
			return res, nil
		}
	}
	if status == http.StatusOK {
		if len(problems) > 0 {
			res.State, res.Reason = takedown.ProbeUnknown, cmp.Or(problems[0].Detail, problems[0].Title)
			return res, nil
		}
		return takedown.ProbeResult{}, platforms.Transient("malformed_response", errors.New("look up post: answer without data or errors"))
	}
	// A 404 is removal only when X's error body says the post is not found
	// (handled above): X answers 404 to unknown routes too ("Sorry, that page
	// does not exist"), and a misconfigured base URL must not close takedowns.
	if status == http.StatusNotFound {
		res.State, res.Reason = takedown.ProbeUnknown, "HTTP 404 without a resource-not-found error"
		return res, nil
	}
	detail := httpCode
	if len(problems) > 0 {
		detail = cmp.Or(problems[0].Detail, problems[0].Title, httpCode)
	}
	return takedown.ProbeResult{}, platforms.Permanent(httpCode, fmt.Errorf("look up post: HTTP %d: %s", status, detail))
}

// readPost fills res from a post that X returned.
func (c *Client) readPost(res *takedown.ProbeResult, w *withheld) {
	if w == nil || len(w.CountryCodes) == 0 {
		res.State, res.Reason = takedown.ProbePresent, "post returned"
		return
	}
	codes := make([]string, len(w.CountryCodes))
	for i, cc := range w.CountryCodes {
		codes[i] = strings.ToUpper(cc)
	}
	scope := cmp.Or(w.Scope, "tweet")
	// "XX" is X's code for "withheld in all countries".
	if slices.Contains(codes, c.cfg.Country) || slices.Contains(codes, "XX") {
		res.State, res.Countries = takedown.ProbeWithheld, codes
		res.Reason = "withheld (" + scope + ") in " + strings.Join(codes, ", ")
		return
	}
	// Withheld elsewhere only: still reachable from here.
	res.State, res.Reason = takedown.ProbePresent, "withheld ("+scope+") only in "+strings.Join(codes, ", ")
}

// rateLimitWait reads x-rate-limit-reset (epoch seconds), then Retry-After.
func (c *Client) rateLimitWait(h http.Header) time.Duration {
	now := c.cfg.Now()
	if s := h.Get("x-rate-limit-reset"); s != "" {
		if epoch, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return max(time.Unix(epoch, 0).Sub(now), 0)
		}
	}
	return httpx.RetryAfter(h, now, defaultRateLimitWait)
}

// isStatusID tells a post id: digits, at most 20 (a 64-bit number).
func isStatusID(s string) bool { return len(s) <= 20 && platforms.IsDigits(s) }
