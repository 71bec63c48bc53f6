package x_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/internal/fakes"
	"github.com/takedown-oss/takedown/platforms/x"
)

var t0 = time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)

const (
	postID = "1893456789012345678"
	bearer = "AAAAAAAAAAAAAAAAAAAAAtest"
	key    = "5d8e0f2a-0000-4000-8000-000000000002:x:1"
)

const messageID = "<tkd-x@kcsc.example>"

func TestSend(t *testing.T) {
	ref := takedown.NoticeReference(key)
	tests := []struct {
		name     string
		cfg      x.Config
		priority bool
		wantTo   string
		want     platforms.Submission
	}{
		{
			name: "portal by default",
			want: platforms.Submission{Channel: takedown.ChannelPortal, Reference: ref, SentAt: t0, AwaitingPortal: true},
		},
		{
			name: "priority portal by default", priority: true,
			want: platforms.Submission{Channel: takedown.ChannelPortal, Reference: ref, SentAt: t0, AwaitingPortal: true},
		},
		{
			name:   "agreed e-mail address",
			cfg:    x.Config{Channel: takedown.ChannelEmail, To: "legal@x.example"},
			wantTo: "legal@x.example",
			want:   platforms.Submission{Channel: takedown.ChannelEmail, Reference: ref, PlatformReference: messageID, SentAt: t0},
		},
		{
			name: "priority to its own address", priority: true,
			cfg:    x.Config{Channel: takedown.ChannelPortal, PriorityChannel: takedown.ChannelEmail, PriorityTo: "urgent@x.example"},
			wantTo: "urgent@x.example",
			want:   platforms.Submission{Channel: takedown.ChannelEmail, Reference: ref, PlatformReference: messageID, SentAt: t0},
		},
		{
			name: "ordinary stays on the portal when only priority is e-mailed",
			cfg:  x.Config{PriorityChannel: takedown.ChannelEmail, PriorityTo: "urgent@x.example"},
			want: platforms.Submission{Channel: takedown.ChannelPortal, Reference: ref, SentAt: t0, AwaitingPortal: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &fakes.Mailer{MessageID: messageID}
			cfg := tt.cfg
			cfg.BearerToken, cfg.Mailer, cfg.Now = bearer, m, func() time.Time { return t0 }
			c, err := x.New(cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			n := takedown.Notice{Key: key, Content: takedown.Content{Platform: takedown.X, ID: postID, URL: "https://x.com/i/status/" + postID},
				Category: takedown.NCII, Priority: tt.priority, Attempt: 1}
			sub, err := c.Send(context.Background(), n)
			if err != nil {
				t.Fatal(err)
			}
			if sub != tt.want {
				t.Errorf("submission = %+v, want %+v", sub, tt.want)
			}
			var want []fakes.MailCall
			if tt.wantTo != "" {
				want = []fakes.MailCall{{To: tt.wantTo, Label: "X", Notice: n}}
			}
			if got := m.Calls(); !slices.Equal(got, want) {
				t.Errorf("mailer calls = %+v, want %+v", got, want)
			}
		})
	}
}

func TestProbe(t *testing.T) {
	reset := strconv.FormatInt(t0.Add(7*time.Minute).Unix(), 10)
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
		{
			name: "present", status: 200, header: map[string]string{"x-rate-limit-remaining": "0"},
			body:  `{"data":{"edit_history_tweet_ids":["` + postID + `"],"id":"` + postID + `","text":"…"}}`,
			state: takedown.ProbePresent, reason: "post returned",
		},
		{
			name:   "withheld in KR",
			status: 200, body: `{"data":{"id":"` + postID + `","text":"…","withheld":{"copyright":false,"country_codes":["DE","KR"],"scope":"tweet"}}}`,
			state: takedown.ProbeWithheld, reason: "withheld (tweet) in DE, KR", countries: []string{"DE", "KR"},
		},
		{
			name:   "author withheld in all countries",
			status: 200, body: `{"data":{"id":"` + postID + `","text":"…","withheld":{"country_codes":["XX"],"scope":"user"}}}`,
			state: takedown.ProbeWithheld, reason: "withheld (user) in XX", countries: []string{"XX"},
		},
		{
			name:   "withheld elsewhere only",
			status: 200, body: `{"data":{"id":"` + postID + `","text":"…","withheld":{"copyright":false,"country_codes":["de","fr"]}}}`,
			state: takedown.ProbePresent, reason: "withheld (tweet) only in DE, FR",
		},
		{
			name:   "not found as 200 with errors",
			status: 200, body: `{"errors":[{"value":"` + postID + `","detail":"Could not find tweet with id: [` + postID + `].","title":"Not Found Error","resource_type":"tweet","parameter":"id","resource_id":"` + postID + `","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`,
			state: takedown.ProbeRemoved, reason: "Could not find tweet with id: [" + postID + "].",
		},
		{
			name:   "not found by type alone",
			status: 200, body: `{"errors":[{"type":"https://api.twitter.com/2/problems/resource-not-found"}]}`,
			state: takedown.ProbeRemoved, reason: "",
		},
		{
			name:   "not found as 404 with an X error body",
			status: 404, body: `{"errors":[{"detail":"Could not find tweet.","title":"Not Found Error","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`,
			state: takedown.ProbeRemoved, reason: "Could not find tweet.",
		},
		{
			name:   "404 of an unknown route is not removal",
			status: 404, body: `{"errors":[{"message":"Sorry, that page does not exist","code":34}]}`,
			state: takedown.ProbeUnknown, reason: "HTTP 404 without a resource-not-found error",
		},
		{
			name:   "suspended author",
			status: 200, body: `{"errors":[{"value":"` + postID + `","detail":"Sorry, you are not authorized to see the Tweet with id: [` + postID + `].","title":"Authorization Error","resource_type":"tweet","parameter":"id","resource_id":"` + postID + `","type":"https://api.twitter.com/2/problems/not-authorized-for-resource"}]}`,
			state: takedown.ProbeUnknown, reason: "Sorry, you are not authorized to see the Tweet with id: [" + postID + "].",
		},
		{
			name:   "other error in a 200",
			status: 200, body: `{"errors":[{"title":"Something Else","detail":"odd"}]}`,
			state: takedown.ProbeUnknown, reason: "odd",
		},
		{
			name: "rate limited until x-rate-limit-reset", status: 429,
			header: map[string]string{"x-rate-limit-limit": "15", "x-rate-limit-remaining": "0", "x-rate-limit-reset": reset, "Retry-After": "999"},
			body:   `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`,
			kind:   platforms.KindRateLimited, code: "http_429", wait: 7 * time.Minute,
		},
		{
			name: "rate limited with Retry-After only", status: 429, header: map[string]string{"Retry-After": "90"},
			kind: platforms.KindRateLimited, code: "http_429", wait: 90 * time.Second,
		},
		{
			name: "rate limited without a wait", status: 429,
			kind: platforms.KindRateLimited, code: "http_429", wait: 15 * time.Minute,
		},
		{
			name: "bad token", status: 401, body: `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`,
			kind: platforms.KindPermanent, code: "unauthorized",
		},
		{
			name: "forbidden", status: 403, body: `{"title":"Forbidden","type":"about:blank","status":403,"detail":"Forbidden"}`,
			kind: platforms.KindPermanent, code: "unauthorized",
		},
		{
			name: "invalid request", status: 400,
			body: `{"errors":[{"parameters":{"id":["x"]},"message":"The ` + "`id`" + ` query parameter value [x] is not valid"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`,
			kind: platforms.KindPermanent, code: "http_400",
		},
		{name: "server error", status: 503, body: "upstream", kind: platforms.KindTransient, code: "http_503"},
		{name: "malformed 200", status: 200, body: `{"data":{"id":`, kind: platforms.KindTransient, code: "malformed_response"},
		{name: "empty 200", status: 200, body: `{}`, kind: platforms.KindTransient, code: "malformed_response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakes.NewServer(t, fakes.Always(fakes.Answer{Status: tt.status, Header: tt.header,
				ContentType: "application/json; charset=utf-8", Body: tt.body}))
			c, err := x.New(x.Config{APIBaseURL: srv.URL, BearerToken: bearer, Now: func() time.Time { return t0 }}, srv.Client(), nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Probe(context.Background(), takedown.Content{Platform: takedown.X, ID: postID, URL: "https://x.com/i/status/" + postID})
			got := srv.Requests()
			if len(got) != 1 {
				t.Fatalf("%d requests, want 1", len(got))
			}
			r := got[0]
			if r.Method != "GET" || r.URL.RequestURI() != "/2/tweets/"+postID+"?tweet.fields=withheld" || r.Header.Get("Authorization") != "Bearer "+bearer {
				t.Errorf("request = %s %s Authorization %q", r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"))
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

func TestProbeRejectsNonNumericID(t *testing.T) {
	c, err := x.New(x.Config{APIBaseURL: "http://127.0.0.1:1", BearerToken: bearer}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Probe(context.Background(), takedown.Content{Platform: takedown.X, ID: "../2/users/me"})
	if pe := platforms.Classify(err); err == nil || pe.Kind != platforms.KindPermanent || pe.Code != "invalid_content_id" {
		t.Errorf("err = %v, want permanent invalid_content_id", err)
	}
}

func TestProbeNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c, err := x.New(x.Config{APIBaseURL: srv.URL, BearerToken: bearer}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Probe(context.Background(), takedown.Content{ID: postID})
	if pe := platforms.Classify(err); err == nil || pe.Kind != platforms.KindTransient || pe.Code != "network" {
		t.Errorf("err = %v, want transient network", err)
	}
	if strings.Contains(err.Error(), postID) {
		t.Errorf("error names the post: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  x.Config
		want string
	}{
		{"no token", x.Config{}, "BearerToken"},
		{"bad base URL", x.Config{BearerToken: "t", APIBaseURL: "api.x.com"}, "APIBaseURL"},
		{"email without mailer", x.Config{BearerToken: "t", Channel: takedown.ChannelEmail, To: "legal@x.example"}, "Mailer is nil"},
		{"email without address", x.Config{BearerToken: "t", PriorityChannel: takedown.ChannelEmail, Mailer: &fakes.Mailer{}}, "not valid"},
		{"api channel", x.Config{BearerToken: "t", Channel: takedown.ChannelAPI}, "portal or email"},
		{"bad country", x.Config{BearerToken: "t", Country: "Korea"}, "Country"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := x.New(tt.cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
