// Package isp sends access-blocking orders to domestic ISPs, the last rung of
// the escalation ladder, and checks from inside the country whether they took
// effect.
//
// Orders do not go to each ISP: the regulator's blocking-order gateway relays
// them. Neither the gateway's interface nor the vantage point's is published,
// so both are kept as small as possible and written down here, for whoever
// wires the real services:
//
//	POST {OrderURL}
//	Authorization: Bearer <Token>
//	Idempotency-Key: <order_id>
//	Content-Type: application/json
//
//	{"order_id": "BLK-1A2B3C4D5E6F", "reference": "KCSC-2025-000123",
//	 "url": "https://t.me/channel/12", "platform": "telegram", "content_id": "channel/12",
//	 "category": "deepfake_sexual",
//	 "legal_basis": "Act on Promotion of Information and Communications Network Utilization and Information Protection, Art. 44-7",
//	 "approved_by": "<supervisor uuid>", "issued_at": "2025-03-10T01:00:00Z"}
//
//	→ 200, 201 or 202 {"order_id": "…", …}; the gateway's order_id becomes
//	  the reference, ours when it gives none. Sending the same Idempotency-Key
//	  again must return the same order, never make a second one.
//
//	GET {VantageURL}?url=<canonical URL>
//	Authorization: Bearer <VantageToken>   (only when one is configured)
//
//	→ 200 {"url": "…", "blocked": true, "block_page": "warning.or.kr", "checked_at": "…"}
//
// The vantage point is a small probe inside a domestic ISP's network: it
// fetches the URL as a subscriber would and reports whether it got the
// warning page (KCSC's blocked URLs show warning.or.kr) instead.
package isp

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/httpx"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// DefaultLegalBasis is the provision KCSC blocking orders rest on.
const DefaultLegalBasis = "Act on Promotion of Information and Communications Network Utilization and Information Protection, Art. 44-7"

const (
	// defaultRateLimitWait is used when a 429 names no wait.
	defaultRateLimitWait = 60 * time.Second
	// maxBody caps what is read of any answer; both services answer a few
	// hundred bytes.
	maxBody = 1 << 20
)

// Config configures the blocking-order client.
type Config struct {
	// OrderURL is the gateway endpoint orders are POSTed to; required.
	OrderURL string
	// Token is the gateway's bearer token; required.
	Token string
	// VantageURL is the domestic probe asked whether a URL is blocked; required.
	VantageURL string
	// VantageToken, when set, is sent to the probe as a bearer token. The
	// gateway's Token never is: the probe is another service.
	VantageToken string
	// LegalBasis is quoted in every order, DefaultLegalBasis by default.
	LegalBasis string
	// Now is the clock, time.Now by default.
	Now func() time.Time
}

// Client sends blocking orders and checks their effect.
type Client struct {
	cfg    Config
	http   *http.Client
	logger *slog.Logger
}

// New validates cfg, fills its defaults and returns the client. A nil
// httpClient gets one with a 30 s timeout.
func New(cfg Config, httpClient *http.Client, logger *slog.Logger) (*Client, error) {
	cfg.LegalBasis = cmp.Or(strings.TrimSpace(cfg.LegalBasis), DefaultLegalBasis)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := checkURL(cfg.OrderURL); err != nil {
		return nil, fmt.Errorf("isp config: OrderURL: %w", err)
	}
	if err := checkURL(cfg.VantageURL); err != nil {
		return nil, fmt.Errorf("isp config: VantageURL: %w", err)
	}
	if cfg.Token == "" {
		return nil, errors.New("isp config: Token is required")
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, http: httpClient, logger: logger}, nil
}

func checkURL(s string) error {
	if s == "" {
		return errors.New("required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

// OrderID is the order id sent for the order with idempotency key key:
// "BLK-" and the first 12 hex digits of the key's SHA-256, upper-cased. It is
// derived, never random, so that an order sent again after a crash carries
// the same id and Idempotency-Key, and the gateway relays it only once.
func OrderID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "BLK-" + strings.ToUpper(hex.EncodeToString(sum[:6]))
}

// orderRequest is the gateway's order body.
type orderRequest struct {
	OrderID    string            `json:"order_id"`
	Reference  string            `json:"reference"`
	URL        string            `json:"url"`
	Platform   takedown.Platform `json:"platform"`
	ContentID  string            `json:"content_id"`
	Category   takedown.Category `json:"category"`
	LegalBasis string            `json:"legal_basis"`
	ApprovedBy string            `json:"approved_by"`
	IssuedAt   string            `json:"issued_at"`
}

// Order sends one blocking order to the gateway. It does not retry: a
// failure comes back classified for the workflow to decide.
//
// The order's Reason stays out of the body: it is the supervisor's note for
// the audit trail and may name the victim.
func (c *Client) Order(ctx context.Context, o takedown.BlockingOrder) (string, error) {
	if o.Key == "" {
		return "", platforms.Permanent("invalid_order", errors.New("blocking order without idempotency key"))
	}
	if o.ApprovedBy == uuid.Nil {
		return "", platforms.Permanent("invalid_order", errors.New("blocking order without a supervisor's approval"))
	}
	if !o.Category.Valid() {
		return "", platforms.Permanent("invalid_order", fmt.Errorf("unknown category %q", o.Category))
	}
	target, err := canonicalURL(o.Content)
	if err != nil {
		return "", platforms.Permanent("invalid_content", err)
	}
	id := OrderID(o.Key)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(orderRequest{
		OrderID:    id,
		Reference:  o.Reference,
		URL:        target,
		Platform:   o.Content.Platform,
		ContentID:  o.Content.ID,
		Category:   o.Category,
		LegalBasis: c.cfg.LegalBasis,
		ApprovedBy: o.ApprovedBy.String(),
		IssuedAt:   c.cfg.Now().UTC().Format(time.RFC3339),
	}); err != nil {
		return "", platforms.Permanent("invalid_order", fmt.Errorf("encode order: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.OrderURL, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return "", platforms.Permanent("bad_request", errors.New("build order request"))
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Idempotency-Key", id)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := httpx.Do(c.http, req, maxBody)
	if err != nil {
		return "", fmt.Errorf("send blocking order %s: %w", id, err)
	}
	if resp.Status/100 != 2 {
		return "", fmt.Errorf("send blocking order %s: %w", id, c.httpError(resp))
	}
	// The order is accepted whatever the body says; an answer without a
	// readable order_id is not worth sending the order again for.
	var ack struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal(resp.Body, &ack); err != nil && len(bytes.TrimSpace(resp.Body)) > 0 {
		c.logger.WarnContext(ctx, "blocking order accepted with an unreadable answer", "order_id", id, "status", resp.Status)
	}
	ref := cmp.Or(strings.TrimSpace(ack.OrderID), id)
	c.logger.InfoContext(ctx, "blocking order sent", "order_id", id, "reference", ref,
		"platform", o.Content.Platform, "category", o.Category, "takedown_id", o.TakedownID)
	return ref, nil
}

// vantageAnswer is the probe's answer. Blocked is a pointer so that an
// answer without it is told apart from "not blocked".
type vantageAnswer struct {
	URL       string `json:"url"`
	Blocked   *bool  `json:"blocked"`
	BlockPage string `json:"block_page"`
	CheckedAt string `json:"checked_at"`
}

// Blocked asks the domestic vantage point whether the content's URL is
// blocked. It is true only on a readable answer about this URL that says so;
// any failure is an error, never a guess.
func (c *Client) Blocked(ctx context.Context, content takedown.Content) (bool, error) {
	target, err := canonicalURL(content)
	if err != nil {
		return false, platforms.Permanent("invalid_content", err)
	}
	u, err := url.Parse(c.cfg.VantageURL)
	if err != nil {
		return false, platforms.Permanent("bad_request", errors.New("parse vantage URL"))
	}
	q := u.Query()
	q.Set("url", target)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, platforms.Permanent("bad_request", errors.New("build vantage request"))
	}
	if c.cfg.VantageToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.VantageToken)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := httpx.Do(c.http, req, maxBody)
	if err != nil {
		return false, fmt.Errorf("check blocking: %w", err)
	}
	if resp.Status != http.StatusOK {
		return false, fmt.Errorf("check blocking: %w", c.httpError(resp))
	}
	var ans vantageAnswer
	if err := json.Unmarshal(resp.Body, &ans); err != nil || ans.Blocked == nil {
		return false, platforms.Transient("malformed_response", errors.New("check blocking: unreadable vantage answer"))
	}
	if ans.URL != "" && ans.URL != target {
		// An answer about another URL says nothing about this one.
		return false, platforms.Transient("mismatched_answer", errors.New("check blocking: vantage answered about another URL"))
	}
	return *ans.Blocked, nil
}

// canonicalURL is the URL orders and checks name: ParseURL's form of the
// reported URL, or the one rebuilt from the id when no URL is known. The two
// differ for Facebook and Threads, where the reported URL is preferred.
func canonicalURL(c takedown.Content) (string, error) {
	if c.URL != "" {
		pc, err := takedown.ParseURL(c.URL)
		if err != nil {
			return "", fmt.Errorf("canonical URL: %w", err)
		}
		return pc.URL, nil
	}
	pc, err := takedown.ParseContentID(c.Platform, c.ID)
	if err != nil {
		return "", fmt.Errorf("canonical URL: %w", err)
	}
	return pc.URL, nil
}

// httpError classifies an unsuccessful answer by its status alone: neither
// service's error body is specified, and an echoed body could carry the
// content's URL into logs.
func (c *Client) httpError(resp httpx.Response) error {
	status := resp.Status
	code := fmt.Sprintf("http_%d", status)
	err := fmt.Errorf("HTTP %d", status)
	switch {
	case status == http.StatusUnauthorized:
		return platforms.Permanent("unauthorized", fmt.Errorf("HTTP %d: the token was refused", status))
	case status == http.StatusForbidden:
		return platforms.Permanent("forbidden", err)
	case status == http.StatusTooManyRequests:
		return platforms.RateLimited(code, httpx.RetryAfter(resp.Header, c.cfg.Now(), defaultRateLimitWait), err)
	case status == http.StatusRequestTimeout:
		return platforms.Transient(code, err)
	case status >= 400 && status < 500:
		return platforms.Permanent(code, err)
	default:
		// 5xx, and anything a proxy might make up (a 3xx it would not
		// follow, a 2xx where 200 was expected): worth another try.
		return platforms.Transient(code, err)
	}
}
