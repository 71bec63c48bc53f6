package platforms_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/internal/fakes"
)

func TestRouteValidate(t *testing.T) {
	portalOrEmail := []platforms.Channel{platforms.ChannelPortal, platforms.ChannelEmail}
	tests := []struct {
		name    string
		route   platforms.Route
		mailer  platforms.Mailer
		allowed []platforms.Channel
		want    string // "" for no error
	}{
		{
			name:    "portal needs nothing",
			route:   platforms.Route{Name: "X", Channel: platforms.ChannelPortal, PriorityChannel: platforms.ChannelPortal},
			allowed: portalOrEmail,
		},
		{
			name: "email with mailer and addresses",
			route: platforms.Route{Name: "X", Channel: platforms.ChannelEmail, To: "legal@x.example",
				PriorityChannel: platforms.ChannelEmail, PriorityTo: "Urgent <urgent@x.example>"},
			mailer: &fakes.Mailer{}, allowed: portalOrEmail,
		},
		{
			name:    "channel the platform does not take, in the order given",
			route:   platforms.Route{Name: "Telegram", Channel: platforms.ChannelAPI, PriorityChannel: platforms.ChannelEmail},
			allowed: []platforms.Channel{platforms.ChannelEmail, platforms.ChannelPortal},
			want:    `Channel "api": Telegram takes email or portal`,
		},
		{
			name:    "empty priority channel",
			route:   platforms.Route{Name: "YouTube", Channel: platforms.ChannelAPI},
			allowed: []platforms.Channel{platforms.ChannelAPI, platforms.ChannelPortal},
			want:    `PriorityChannel "": YouTube takes api or portal`,
		},
		{
			name:    "email without mailer",
			route:   platforms.Route{Name: "Meta", Channel: platforms.ChannelPortal, PriorityChannel: platforms.ChannelEmail, PriorityTo: "gov@meta.example"},
			allowed: portalOrEmail,
			want:    "PriorityChannel is email but Mailer is nil",
		},
		{
			name:   "email without address",
			route:  platforms.Route{Name: "Meta", Channel: platforms.ChannelEmail, PriorityChannel: platforms.ChannelPortal},
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
	ref := platforms.NoticeReference(key)
	route := platforms.Route{Name: "X", Channel: platforms.ChannelPortal,
		PriorityChannel: platforms.ChannelEmail, PriorityTo: "urgent@x.example"}
	tests := []struct {
		name      string
		route     platforms.Route
		notice    platforms.Notice
		mailErr   error
		want      platforms.Submission
		wantCalls []fakes.MailCall
		wantKind  platforms.ErrorKind
		wantCode  string
		wantText  string
	}{
		{
			name: "portal awaits a person", route: route,
			notice: platforms.Notice{Key: key},
			want:   platforms.Submission{Channel: platforms.ChannelPortal, Reference: ref, SentAt: t0, AwaitingPortal: true},
		},
		{
			name: "priority e-mailed to its address", route: route,
			notice:    platforms.Notice{Key: key, Priority: true},
			want:      platforms.Submission{Channel: platforms.ChannelEmail, Reference: ref, PlatformReference: msgID, SentAt: t0},
			wantCalls: []fakes.MailCall{{To: "urgent@x.example", Label: "X (label)", Notice: platforms.Notice{Key: key, Priority: true}}},
		},
		{
			name: "mail failure keeps its class", route: route,
			notice:    platforms.Notice{Key: key, Priority: true},
			mailErr:   platforms.Permanent("smtp_550", errors.New("no such user")),
			wantCalls: []fakes.MailCall{{To: "urgent@x.example", Label: "X (label)", Notice: platforms.Notice{Key: key, Priority: true}}},
			wantKind:  platforms.KindPermanent, wantCode: "smtp_550", wantText: "e-mail notice to X: ",
		},
		{
			name: "no idempotency key", route: route,
			notice:   platforms.Notice{Priority: true},
			wantKind: platforms.KindPermanent, wantCode: "invalid_notice",
		},
		{
			name: "unvalidated route is refused", route: platforms.Route{Name: "X", Channel: platforms.ChannelAPI},
			notice:   platforms.Notice{Key: key},
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
