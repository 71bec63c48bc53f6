package adapter

import (
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/takedown"
	. "github.com/takedown-oss/takedown/platforms"
)

func TestNewBaseDefaults(t *testing.T) {
	b, err := NewBase(takedown.X, Route{Name: "X"}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Route.Channel != takedown.ChannelPortal || b.Route.PriorityChannel != takedown.ChannelPortal {
		t.Errorf("channels %q %q, want portal", b.Route.Channel, b.Route.PriorityChannel)
	}
	if b.HTTP == nil || b.HTTP.Timeout != DefaultHTTPTimeout || b.Logger == nil || b.Now == nil {
		t.Errorf("defaults missing: %+v", b)
	}
	// Telegram's default is e-mail, which needs a mailer and an address.
	if _, err := NewBase(takedown.Telegram, Route{Name: "Telegram"}, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "Mailer is nil") {
		t.Errorf("telegram without a mailer: %v", err)
	}
	if _, err := NewBase(takedown.YouTube, Route{Name: "YouTube", Channel: takedown.ChannelEmail}, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "takes api or portal") {
		t.Errorf("youtube by e-mail: %v", err)
	}
	if _, err := NewBase("myspace", Route{}, nil, nil, nil, nil); err == nil {
		t.Error("unknown platform accepted")
	}
	for _, p := range takedown.Platforms {
		if _, ok := DefaultChannels[p]; !ok {
			t.Errorf("no default channels for %s", p)
		}
	}
}

func TestCheckAbsoluteURL(t *testing.T) {
	for s, ok := range map[string]bool{"https://api.x.com": true, "http://127.0.0.1:8090/x": true,
		"api.x.com": false, "ftp://h": false, "https://": false, "": false} {
		if err := CheckAbsoluteURL("Base", s); (err == nil) != ok {
			t.Errorf("%q: %v", s, err)
		}
	}
}
