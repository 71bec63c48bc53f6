package platforms

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ChannelDefaults are a platform's channels when its configuration names
// none, and the channels it can take at all.
type ChannelDefaults struct {
	Ordinary, Priority Channel
	Allowed            []Channel
}

// DefaultChannels is the one definition of each platform's default
// channels; the adapters and the commands' configuration both read it.
var DefaultChannels = map[Platform]ChannelDefaults{
	YouTube:  {Ordinary: ChannelAPI, Priority: ChannelPortal, Allowed: []Channel{ChannelAPI, ChannelPortal}},
	Telegram: {Ordinary: ChannelEmail, Priority: ChannelEmail, Allowed: []Channel{ChannelEmail, ChannelPortal}},
	X:        {Ordinary: ChannelPortal, Priority: ChannelPortal, Allowed: []Channel{ChannelPortal, ChannelEmail}},
	Meta:     {Ordinary: ChannelPortal, Priority: ChannelPortal, Allowed: []Channel{ChannelPortal, ChannelEmail}},
}

// DefaultHTTPTimeout bounds one request of an adapter given no HTTP client.
const DefaultHTTPTimeout = 30 * time.Second

// Base is what every adapter shares: the route its notices take, the
// mailer for e-mailed ones, the HTTP client, the logger and the clock.
type Base struct {
	Route  Route
	Mailer Mailer
	HTTP   *http.Client
	Logger *slog.Logger
	Now    func() time.Time
}

// NewBase fills the shared defaults (the platform's channels, the priority
// address falling back to the ordinary one, an HTTP client with a 30 s
// timeout, a logger that discards, time.Now) and validates the route, so
// that a mistake stops the worker at start.
func NewBase(p Platform, route Route, m Mailer, httpClient *http.Client, logger *slog.Logger, now func() time.Time) (Base, error) {
	d, ok := DefaultChannels[p]
	if !ok {
		return Base{}, fmt.Errorf("no channels known for platform %q", p)
	}
	route.Channel = cmp.Or(route.Channel, d.Ordinary)
	route.PriorityChannel = cmp.Or(route.PriorityChannel, d.Priority)
	route.PriorityTo = cmp.Or(route.PriorityTo, route.To)
	if err := route.Validate(m, d.Allowed...); err != nil {
		return Base{}, err
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return Base{Route: route, Mailer: m, HTTP: httpClient, Logger: logger, Now: now}, nil
}

// SendRouted sends n along the base's route (see SendRouted) under label,
// and logs a notice that went out by e-mail.
func (b Base) SendRouted(ctx context.Context, n Notice, label string) (Submission, error) {
	sub, err := SendRouted(ctx, b.Route, b.Mailer, n, label, b.Now)
	if err == nil && sub.Channel == ChannelEmail {
		b.Logger.InfoContext(ctx, strings.ToLower(b.Route.Name)+" notice e-mailed", "reference", sub.Reference, "priority", n.Priority)
	}
	return sub, err
}

// CheckAbsoluteURL says what is wrong with s as an adapter's endpoint: it
// must be an absolute http(s) URL.
func CheckAbsoluteURL(name, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute http(s) URL", name, s)
	}
	return nil
}

// IsDigits tells whether s is a non-empty run of ASCII digits (post and
// status ids).
func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
