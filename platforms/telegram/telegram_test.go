package telegram_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/internal/fakes"
	"github.com/takedown-oss/takedown/platforms/telegram"
)

var t0 = time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)

const key = "9b2f1c3e-0000-4000-8000-000000000001:telegram:1"

const messageID = "<tkd-abc@kcsc.example>"

func notice(priority bool) takedown.Notice {
	return takedown.Notice{
		Key:      key,
		Content:  takedown.Content{Platform: takedown.Telegram, ID: "somechannel/42", URL: "https://t.me/somechannel/42"},
		Category: takedown.DeepfakeSexual,
		Priority: priority,
		Attempt:  1,
	}
}

func TestSend(t *testing.T) {
	ref := takedown.NoticeReference(key)
	tests := []struct {
		name     string
		cfg      telegram.Config
		priority bool
		wantTo   string // "" when nothing is mailed
		want     platforms.Submission
	}{
		{
			name:   "ordinary notice to the designated address",
			cfg:    telegram.Config{To: "dsa@telegram.example", PriorityTo: "hotline@telegram.example"},
			wantTo: "dsa@telegram.example",
			want:   platforms.Submission{Channel: takedown.ChannelEmail, Reference: ref, PlatformReference: messageID, SentAt: t0},
		},
		{
			name: "priority notice to the hotline", priority: true,
			cfg:    telegram.Config{To: "dsa@telegram.example", PriorityTo: "hotline@telegram.example"},
			wantTo: "hotline@telegram.example",
			want:   platforms.Submission{Channel: takedown.ChannelEmail, Reference: ref, PlatformReference: messageID, SentAt: t0},
		},
		{
			name: "priority without hotline goes to the designated address", priority: true,
			cfg:    telegram.Config{To: "dsa@telegram.example"},
			wantTo: "dsa@telegram.example",
			want:   platforms.Submission{Channel: takedown.ChannelEmail, Reference: ref, PlatformReference: messageID, SentAt: t0},
		},
		{
			name: "priority through the portal", priority: true,
			cfg:  telegram.Config{To: "dsa@telegram.example", PriorityChannel: takedown.ChannelPortal},
			want: platforms.Submission{Channel: takedown.ChannelPortal, Reference: ref, SentAt: t0, AwaitingPortal: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &fakes.Mailer{MessageID: messageID}
			cfg := tt.cfg
			cfg.Mailer, cfg.Now = m, func() time.Time { return t0 }
			c, err := telegram.New(cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			n := notice(tt.priority)
			sub, err := c.Send(context.Background(), n)
			if err != nil {
				t.Fatal(err)
			}
			if sub != tt.want {
				t.Errorf("submission = %+v, want %+v", sub, tt.want)
			}
			var want []fakes.MailCall
			if tt.wantTo != "" {
				want = []fakes.MailCall{{To: tt.wantTo, Label: "Telegram", Notice: n}}
			}
			if got := m.Calls(); !slices.Equal(got, want) {
				t.Errorf("mailer calls = %+v, want %+v", got, want)
			}
		})
	}
}

func TestSendPassesMailErrorsThrough(t *testing.T) {
	m := &fakes.Mailer{Err: platforms.Permanent("smtp_550", errors.New("no such user"))}
	c, err := telegram.New(telegram.Config{Mailer: m, To: "dsa@telegram.example"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), notice(false))
	if pe := platforms.Classify(err); pe.Kind != platforms.KindPermanent || pe.Code != "smtp_550" {
		t.Errorf("got %v, want permanent smtp_550", err)
	}
}

// Widget pages as t.me serves them (trimmed).
const (
	pagePresent = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram Widget</title></head>
<body class="body_widget_post emoji_image nodark">
<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="somechannel/42">
<div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/somechannel"><span dir="auto">Some channel</span></a></div>
<a class="tgme_widget_message_photo_wrap blured" href="https://t.me/somechannel/42" style="width:800px;background-image:url('https://cdn4.telesco.pe/file/x.jpg')"></a>
<div class="tgme_widget_message_footer compact js-message_footer"><span class="tgme_widget_message_meta"><time datetime="2025-03-13T10:00:00+00:00" class="time">10:00</time></span></div>
</div></div></div></body></html>`
	pageTextOnly = `<html><body><div class="tgme_widget_message js-widget_message"><div class="tgme_widget_message_text js-message_text" dir="auto">hello</div></div></body></html>`
	pageNotFound = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram Widget</title></head>
<body class="body_widget_post emoji_image nodark"><div class="tgme_widget_message_wrap js-widget_message_wrap">
<div class="tgme_widget_message js-widget_message" data-post="somechannel/42">
<div class="tgme_widget_message_error">Post not found</div></div></div></body></html>`
	pageWithheld = `<html><body><div class="tgme_widget_message js-widget_message">
<div class="tgme_widget_message_error"><b>This post is not available in your country</b></div></div></body></html>`
	pageOtherError = `<html><body><div class="tgme_widget_message_error">Channel is temporarily unavailable</div></body></html>`
	pageBoth       = `<html><body><div class="tgme_widget_message_error">Post not found</div><div class="tgme_widget_message_text">hi</div></body></html>`
	pageCaptcha    = `<html><body><h1>Checking your browser</h1></body></html>`
	pageQuoting    = `<html><body><div class="tgme_widget_message_text">Sorry, this post is not available in your country</div></body></html>`
)

func TestProbe(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		state     takedown.ProbeState
		reason    string
		countries []string
		kind      platforms.ErrorKind
		code      string
		wait      time.Duration
	}{
		{name: "photo post", status: 200, body: pagePresent, state: takedown.ProbePresent, reason: "post preview shown"},
		{name: "text post", status: 200, body: pageTextOnly, state: takedown.ProbePresent, reason: "post preview shown"},
		{name: "post not found", status: 200, body: pageNotFound, state: takedown.ProbeRemoved, reason: "Post not found"},
		{name: "withheld in the probe's country", status: 200, body: pageWithheld, state: takedown.ProbeWithheld,
			reason: "This post is not available in your country", countries: []string{"KR"}},
		{name: "a post quoting the phrase is present", status: 200, body: pageQuoting, state: takedown.ProbePresent, reason: "post preview shown"},
		{name: "other widget error", status: 200, body: pageOtherError, state: takedown.ProbeUnknown,
			reason: "preview error: Channel is temporarily unavailable"},
		{name: "error and content", status: 200, body: pageBoth, state: takedown.ProbeUnknown, reason: "preview shows both an error and the post"},
		{name: "unrecognised page", status: 200, body: pageCaptcha, state: takedown.ProbeUnknown, reason: "preview page not recognised"},
		{name: "empty body", status: 200, body: "", state: takedown.ProbeUnknown, reason: "preview page not recognised"},
		{name: "404 is not removal", status: 404, body: "not found", state: takedown.ProbeUnknown, reason: "preview answered HTTP 404"},
		{name: "rate limited", status: 429, header: map[string]string{"Retry-After": "17"},
			kind: platforms.KindRateLimited, code: "http_429", wait: 17 * time.Second},
		{name: "rate limited until a date", status: 429, header: map[string]string{"Retry-After": "Fri, 14 Mar 2025 15:02:00 GMT"},
			kind: platforms.KindRateLimited, code: "http_429", wait: 2 * time.Minute},
		{name: "rate limited without a wait", status: 429,
			kind: platforms.KindRateLimited, code: "http_429", wait: time.Minute},
		{name: "server error", status: 502, kind: platforms.KindTransient, code: "http_502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakes.NewServer(t, fakes.Always(fakes.Answer{Status: tt.status, Header: tt.header,
				ContentType: "text/html; charset=utf-8", Body: tt.body}))
			c, err := telegram.New(telegram.Config{Channel: takedown.ChannelPortal, PriorityChannel: takedown.ChannelPortal,
				PreviewBaseURL: srv.URL, Now: func() time.Time { return t0 }}, srv.Client(), nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Probe(context.Background(), takedown.Content{Platform: takedown.Telegram, ID: "somechannel/42", URL: "https://t.me/somechannel/42"})
			got := srv.Requests()
			if len(got) != 1 {
				t.Fatalf("%d requests, want 1", len(got))
			}
			r := got[0]
			if r.Method != "GET" || r.URL.RequestURI() != "/somechannel/42?embed=1&mode=tme" {
				t.Errorf("request = %s %s", r.Method, r.URL.RequestURI())
			}
			if ua := r.Header.Get("User-Agent"); ua != telegram.DefaultUserAgent {
				t.Errorf("User-Agent = %q", ua)
			}
			if tt.kind != "" {
				pe := platforms.Classify(err)
				if err == nil || pe.Kind != tt.kind || pe.Code != tt.code || pe.RetryAfter != tt.wait {
					t.Errorf("err = %v, want %s/%s retry %s", err, tt.kind, tt.code, tt.wait)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.State != tt.state || res.Reason != tt.reason || !slices.Equal(res.Countries, tt.countries) || !res.CheckedAt.Equal(t0) {
				t.Errorf("probe = %+v, want %s %q %v", res, tt.state, tt.reason, tt.countries)
			}
		})
	}
}

func TestProbePrivateChannelMakesNoRequest(t *testing.T) {
	srv := fakes.NewServer(t, nil)
	c, err := telegram.New(telegram.Config{Channel: takedown.ChannelPortal, PriorityChannel: takedown.ChannelPortal, PreviewBaseURL: srv.URL}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Probe(context.Background(), takedown.Content{Platform: takedown.Telegram, ID: "c/1234567890/55", URL: "https://t.me/c/1234567890/55"})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != takedown.ProbeUnknown || res.Reason != "private channel: cannot be probed publicly" {
		t.Errorf("probe = %+v", res)
	}
}

func TestProbeNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c, err := telegram.New(telegram.Config{Channel: takedown.ChannelPortal, PriorityChannel: takedown.ChannelPortal, PreviewBaseURL: srv.URL}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Probe(context.Background(), takedown.Content{ID: "somechannel/42"})
	if pe := platforms.Classify(err); err == nil || pe.Kind != platforms.KindTransient || pe.Code != "network" {
		t.Errorf("err = %v, want transient network", err)
	}
	if strings.Contains(err.Error(), "somechannel") {
		t.Errorf("error names the content: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	m := &fakes.Mailer{}
	tests := []struct {
		name string
		cfg  telegram.Config
		want string
	}{
		{"email without mailer", telegram.Config{To: "dsa@telegram.example"}, "Mailer is nil"},
		{"email without address", telegram.Config{Mailer: m}, "not valid"},
		{"api channel", telegram.Config{Mailer: m, To: "dsa@telegram.example", Channel: takedown.ChannelAPI}, "email or portal"},
		{"bad preview URL", telegram.Config{Mailer: m, To: "dsa@telegram.example", PreviewBaseURL: "t.me"}, "PreviewBaseURL"},
		{"bad country", telegram.Config{Mailer: m, To: "dsa@telegram.example", ProbeCountry: "KOR"}, "ProbeCountry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := telegram.New(tt.cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
