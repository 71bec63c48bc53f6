package platforms_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/internal/fakes"
)

func TestRouteValidate(t *testing.T) {
	portalOrEmail := []takedown.Channel{takedown.ChannelPortal, takedown.ChannelEmail}
	tests := []struct {
		name    string
		route   platforms.Route
		mailer  platforms.Mailer
		allowed []takedown.Channel
		want    string // "" for no error
	}{
		{
			name:    "portal needs nothing",
			route:   platforms.Route{Name: "X", Channel: takedown.ChannelPortal, PriorityChannel: takedown.ChannelPortal},
			allowed: portalOrEmail,
		},
		{
			name: "email with mailer and addresses",
			route: platforms.Route{Name: "X", Channel: takedown.ChannelEmail, To: "legal@x.example",
				PriorityChannel: takedown.ChannelEmail, PriorityTo: "Urgent <urgent@x.example>"},
			mailer: &fakes.Mailer{}, allowed: portalOrEmail,
		},
		{
			name:    "channel the platform does not take, in the order given",
			route:   platforms.Route{Name: "Telegram", Channel: takedown.ChannelAPI, PriorityChannel: takedown.ChannelEmail},
			allowed: []takedown.Channel{takedown.ChannelEmail, takedown.ChannelPortal},
			want:    `Channel "api": Telegram takes email or portal`,
		},
		{
			name:    "empty priority channel",
			route:   platforms.Route{Name: "YouTube", Channel: takedown.ChannelAPI},
			allowed: []takedown.Channel{takedown.ChannelAPI, takedown.ChannelPortal},
			want:    `PriorityChannel "": YouTube takes api or portal`,
		},
		{
			name:    "email without mailer",
			route:   platforms.Route{Name: "Meta", Channel: takedown.ChannelPortal, PriorityChannel: takedown.ChannelEmail, PriorityTo: "gov@meta.example"},
			allowed: portalOrEmail,
			want:    "PriorityChannel is email but Mailer is nil",
		},
		{
			name:   "email without address",
			route:  platforms.Route{Name: "Meta", Channel: takedown.ChannelEmail, PriorityChannel: takedown.ChannelPortal},
			mailer: &fakes.Mailer{}, allowed: portalOrEmail,
			want: `Channel is email but the address "" is not valid`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.route.Validate(tt.mailer, tt.allowed...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSendRouted(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0 }
	const key, msgID = "td-1:x:1", "<tkd-1@kcsc.example>"
	ref := takedown.NoticeReference(key)
	route := platforms.Route{Name: "X", Channel: takedown.ChannelPortal,
		PriorityChannel: takedown.ChannelEmail, PriorityTo: "urgent@x.example"}
	tests := []struct {
		name      string
		route     platforms.Route
		notice    takedown.Notice
		mailErr   error
		want      platforms.Submission
		wantCalls []fakes.MailCall
		wantKind  platforms.ErrorKind
		wantCode  string
		wantText  string
	}{
		{
			name: "portal awaits a person", route: route,
			notice: takedown.Notice{Key: key},
			want:   platforms.Submission{Channel: takedown.ChannelPortal, Reference: ref, SentAt: t0, AwaitingPortal: true},
		},
		{
			name: "priority e-mailed to its address", route: route,
			notice:    takedown.Notice{Key: key, Priority: true},
			want:      platforms.Submission{Channel: takedown.ChannelEmail, Reference: ref, PlatformReference: msgID, SentAt: t0},
			wantCalls: []fakes.MailCall{{To: "urgent@x.example", Label: "X (label)", Notice: takedown.Notice{Key: key, Priority: true}}},
		},
		{
			name: "mail failure keeps its class", route: route,
			notice:    takedown.Notice{Key: key, Priority: true},
			mailErr:   platforms.Permanent("smtp_550", errors.New("no such user")),
			wantCalls: []fakes.MailCall{{To: "urgent@x.example", Label: "X (label)", Notice: takedown.Notice{Key: key, Priority: true}}},
			wantKind:  platforms.KindPermanent, wantCode: "smtp_550", wantText: "e-mail notice to X: ",
		},
		{
			name: "no idempotency key", route: route,
			notice:   takedown.Notice{Priority: true},
			wantKind: platforms.KindPermanent, wantCode: "invalid_notice",
		},
		{
			name: "unvalidated route is refused", route: platforms.Route{Name: "X", Channel: takedown.ChannelAPI},
			notice:   takedown.Notice{Key: key},
			wantKind: platforms.KindPermanent, wantCode: "invalid_channel",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &fakes.Mailer{MessageID: msgID, Err: tt.mailErr}
			sub, err := platforms.SendRouted(context.Background(), tt.route, m, tt.notice, "X (label)", now)
			if got := m.Calls(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("mailer calls = %+v, want %+v", got, tt.wantCalls)
			}
			if tt.wantKind != "" {
				pe := platforms.Classify(err)
				if err == nil || pe.Kind != tt.wantKind || pe.Code != tt.wantCode || !strings.HasPrefix(err.Error(), tt.wantText) {
					t.Errorf("err = %v, want %s/%s starting %q", err, tt.wantKind, tt.wantCode, tt.wantText)
				}
				if sub != (platforms.Submission{}) {
					t.Errorf("submission = %+v on error, want none", sub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sub != tt.want {
				t.Errorf("submission = %+v, want %+v", sub, tt.want)
			}
		})
	}
}
