package main

import (
	"time"

	"github.com/takedown-oss/takedown/internal/adapterset"
	"github.com/takedown-oss/takedown/internal/mail"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/meta"
	"github.com/takedown-oss/takedown/platforms/telegram"
	"github.com/takedown-oss/takedown/platforms/x"
	"github.com/takedown-oss/takedown/platforms/youtube"
)

// loadAdapters reads each platform's endpoint, credentials and channel.
// Defaults are the platforms' production endpoints; secrets have no default.
func loadAdapters(e *env) adapterset.Config {
	// Channels default to the platforms' own defaults, defined once in
	// platforms.DefaultChannels.
	ch := func(key string, p takedown.Platform, priority bool) takedown.Channel {
		d := platforms.DefaultChannels[p]
		def := d.Ordinary
		if priority {
			def = d.Priority
		}
		return takedown.Channel(e.Str(key, string(def)))
	}
	return adapterset.Config{
		Mail: mail.Config{
			Host:     e.Str("SMTP_HOST", ""),
			Port:     e.Int("SMTP_PORT", 0),
			Username: e.Str("SMTP_USERNAME", ""),
			Password: e.Secret("SMTP_PASSWORD"),
			From:     e.Str("SMTP_FROM", ""),
			TLS:      mail.TLSPolicy(e.Str("SMTP_TLS", "starttls")),
			Timeout:  time.Duration(e.Int("SMTP_TIMEOUT_SECONDS", 30)) * time.Second,
		},
		YouTube: youtube.Config{
			BaseURL:         e.Str("YOUTUBE_API_BASE", "https://www.googleapis.com/youtube/v3"),
			AccessToken:     e.Secret("YOUTUBE_ACCESS_TOKEN"),
			Language:        e.Str("YOUTUBE_LANGUAGE", "ko_KR"),
			Channel:         ch("YOUTUBE_CHANNEL", takedown.YouTube, false),
			PriorityChannel: ch("YOUTUBE_PRIORITY_CHANNEL", takedown.YouTube, true),
		},
		Telegram: telegram.Config{
			PreviewBaseURL:  e.Str("TELEGRAM_PREVIEW_BASE", "https://t.me"),
			To:              e.Str("TELEGRAM_NOTICE_TO", ""),
			PriorityTo:      e.Str("TELEGRAM_PRIORITY_TO", ""),
			Channel:         ch("TELEGRAM_CHANNEL", takedown.Telegram, false),
			PriorityChannel: ch("TELEGRAM_PRIORITY_CHANNEL", takedown.Telegram, true),
		},
		X: x.Config{
			APIBaseURL:      e.Str("X_API_BASE", "https://api.x.com"),
			BearerToken:     e.Secret("X_BEARER_TOKEN"),
			To:              e.Str("X_NOTICE_TO", ""),
			PriorityTo:      e.Str("X_PRIORITY_TO", ""),
			Channel:         ch("X_CHANNEL", takedown.X, false),
			PriorityChannel: ch("X_PRIORITY_CHANNEL", takedown.X, true),
		},
		Meta: meta.Config{
			GraphBaseURL:     e.Str("META_GRAPH_BASE", "https://graph.facebook.com/v21.0"),
			AppAccessToken:   e.Secret("META_APP_TOKEN"),
			ThreadsOEmbedURL: e.Str("META_THREADS_OEMBED_URL", "https://graph.threads.net/v1.0/oembed"),
			PublicBaseURL:    e.Str("META_PUBLIC_BASE", ""),
			To:               e.Str("META_NOTICE_TO", ""),
			PriorityTo:       e.Str("META_PRIORITY_TO", ""),
			Channel:          ch("META_CHANNEL", takedown.Meta, false),
			PriorityChannel:  ch("META_PRIORITY_CHANNEL", takedown.Meta, true),
		},
	}
}
