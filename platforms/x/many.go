package x

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/takedown-oss/takedown/internal/httpx"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/adapter"
)

// BatchSize is how many posts one GET /2/tweets?ids= looks up, for one
// request of the 15-minute window.
const BatchSize = 100

// postsResponse is the part of GET /2/tweets?ids= a probe reads: the posts
// found, and an error for each one that was not.
type postsResponse struct {
	Data   []post       `json:"data"`
	Errors []apiProblem `json:"errors"`
	apiProblem
}

// ProbeMany looks up to BatchSize posts up in one request; the results come
// in the order of contents. A post the answer names neither among the data
// nor among the errors is unknown: silence is not removal.
func (c *Client) ProbeMany(ctx context.Context, contents []takedown.Content) ([]takedown.ProbeResult, error) {
	ids, err := adapter.BatchIDs(contents, BatchSize, isStatusID, "posts", "not a numeric X post id")
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.cfg.APIBaseURL+"/2/tweets?ids="+url.QueryEscape(strings.Join(ids, ","))+"&tweet.fields=withheld", nil)
	if err != nil {
		return nil, platforms.Permanent("bad_request", errors.New("build posts lookup"))
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.BearerToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.base.HTTP.Do(req)
	if err != nil {
		return nil, httpx.NetworkError("look up posts", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, httpx.NetworkError("read posts lookup", err)
	}
	status := resp.StatusCode
	httpCode := fmt.Sprintf("http_%d", status)
	switch {
	case status == http.StatusTooManyRequests:
		return nil, platforms.RateLimited(httpCode, c.rateLimitWait(resp.Header), errors.New("look up posts: HTTP 429"))
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nil, platforms.Permanent("unauthorized", fmt.Errorf("look up posts: HTTP %d: the bearer token was refused", status))
	case status >= 500:
		return nil, platforms.Transient(httpCode, fmt.Errorf("look up posts: HTTP %d", status))
	}
	var pr postsResponse
	if err := json.Unmarshal(body, &pr); err != nil {
		return nil, platforms.Transient("malformed_response", fmt.Errorf("look up posts: HTTP %d with an unreadable body", status))
	}
	if status != http.StatusOK {
		detail := cmp.Or(pr.Detail, pr.Title, httpCode)
		return nil, platforms.Permanent(httpCode, fmt.Errorf("look up posts: HTTP %d: %s", status, detail))
	}
	if pr.Data == nil && pr.Errors == nil {
		return nil, platforms.Transient("malformed_response", errors.New("look up posts: answer without data or errors"))
	}
	now := c.cfg.Now()
	found := make(map[string]*withheld, len(pr.Data))
	seen := make(map[string]bool, len(pr.Data))
	for _, p := range pr.Data {
		found[p.ID], seen[p.ID] = p.Withheld, true
	}
	problems := make(map[string]apiProblem, len(pr.Errors))
	for _, p := range pr.Errors {
		problems[cmp.Or(p.ResourceID, p.Value)] = p
	}
	out := make([]takedown.ProbeResult, len(contents))
	for i, content := range contents {
		res := takedown.ProbeResult{CheckedAt: now}
		p, failed := problems[content.ID]
		switch {
		case seen[content.ID]:
			c.readPost(&res, found[content.ID])
		case failed && (p.Type == problemNotFound || p.Title == "Not Found Error"):
			res.State, res.Reason = takedown.ProbeRemoved, cmp.Or(p.Detail, p.Title)
		case failed:
			// A protected post, a suspended author or another problem: not
			// public, but not shown to be removed either.
			res.State, res.Reason = takedown.ProbeUnknown, cmp.Or(p.Detail, p.Title)
		default:
			res.State, res.Reason = takedown.ProbeUnknown, "post missing from the lookup's answer"
		}
		out[i] = res
	}
	return out, nil
}
