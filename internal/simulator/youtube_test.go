package simulator

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

const (
	video   = "dQw4w9WgXcQ"
	auth    = "Authorization"
	bearer  = "Bearer test-token"
	ctJSON  = "Content-Type"
	appJSON = "application/json"
)

func videoStatus(id string) string {
	return `{"kind":"youtube#videoListResponse","etag":"*","items":[{"kind":"youtube#video","etag":"*","id":"` + id + `",
		"status":{"uploadStatus":"processed","privacyStatus":"public","license":"youtube","embeddable":true,"publicStatsViewable":true,"madeForKids":false}}],
		"pageInfo":{"totalResults":1,"resultsPerPage":1}}`
}

const videoGone = `{"kind":"youtube#videoListResponse","etag":"*","items":[],"pageInfo":{"totalResults":0,"resultsPerPage":0}}`

func (e *env) report(t *testing.T, body string, hdr ...string) response {
	t.Helper()
	return e.do(t, http.MethodPost, "/youtube/v3/videos/reportAbuse", body, append([]string{ctJSON, appJSON}, hdr...)...)
}

func TestYouTubeReasons(t *testing.T) {
	e := newEnv(t, Config{})
	tests := []struct {
		name, hl, sexual, nudity, privacy string
	}{
		{"english", "en_US", "Sexual content", "Nudity", "Invades my privacy"},
		{"korean", "ko_KR", "성적인 콘텐츠", "과도한 노출", "개인정보 침해"},
		{"korean short", "ko", "성적인 콘텐츠", "과도한 노출", "개인정보 침해"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(t, "/youtube/v3/videoAbuseReportReasons?part=id,snippet&hl="+tt.hl, auth, bearer)
			assertStatus(t, r, http.StatusOK)
			var got struct {
				Kind  string `json:"kind"`
				Etag  string `json:"etag"`
				Items []struct {
					Kind    string `json:"kind"`
					Etag    string `json:"etag"`
					ID      string `json:"id"`
					Snippet struct {
						Label            string `json:"label"`
						SecondaryReasons []struct{ ID, Label string }
					} `json:"snippet"`
				} `json:"items"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Kind != "youtube#videoAbuseReportReasonListResponse" || got.Etag == "" || len(got.Items) < 8 {
				t.Fatalf("list = %+v", got)
			}
			labels := map[string]bool{}
			for _, it := range got.Items {
				if it.Kind != "youtube#videoAbuseReportReason" || it.ID == "" || it.Etag == "" {
					t.Errorf("item = %+v", it)
				}
				labels[it.Snippet.Label] = true
				for _, sr := range it.Snippet.SecondaryReasons {
					labels[sr.Label] = true
				}
			}
			for _, l := range []string{tt.sexual, tt.nudity, tt.privacy} {
				if !labels[l] {
					t.Errorf("label %q missing", l)
				}
			}
			first := got.Items[0]
			if first.ID != "N" || first.Snippet.SecondaryReasons[1].ID != "2" || first.Snippet.SecondaryReasons[1].Label != tt.nudity {
				t.Errorf("first reason = %+v", first)
			}
		})
	}
	r := e.get(t, "/youtube/v3/videoAbuseReportReasons?part=id,snippet")
	assertStatus(t, r, http.StatusForbidden)
	if got := e.sim.Requests(RouteYouTubeReasons); got != 4 {
		t.Errorf("Requests(reasons) = %d, want 4", got)
	}
}

func TestYouTubeReportAbuseErrors(t *testing.T) {
	e := newEnv(t, Config{})
	tests := []struct {
		name   string
		body   string
		hdr    []string
		status int
		want   string
	}{
		{
			name: "no token", body: `{"videoId":"` + video + `","reasonId":"N"}`, status: 401,
			want: `{"error":{"code":401,"message":"*","status":"UNAUTHENTICATED",
				"errors":[{"message":"*","domain":"global","reason":"required","location":"Authorization","locationType":"header"}]}}`,
		},
		{
			name: "empty bearer", body: `{"videoId":"` + video + `","reasonId":"N"}`, hdr: []string{auth, "Bearer "}, status: 401,
			want: `{"error":{"code":401,"message":"*","status":"UNAUTHENTICATED","errors":[{"message":"*","domain":"global","reason":"required","location":"Authorization","locationType":"header"}]}}`,
		},
		{
			name: "unknown reason", body: `{"videoId":"` + video + `","reasonId":"ZZ"}`, hdr: []string{auth, bearer}, status: 400,
			want: `{"error":{"code":400,"message":"*","errors":[{"message":"*","domain":"youtube.video","reason":"invalidAbuseReason"}]}}`,
		},
		{
			name: "secondary of another reason", body: `{"videoId":"` + video + `","reasonId":"N","secondaryReasonId":"7"}`, hdr: []string{auth, bearer}, status: 400,
			want: `{"error":{"code":400,"message":"*","errors":[{"message":"*","domain":"youtube.video","reason":"invalidAbuseReason"}]}}`,
		},
		{
			name: "malformed video id", body: `{"videoId":"nope","reasonId":"N"}`, hdr: []string{auth, bearer}, status: 404,
			want: `{"error":{"code":404,"message":"*","errors":[{"message":"*","domain":"youtube.video","reason":"videoNotFound","location":"videoId","locationType":"other"}]}}`,
		},
		{
			name: "not json", body: `{"videoId":`, hdr: []string{auth, bearer}, status: 400,
			want: `{"error":{"code":400,"message":"Parse Error","status":"INVALID_ARGUMENT","errors":[{"message":"Parse Error","domain":"global","reason":"parseError"}]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.report(t, tt.body, tt.hdr...)
			assertStatus(t, r, tt.status)
			assertJSON(t, r.body, tt.want)
		})
	}
	if n := e.sim.NoticeCount(takedown.YouTube, video); n != 0 {
		t.Errorf("a refused report was filed as a notice: %d", n)
	}
	if got := e.sim.Requests(RouteYouTubeReportAbuse); got != len(tests) {
		t.Errorf("Requests(reportAbuse) = %d, want %d", got, len(tests))
	}
}

func TestYouTubeNoticeRemovesVideo(t *testing.T) {
	e := newEnv(t, Config{})
	status := func() response {
		t.Helper()
		return e.get(t, "/youtube/v3/videos?part=status&id="+video, auth, bearer)
	}
	r := status()
	assertStatus(t, r, http.StatusOK)
	assertJSON(t, r.body, videoStatus(video))

	r = e.report(t, `{"videoId":"`+video+`","reasonId":"N","secondaryReasonId":"2","comments":"deepfake","language":"ko"}`, auth, bearer)
	assertStatus(t, r, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Errorf("204 with body %q", r.body)
	}

	e.clock.Advance(2*time.Second - time.Millisecond)
	assertJSON(t, status().body, videoStatus(video))
	if st := e.sim.State(takedown.YouTube, video); st.Status != StatusPresent || st.ChangesTo != StatusRemoved {
		t.Errorf("state before removal = %+v", st)
	}

	e.clock.Advance(time.Millisecond)
	r = status()
	assertStatus(t, r, http.StatusOK)
	assertJSON(t, r.body, videoGone)

	// Reporting a video that is gone is a 404, and is not filed.
	r = e.report(t, `{"videoId":"`+video+`","reasonId":"N"}`, auth, bearer)
	assertStatus(t, r, http.StatusNotFound)

	ns := e.sim.Notices(takedown.YouTube, video)
	if len(ns) != 1 {
		t.Fatalf("notices = %+v", ns)
	}
	n := ns[0]
	if n.Channel != takedown.ChannelAPI || n.ReasonID != "N" || n.SecondaryReasonID != "2" || n.Comments != "deepfake" ||
		n.Language != "ko" || n.Outcome != OutcomeAccepted || !n.ReceivedAt.Equal(t0) {
		t.Errorf("notice = %+v", n)
	}
	if got := e.sim.Requests(RouteYouTubeVideos); got != 3 {
		t.Errorf("Requests(videos) = %d, want 3", got)
	}
	if got := e.sim.ContentRequests(takedown.YouTube, video); got != 5 {
		t.Errorf("ContentRequests = %d, want 5", got)
	}
	if q := e.sim.YouTubeQuota(); q.Used != 50+50+3 {
		t.Errorf("quota used = %d, want 103", q.Used)
	}
}

func TestYouTubeVideosParts(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.get(t, "/youtube/v3/videos?part=id&id="+video+",short,"+"abcdefghijk", auth, bearer)
	assertStatus(t, r, http.StatusOK)
	assertJSON(t, r.body, `{"kind":"youtube#videoListResponse","etag":"*","items":[
		{"kind":"youtube#video","etag":"*","id":"`+video+`"},{"kind":"youtube#video","etag":"*","id":"abcdefghijk"}],
		"pageInfo":{"totalResults":2,"resultsPerPage":2}}`)

	r = e.get(t, "/youtube/v3/videos?part=status,fileDetails&id="+video+"&key=k")
	assertStatus(t, r, http.StatusBadRequest)
	assertJSON(t, r.body, `{"error":{"code":400,"message":"'fileDetails'","status":"INVALID_ARGUMENT","errors":[
		{"message":"'fileDetails'","domain":"youtube.part","reason":"unknownPart","location":"part","locationType":"parameter"}]}}`)

	r = e.get(t, "/youtube/v3/videos?part=status&id="+video)
	assertStatus(t, r, http.StatusForbidden)
	assertJSON(t, r.body, `{"error":{"code":403,"message":"*","status":"PERMISSION_DENIED","errors":[{"message":"*","domain":"global","reason":"forbidden"}]}}`)
}

func TestYouTubeQuota(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	quotaExceeded := `{"error":{"code":403,
		"message":"The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
		"errors":[{"message":"The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.","domain":"youtube.quota","reason":"quotaExceeded"}]}}`

	tests := []struct {
		name  string
		start time.Time
		// stillOut is how far the clock moves while the quota must stay spent;
		// then one more second must give a fresh quota.
		stillOut time.Duration
	}{
		// 16:30 in Los Angeles is 23:30 UTC: a UTC midnight passes first
		// and must not reset anything.
		{"resets at Pacific midnight, not UTC", time.Date(2025, 3, 10, 16, 30, 0, 0, la), 7*time.Hour + 29*time.Minute + 59*time.Second},
		{"winter time", time.Date(2025, 1, 15, 23, 0, 0, 0, la), 59*time.Minute + 59*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock(tt.start)
			e := newEnv(t, Config{Now: clock.Now, YouTubeQuota: 102})
			body := `{"videoId":"` + video + `","reasonId":"N"}`
			assertStatus(t, e.report(t, body, auth, bearer), http.StatusNoContent)
			assertStatus(t, e.report(t, body, auth, bearer), http.StatusNoContent)
			assertStatus(t, e.get(t, "/youtube/v3/videos?part=status&id="+video, auth, bearer), http.StatusOK)
			assertStatus(t, e.get(t, "/youtube/v3/videos?part=status&id="+video, auth, bearer), http.StatusOK)

			r := e.report(t, body, auth, bearer)
			assertStatus(t, r, http.StatusForbidden)
			assertJSON(t, r.body, quotaExceeded)
			r = e.get(t, "/youtube/v3/videos?part=status&id="+video, auth, bearer)
			assertStatus(t, r, http.StatusForbidden)
			assertJSON(t, r.body, quotaExceeded)
			if n := e.sim.NoticeCount(takedown.YouTube, video); n != 2 {
				t.Errorf("notices = %d, want 2: a report over quota must not be filed", n)
			}

			clock.Advance(tt.stillOut)
			assertStatus(t, e.get(t, "/youtube/v3/videos?part=status&id="+video, auth, bearer), http.StatusForbidden)
			clock.Advance(time.Second)
			assertStatus(t, e.get(t, "/youtube/v3/videos?part=status&id="+video, auth, bearer), http.StatusOK)
			if q := e.sim.YouTubeQuota(); q.Used != 1 || q.Limit != 102 {
				t.Errorf("quota after reset = %+v", q)
			}
		})
	}
}

func TestYouTubeQuotaBehaviour(t *testing.T) {
	e := newEnv(t, Config{})
	mustSet(t, e.sim, takedown.YouTube, "", Behaviour{Quota: 60})
	body := `{"videoId":"` + video + `","reasonId":"N"}`
	assertStatus(t, e.report(t, body, auth, bearer), http.StatusNoContent)
	assertStatus(t, e.report(t, body, auth, bearer), http.StatusForbidden)
}

func TestYouTubeRejectAndRateLimit(t *testing.T) {
	e := newEnv(t, Config{})
	other := "abcdefghijk"
	mustSet(t, e.sim, takedown.YouTube, video, Behaviour{OnNotice: OnNoticeReject})
	mustSet(t, e.sim, takedown.YouTube, other, Behaviour{RateLimit: &RateLimit{Status: 403, RetryAfterSeconds: 30, Count: 1}})

	r := e.report(t, `{"videoId":"`+video+`","reasonId":"N"}`, auth, bearer)
	assertStatus(t, r, http.StatusForbidden)
	assertJSON(t, r.body, `{"error":{"code":403,"message":"*","errors":[{"message":"*","domain":"youtube.video","reason":"forbidden"}]}}`)
	if ns := e.sim.Notices(takedown.YouTube, video); len(ns) != 1 || ns[0].Outcome != OutcomeRejected {
		t.Errorf("rejected notice = %+v", ns)
	}
	e.clock.Advance(time.Hour)
	if st := e.sim.State(takedown.YouTube, video).Status; st != StatusPresent {
		t.Errorf("rejected video is %s", st)
	}

	r = e.report(t, `{"videoId":"`+other+`","reasonId":"N"}`, auth, bearer)
	assertStatus(t, r, http.StatusForbidden)
	assertJSON(t, r.body, `{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"message":"Rate Limit Exceeded","domain":"usageLimits","reason":"rateLimitExceeded"}]}}`)
	if got := r.header.Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After = %q", got)
	}
	if n := e.sim.NoticeCount(takedown.YouTube, other); n != 0 {
		t.Errorf("a rate-limited report was filed")
	}
	assertStatus(t, e.report(t, `{"videoId":"`+other+`","reasonId":"N"}`, auth, bearer), http.StatusNoContent)

	mustSet(t, e.sim, takedown.YouTube, "", Behaviour{RateLimit: &RateLimit{RetryAfterSeconds: 5}})
	for range 3 {
		r = e.get(t, "/youtube/v3/videos?part=status&id="+video, auth, bearer)
		assertStatus(t, r, http.StatusTooManyRequests)
		assertJSON(t, r.body, `{"error":{"code":429,"message":"*","status":"RESOURCE_EXHAUSTED","errors":[{"message":"*","domain":"global","reason":"rateLimitExceeded"}]}}`)
	}
}
