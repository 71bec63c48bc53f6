// Package telegram is the Telegram adapter. Telegram has no reporting API a
// regulator can use; notices go by e-mail to the address agreed with
// Telegram (a hotline address for priority notices), and probes read the
// public post preview that t.me serves for embedding.
package telegram

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
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
	DefaultPreviewBaseURL = "https://t.me"
	// DefaultUserAgent is a desktop browser's: t.me serves the widget to
	// browsers, and a bot-like agent risks a different page.
	DefaultUserAgent    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
	DefaultProbeCountry = "KR"
)

const (
	defaultRateLimitWait = 60 * time.Second
	maxPage              = 2 << 20
	platformLabel        = "Telegram"
)

// Mailer sends a notice by e-mail and returns its Message-ID;
// *mail.Sender is one.
type Mailer = platforms.Mailer

// Config configures the Telegram adapter.
type Config struct {
	// Mailer sends e-mailed notices; required when a channel is email.
	Mailer Mailer
	// To is the address designated by Telegram for ordinary notices.
	To string
	// PriorityTo is the hotline address for priority notices; To by default.
	PriorityTo string
	// Channel and PriorityChannel are email (the default) or portal.
	Channel         takedown.Channel
	PriorityChannel takedown.Channel
	// PreviewBaseURL is where post previews are fetched, DefaultPreviewBaseURL
	// by default.
	PreviewBaseURL string
	// UserAgent is sent with preview requests, DefaultUserAgent by default.
	UserAgent string
	// ProbeCountry is the country the probes are made from, reported when
	// the preview says a post is not available in "your country".
	ProbeCountry string
	// Now is the clock, time.Now by default.
	Now func() time.Time
}

// Client is the Telegram adapter.
type Client struct {
	cfg  Config
	base adapter.Base
}

var _ platforms.Adapter = (*Client)(nil)

// New validates cfg, fills its defaults and returns the adapter. A nil
// httpClient gets one with a 30 s timeout.
func New(cfg Config, httpClient *http.Client, logger *slog.Logger) (*Client, error) {
	cfg.PreviewBaseURL = strings.TrimRight(cmp.Or(cfg.PreviewBaseURL, DefaultPreviewBaseURL), "/")
	cfg.UserAgent = cmp.Or(cfg.UserAgent, DefaultUserAgent)
	cfg.ProbeCountry = strings.ToUpper(cmp.Or(cfg.ProbeCountry, DefaultProbeCountry))
	base, err := adapter.NewBase(takedown.Telegram, platforms.Route{Name: platformLabel, Channel: cfg.Channel, To: cfg.To,
		PriorityChannel: cfg.PriorityChannel, PriorityTo: cfg.PriorityTo}, cfg.Mailer, httpClient, logger, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("telegram config: %w", err)
	}
	cfg.Now = base.Now
	if err := adapter.CheckAbsoluteURL("PreviewBaseURL", cfg.PreviewBaseURL); err != nil {
		return nil, fmt.Errorf("telegram config: %w", err)
	}
	if len(cfg.ProbeCountry) != 2 {
		return nil, fmt.Errorf("telegram config: ProbeCountry %q is not a two-letter country code", cfg.ProbeCountry)
	}
	return &Client{cfg: cfg, base: base}, nil
}

// Send e-mails the notice to the designated address (the hotline address
// when it is a priority notice), or leaves a portal task when so configured.
func (c *Client) Send(ctx context.Context, n takedown.Notice) (platforms.Submission, error) {
	return c.base.SendRouted(ctx, n, platformLabel)
}

// Probe fetches the post's embed preview and reads it.
func (c *Client) Probe(ctx context.Context, content takedown.Content) (takedown.ProbeResult, error) {
	res := takedown.ProbeResult{CheckedAt: c.cfg.Now()}
	if strings.HasPrefix(content.ID, "c/") {
		// t.me/c/… links need membership of the chat; no public page exists.
		res.State, res.Reason = takedown.ProbeUnknown, "private channel: cannot be probed publicly"
		return res, nil
	}
	channel, post, ok := strings.Cut(content.ID, "/")
	if !ok || channel == "" || !platforms.IsDigits(post) {
		return takedown.ProbeResult{}, platforms.Permanent("invalid_content_id", errors.New("not a channel/post Telegram id"))
	}
	target := c.cfg.PreviewBaseURL + "/" + url.PathEscape(channel) + "/" + post + "?embed=1&mode=tme"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return takedown.ProbeResult{}, platforms.Permanent("bad_request", errors.New("build preview request"))
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := c.base.HTTP.Do(req)
	if err != nil {
		return takedown.ProbeResult{}, httpx.NetworkError("fetch post preview", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait := httpx.RetryAfter(resp.Header, c.cfg.Now(), defaultRateLimitWait)
		return takedown.ProbeResult{}, platforms.RateLimited("http_429", wait, errors.New("fetch post preview: HTTP 429"))
	case resp.StatusCode >= 500:
		return takedown.ProbeResult{}, platforms.Transient(fmt.Sprintf("http_%d", resp.StatusCode),
			fmt.Errorf("fetch post preview: HTTP %d", resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		// t.me answers 200 even for missing posts; anything else is not a
		// page we know how to read, and must not count as removal.
		res.State, res.Reason = takedown.ProbeUnknown, fmt.Sprintf("preview answered HTTP %d", resp.StatusCode)
		return res, nil
	}
	page, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		return takedown.ProbeResult{}, httpx.NetworkError("read post preview", err)
	}
	res.State, res.Reason, res.Countries = c.classify(page)
	c.base.Logger.DebugContext(ctx, "telegram preview probed", "state", res.State)
	return res, nil
}
