package adapterset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/takedown-oss/takedown/internal/mail"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/meta"
	"github.com/takedown-oss/takedown/platforms/telegram"
	"github.com/takedown-oss/takedown/platforms/x"
	"github.com/takedown-oss/takedown/platforms/youtube"
)

// Built is the outcome of BuildEach: an adapter for every platform, and for
// each platform that is off, why.
type Built struct {
	Adapters map[takedown.Platform]platforms.Adapter
	// Off holds the platforms that cannot be served and the reason; their
	// adapter answers every call with a transient error, so that a takedown
	// confirmed before the platform went off waits instead of failing.
	Off map[takedown.Platform]error
}

// BuildEach builds the adapter of every platform in enabled on its own: one
// platform lacking credentials does not keep the others from working.
// Platforms not in enabled are off with the reason "disabled".
func BuildEach(cfg Config, enabled []takedown.Platform, hc *http.Client, logger *slog.Logger) Built {
	b := Built{Adapters: map[takedown.Platform]platforms.Adapter{}, Off: map[takedown.Platform]error{}}
	on := map[takedown.Platform]bool{}
	for _, p := range enabled {
		on[p] = true
	}
	tgCh, tgPri := cfg.Telegram.Channel, cfg.Telegram.PriorityChannel
	if tgCh == "" {
		tgCh = takedown.ChannelEmail
	}
	if tgPri == "" {
		tgPri = takedown.ChannelEmail
	}
	channels := map[takedown.Platform][]takedown.Channel{
		takedown.YouTube:  {cfg.YouTube.Channel, cfg.YouTube.PriorityChannel},
		takedown.Telegram: {tgCh, tgPri},
		takedown.X:        {cfg.X.Channel, cfg.X.PriorityChannel},
		takedown.Meta:     {cfg.Meta.Channel, cfg.Meta.PriorityChannel},
	}
	var mailer *mail.Sender
	var mailErr error
	for _, p := range takedown.Platforms {
		if on[p] && usesEmail(channels[p]...) {
			mailer, mailErr = mail.NewSender(cfg.Mail, logger.With("component", "mail"))
			break
		}
	}
	cfg.Telegram.Mailer, cfg.X.Mailer, cfg.Meta.Mailer = mailer, mailer, mailer
	build := map[takedown.Platform]func() (platforms.Adapter, error){
		takedown.YouTube: func() (platforms.Adapter, error) {
			return youtube.New(cfg.YouTube, hc, logger.With("platform", "youtube"))
		},
		takedown.Telegram: func() (platforms.Adapter, error) {
			return telegram.New(cfg.Telegram, hc, logger.With("platform", "telegram"))
		},
		takedown.X:    func() (platforms.Adapter, error) { return x.New(cfg.X, hc, logger.With("platform", "x")) },
		takedown.Meta: func() (platforms.Adapter, error) { return meta.New(cfg.Meta, hc, logger.With("platform", "meta")) },
	}
	for _, p := range takedown.Platforms {
		var err error
		switch {
		case !on[p]:
			err = ErrDisabled
		case usesEmail(channels[p]...) && mailErr != nil:
			err = fmt.Errorf("its channel is e-mail and the e-mail sender is not configured: %w", mailErr)
		default:
			var ad platforms.Adapter
			if ad, err = build[p](); err == nil {
				b.Adapters[p] = ad
				continue
			}
		}
		b.Off[p] = err
		b.Adapters[p] = offAdapter{platform: p, reason: err}
	}
	return b
}

// ErrDisabled is the reason of a platform left out of the enabled list.
var ErrDisabled = errors.New("disabled in this deployment")

// offAdapter stands in for a platform that is off.
type offAdapter struct {
	platform takedown.Platform
	reason   error
}

func (o offAdapter) err() error {
	return platforms.Transient("platform_off", fmt.Errorf("%s is off on this worker: %w", o.platform, o.reason))
}

func (o offAdapter) Send(context.Context, takedown.Notice) (platforms.Submission, error) {
	return platforms.Submission{}, o.err()
}

func (o offAdapter) Probe(context.Context, takedown.Content) (takedown.ProbeResult, error) {
	return takedown.ProbeResult{}, o.err()
}

// Recorder counts calls to platforms (see metrics.Metrics.PlatformCall).
type Recorder interface {
	PlatformCall(p takedown.Platform, op string, err error)
}

// Instrument wraps every adapter so that each call is counted by r.
func Instrument(ads map[takedown.Platform]platforms.Adapter, r Recorder) map[takedown.Platform]platforms.Adapter {
	out := make(map[takedown.Platform]platforms.Adapter, len(ads))
	for p, ad := range ads {
		out[p] = instrumented{Adapter: ad, platform: p, r: r}
	}
	return out
}

type instrumented struct {
	platforms.Adapter
	platform takedown.Platform
	r        Recorder
}

func (i instrumented) Send(ctx context.Context, n takedown.Notice) (platforms.Submission, error) {
	s, err := i.Adapter.Send(ctx, n)
	i.r.PlatformCall(i.platform, "send", err)
	return s, err
}

func (i instrumented) Probe(ctx context.Context, c takedown.Content) (takedown.ProbeResult, error) {
	res, err := i.Adapter.Probe(ctx, c)
	i.r.PlatformCall(i.platform, "probe", err)
	return res, err
}
