package adapterset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/takedown-oss/takedown/internal/mail"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/meta"
	"github.com/takedown-oss/takedown/platforms/telegram"
	"github.com/takedown-oss/takedown/platforms/x"
	"github.com/takedown-oss/takedown/platforms/youtube"
)

// Built is the outcome of BuildEach: an adapter for every platform, and for
// each platform that is off, why.
type Built struct {
	Adapters map[platforms.Platform]platforms.Adapter
	// Off holds the platforms that cannot be served and the reason; their
	// adapter answers every call with a transient error, so that a takedown
	// confirmed before the platform went off waits instead of failing.
	Off map[platforms.Platform]error
}

// BuildEach builds the adapter of every platform in enabled on its own: one
// platform lacking credentials does not keep the others from working.
// Platforms not in enabled are off with the reason "disabled".
func BuildEach(cfg Config, enabled []platforms.Platform, hc *http.Client, logger *slog.Logger) Built {
	b := Built{Adapters: map[platforms.Platform]platforms.Adapter{}, Off: map[platforms.Platform]error{}}
	on := map[platforms.Platform]bool{}
	for _, p := range enabled {
		on[p] = true
	}
	tgCh, tgPri := cfg.Telegram.Channel, cfg.Telegram.PriorityChannel
	if tgCh == "" {
		tgCh = platforms.ChannelEmail
	}
	if tgPri == "" {
		tgPri = platforms.ChannelEmail
	}
	channels := map[platforms.Platform][]platforms.Channel{
		platforms.YouTube:  {cfg.YouTube.Channel, cfg.YouTube.PriorityChannel},
		platforms.Telegram: {tgCh, tgPri},
		platforms.X:        {cfg.X.Channel, cfg.X.PriorityChannel},
		platforms.Meta:     {cfg.Meta.Channel, cfg.Meta.PriorityChannel},
	}
	var mailer *mail.Sender
	var mailErr error
	for _, p := range platforms.All {
		if on[p] && usesEmail(channels[p]...) {
			mailer, mailErr = mail.NewSender(cfg.Mail, logger.With("component", "mail"))
			break
		}
	}
	cfg.Telegram.Mailer, cfg.X.Mailer, cfg.Meta.Mailer = mailer, mailer, mailer
	build := map[platforms.Platform]func() (platforms.Adapter, error){
		platforms.YouTube: func() (platforms.Adapter, error) {
			return youtube.New(cfg.YouTube, hc, logger.With("platform", "youtube"))
		},
		platforms.Telegram: func() (platforms.Adapter, error) {
			return telegram.New(cfg.Telegram, hc, logger.With("platform", "telegram"))
		},
		platforms.X:    func() (platforms.Adapter, error) { return x.New(cfg.X, hc, logger.With("platform", "x")) },
		platforms.Meta: func() (platforms.Adapter, error) { return meta.New(cfg.Meta, hc, logger.With("platform", "meta")) },
	}
	for _, p := range platforms.All {
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
	platform platforms.Platform
	reason   error
}

func (o offAdapter) err() error {
	return platforms.Transient("platform_off", fmt.Errorf("%s is off on this worker: %w", o.platform, o.reason))
}

func (o offAdapter) Send(context.Context, platforms.Notice) (platforms.Submission, error) {
	return platforms.Submission{}, o.err()
}

func (o offAdapter) Probe(context.Context, platforms.Content) (platforms.ProbeResult, error) {
	return platforms.ProbeResult{}, o.err()
}

// Recorder counts calls to platforms (see metrics.Metrics.PlatformCall).
type Recorder interface {
	PlatformCall(p platforms.Platform, op string, err error)
}

// Instrument wraps every adapter so that each call is counted by r.
func Instrument(ads map[platforms.Platform]platforms.Adapter, r Recorder) map[platforms.Platform]platforms.Adapter {
	out := make(map[platforms.Platform]platforms.Adapter, len(ads))
	for p, ad := range ads {
		out[p] = instrumented{Adapter: ad, platform: p, r: r}
	}
	return out
}

type instrumented struct {
	platforms.Adapter
	platform platforms.Platform
	r        Recorder
}

func (i instrumented) Send(ctx context.Context, n platforms.Notice) (platforms.Submission, error) {
	s, err := i.Adapter.Send(ctx, n)
	i.r.PlatformCall(i.platform, "send", err)
	return s, err
}

func (i instrumented) Probe(ctx context.Context, c platforms.Content) (platforms.ProbeResult, error) {
	res, err := i.Adapter.Probe(ctx, c)
	i.r.PlatformCall(i.platform, "probe", err)
	return res, err
}
