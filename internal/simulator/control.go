package simulator

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Snapshot is everything the simulator holds, as GET /_sim/state shows it.
type Snapshot struct {
	Now          time.Time          `json:"now"`
	Contents     []ContentState     `json:"contents"`
	Notices      []ReceivedNotice   `json:"notices"`
	Counters     Counters           `json:"counters"`
	Behaviours   []BehaviourSetting `json:"behaviours"`
	YouTubeQuota QuotaState         `json:"youtube_quota"`
	XRateLimit   XRateState         `json:"x_rate_limit"`
}

// Counters counts what the simulator received.
type Counters struct {
	// Routes counts requests per route (the Route constants).
	Routes map[string]int `json:"routes"`
	// Contents counts requests per content, keyed "<platform>/<content id>".
	Contents map[string]int `json:"contents"`
	// Notices counts notices per platform, Unidentified included.
	Notices map[takedown.Platform]int `json:"notices"`
}

// BehaviourSetting is one behaviour as set, with how much of its rate limit is used.
type BehaviourSetting struct {
	Platform      takedown.Platform `json:"platform"`
	ContentID     string            `json:"content_id,omitempty"`
	Behaviour     Behaviour         `json:"behaviour"`
	RateLimitUsed int               `json:"rate_limit_used,omitempty"`
}

// XRateState is X's rate-limit window as it stands.
type XRateState struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	ResetsAt  time.Time `json:"resets_at"`
}

// Snapshot returns the whole state.
func (s *Simulator) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{
		Now:          s.now(),
		Contents:     []ContentState{},
		Notices:      slices.Clone(s.st.Notices),
		Counters:     s.countersLocked(),
		Behaviours:   []BehaviourSetting{},
		YouTubeQuota: s.quotaLocked(),
	}
	if snap.Notices == nil {
		snap.Notices = []ReceivedNotice{}
	}
	for _, k := range slices.Sorted(maps.Keys(s.st.Contents)) {
		snap.Contents = append(snap.Contents, s.contentStateLocked(s.st.Contents[k]))
	}
	for _, p := range slices.Sorted(maps.Keys(s.st.Defaults)) {
		sl := s.st.Defaults[p]
		snap.Behaviours = append(snap.Behaviours, BehaviourSetting{Platform: p, Behaviour: sl.Behaviour, RateLimitUsed: sl.RateLimitUsed})
	}
	for _, k := range slices.Sorted(maps.Keys(s.st.Behaviours)) {
		sl := s.st.Behaviours[k]
		p, id, _ := strings.Cut(k, "/")
		snap.Behaviours = append(snap.Behaviours, BehaviourSetting{
			Platform: takedown.Platform(p), ContentID: id, Behaviour: sl.Behaviour, RateLimitUsed: sl.RateLimitUsed,
		})
	}
	win := s.st.XWindow
	snap.XRateLimit = XRateState{Limit: s.cfg.XRateLimit, Remaining: s.cfg.XRateLimit}
	if !win.Start.IsZero() && snap.Now.Before(win.Start.Add(s.cfg.XRateWindow)) {
		snap.XRateLimit.Remaining = max(s.cfg.XRateLimit-win.Used, 0)
		snap.XRateLimit.ResetsAt = win.Start.Add(s.cfg.XRateWindow)
	}
	return snap
}

// Counters returns the request and notice counters.
func (s *Simulator) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.countersLocked()
}

func (s *Simulator) countersLocked() Counters {
	c := Counters{
		Routes:   maps.Clone(s.st.Routes),
		Contents: map[string]int{},
		Notices:  map[takedown.Platform]int{},
	}
	for k, rec := range s.st.Contents {
		if rec.Requests > 0 {
			c.Contents[k] = rec.Requests
		}
	}
	for _, n := range s.st.Notices {
		c.Notices[n.Platform]++
	}
	return c
}

func (s *Simulator) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/state", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Snapshot())
	})
	mux.HandleFunc("GET /_sim/counters", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Counters())
	})
	mux.HandleFunc("GET /_sim/notices", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ns := s.Notices(takedown.Platform(q.Get("platform")), q.Get("content_id"))
		if ns == nil {
			ns = []ReceivedNotice{}
		}
		writeJSON(w, http.StatusOK, ns)
	})
	mux.HandleFunc("GET /_sim/content", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		c, err := controlContent(takedown.Platform(q.Get("platform")), q.Get("content_id"), q.Get("url"))
		if err != nil {
			writeControlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, s.State(c.Platform, c.ID))
	})
	mux.HandleFunc("PUT /_sim/behaviour", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Platform  takedown.Platform `json:"platform"`
			ContentID string            `json:"content_id"`
			URL       string            `json:"url"`
			Behaviour Behaviour         `json:"behaviour"`
		}
		if err := decodeControl(r, &req); err != nil {
			writeControlError(w, err)
			return
		}
		p, id := req.Platform, req.ContentID
		if req.URL != "" || id != "" {
			c, err := controlContent(p, id, req.URL)
			if err != nil {
				writeControlError(w, err)
				return
			}
			p, id = c.Platform, c.ID
		}
		if err := s.SetBehaviour(p, id, req.Behaviour); err != nil {
			writeControlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, BehaviourSetting{Platform: p, ContentID: id, Behaviour: req.Behaviour})
	})
	mux.HandleFunc("POST /_sim/portal", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Platform  takedown.Platform `json:"platform"`
			ContentID string            `json:"content_id"`
			URL       string            `json:"url"`
			Ticket    string            `json:"ticket"`
		}
		if err := decodeControl(r, &req); err != nil {
			writeControlError(w, err)
			return
		}
		c, err := controlContent(req.Platform, req.ContentID, req.URL)
		if err != nil {
			writeControlError(w, err)
			return
		}
		n, err := s.SubmitPortal(c.Platform, c.ID, req.Ticket)
		if err != nil {
			writeControlError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, n)
	})
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
}

// controlContent identifies content by URL, or by platform and id.
func controlContent(p takedown.Platform, id, rawURL string) (takedown.Content, error) {
	if rawURL != "" {
		c, ok := identifyURL(rawURL)
		if !ok {
			return takedown.Content{}, errors.New("url names no content the simulator knows")
		}
		if p != "" && c.Platform != p {
			return takedown.Content{}, fmt.Errorf("url is on %s, not %s", c.Platform, p)
		}
		return c, nil
	}
	if !p.Valid() {
		return takedown.Content{}, fmt.Errorf("platform %q is not one of %v", p, takedown.Platforms)
	}
	return identifyID(p, id)
}

func decodeControl(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	return nil
}

// writeControlError answers 400: every error of the control API is the
// caller's, and the message is meant for the developer who sent it.
func writeControlError(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": cmp.Or(err.Error(), "bad request")})
}
