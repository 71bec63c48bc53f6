package simulator

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

func TestTelegramPreview(t *testing.T) {
	e := newEnv(t, Config{})
	mustSet(t, e.sim, takedown.Telegram, "gonechan/7", Behaviour{Initial: StatusRemoved})
	mustSet(t, e.sim, takedown.Telegram, "blockedchan/8", Behaviour{Initial: StatusWithheld})
	tests := []struct {
		name    string
		path    string
		want    []string
		notWant []string
	}{
		{
			name: "present",
			path: "/t.me/SomeChannel/42?embed=1&mode=tme",
			want: []string{
				`class="tgme_widget_message_wrap js-widget_message_wrap`,
				`class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="SomeChannel/42"`,
				`class="tgme_widget_message_text js-message_text"`,
				`class="tgme_widget_message_photo_wrap"`,
			},
			notWant: []string{"tgme_widget_message_error"},
		},
		{
			name:    "removed",
			path:    "/t.me/gonechan/7?embed=1&mode=tme",
			want:    []string{`<div class="tgme_widget_message_error">Post not found</div>`, `data-post="gonechan/7"`},
			notWant: []string{"tgme_widget_message_text"},
		},
		{
			name:    "withheld",
			path:    "/t.me/blockedchan/8?embed=1&mode=tme",
			want:    []string{`<div class="tgme_widget_message_error">This message can't be displayed in your country</div>`},
			notWant: []string{"tgme_widget_message_text", "Post not found"},
		},
		{
			name: "private channel",
			path: "/t.me/c/1234567/8?embed=1",
			want: []string{`<div class="tgme_widget_message_error">Post not found</div>`},
		},
		{
			name: "invalid channel name",
			path: "/t.me/ab/8?embed=1",
			want: []string{`<div class="tgme_widget_message_error">Post not found</div>`},
		},
		{
			// Without embed=1 Telegram serves the channel preview, which
			// cannot tell a deleted post from a present one.
			name:    "removed without embed",
			path:    "/t.me/gonechan/7",
			want:    []string{`class="tgme_page tgme_page_post"`, `og:title`},
			notWant: []string{"tgme_widget_message"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(t, tt.path)
			assertStatus(t, r, http.StatusOK)
			if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			body := string(r.body)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %s\n%s", w, body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("page has %s\n%s", w, body)
				}
			}
		})
	}
	if got := e.sim.Requests(RouteTelegramPost); got != 5 {
		t.Errorf("Requests(post) = %d, want 5", got)
	}
	if got := e.sim.ContentRequests(takedown.Telegram, "gonechan/7"); got != 2 {
		t.Errorf("ContentRequests(gonechan/7) = %d, want 2", got)
	}
}

func TestTelegramChannelListing(t *testing.T) {
	e := newEnv(t, Config{})
	for _, id := range []string{"12", "3"} {
		e.get(t, "/t.me/listchan/"+id+"?embed=1")
	}
	mustSet(t, e.sim, takedown.Telegram, "listchan/5", Behaviour{Initial: StatusRemoved})
	r := e.get(t, "/t.me/s/ListChan")
	assertStatus(t, r, http.StatusOK)
	body := string(r.body)
	i3, i12 := strings.Index(body, `data-post="ListChan/3"`), strings.Index(body, `data-post="ListChan/12"`)
	if i3 < 0 || i12 < 0 || i3 > i12 {
		t.Errorf("listing lacks posts 3 and 12 in order:\n%s", body)
	}
	if strings.Contains(body, "ListChan/5") {
		t.Errorf("listing shows a removed post")
	}
	r = e.get(t, "/t.me/s/listchan/20")
	if !strings.Contains(string(r.body), `data-post="listchan/20"`) {
		t.Errorf("/s/<channel>/<id> does not list the post asked for")
	}
}

func xGet(e *env, t *testing.T, path string) response {
	t.Helper()
	return e.get(t, path, auth, "Bearer x-token")
}

func TestXTweet(t *testing.T) {
	e := newEnv(t, Config{})
	const id = "1790000000000000001"
	reset := strconv.FormatInt(t0.Add(15*time.Minute).Unix(), 10)

	r := e.get(t, "/x/2/tweets/"+id)
	assertStatus(t, r, http.StatusUnauthorized)
	assertJSON(t, r.body, `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`)

	r = xGet(e, t, "/x/2/tweets/"+id)
	assertStatus(t, r, http.StatusOK)
	assertJSON(t, r.body, `{"data":{"id":"`+id+`","text":"*","edit_history_tweet_ids":["`+id+`"]}}`)
	for h, want := range map[string]string{"x-rate-limit-limit": "900", "x-rate-limit-remaining": "899", "x-rate-limit-reset": reset} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}

	r = xGet(e, t, "/x/2/tweets/"+id+"?tweet.fields=withheld,created_at")
	assertJSON(t, r.body, `{"data":{"id":"`+id+`","text":"*","edit_history_tweet_ids":["`+id+`"],"created_at":"2024-08-26T09:00:00.000Z"}}`)

	r = xGet(e, t, "/x/2/tweets/"+id+"?tweet.fields=bogus")
	assertStatus(t, r, http.StatusBadRequest)
	assertJSON(t, r.body, `{"errors":[{"parameters":{"tweet.fields":["bogus"]},"message":"*"}],"title":"Invalid Request",
		"detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`)

	r = xGet(e, t, "/x/2/tweets/abc")
	assertStatus(t, r, http.StatusBadRequest)
	assertJSON(t, r.body, `{"errors":[{"parameters":{"id":["abc"]},"message":"The `+"`id`"+` query parameter value [abc] is not valid"}],"title":"Invalid Request",
		"detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`)
}

func TestXWithheldAndRemoved(t *testing.T) {
	e := newEnv(t, Config{})
	const kept, gone = "111", "222"
	mustSet(t, e.sim, takedown.X, kept, Behaviour{OnNotice: OnNoticeWithhold})
	for _, id := range []string{kept, gone} {
		if _, err := e.sim.SubmitPortal(takedown.X, id, ""); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(2 * time.Second)

	r := xGet(e, t, "/x/2/tweets/"+kept+"?tweet.fields=withheld")
	assertStatus(t, r, http.StatusOK)
	assertJSON(t, r.body, `{"data":{"id":"111","text":"*","edit_history_tweet_ids":["111"],"withheld":{"copyright":false,"country_codes":["KR"]}}}`)
	// withheld is an optional field: not asked for, not returned.
	assertJSON(t, xGet(e, t, "/x/2/tweets/"+kept).body, `{"data":{"id":"111","text":"*","edit_history_tweet_ids":["111"]}}`)

	r = xGet(e, t, "/x/2/tweets/"+gone+"?tweet.fields=withheld")
	assertStatus(t, r, http.StatusOK)
	assertJSON(t, r.body, `{"errors":[{"value":"222","detail":"Could not find tweet with id: [222].","title":"Not Found Error",
		"resource_type":"tweet","parameter":"id","resource_id":"222","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`)
	if st := e.sim.State(takedown.X, kept); st.Status != StatusWithheld || len(st.Countries) != 1 || st.Countries[0] != "KR" {
		t.Errorf("state = %+v", st)
	}
}

func TestXRateLimitWindow(t *testing.T) {
	e := newEnv(t, Config{XRateLimit: 2, XRateWindow: 15 * time.Minute})
	reset := strconv.FormatInt(t0.Add(15*time.Minute).Unix(), 10)
	for i, want := range []string{"1", "0"} {
		r := xGet(e, t, "/x/2/tweets/1")
		assertStatus(t, r, http.StatusOK)
		if got := r.header.Get("x-rate-limit-remaining"); got != want {
			t.Errorf("request %d: remaining = %q, want %q", i, got, want)
		}
	}
	e.clock.Advance(15*time.Minute - time.Second)
	r := xGet(e, t, "/x/2/tweets/1")
	assertStatus(t, r, http.StatusTooManyRequests)
	assertJSON(t, r.body, `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`)
	if r.header.Get("x-rate-limit-remaining") != "0" || r.header.Get("x-rate-limit-reset") != reset || r.header.Get("x-rate-limit-limit") != "2" {
		t.Errorf("headers = %v", r.header)
	}
	e.clock.Advance(time.Second)
	r = xGet(e, t, "/x/2/tweets/1")
	assertStatus(t, r, http.StatusOK)
	if got, want := r.header.Get("x-rate-limit-reset"), strconv.FormatInt(t0.Add(30*time.Minute).Unix(), 10); got != want {
		t.Errorf("reset of the new window = %s, want %s", got, want)
	}
	if got := e.sim.Requests(RouteXTweet); got != 4 {
		t.Errorf("Requests = %d, want 4", got)
	}
}

func TestXScriptedRateLimit(t *testing.T) {
	e := newEnv(t, Config{})
	mustSet(t, e.sim, takedown.X, "", Behaviour{RateLimit: &RateLimit{RetryAfterSeconds: 90, Count: 2}})
	for range 2 {
		r := xGet(e, t, "/x/2/tweets/5")
		assertStatus(t, r, http.StatusTooManyRequests)
		assertJSON(t, r.body, `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`)
		if got, want := r.header.Get("x-rate-limit-reset"), strconv.FormatInt(t0.Unix()+90, 10); got != want {
			t.Errorf("x-rate-limit-reset = %s, want %s", got, want)
		}
		if r.header.Get("Retry-After") != "90" || r.header.Get("x-rate-limit-remaining") != "0" {
			t.Errorf("headers = %v", r.header)
		}
	}
	assertStatus(t, xGet(e, t, "/x/2/tweets/5"), http.StatusOK)
	if got := e.sim.Requests(RouteXTweet); got != 3 {
		t.Errorf("Requests = %d, want 3", got)
	}
}

func TestMetaOEmbed(t *testing.T) {
	e := newEnv(t, Config{})
	const ig = "https://www.instagram.com/p/CxYz123abc/"
	const fb = "https://www.facebook.com/somepage/posts/1234567890"
	mustSet(t, e.sim, takedown.Meta, "instagram/GoneCode1", Behaviour{Initial: StatusRemoved})
	tests := []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{
			name: "instagram present", path: "/graph/v21.0/instagram_oembed?url=" + ig + "&access_token=app|secret", status: 200,
			want: `{"version":"1.0","author_name":"*","provider_name":"Instagram","provider_url":"https://www.instagram.com/","type":"rich",
				"width":658,"html":"*","thumbnail_url":"*","thumbnail_width":640,"thumbnail_height":640}`,
		},
		{
			name: "instagram maxwidth", path: "/graph/v21.0/instagram_oembed?maxwidth=400&url=" + ig + "&access_token=t", status: 200,
			want: `{"version":"1.0","author_name":"*","provider_name":"Instagram","provider_url":"https://www.instagram.com/","type":"rich",
				"width":400,"html":"*","thumbnail_url":"*","thumbnail_width":640,"thumbnail_height":640}`,
		},
		{
			name: "facebook present", path: "/graph/v21.0/oembed_post?url=" + fb + "&access_token=t", status: 200,
			want: `{"author_name":"*","author_url":"*","provider_url":"https://www.facebook.com","provider_name":"Facebook","success":true,
				"html":"*","type":"rich","version":"1.0","url":"` + fb + `","width":552}`,
		},
		{
			name: "gone", path: "/graph/v21.0/instagram_oembed?url=https://www.instagram.com/reel/GoneCode1/&access_token=t", status: 400,
			want: `{"error":{"message":"(#24) The requested media could not be found","type":"OAuthException","code":24,"fbtrace_id":"*"}}`,
		},
		{
			name: "no token", path: "/graph/v21.0/instagram_oembed?url=" + ig, status: 400,
			want: `{"error":{"message":"An access token is required to request this resource.","type":"OAuthException","code":104,"fbtrace_id":"*"}}`,
		},
		{
			name: "facebook url on the instagram endpoint", path: "/graph/v21.0/instagram_oembed?url=" + fb + "&access_token=t", status: 400,
			want: `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"fbtrace_id":"*"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(t, tt.path)
			assertStatus(t, r, tt.status)
			assertJSON(t, r.body, tt.want)
		})
	}
	r := e.get(t, "/graph/v21.0/instagram_oembed?url="+ig+"&access_token=t")
	if !strings.Contains(string(r.body), `<blockquote class=\"instagram-media\"`) || !strings.Contains(string(r.body), `//www.instagram.com/embed.js`) {
		t.Errorf("instagram html = %s", r.body)
	}
	if got := e.sim.ContentRequests(takedown.Meta, "instagram/CxYz123abc"); got != 4 {
		t.Errorf("ContentRequests = %d, want 4", got)
	}
}

func TestMetaWebPage(t *testing.T) {
	e := newEnv(t, Config{})
	mustSet(t, e.sim, takedown.Meta, "instagram/Removed1", Behaviour{Initial: StatusRemoved})
	mustSet(t, e.sim, takedown.Meta, "threads/Blocked1", Behaviour{Initial: StatusWithheld})
	tests := []struct {
		name, path string
		status     int
		want       []string
		notWant    []string
	}{
		{"present", "/web/www.instagram.com/p/Present1/", 200,
			[]string{`<meta property="og:title"`, `<meta property="og:url" content="https://www.instagram.com/p/Present1/">`, `content="Instagram"`}, []string{"Sorry"}},
		{"permalink with query", "/web/www.facebook.com/permalink.php?story_fbid=123&id=456", 200,
			[]string{`og:url" content="https://www.facebook.com/permalink.php?story_fbid=123&amp;id=456"`}, nil},
		{"removed", "/web/www.instagram.com/p/Removed1/", 404, []string{"Sorry, this page isn't available."}, []string{"og:"}},
		{"withheld", "/web/www.threads.net/@someone/post/Blocked1", 200, []string{"This content isn't available in your country"}, []string{"og:"}},
		{"not content", "/web/www.instagram.com/", 404, []string{"Sorry, this page isn't available."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(t, tt.path)
			assertStatus(t, r, tt.status)
			body := string(r.body)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %s\n%s", w, body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("page has %s", w)
				}
			}
		})
	}
	if got := e.sim.Requests(RouteWeb); got != len(tests) {
		t.Errorf("Requests(web) = %d, want %d", got, len(tests))
	}
}

func TestXTweetsLookup(t *testing.T) {
	e := newEnv(t, Config{XRateLimit: 5})
	mustSet(t, e.sim, takedown.X, "2", Behaviour{Initial: StatusRemoved})
	r := xGet(e, t, "/x/2/tweets?ids=1,2,3&tweet.fields=withheld")
	assertStatus(t, r, http.StatusOK)
	assertJSON(t, r.body, `{"data":[{"id":"1","text":"Simulated post 1.","edit_history_tweet_ids":["1"]},{"id":"3","text":"Simulated post 3.","edit_history_tweet_ids":["3"]}],`+
		`"errors":[{"value":"2","detail":"Could not find tweet with id: [2].","title":"Not Found Error","resource_type":"tweet","parameter":"ids","resource_id":"2","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`)
	if r.header.Get("x-rate-limit-remaining") != "4" {
		t.Errorf("remaining %s, want 4: three posts are one request", r.header.Get("x-rate-limit-remaining"))
	}
	assertStatus(t, xGet(e, t, "/x/2/tweets?ids=1,abc"), http.StatusBadRequest)
	if got := e.sim.Requests(RouteXTweets); got != 2 {
		t.Errorf("Requests = %d, want 2", got)
	}
}
