// Package adapter is the base every platform adapter builds on: what they
// share (route, mailer, HTTP client, logger, clock), with the defaults
// filled in once. It is apart from package platforms, the contract, so that
// the workflows, which speak the contract, link no HTTP code.
package adapter

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// DefaultHTTPTimeout bounds one request of an adapter given no HTTP client.
const DefaultHTTPTimeout = 30 * time.Second

// Base is what every adapter shares: the route its notices take, the
// mailer for e-mailed ones, the HTTP client, the logger and the clock.
type Base struct {
	Route  platforms.Route
	Mailer platforms.Mailer
	HTTP   *http.Client
	Logger *slog.Logger
	Now    func() time.Time
}

// NewBase fills the shared defaults (the platform's channels, the priority
// address falling back to the ordinary one, an HTTP client with a 30 s
// timeout, a logger that discards, time.Now) and validates the route, so
// that a mistake stops the worker at start.
func NewBase(p takedown.Platform, route platforms.Route, m platforms.Mailer, httpClient *http.Client, logger *slog.Logger, now func() time.Time) (Base, error) {
	d, ok := platforms.DefaultChannels[p]
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

// SendRouted sends n along the base's route (see platforms.SendRouted) under label,
// and logs a notice that went out by e-mail.
func (b Base) SendRouted(ctx context.Context, n takedown.Notice, label string) (platforms.Submission, error) {
	sub, err := platforms.SendRouted(ctx, b.Route, b.Mailer, n, label, b.Now)
	if err == nil && sub.Channel == takedown.ChannelEmail {
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
