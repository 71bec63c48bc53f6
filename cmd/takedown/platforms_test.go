package main

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/adapterset"
	"github.com/takedown-oss/takedown/internal/config"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// TestPlatformsOffWithReasons starts from a worker's environment with
// Telegram fully configured, YouTube without its token and Meta disabled:
// each platform is on or off for the reason an operator must read.
func TestPlatformsOffWithReasons(t *testing.T) {
	vals := map[string]string{
		"DATABASE_URL": "postgres://x", "TEMPORAL_ADDRESS": "t:7233",
		"TAKEDOWN_PAYLOAD_KEY": "0000000000000000000000000000000000000000000000000000000000000000",
		"TAKEDOWN_PLATFORMS":   "youtube,telegram,x",
		"SMTP_HOST":            "smtp.test", "SMTP_FROM": "Desk <desk@regulator.test>", "TELEGRAM_NOTICE_TO": "abuse@telegram.test",
		"X_BEARER_TOKEN": "token",
		// A public decision key (32 bytes): workers refuse to start without one.
		"TAKEDOWN_DECISION_PUBLIC_KEYS": "0000000000000000000000000000000000000000000000000000000000000000",
	}
	c, err := loadWorker(&env{Getenv: envOf(vals)})
	if err != nil {
		t.Fatal(err)
	}
	b := buildAdapters(c, http.DefaultClient, slog.New(slog.DiscardHandler))
	if err := b.Off[takedown.Telegram]; err != nil {
		t.Errorf("telegram off: %v", err)
	}
	if err := b.Off[takedown.X]; err != nil {
		t.Errorf("x off: %v", err)
	}
	if err := b.Off[takedown.YouTube]; err == nil || !strings.Contains(err.Error(), "YOUTUBE_ACCESS_TOKEN") {
		t.Errorf("youtube: %v, want off for its missing token", err)
	}
	if err := b.Off[takedown.Meta]; !errors.Is(err, adapterset.ErrDisabled) {
		t.Errorf("meta: %v, want disabled", err)
	}
	for _, p := range takedown.Platforms {
		if b.Adapters[p] == nil {
			t.Errorf("%s has no adapter: the activities need one for every platform", p)
		}
	}
	// An off platform's adapter fails every call as transient: a takedown
	// already running for it waits instead of failing.
	_, err = b.Adapters[takedown.YouTube].Probe(t.Context(), takedown.Content{Platform: takedown.YouTube, ID: "v"})
	if pe := platforms.Classify(err); pe.Kind != platforms.KindTransient {
		t.Errorf("off adapter error %v is %s, want transient", err, pe.Kind)
	}
}

func TestPlatformsSetting(t *testing.T) {
	e := &env{Getenv: envOf(map[string]string{"TAKEDOWN_PLATFORMS": "telegram, myspace"})}
	got := config.LoadPlatforms(e)
	if len(got) != 1 || got[0] != takedown.Telegram || e.Err() == nil || !strings.Contains(e.Err().Error(), `unknown platform "myspace"`) {
		t.Errorf("platforms %v, err %v", got, e.Err())
	}
	if got := config.LoadPlatforms(&env{Getenv: envOf(nil)}); len(got) != len(takedown.Platforms) {
		t.Errorf("default platforms %v", got)
	}
}
