package youtube

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/takedown-oss/takedown/internal/httpx"
	"github.com/takedown-oss/takedown/platforms"
)

// googleError is Google's error body:
// {"error":{"code":403,"message":"…","errors":[{"domain":"…","reason":"…","message":"…"}]}}.
type googleError struct {
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Domain  string `json:"domain"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"error"`
}

// apiError classifies a non-2xx answer.
func (c *Client) apiError(resp httpx.Response) error {
	status := resp.Status
	httpCode := fmt.Sprintf("http_%d", status)
	switch {
	case status == http.StatusUnauthorized:
		return platforms.Permanent("unauthorized", fmt.Errorf("HTTP %d: the access token was refused", status))
	case status == http.StatusTooManyRequests:
		return platforms.RateLimited(httpCode, c.retryAfter(resp), fmt.Errorf("HTTP %d", status))
	case status >= 500:
		return platforms.Transient(httpCode, fmt.Errorf("HTTP %d", status))
	}

	var ge googleError
	if err := json.Unmarshal(resp.Body, &ge); err != nil || ge.Error == nil {
		return platforms.Transient("malformed_response", fmt.Errorf("HTTP %d with an unreadable error body", status))
	}
	reason := ""
	if len(ge.Error.Errors) > 0 {
		reason = ge.Error.Errors[0].Reason
	}
	err := fmt.Errorf("HTTP %d %s: %s", status, cmp.Or(reason, "(no reason)"), ge.Error.Message)

	switch reason {
	case "quotaExceeded", "dailyLimitExceeded":
		// The daily quota: nothing will pass before it resets.
		return platforms.RateLimited("quotaExceeded", c.untilQuotaReset(), err)
	case "rateLimitExceeded", "userRateLimitExceeded":
		return platforms.RateLimited(reason, c.retryAfter(resp), err)
	case "invalidAbuseReason":
		// The reason ids may have changed under us: fetch them afresh for
		// the next notice.
		c.dropReasons()
		return platforms.Permanent(reason, err)
	case "videoNotFound":
		// The workflow probes next; the video is most likely already gone.
		return platforms.Permanent(reason, err)
	}
	switch {
	case status == http.StatusRequestTimeout:
		return platforms.Transient(httpCode, err)
	case status >= 400:
		return platforms.Permanent(cmp.Or(reason, httpCode), err)
	default:
		return platforms.Transient(httpCode, err)
	}
}

// retryAfter is the wait a rate-limit answer asks for, or the default.
func (c *Client) retryAfter(resp httpx.Response) time.Duration {
	return httpx.RetryAfter(resp.Header, c.cfg.Now(), defaultRateLimitWait)
}

// untilQuotaReset is the wait until the next midnight in Los Angeles, when
// the project's daily quota is renewed, plus a margin.
func (c *Client) untilQuotaReset() time.Duration {
	now := c.cfg.Now()
	t := now.In(c.pacific)
	next := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, c.pacific)
	return next.Sub(now) + quotaResetMargin
}
