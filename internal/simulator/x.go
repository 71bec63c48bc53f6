package simulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// xTweetFields are the values X accepts in tweet.fields.
var xTweetFields = []string{
	"article", "attachments", "author_id", "card_uri", "community_id", "context_annotations",
	"conversation_id", "created_at", "display_text_range", "edit_controls", "edit_history_tweet_ids",
	"entities", "geo", "id", "in_reply_to_user_id", "lang", "media_metadata", "non_public_metrics",
	"note_tweet", "organic_metrics", "possibly_sensitive", "promoted_metrics", "public_metrics",
	"referenced_tweets", "reply_settings", "scopes", "source", "text", "withheld",
}

// xProblem is X API v2's problem document for request-level errors.
type xProblem struct {
	Title  string `json:"title"`
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

type xFaults struct{ s *Simulator }

// rateLimited also sets x-rate-limit-reset to when the scripted wait ends,
// since that header, not Retry-After, is what X clients read.
func (f xFaults) rateLimited(w http.ResponseWriter, rl RateLimit) {
	h := w.Header()
	h.Set("x-rate-limit-limit", strconv.Itoa(f.s.cfg.XRateLimit))
	h.Set("x-rate-limit-remaining", "0")
	h.Set("x-rate-limit-reset", strconv.FormatInt(f.s.now().Add(time.Duration(rl.RetryAfterSeconds)*time.Second).Unix(), 10))
	retryAfter(w, rl)
	writeJSON(w, rl.Status, xProblem{Title: "Too Many Requests", Type: "about:blank", Status: rl.Status, Detail: "Too Many Requests"})
}

func (f xFaults) unavailable(w http.ResponseWriter) {
	f.s.xRateHeaders(w, false)
	writeJSON(w, http.StatusServiceUnavailable, xProblem{
		Title: "Service Unavailable", Type: "about:blank", Status: http.StatusServiceUnavailable, Detail: "Service Unavailable",
	})
}

// xRateHeaders sets the rate-limit headers X puts on every answer, spending
// one request of the window when consume is set. It reports false when the
// window is used up.
func (s *Simulator) xRateHeaders(w http.ResponseWriter, consume bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	win := &s.st.XWindow
	if win.Start.IsZero() || !now.Before(win.Start.Add(s.cfg.XRateWindow)) {
		*win = xWindow{Start: now}
	}
	ok := true
	if consume {
		if win.Used >= s.cfg.XRateLimit {
			ok = false
		} else {
			win.Used++
		}
		s.saveLocked()
	}
	h := w.Header()
	h.Set("x-rate-limit-limit", strconv.Itoa(s.cfg.XRateLimit))
	h.Set("x-rate-limit-remaining", strconv.Itoa(max(s.cfg.XRateLimit-win.Used, 0)))
	h.Set("x-rate-limit-reset", strconv.FormatInt(win.Start.Add(s.cfg.XRateWindow).Unix(), 10))
	return ok
}

func identifyTweet(r *http.Request) []takedown.Content {
	c, err := takedown.ParseContentID(takedown.X, r.PathValue("id"))
	if err != nil {
		return nil
	}
	return []takedown.Content{c}
}

func writeXInvalid(w http.ResponseWriter, param, value, message string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"errors": []map[string]any{{
			"parameters": map[string][]string{param: {value}},
			"message":    message,
		}},
		"title":  "Invalid Request",
		"detail": "One or more parameters to your request was invalid.",
		"type":   "https://api.twitter.com/2/problems/invalid-request",
	})
}

// xAdmit answers what X answers before looking anything up: 401 without a
// bearer token, 429 once the window's requests are spent (every lookup,
// of one post or a hundred, is one request of it).
func (s *Simulator) xAdmit(w http.ResponseWriter, r *http.Request) bool {
	if bearerToken(r) == "" {
		s.xRateHeaders(w, false)
		writeJSON(w, http.StatusUnauthorized, xProblem{Title: "Unauthorized", Type: "about:blank", Status: http.StatusUnauthorized, Detail: "Unauthorized"})
		return false
	}
	if !s.xRateHeaders(w, true) {
		writeJSON(w, http.StatusTooManyRequests, xProblem{Title: "Too Many Requests", Type: "about:blank", Status: http.StatusTooManyRequests, Detail: "Too Many Requests"})
		return false
	}
	return true
}

// xTweet answers GET /2/tweets/:id. A post that is gone comes back as
// HTTP 200 with an errors array, not as a 404.
func (s *Simulator) xTweet(w http.ResponseWriter, r *http.Request, cs []takedown.Content) {
	if !s.xAdmit(w, r) {
		return
	}
	id := r.PathValue("id")
	if len(cs) == 0 {
		writeXInvalid(w, "id", id, "The `id` query parameter value ["+id+"] is not valid")
		return
	}
	fields := map[string]bool{}
	if raw := r.URL.Query().Get("tweet.fields"); raw != "" {
		for _, f := range strings.Split(raw, ",") {
			if !slices.Contains(xTweetFields, f) {
				writeXInvalid(w, "tweet.fields", f, "The `tweet.fields` query parameter value ["+f+"] is not one of ["+strings.Join(xTweetFields, ",")+"]")
				return
			}
			fields[f] = true
		}
	}
	s.mu.Lock()
	st, countries := s.statusLocked(cs[0])
	s.mu.Unlock()
	if st == StatusRemoved {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []map[string]string{{
			"value":         id,
			"detail":        "Could not find tweet with id: [" + id + "].",
			"title":         "Not Found Error",
			"resource_type": "tweet",
			"parameter":     "id",
			"resource_id":   id,
			"type":          "https://api.twitter.com/2/problems/resource-not-found",
		}}})
		return
	}
	data := map[string]any{
		"id":                     id,
		"text":                   "Simulated post " + id + ".",
		"edit_history_tweet_ids": []string{id},
	}
	if fields["author_id"] {
		data["author_id"] = "1500000000000000000"
	}
	if fields["created_at"] {
		data["created_at"] = "2024-08-26T09:00:00.000Z"
	}
	if fields["conversation_id"] {
		data["conversation_id"] = id
	}
	if fields["lang"] {
		data["lang"] = "ko"
	}
	if fields["possibly_sensitive"] {
		data["possibly_sensitive"] = true
	}
	// Like every optional field, withheld is only returned when asked for.
	if fields["withheld"] && st == StatusWithheld {
		data["withheld"] = map[string]any{"copyright": false, "country_codes": countries}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

func identifyTweets(r *http.Request) []takedown.Content {
	var cs []takedown.Content
	for _, id := range strings.Split(r.URL.Query().Get("ids"), ",") {
		if c, err := takedown.ParseContentID(takedown.X, strings.TrimSpace(id)); err == nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// xTweets answers GET /2/tweets?ids=: the posts found under data, one
// error each for those that are gone, one request of the window for all.
func (s *Simulator) xTweets(w http.ResponseWriter, r *http.Request, cs []takedown.Content) {
	if !s.xAdmit(w, r) {
		return
	}
	raw := r.URL.Query().Get("ids")
	if len(cs) == 0 || len(cs) != len(strings.Split(raw, ",")) || len(cs) > 100 {
		writeXInvalid(w, "ids", raw, "The `ids` query parameter value ["+raw+"] is not valid")
		return
	}
	withheld := slices.Contains(strings.Split(r.URL.Query().Get("tweet.fields"), ","), "withheld")
	data, problems := []map[string]any{}, []map[string]string{}
	s.mu.Lock()
	for _, c := range cs {
		st, countries := s.statusLocked(c)
		if st == StatusRemoved {
			problems = append(problems, map[string]string{
				"value": c.ID, "detail": "Could not find tweet with id: [" + c.ID + "].", "title": "Not Found Error",
				"resource_type": "tweet", "parameter": "ids", "resource_id": c.ID,
				"type": "https://api.twitter.com/2/problems/resource-not-found",
			})
			continue
		}
		post := map[string]any{"id": c.ID, "text": "Simulated post " + c.ID + ".", "edit_history_tweet_ids": []string{c.ID}}
		if withheld && st == StatusWithheld {
			post["withheld"] = map[string]any{"copyright": false, "country_codes": countries}
		}
		data = append(data, post)
	}
	s.mu.Unlock()
	out := map[string]any{}
	if len(data) > 0 {
		out["data"] = data
	}
	if len(problems) > 0 {
		out["errors"] = problems
	}
	writeJSON(w, http.StatusOK, out)
}
