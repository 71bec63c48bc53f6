// Package simulator stands in for the platforms' APIs, public pages and
// designated e-mail addresses, which cannot be reached from development and
// test machines. It speaks the documented wire formats (YouTube Data API v3,
// Telegram's web preview, X API v2, Meta's Graph oEmbed and public pages,
// SMTP) closely enough that an adapter passing against it only needs its
// endpoints changed to talk to the real platform.
//
// Content the simulator has not heard of exists, for any well-formed id,
// until a notice for it arrives; it then disappears Config.RemoveAfter later.
// Behaviours scripted per platform or per content change that: never remove,
// reject, geo-restrict, wait for a portal submission, rate-limit, fail, hang
// or answer garbage. All state can be saved to a file after every change, so
// that a killed development process comes back as it left off.
package simulator

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // YouTube's quota day ends at midnight America/Los_Angeles, wherever this runs.

	smtp "github.com/emersion/go-smtp"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Route names, as counted by Requests: the HTTP method and path pattern, or
// "SMTP DATA" for an e-mail.
const (
	RouteYouTubeReasons      = "GET /youtube/v3/videoAbuseReportReasons"
	RouteYouTubeReportAbuse  = "POST /youtube/v3/videos/reportAbuse"
	RouteYouTubeVideos       = "GET /youtube/v3/videos"
	RouteTelegramPost        = "GET /t.me/{channel}/{id}"
	RouteTelegramPrivatePost = "GET /t.me/c/{internal}/{id}"
	RouteTelegramChannel     = "GET /t.me/s/{channel}"
	RouteTelegramChannelPost = "GET /t.me/s/{channel}/{id}"
	RouteXTweet              = "GET /x/2/tweets/{id}"
	RouteXTweets             = "GET /x/2/tweets"
	RouteMetaInstagramOEmbed = "GET /graph/{version}/instagram_oembed"
	RouteMetaOEmbedPost      = "GET /graph/{version}/oembed_post"
	RouteMetaOEmbedVideo     = "GET /graph/{version}/oembed_video"
	RouteWeb                 = "GET /web/{host}/{path...}"
	RouteSMTP                = "SMTP DATA"
	// RouteUnmatched counts requests to paths no platform route serves.
	RouteUnmatched = "unmatched"
)

// Config configures a Simulator. Zero fields take the defaults noted.
type Config struct {
	Logger *slog.Logger
	// RemoveAfter is how long after a notice content disappears (default 2s).
	RemoveAfter time.Duration
	// StatePath, when set, is a JSON file the whole state is written to after
	// every change and read from at start. A state file, when there is one,
	// wins over Script.
	StatePath string
	// Now is the clock every time-dependent answer reads (default time.Now).
	Now func() time.Time
	// Script holds the initial behaviours.
	Script *Script
	// YouTubeQuota is the daily unit budget (default 10,000); a YouTube
	// default behaviour's quota overrides it.
	YouTubeQuota int
	// XRateLimit requests per XRateWindow on GET /2/tweets/:id (default 900 per 15 minutes).
	XRateLimit  int
	XRateWindow time.Duration
}

// Simulator is the simulated platforms. Its methods are safe for concurrent use.
type Simulator struct {
	cfg  Config
	log  *slog.Logger
	la   *time.Location
	mux  *http.ServeMux
	done chan struct{}
	// traces numbers Meta's fbtrace_id values.
	traces atomic.Uint64

	mu            sync.Mutex
	st            *state
	closed        bool
	smtpServers   []*smtp.Server
	smtpListeners []net.Listener
}

// New builds a simulator, loading Config.StatePath if it exists.
func New(cfg Config) (*Simulator, error) {
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	cfg.RemoveAfter = cmp.Or(cfg.RemoveAfter, 2*time.Second)
	cfg.YouTubeQuota = cmp.Or(cfg.YouTubeQuota, 10_000)
	cfg.XRateLimit = cmp.Or(cfg.XRateLimit, 900)
	cfg.XRateWindow = cmp.Or(cfg.XRateWindow, 15*time.Minute)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return nil, fmt.Errorf("new simulator: %w", err)
	}
	if cfg.Script != nil {
		if err := cfg.Script.Validate(); err != nil {
			return nil, fmt.Errorf("new simulator: %w", err)
		}
	}
	s := &Simulator{cfg: cfg, log: cfg.Logger, la: la, done: make(chan struct{})}
	if cfg.StatePath != "" {
		st, ok, err := loadState(cfg.StatePath)
		if err != nil {
			return nil, fmt.Errorf("new simulator: %w", err)
		}
		if ok {
			s.st = st
			s.log.Info("simulator state loaded; the script applies again only after a reset",
				"notices", len(st.Notices), "contents", len(st.Contents))
		}
	}
	if s.st == nil {
		s.st = newState()
		s.applyScriptLocked()
	}
	s.mux = s.routes()
	return s, nil
}

func (s *Simulator) now() time.Time { return s.cfg.Now() }

func (s *Simulator) applyScriptLocked() {
	sc := s.cfg.Script
	if sc == nil {
		return
	}
	for p, b := range sc.Defaults {
		s.st.Defaults[p] = newSlot(b)
	}
	for _, e := range sc.Contents {
		c, _ := e.content() // validated in New
		s.st.Behaviours[contentKey(c.Platform, c.ID)] = newSlot(e.Behaviour)
		s.recordLocked(c)
	}
}

// Handler serves every simulated platform and the /_sim/ control API.
func (s *Simulator) Handler() http.Handler { return s.mux }

// Close stops the SMTP servers started through the simulator, cuts short any
// hanging answer and writes the state a last time.
func (s *Simulator) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	servers, listeners := s.smtpServers, s.smtpListeners
	s.smtpServers, s.smtpListeners = nil, nil
	s.saveLocked()
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		if err := srv.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	// A listener whose Serve had not started yet is not known to its server.
	for _, l := range listeners {
		l.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close simulator: %w", err)
	}
	return nil
}

// Reset forgets every content, notice and counter and goes back to the
// behaviours of Config.Script.
func (s *Simulator) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newState()
	s.applyScriptLocked()
	s.saveLocked()
}

// identifyID reads a normalized content id, or a URL where an id was expected.
func identifyID(p takedown.Platform, id string) (takedown.Content, error) {
	if strings.Contains(id, "://") {
		c, err := takedown.ParseURL(id)
		if err != nil {
			return takedown.Content{}, fmt.Errorf("identify content: %w", err)
		}
		if p != "" && c.Platform != p {
			return takedown.Content{}, fmt.Errorf("identify content: url is on %s, not %s", c.Platform, p)
		}
		return c, nil
	}
	c, err := takedown.ParseContentID(p, id)
	if err != nil {
		return takedown.Content{}, fmt.Errorf("identify content: %w", err)
	}
	return c, nil
}

// normID returns the normalized id of content named by id or URL, or id
// itself when it names nothing: the read-only accessors accept either.
func normID(p takedown.Platform, id string) string {
	if c, err := identifyID(p, id); err == nil {
		return c.ID
	}
	return id
}

// SetBehaviour sets the behaviour of one content, or with an empty contentID
// the platform's default. It restarts the behaviour's rate-limit count and
// PRNG; a zero Behaviour removes the setting.
func (s *Simulator) SetBehaviour(p takedown.Platform, contentID string, b Behaviour) error {
	if !p.Valid() {
		return fmt.Errorf("set behaviour: unknown platform %q", p)
	}
	if err := b.Validate(); err != nil {
		return fmt.Errorf("set behaviour: %w", err)
	}
	var c takedown.Content
	if contentID != "" {
		var err error
		if c, err = identifyID(p, contentID); err != nil {
			return fmt.Errorf("set behaviour: %w", err)
		}
	}
	zero := isZero(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case contentID == "" && zero:
		delete(s.st.Defaults, p)
	case contentID == "":
		s.st.Defaults[p] = newSlot(b)
	case zero:
		delete(s.st.Behaviours, contentKey(c.Platform, c.ID))
	default:
		s.st.Behaviours[contentKey(c.Platform, c.ID)] = newSlot(b)
		s.recordLocked(c)
	}
	s.saveLocked()
	return nil
}

func isZero(b Behaviour) bool {
	return b.OnNotice == "" && b.RemoveAfter == 0 && b.RestoreAfter == 0 && b.RateLimit == nil &&
		b.FailRate == 0 && b.Seed == 0 && b.Hang == 0 && !b.Malformed && b.Quota == 0 &&
		b.Initial == "" && len(b.Countries) == 0
}

// SubmitPortal records that a person submitted the platform's web form for
// content: a notice through the portal channel. An empty ticket gets a case
// number made up the way a portal would.
func (s *Simulator) SubmitPortal(p takedown.Platform, contentID, ticket string) (ReceivedNotice, error) {
	c, err := identifyID(p, contentID)
	if err != nil {
		return ReceivedNotice{}, fmt.Errorf("submit portal: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ticket == "" {
		ticket = fmt.Sprintf("SIM-%s-%06d", strings.ToUpper(string(c.Platform)), s.st.Seq+1)
	}
	n := s.noticeLocked(ReceivedNotice{Channel: takedown.ChannelPortal, Ticket: ticket}, &c)
	s.saveLocked()
	return n, nil
}

// Notices lists the notices received for content (a normalized id or a
// URL), oldest first. An empty contentID lists the platform's; an empty
// platform lists all.
func (s *Simulator) Notices(p takedown.Platform, contentID string) []ReceivedNotice {
	if p != "" && contentID != "" {
		contentID = normID(p, contentID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ReceivedNotice
	for _, n := range s.st.Notices {
		if (p == "" || n.Platform == p) && (contentID == "" || n.ContentID == contentID) {
			n.Recipients = slices.Clone(n.Recipients)
			out = append(out, n)
		}
	}
	return out
}

// NoticeCount is len(Notices(p, contentID)).
func (s *Simulator) NoticeCount(p takedown.Platform, contentID string) int {
	return len(s.Notices(p, contentID))
}

// Requests is how many requests a route received, failed and refused ones
// included. route is one of the Route constants.
func (s *Simulator) Requests(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Routes[route]
}

// ContentRequests is how many requests (probes, reports, e-mails) named content.
func (s *Simulator) ContentRequests(p takedown.Platform, contentID string) int {
	contentID = normID(p, contentID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec := s.st.Contents[contentKey(p, contentID)]; rec != nil {
		return rec.Requests
	}
	return 0
}

// State is the content's state now. Content never seen is reported as its
// behaviour's initial status (present by default).
func (s *Simulator) State(p takedown.Platform, contentID string) ContentState {
	contentID = normID(p, contentID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec := s.st.Contents[contentKey(p, contentID)]; rec != nil {
		return s.contentStateLocked(rec)
	}
	rec := &contentRecord{Platform: p, ID: contentID}
	if c, err := identifyID(p, contentID); err == nil {
		rec.URL = c.URL
	}
	return s.contentStateLocked(rec)
}
