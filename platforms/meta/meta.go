// Package meta is the Meta adapter (Facebook, Instagram, Threads). Meta has
// no public API to report content: notices to Meta's government channels
// become portal tasks, or e-mails where an address is agreed. Probes ask the
// oEmbed endpoints first and, when oEmbed cannot tell, read the public page.
//
// Meta's oEmbed endpoints are documented for embedding; they do not support
// private, inactive or age-restricted accounts, nor accounts that disabled
// embeds, so an oEmbed error by itself rarely proves removal. Only the error
// codes listed in Config.GoneErrors are read as "gone"; everything else falls
// back to the public page.
package meta

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/httpx"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/adapter"
)

// Defaults.
const (
	DefaultGraphBaseURL     = "https://graph.facebook.com/v21.0"
	DefaultThreadsOEmbedURL = "https://graph.threads.net/v1.0/oembed" // unverified
	DefaultRateLimitWait    = 5 * time.Minute
	DefaultUserAgent        = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
	DefaultProbeCountry     = "KR"
)

const (
	maxBody = 1 << 20
	// maxPage bounds a public page; Facebook's run to a few MiB, and the
	// meta tags that matter are in the head.
	maxPage = 4 << 20
)

// GraphErrorCode names a Graph API error by code and subcode; Subcode 0
// matches any subcode.
type GraphErrorCode struct {
	Code    int
	Subcode int
}

// DefaultGoneErrors are the oEmbed errors read as "the content is gone":
// code 24 with subcode 2207046, reported for Instagram media that cannot be
// found. Unverified: Meta does not document oEmbed's error codes.
var DefaultGoneErrors = []GraphErrorCode{{Code: 24, Subcode: 2207046}}

// rateLimitCodes are the Graph API's throttling codes: 4 (application), 17
// (user), 32 (page), 613 (calls within a window).
var rateLimitCodes = map[int]bool{4: true, 17: true, 32: true, 613: true}

// Mailer sends a notice by e-mail and returns its Message-ID;
// *mail.Sender is one.
type Mailer = platforms.Mailer

// Config configures the Meta adapter.
type Config struct {
	// GraphBaseURL is the versioned Graph API root, DefaultGraphBaseURL by default.
	GraphBaseURL string
	// AppAccessToken is an app access token, "app-id|app-secret" (or
	// "app-id|client-token"); required for the Facebook and Instagram oEmbed.
	AppAccessToken string
	// ThreadsOEmbedURL is the Threads oEmbed endpoint, called without a
	// token; DefaultThreadsOEmbedURL by default.
	ThreadsOEmbedURL string
	// PublicBaseURL, when set, replaces the content's own site in the
	// public-page fallback: {PublicBaseURL}/{host}{path}?{query}. Empty
	// fetches the content's URL itself.
	PublicBaseURL string
	// GoneErrors lists the oEmbed errors read as removal; nil means
	// DefaultGoneErrors, an empty non-nil slice means none.
	GoneErrors []GraphErrorCode
	// RateLimitWait is the wait after a throttling error that names none,
	// DefaultRateLimitWait by default.
	RateLimitWait time.Duration
	// UserAgent is sent with public-page requests, DefaultUserAgent by default.
	UserAgent string
	// ProbeCountry is where probes are made from, reported when a page says
	// the content is not available in "your country"; DefaultProbeCountry by default.
	ProbeCountry string
	// Mailer, To and PriorityTo are used when a channel is email;
	// PriorityTo defaults to To.
	Mailer     Mailer
	To         string
	PriorityTo string
	// Channel and PriorityChannel are portal (the default) or email.
	Channel         takedown.Channel
	PriorityChannel takedown.Channel
	// Now is the clock, time.Now by default.
	Now func() time.Time
}

// Client is the Meta adapter.
type Client struct {
	cfg  Config
	base adapter.Base
}

var _ platforms.Adapter = (*Client)(nil)

// New validates cfg, fills its defaults and returns the adapter. A nil
// httpClient gets one with a 30 s timeout.
func New(cfg Config, httpClient *http.Client, logger *slog.Logger) (*Client, error) {
	cfg.GraphBaseURL = strings.TrimRight(cmp.Or(cfg.GraphBaseURL, DefaultGraphBaseURL), "/")
	cfg.ThreadsOEmbedURL = cmp.Or(cfg.ThreadsOEmbedURL, DefaultThreadsOEmbedURL)
	cfg.PublicBaseURL = strings.TrimRight(cfg.PublicBaseURL, "/")
	if cfg.GoneErrors == nil {
		cfg.GoneErrors = DefaultGoneErrors
	}
	cfg.RateLimitWait = cmp.Or(cfg.RateLimitWait, DefaultRateLimitWait)
	cfg.UserAgent = cmp.Or(cfg.UserAgent, DefaultUserAgent)
	cfg.ProbeCountry = strings.ToUpper(cmp.Or(cfg.ProbeCountry, DefaultProbeCountry))

	urls := []struct{ name, val string }{{"GraphBaseURL", cfg.GraphBaseURL}, {"ThreadsOEmbedURL", cfg.ThreadsOEmbedURL}}
	if cfg.PublicBaseURL != "" {
		urls = append(urls, struct{ name, val string }{"PublicBaseURL", cfg.PublicBaseURL})
	}
	for _, u := range urls {
		if err := adapter.CheckAbsoluteURL(u.name, u.val); err != nil {
			return nil, fmt.Errorf("meta config: %w", err)
		}
	}
	if app, secret, ok := strings.Cut(cfg.AppAccessToken, "|"); !ok || app == "" || secret == "" {
		return nil, errors.New(`meta config: AppAccessToken must be of the form "app-id|app-secret"`)
	}
	if cfg.RateLimitWait < 0 {
		return nil, fmt.Errorf("meta config: negative RateLimitWait %s", cfg.RateLimitWait)
	}
	if len(cfg.ProbeCountry) != 2 {
		return nil, fmt.Errorf("meta config: ProbeCountry %q is not a two-letter country code", cfg.ProbeCountry)
	}
	base, err := adapter.NewBase(takedown.Meta, platforms.Route{Name: "Meta", Channel: cfg.Channel, To: cfg.To,
		PriorityChannel: cfg.PriorityChannel, PriorityTo: cfg.PriorityTo}, cfg.Mailer, httpClient, logger, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("meta config: %w", err)
	}
	cfg.Now = base.Now
	return &Client{cfg: cfg, base: base}, nil
}

// Send leaves a portal task, or e-mails the notice where so configured.
func (c *Client) Send(ctx context.Context, n takedown.Notice) (platforms.Submission, error) {
	return c.base.SendRouted(ctx, n, label(n.Content.ID))
}

// label names the service in the notice, so that Meta routes it.
func label(id string) string {
	switch kind, _, _ := strings.Cut(id, "/"); kind {
	case "facebook":
		return "Meta (Facebook)"
	case "fbwatch":
		return "Meta (Facebook Watch)"
	case "instagram":
		return "Meta (Instagram)"
	case "threads":
		return "Meta (Threads)"
	}
	return "Meta"
}

// Probe asks oEmbed, then the public page if oEmbed cannot tell.
func (c *Client) Probe(ctx context.Context, content takedown.Content) (takedown.ProbeResult, error) {
	kind, code, _ := strings.Cut(content.ID, "/")
	if code == "" {
		return takedown.ProbeResult{}, platforms.Permanent("invalid_content_id", errors.New("not a service/code Meta id"))
	}
	page, err := url.Parse(content.URL)
	if err != nil || page.Host == "" {
		return takedown.ProbeResult{}, platforms.Permanent("invalid_content_id", errors.New("content without a usable URL"))
	}
	q := "url=" + url.QueryEscape(content.URL)
	var endpoint string
	switch kind {
	case "instagram":
		endpoint = c.cfg.GraphBaseURL + "/instagram_oembed?" + q + "&access_token=" + url.QueryEscape(c.cfg.AppAccessToken)
	case "facebook":
		endpoint = c.cfg.GraphBaseURL + "/oembed_post?" + q + "&access_token=" + url.QueryEscape(c.cfg.AppAccessToken)
	case "threads":
		endpoint = c.cfg.ThreadsOEmbedURL + "?" + q
	case "fbwatch":
		// fb.watch links are short links to videos; oEmbed wants the video's
		// own URL, which only the redirect reveals.
		return c.probePage(ctx, page, "")
	default:
		return takedown.ProbeResult{}, platforms.Permanent("invalid_content_id", fmt.Errorf("unknown Meta service %q", kind))
	}
	res, decided, why, err := c.probeOEmbed(ctx, endpoint)
	if err != nil || decided {
		return res, err
	}
	return c.probePage(ctx, page, why)
}

// graphError is the Graph API's error body.
type graphError struct {
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

// probeOEmbed returns decided=false (with why) when oEmbed's answer does not
// settle the question and the public page must be read.
func (c *Client) probeOEmbed(ctx context.Context, endpoint string) (res takedown.ProbeResult, decided bool, why string, err error) {
	resp, err := c.get(ctx, endpoint, "application/json", maxBody)
	if err != nil {
		return res, false, "", fmt.Errorf("oEmbed: %w", err)
	}
	res.CheckedAt = c.cfg.Now()
	status := resp.Status
	httpCode := fmt.Sprintf("http_%d", status)
	switch {
	case status == http.StatusOK:
		var oe struct {
			HTML string `json:"html"`
		}
		if json.Unmarshal(resp.Body, &oe) == nil && oe.HTML != "" {
			res.State, res.Reason = takedown.ProbePresent, "oEmbed returned the embed"
			return res, true, "", nil
		}
		return res, false, "oEmbed answered 200 without an embed", nil
	case status == http.StatusTooManyRequests:
		return res, false, "", platforms.RateLimited(httpCode, c.wait(resp.Header), errors.New("oEmbed: HTTP 429"))
	case status >= 500:
		return res, false, "", platforms.Transient(httpCode, fmt.Errorf("oEmbed: HTTP %d", status))
	}
	var ge graphError
	if json.Unmarshal(resp.Body, &ge) != nil || ge.Error == nil {
		if status == http.StatusUnauthorized {
			return res, false, "", platforms.Permanent("unauthorized", errors.New("oEmbed: HTTP 401"))
		}
		return res, false, fmt.Sprintf("oEmbed answered HTTP %d without a Graph error", status), nil
	}
	e := ge.Error
	desc := fmt.Sprintf("Graph error %d/%d: %s", e.Code, e.Subcode, clip(e.Message))
	switch {
	case rateLimitCodes[e.Code]:
		return res, false, "", platforms.RateLimited(fmt.Sprintf("graph_%d", e.Code), c.wait(resp.Header), errors.New("oEmbed: "+desc))
	case e.Code == 190:
		return res, false, "", platforms.Permanent("unauthorized", errors.New("oEmbed: "+desc))
	}
	for _, g := range c.cfg.GoneErrors {
		if g.Code == e.Code && (g.Subcode == 0 || g.Subcode == e.Subcode) {
			res.State, res.Reason = takedown.ProbeRemoved, "oEmbed: "+desc
			return res, true, "", nil
		}
	}
	return res, false, "oEmbed: " + desc, nil
}

// wait is the wait a throttling answer asks for, or the configured default.
func (c *Client) wait(h http.Header) time.Duration {
	return httpx.RetryAfter(h, c.cfg.Now(), c.cfg.RateLimitWait)
}

// get fetches target and reads at most limit bytes of the answer. Errors
// never carry the URL: it holds the content's address and the app token.
func (c *Client) get(ctx context.Context, target, accept string, limit int64) (httpx.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return httpx.Response{}, platforms.Permanent("bad_request", errors.New("build request"))
	}
	req.Header.Set("Accept", accept)
	if accept != "application/json" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
		req.Header.Set("Accept-Language", "en-US,en;q=0.8,ko;q=0.6")
	}
	return httpx.Do(c.base.HTTP, req, limit)
}

// clip bounds a platform's message kept as a reason, and blanks any URL in
// it: Graph messages may quote the content's address, and reasons end up in
// logs.
func clip(s string) string {
	const max = 160
	words := strings.Fields(s)
	for i, w := range words {
		if strings.Contains(w, "://") {
			words[i] = "<url>"
		}
	}
	s = strings.Join(words, " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
