// Package adapterset builds the set of platform adapters a worker uses from
// one configuration, sharing the e-mail sender between the platforms whose
// channel is e-mail.
package adapterset

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/isp"
	"github.com/takedown-oss/takedown/internal/mail"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/meta"
	"github.com/takedown-oss/takedown/platforms/telegram"
	"github.com/takedown-oss/takedown/platforms/x"
	"github.com/takedown-oss/takedown/platforms/youtube"
)

// Config configures every platform. Mailers are filled in by Build.
type Config struct {
	Mail     mail.Config
	YouTube  youtube.Config
	Telegram telegram.Config
	X        x.Config
	Meta     meta.Config
}

func usesEmail(chs ...takedown.Channel) bool {
	for _, c := range chs {
		if c == takedown.ChannelEmail {
			return true
		}
	}
	return false
}

// Build constructs one adapter per platform.
func Build(cfg Config, hc *http.Client, logger *slog.Logger) (map[takedown.Platform]platforms.Adapter, error) {
	// Telegram's channel is e-mail unless configured otherwise.
	tgCh, tgPri := cfg.Telegram.Channel, cfg.Telegram.PriorityChannel
	if tgCh == "" {
		tgCh = takedown.ChannelEmail
	}
	if tgPri == "" {
		tgPri = takedown.ChannelEmail
	}
	if usesEmail(tgCh, tgPri, cfg.X.Channel, cfg.X.PriorityChannel, cfg.Meta.Channel, cfg.Meta.PriorityChannel,
		cfg.YouTube.Channel, cfg.YouTube.PriorityChannel) {
		m, err := mail.NewSender(cfg.Mail, logger.With("component", "mail"))
		if err != nil {
			return nil, fmt.Errorf("e-mail channel: %w", err)
		}
		cfg.Telegram.Mailer, cfg.X.Mailer, cfg.Meta.Mailer = m, m, m
	}
	yt, err := youtube.New(cfg.YouTube, hc, logger.With("platform", "youtube"))
	if err != nil {
		return nil, fmt.Errorf("youtube: %w", err)
	}
	tg, err := telegram.New(cfg.Telegram, hc, logger.With("platform", "telegram"))
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	xc, err := x.New(cfg.X, hc, logger.With("platform", "x"))
	if err != nil {
		return nil, fmt.Errorf("x: %w", err)
	}
	mc, err := meta.New(cfg.Meta, hc, logger.With("platform", "meta"))
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	return map[takedown.Platform]platforms.Adapter{
		takedown.YouTube: yt, takedown.Telegram: tg, takedown.X: xc, takedown.Meta: mc,
	}, nil
}

// The ISP client is the activities' blocking channel.
var _ activities.Blocker = (*isp.Client)(nil)

// ForSimulator points every adapter at the platform simulator: the same
// code that talks to the platforms, with the simulator's addresses, and
// e-mail as the channel for Telegram, X and Meta as in development.
func ForSimulator(simURL, smtpAddr string) Config {
	host, port := splitHostPort(smtpAddr)
	return Config{
		Mail: mail.Config{Host: host, Port: port, From: "Takedown desk <takedown@regulator.test>", TLS: mail.TLSNone},
		// YouTube and Telegram keep their default channels
		// (platforms.DefaultChannels); X and Meta e-mail instead of leaving
		// portal tasks, so that development sees every notice arrive.
		YouTube:  youtube.Config{BaseURL: simURL + "/youtube/v3", AccessToken: "dev-oauth-token"},
		Telegram: telegram.Config{PreviewBaseURL: simURL + "/t.me", To: "abuse@telegram.test", PriorityTo: "hotline@telegram.test"},
		X: x.Config{APIBaseURL: simURL + "/x", BearerToken: "dev-bearer-token", To: "legal@x.test", PriorityTo: "legal-priority@x.test",
			Channel: takedown.ChannelEmail, PriorityChannel: takedown.ChannelEmail},
		Meta: meta.Config{GraphBaseURL: simURL + "/graph/v21.0", AppAccessToken: "dev-app|dev-secret",
			ThreadsOEmbedURL: simURL + "/graph/v21.0/threads_oembed", PublicBaseURL: simURL + "/web",
			To: "government-requests@meta.test", PriorityTo: "government-priority@meta.test",
			Channel: takedown.ChannelEmail, PriorityChannel: takedown.ChannelEmail},
	}
}

// BuildForSimulator builds every adapter, and the blocking-order channel,
// pointed at a running platform simulator.
func BuildForSimulator(simURL, smtpAddr string, logger *slog.Logger) (map[takedown.Platform]platforms.Adapter, *isp.Client, error) {
	hc := &http.Client{Timeout: 30 * time.Second}
	ads, err := Build(ForSimulator(simURL, smtpAddr), hc, logger)
	if err != nil {
		return nil, nil, fmt.Errorf("build adapters: %w", err)
	}
	blocker, err := isp.New(isp.Config{
		OrderURL: simURL + "/isp/orders", Token: "simulator-isp-token", VantageURL: simURL + "/isp/check",
	}, hc, logger.With("component", "isp"))
	if err != nil {
		return nil, nil, fmt.Errorf("blocking-order channel: %w", err)
	}
	return ads, blocker, nil
}
