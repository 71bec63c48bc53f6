package meta_test

import (
	"context"
	"io"
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
	"github.com/takedown-oss/takedown/platforms/meta"
)

var t0 = time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)

const (
	appToken = "123456|s3cr3t"
	key      = "1c6f3d1e-0000-4000-8000-000000000003:meta:1"
)

var (
	instagram = takedown.Content{Platform: takedown.Meta, ID: "instagram/C9xYz_AbCdE", URL: "https://www.instagram.com/p/C9xYz_AbCdE/"}
	facebook  = takedown.Content{Platform: takedown.Meta, ID: "facebook/1234567890", URL: "https://www.facebook.com/somepage/posts/1234567890"}
	permalink = takedown.Content{Platform: takedown.Meta, ID: "facebook/111", URL: "https://www.facebook.com/permalink.php?story_fbid=111&id=222"}
	threads   = takedown.Content{Platform: takedown.Meta, ID: "threads/DAbC123xyz", URL: "https://www.threads.net/@someone/post/DAbC123xyz"}
	fbwatch   = takedown.Content{Platform: takedown.Meta, ID: "fbwatch/1AbCdEfGh", URL: "https://fb.watch/1AbCdEfGh/"}
)

const (
	igOEmbedURI = "/v21.0/instagram_oembed?url=https%3A%2F%2Fwww.instagram.com%2Fp%2FC9xYz_AbCdE%2F&access_token=123456%7Cs3cr3t"
	fbOEmbedURI = "/v21.0/oembed_post?url=https%3A%2F%2Fwww.facebook.com%2Fsomepage%2Fposts%2F1234567890&access_token=123456%7Cs3cr3t"
	thOEmbedURI = "/threads/oembed?url=https%3A%2F%2Fwww.threads.net%2F%40someone%2Fpost%2FDAbC123xyz"
	igPageURI   = "/public/www.instagram.com/p/C9xYz_AbCdE/"
	fbPageURI   = "/public/www.facebook.com/somepage/posts/1234567890"
)

func graphError(code, subcode int, msg string) string {
	return `{"error":{"message":"` + msg + `","type":"OAuthException","code":` + strconv.Itoa(code) +
		`,"error_subcode":` + strconv.Itoa(subcode) + `,"fbtrace_id":"AbC123xYz"}}`
}

const (
	oembedOK   = `{"version":"1.0","author_name":"someone","provider_name":"Instagram","provider_url":"https://www.instagram.com/","type":"rich","width":658,"html":"<blockquote class=\"instagram-media\">…</blockquote>"}`
	pageOG     = `<!DOCTYPE html><html><head><title>Some page</title><meta property="og:site_name" content="Facebook"><meta property="og:title" content="A post"><meta property="og:image" content="https://scontent.example/x.jpg"></head><body><div>…</div></body></html>`
	pageGone   = `<!DOCTYPE html><html><head><title>Facebook</title><meta property="og:site_name" content="Facebook"></head><body><h2>This content isn’t available right now</h2><p>When this happens, it’s usually because the owner only shared it with a small group of people, changed who can see it or it’s been deleted.</p><script>var s = "og:title";</script></body></html>`
	pageIGGone = `<html><head><title>Instagram</title></head><body><h2>Sorry, this page isn't available.</h2></body></html>`
	pageGeo    = `<html><head><title>Facebook</title></head><body><h2>This content isn't available in your country</h2></body></html>`
	pageBoth   = `<html><head><meta property="og:title" content="A post"></head><body>This content isn't available right now</body></html>`
	pageLogin  = `<html><head><title>Instagram</title><meta property="og:site_name" content="Instagram"></head><body><form><input name="username"></form><noscript>This page is not available without JavaScript</noscript></body></html>`
)

func TestProbe(t *testing.T) {
	tests := []struct {
		name      string
		content   takedown.Content
		oembed    *fakes.Answer // nil: no oEmbed request expected
		page      *fakes.Answer // nil: no page request expected
		wantURIs  []string
		state     takedown.ProbeState
		reason    string
		countries []string
		kind      platforms.ErrorKind
		code      string
		wait      time.Duration
	}{
		{
			name: "instagram embed returned", content: instagram,
			oembed:   &fakes.Answer{Status: 200, Body: oembedOK},
			wantURIs: []string{igOEmbedURI},
			state:    takedown.ProbePresent, reason: "oEmbed returned the embed",
		},
		{
			name: "instagram media not found", content: instagram,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(24, 2207046, "The media could not be found")},
			wantURIs: []string{igOEmbedURI},
			state:    takedown.ProbeRemoved, reason: "oEmbed: Graph error 24/2207046: The media could not be found",
		},
		{
			name: "other oEmbed error falls back to a 404 page", content: instagram,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(100, 33, "Unsupported request https://www.instagram.com/p/C9xYz_AbCdE/")},
			page:     &fakes.Answer{Status: 404, Body: pageIGGone},
			wantURIs: []string{igOEmbedURI, igPageURI},
			state:    takedown.ProbeRemoved, reason: "public page answered HTTP 404 (oEmbed: Graph error 100/33: Unsupported request <url>)",
		},
		{
			name: "instagram page says unavailable", content: instagram,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(100, 0, "Invalid parameter")},
			page:     &fakes.Answer{Status: 200, Body: pageIGGone},
			wantURIs: []string{igOEmbedURI, igPageURI},
			state:    takedown.ProbeRemoved, reason: "public page: page isn't available (oEmbed: Graph error 100/0: Invalid parameter)",
		},
		{
			name: "facebook page says unavailable", content: facebook,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(100, 0, "Invalid parameter")},
			page:     &fakes.Answer{Status: 200, Body: pageGone},
			wantURIs: []string{fbOEmbedURI, fbPageURI},
			state:    takedown.ProbeRemoved, reason: "public page: content isn't available (oEmbed: Graph error 100/0: Invalid parameter)",
		},
		{
			name: "facebook page shows the post", content: facebook,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(100, 0, "Invalid parameter")},
			page:     &fakes.Answer{Status: 200, Body: pageOG},
			wantURIs: []string{fbOEmbedURI, fbPageURI},
			state:    takedown.ProbePresent, reason: "public page shows the content (og:title) (oEmbed: Graph error 100/0: Invalid parameter)",
		},
		{
			name: "page geo-restricted", content: facebook,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(100, 0, "Invalid parameter")},
			page:     &fakes.Answer{Status: 200, Body: pageGeo},
			wantURIs: []string{fbOEmbedURI, fbPageURI},
			state:    takedown.ProbeWithheld, countries: []string{"KR"},
			reason: "public page: isn't available in your country (oEmbed: Graph error 100/0: Invalid parameter)",
		},
		{
			name: "page with both signs", content: facebook,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(100, 0, "x")},
			page:     &fakes.Answer{Status: 200, Body: pageBoth},
			wantURIs: []string{fbOEmbedURI, fbPageURI},
			state:    takedown.ProbeUnknown, reason: "public page shows both the content's metadata and an unavailable notice (oEmbed: Graph error 100/0: x)",
		},
		{
			name: "login wall", content: instagram,
			oembed:   &fakes.Answer{Status: 400, Body: "<html>oops</html>"},
			page:     &fakes.Answer{Status: 200, Body: pageLogin},
			wantURIs: []string{igOEmbedURI, igPageURI},
			state:    takedown.ProbeUnknown, reason: "public page not recognised (login wall?) (oEmbed answered HTTP 400 without a Graph error)",
		},
		{
			name: "oEmbed 200 without html", content: instagram,
			oembed:   &fakes.Answer{Status: 200, Body: `{"version":"1.0"}`},
			page:     &fakes.Answer{Status: 403, Body: "denied"},
			wantURIs: []string{igOEmbedURI, igPageURI},
			state:    takedown.ProbeUnknown, reason: "public page answered HTTP 403 (oEmbed answered 200 without an embed)",
		},
		{
			name: "permalink keeps its query", content: permalink,
			oembed: &fakes.Answer{Status: 400, Body: graphError(100, 0, "x")},
			page:   &fakes.Answer{Status: 200, Body: pageOG},
			wantURIs: []string{
				"/v21.0/oembed_post?url=https%3A%2F%2Fwww.facebook.com%2Fpermalink.php%3Fstory_fbid%3D111%26id%3D222&access_token=123456%7Cs3cr3t",
				"/public/www.facebook.com/permalink.php?story_fbid=111&id=222",
			},
			state: takedown.ProbePresent, reason: "public page shows the content (og:title) (oEmbed: Graph error 100/0: x)",
		},
		{
			name: "threads embed without token", content: threads,
			oembed:   &fakes.Answer{Status: 200, Body: oembedOK},
			wantURIs: []string{thOEmbedURI},
			state:    takedown.ProbePresent, reason: "oEmbed returned the embed",
		},
		{
			name: "fb.watch goes to the page only", content: fbwatch,
			page:     &fakes.Answer{Status: 200, Body: pageOG},
			wantURIs: []string{"/public/fb.watch/1AbCdEfGh/"},
			state:    takedown.ProbePresent, reason: "public page shows the content (og:title)",
		},
		{
			name: "application throttled", content: instagram,
			oembed:   &fakes.Answer{Status: 403, Body: graphError(4, 0, "Application request limit reached")},
			wantURIs: []string{igOEmbedURI},
			kind:     platforms.KindRateLimited, code: "graph_4", wait: 5 * time.Minute,
		},
		{
			name: "call window throttled with Retry-After", content: facebook,
			oembed:   &fakes.Answer{Status: 400, Header: map[string]string{"Retry-After": "45"}, Body: graphError(613, 0, "Calls to this api have exceeded the rate limit.")},
			wantURIs: []string{fbOEmbedURI},
			kind:     platforms.KindRateLimited, code: "graph_613", wait: 45 * time.Second,
		},
		{
			name: "HTTP 429", content: threads,
			oembed:   &fakes.Answer{Status: 429, Header: map[string]string{"Retry-After": "Fri, 14 Mar 2025 15:01:00 GMT"}},
			wantURIs: []string{thOEmbedURI},
			kind:     platforms.KindRateLimited, code: "http_429", wait: time.Minute,
		},
		{
			name: "bad token", content: instagram,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(190, 0, "Invalid OAuth access token.")},
			wantURIs: []string{igOEmbedURI},
			kind:     platforms.KindPermanent, code: "unauthorized",
		},
		{
			name: "oEmbed server error does not fall back", content: instagram,
			oembed:   &fakes.Answer{Status: 500, Body: `{"error":{"message":"An unknown error has occurred.","type":"OAuthException","code":1}}`},
			wantURIs: []string{igOEmbedURI},
			kind:     platforms.KindTransient, code: "http_500",
		},
		{
			name: "page server error", content: facebook,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(100, 0, "x")},
			page:     &fakes.Answer{Status: 502, Body: "bad gateway"},
			wantURIs: []string{fbOEmbedURI, fbPageURI},
			kind:     platforms.KindTransient, code: "http_502",
		},
		{
			name: "page throttled", content: facebook,
			oembed:   &fakes.Answer{Status: 400, Body: graphError(100, 0, "x")},
			page:     &fakes.Answer{Status: 429},
			wantURIs: []string{fbOEmbedURI, fbPageURI},
			kind:     platforms.KindRateLimited, code: "http_429", wait: 5 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakes.NewServer(t, func(r *http.Request) (fakes.Answer, bool) {
				a := tt.oembed
				if strings.HasPrefix(r.URL.Path, "/public/") {
					a = tt.page
				}
				if a == nil {
					return fakes.Answer{}, false
				}
				return *a, true
			})
			c, err := meta.New(meta.Config{
				GraphBaseURL: srv.URL + "/v21.0", ThreadsOEmbedURL: srv.URL + "/threads/oembed", PublicBaseURL: srv.URL + "/public",
				AppAccessToken: appToken, Now: func() time.Time { return t0 },
			}, srv.Client(), nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Probe(context.Background(), tt.content)

			var uris []string
			for _, r := range srv.Requests() {
				uri, ua, accept := r.URL.RequestURI(), r.Header.Get("User-Agent"), r.Header.Get("Accept")
				uris = append(uris, uri)
				if strings.HasPrefix(uri, "/public/") {
					if ua != meta.DefaultUserAgent || !strings.HasPrefix(accept, "text/html") {
						t.Errorf("page request headers: UA %q Accept %q", ua, accept)
					}
				} else if accept != "application/json" {
					t.Errorf("oEmbed request Accept %q", accept)
				}
			}
			if !slices.Equal(uris, tt.wantURIs) {
				t.Errorf("requests:\n got %q\nwant %q", uris, tt.wantURIs)
			}
			if tt.kind != "" {
				pe := platforms.Classify(err)
				if err == nil || pe.Kind != tt.kind || pe.Code != tt.code || pe.RetryAfter != tt.wait {
					t.Errorf("err = %v, want %s/%s retry %s", err, tt.kind, tt.code, tt.wait)
				}
				if err != nil && (strings.Contains(err.Error(), appToken) || strings.Contains(err.Error(), "s3cr3t")) {
					t.Errorf("error leaks the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.State != tt.state || res.Reason != tt.reason || !slices.Equal(res.Countries, tt.countries) || !res.CheckedAt.Equal(t0) {
				t.Errorf("probe = %+v\nwant %s %q %v", res, tt.state, tt.reason, tt.countries)
			}
		})
	}
}

func TestProbeWithoutPublicBaseURLFetchesTheContentURL(t *testing.T) {
	srv := fakes.NewServer(t, fakes.Always(fakes.Answer{Status: http.StatusNotFound}))
	c, err := meta.New(meta.Config{AppAccessToken: appToken}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	content := takedown.Content{Platform: takedown.Meta, ID: "fbwatch/1AbCdEfGh", URL: srv.URL + "/1AbCdEfGh/"}
	res, err := c.Probe(context.Background(), content)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.URL.RequestURI())
	}
	if res.State != takedown.ProbeRemoved || !slices.Equal(got, []string{"/1AbCdEfGh/"}) {
		t.Errorf("probe = %+v after requests %q", res, got)
	}
}

func TestProbeNetworkErrorHidesToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c, err := meta.New(meta.Config{GraphBaseURL: srv.URL, AppAccessToken: appToken}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Probe(context.Background(), instagram)
	if pe := platforms.Classify(err); err == nil || pe.Kind != platforms.KindTransient || pe.Code != "network" {
		t.Fatalf("err = %v, want transient network", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "instagram.com") {
		t.Errorf("error leaks the URL: %v", err)
	}
}

func TestGoneErrorsConfigurable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/public/") {
			_, _ = io.WriteString(w, pageOG)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, graphError(24, 2207046, "The media could not be found"))
	}))
	defer srv.Close()
	c, err := meta.New(meta.Config{GraphBaseURL: srv.URL, PublicBaseURL: srv.URL + "/public", AppAccessToken: appToken,
		GoneErrors: []meta.GraphErrorCode{}}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Probe(context.Background(), instagram)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != takedown.ProbePresent {
		t.Errorf("with no gone errors the page decides: got %+v", res)
	}
}

const messageID = "<tkd-m@kcsc.example>"

func TestSend(t *testing.T) {
	ref := takedown.NoticeReference(key)
	tests := []struct {
		name      string
		cfg       meta.Config
		content   takedown.Content
		priority  bool
		wantTo    string
		wantLabel string
		want      platforms.Submission
	}{
		{
			name: "portal by default", content: instagram,
			want: platforms.Submission{Channel: takedown.ChannelPortal, Reference: ref, SentAt: t0, AwaitingPortal: true},
		},
		{
			name: "agreed address names the service", content: instagram,
			cfg:    meta.Config{Channel: takedown.ChannelEmail, To: "gov@meta.example"},
			wantTo: "gov@meta.example", wantLabel: "Meta (Instagram)",
			want: platforms.Submission{Channel: takedown.ChannelEmail, Reference: ref, PlatformReference: messageID, SentAt: t0},
		},
		{
			name: "priority address", content: threads, priority: true,
			cfg:    meta.Config{Channel: takedown.ChannelEmail, To: "gov@meta.example", PriorityChannel: takedown.ChannelEmail, PriorityTo: "urgent@meta.example"},
			wantTo: "urgent@meta.example", wantLabel: "Meta (Threads)",
			want: platforms.Submission{Channel: takedown.ChannelEmail, Reference: ref, PlatformReference: messageID, SentAt: t0},
		},
		{
			name: "priority on the portal", content: facebook, priority: true,
			cfg:  meta.Config{Channel: takedown.ChannelEmail, To: "gov@meta.example"},
			want: platforms.Submission{Channel: takedown.ChannelPortal, Reference: ref, SentAt: t0, AwaitingPortal: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &fakes.Mailer{MessageID: messageID}
			cfg := tt.cfg
			cfg.AppAccessToken, cfg.Mailer, cfg.Now = appToken, m, func() time.Time { return t0 }
			c, err := meta.New(cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			n := takedown.Notice{Key: key, Content: tt.content, Category: takedown.DeepfakeSexual, Priority: tt.priority, Attempt: 1}
			sub, err := c.Send(context.Background(), n)
			if err != nil {
				t.Fatal(err)
			}
			if sub != tt.want {
				t.Errorf("submission = %+v, want %+v", sub, tt.want)
			}
			var want []fakes.MailCall
			if tt.wantTo != "" {
				want = []fakes.MailCall{{To: tt.wantTo, Label: tt.wantLabel, Notice: n}}
			}
			if got := m.Calls(); !slices.Equal(got, want) {
				t.Errorf("mailer calls = %+v, want %+v", got, want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  meta.Config
		want string
	}{
		{"no token", meta.Config{}, "AppAccessToken"},
		{"token without secret", meta.Config{AppAccessToken: "123456"}, "AppAccessToken"},
		{"bad graph URL", meta.Config{AppAccessToken: appToken, GraphBaseURL: "graph.facebook.com"}, "GraphBaseURL"},
		{"bad public URL", meta.Config{AppAccessToken: appToken, PublicBaseURL: "localhost:8090"}, "PublicBaseURL"},
		{"email without mailer", meta.Config{AppAccessToken: appToken, Channel: takedown.ChannelEmail, To: "gov@meta.example"}, "Mailer is nil"},
		{"api channel", meta.Config{AppAccessToken: appToken, PriorityChannel: takedown.ChannelAPI}, "portal or email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := meta.New(tt.cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
