package youtube_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/internal/fakes"
	"github.com/takedown-oss/takedown/platforms/youtube"
)

const (
	videoID = "dQw4w9WgXcQ"
	token   = "ya29.test-token"
	key     = "7c9e6679-7425-40de-944b-e07fc1f90ae7:youtube:1"
)

// recorded is what the fake API saw of one request.
type recorded struct {
	Method, Target, Auth, ContentType, Body string
}

// fakeAPI stands in for the Data API: it records every request and answers
// each path from a table.
type fakeAPI struct {
	srv     *fakes.Server
	mu      sync.Mutex
	answers map[string]fakes.Answer // by path below /youtube/v3
}

func newFakeAPI(t *testing.T, answers map[string]fakes.Answer) *fakeAPI {
	t.Helper()
	f := &fakeAPI{answers: answers}
	f.srv = fakes.NewServer(t, func(r *http.Request) (fakes.Answer, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		a, ok := f.answers[strings.TrimPrefix(r.URL.Path, "/youtube/v3")]
		if a.Body != "" {
			a.ContentType = "application/json; charset=UTF-8"
		}
		return a, ok
	})
	return f
}

func (f *fakeAPI) requests() []recorded {
	var out []recorded
	for _, r := range f.srv.Requests() {
		out = append(out, recorded{
			Method: r.Method, Target: r.URL.RequestURI(), Auth: r.Header.Get("Authorization"),
			ContentType: r.Header.Get("Content-Type"), Body: r.Body,
		})
	}
	return out
}

func (f *fakeAPI) set(path string, a fakes.Answer) {
	f.mu.Lock()
	f.answers[path] = a
	f.mu.Unlock()
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// 2025-03-14 08:00 in Los Angeles (PDT, UTC-7).
var t0 = time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)

func newClient(t *testing.T, api *fakeAPI, clk *clock, mutate func(*youtube.Config)) *youtube.Client {
	t.Helper()
	cfg := youtube.Config{BaseURL: api.srv.URL + "/youtube/v3", AccessToken: token, Now: clk.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := youtube.New(cfg, api.srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Reason lists as the API returns them for hl=ko_KR and hl=en_US.
const reasonsKO = `{
 "kind": "youtube#videoAbuseReportReasonListResponse",
 "items": [
  {"kind": "youtube#videoAbuseReportReason", "id": "S", "snippet": {"label": "성적인 콘텐츠", "secondaryReasons": [
    {"id": "32", "label": "노골적인 성행위"}, {"id": "33", "label": "누드"}, {"id": "34", "label": "미성년자 관련 콘텐츠"}]}},
  {"kind": "youtube#videoAbuseReportReason", "id": "V", "snippet": {"label": "폭력적 또는 혐오스러운 콘텐츠"}},
  {"kind": "youtube#videoAbuseReportReason", "id": "H", "snippet": {"label": "괴롭힘 또는 폭력"}},
  {"kind": "youtube#videoAbuseReportReason", "id": "C", "snippet": {"label": "아동 학대"}}
 ]
}`

const reasonsEN = `{
 "items": [
  {"id": "V", "snippet": {"label": "Violent or repulsive content"}},
  {"id": "S", "snippet": {"label": "Sexual content", "secondaryReasons": [
    {"id": "32", "label": "Graphic sexual activity"}, {"id": "33", "label": "Nudity"}]}},
  {"id": "H", "snippet": {"label": "Harassment or bullying"}},
  {"id": "C", "snippet": {"label": "Child abuse"}}
 ]
}`

func notice(cat takedown.Category) takedown.Notice {
	return takedown.Notice{
		Key:            key,
		Content:        takedown.Content{Platform: takedown.YouTube, ID: videoID, URL: "https://www.youtube.com/watch?v=" + videoID},
		Category:       cat,
		LegalGround:    "정보통신망법 제44조의7",
		Reference:      "KCSC-2025-000777",
		EvidenceDigest: "sha256:ab12",
		Note:           "victim: 010-1234-5678",
		Attempt:        1,
	}
}

func googleError(code int, domain, reason string) string {
	return `{"error":{"code":` + strconv.Itoa(code) + `,"message":"The request cannot be completed.","errors":[{"domain":"` +
		domain + `","reason":"` + reason + `","message":"The request cannot be completed."}]}}`
}

var (
	listReasonsReq = recorded{Method: "GET", Target: "/youtube/v3/videoAbuseReportReasons?part=id,snippet&hl=ko_KR", Auth: "Bearer " + token}
	ref            = takedown.NoticeReference(key)
	comments       = "Takedown request " + ref + " from the Korean regulator; case KCSC-2025-000777; category: sexually explicit deepfake; " +
		"legal ground: 정보통신망법 제44조의7; evidence digest: sha256:ab12. Illegal under the law of the Republic of Korea; please remove it."
)

func reportReq(body string) recorded {
	return recorded{Method: "POST", Target: "/youtube/v3/videos/reportAbuse", Auth: "Bearer " + token, ContentType: "application/json", Body: body}
}

func TestSendReportsAbuse(t *testing.T) {
	tests := []struct {
		name     string
		reasons  string
		category takedown.Category
		override map[takedown.Category]youtube.ReasonID
		wantReqs []recorded
	}{
		{
			name: "korean labels", reasons: reasonsKO, category: takedown.DeepfakeSexual,
			wantReqs: []recorded{listReasonsReq, reportReq(`{"videoId":"dQw4w9WgXcQ","reasonId":"S","secondaryReasonId":"32","comments":"` + comments + `","language":"ko_KR"}`)},
		},
		{
			name: "english labels", reasons: reasonsEN, category: takedown.NCII,
			wantReqs: []recorded{listReasonsReq, reportReq(`{"videoId":"dQw4w9WgXcQ","reasonId":"S","secondaryReasonId":"32","comments":"` +
				strings.Replace(comments, "sexually explicit deepfake", "non-consensual intimate imagery", 1) + `","language":"ko_KR"}`)},
		},
		{
			name: "no secondary reason is omitted", reasons: reasonsKO, category: takedown.CSAM,
			wantReqs: []recorded{listReasonsReq, reportReq(`{"videoId":"dQw4w9WgXcQ","reasonId":"C","comments":"` +
				strings.Replace(comments, "sexually explicit deepfake", "child sexual abuse material", 1) + `","language":"ko_KR"}`)},
		},
		{
			name: "override skips the reason list", category: takedown.OtherIllegal,
			override: map[takedown.Category]youtube.ReasonID{takedown.OtherIllegal: {Reason: "R", Secondary: "R.1"}},
			wantReqs: []recorded{reportReq(`{"videoId":"dQw4w9WgXcQ","reasonId":"R","secondaryReasonId":"R.1","comments":"` +
				strings.Replace(comments, "sexually explicit deepfake", "other illegal content", 1) + `","language":"ko_KR"}`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, map[string]fakes.Answer{
				"/videoAbuseReportReasons": {Status: 200, Body: tt.reasons},
				"/videos/reportAbuse":      {Status: 204},
			})
			clk := &clock{t: t0}
			c := newClient(t, api, clk, func(cfg *youtube.Config) { cfg.ReasonIDs = tt.override })
			sub, err := c.Send(context.Background(), notice(tt.category))
			if err != nil {
				t.Fatal(err)
			}
			want := platforms.Submission{Channel: takedown.ChannelAPI, Reference: ref, SentAt: t0}
			if sub != want {
				t.Errorf("submission = %+v, want %+v", sub, want)
			}
			assertRequests(t, api.requests(), tt.wantReqs)
		})
	}
}

func TestSendPortalSendsNothing(t *testing.T) {
	api := newFakeAPI(t, map[string]fakes.Answer{})
	clk := &clock{t: t0}
	c := newClient(t, api, clk, nil)
	n := notice(takedown.DeepfakeSexual)
	n.Priority = true
	sub, err := c.Send(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	want := platforms.Submission{Channel: takedown.ChannelPortal, Reference: ref, SentAt: t0, AwaitingPortal: true}
	if sub != want {
		t.Errorf("submission = %+v, want %+v", sub, want)
	}
	if reqs := api.requests(); len(reqs) != 0 {
		t.Errorf("portal channel made requests: %+v", reqs)
	}
}

func TestReasonCache(t *testing.T) {
	api := newFakeAPI(t, map[string]fakes.Answer{
		"/videoAbuseReportReasons": {Status: 200, Body: reasonsKO},
		"/videos/reportAbuse":      {Status: 204},
	})
	clk := &clock{t: t0}
	c := newClient(t, api, clk, func(cfg *youtube.Config) { cfg.ReasonCacheTTL = time.Hour })
	ctx := context.Background()
	countLists := func() int {
		n := 0
		for _, r := range api.requests() {
			if strings.HasPrefix(r.Target, "/youtube/v3/videoAbuseReportReasons") {
				n++
			}
		}
		return n
	}
	send := func() error {
		_, err := c.Send(ctx, notice(takedown.DeepfakeSexual))
		return err
	}

	if err := send(); err != nil {
		t.Fatal(err)
	}
	clk.Add(59 * time.Minute)
	if err := send(); err != nil {
		t.Fatal(err)
	}
	if n := countLists(); n != 1 {
		t.Errorf("within the TTL: %d reason fetches, want 1", n)
	}
	clk.Add(2 * time.Minute)
	if err := send(); err != nil {
		t.Fatal(err)
	}
	if n := countLists(); n != 2 {
		t.Errorf("after the TTL: %d reason fetches, want 2", n)
	}

	// invalidAbuseReason drops the cache: the next notice fetches again.
	api.set("/videos/reportAbuse", fakes.Answer{Status: 400, Body: googleError(400, "youtube.videoAbuseReport", "invalidAbuseReason")})
	err := send()
	assertError(t, err, platforms.KindPermanent, "invalidAbuseReason", 0)
	api.set("/videos/reportAbuse", fakes.Answer{Status: 204})
	if err := send(); err != nil {
		t.Fatal(err)
	}
	if n := countLists(); n != 3 {
		t.Errorf("after invalidAbuseReason: %d reason fetches, want 3", n)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name     string
		now      time.Time
		reasons  fakes.Answer
		report   fakes.Answer
		category takedown.Category
		kind     platforms.ErrorKind
		code     string
		wait     time.Duration
	}{
		{
			name: "quota exceeded waits for midnight Pacific (PDT)", now: t0,
			report: fakes.Answer{Status: 403, Body: googleError(403, "youtube.quota", "quotaExceeded")},
			kind:   platforms.KindRateLimited, code: "quotaExceeded", wait: 16*time.Hour + 5*time.Minute,
		},
		{
			name: "quota exceeded waits for midnight Pacific (PST)", now: time.Date(2025, 1, 10, 20, 0, 0, 0, time.UTC),
			report: fakes.Answer{Status: 403, Body: googleError(403, "youtube.quota", "quotaExceeded")},
			kind:   platforms.KindRateLimited, code: "quotaExceeded", wait: 12*time.Hour + 5*time.Minute,
		},
		{
			name: "quota exceeded on the eve of the DST change", now: time.Date(2025, 3, 9, 6, 0, 0, 0, time.UTC),
			report: fakes.Answer{Status: 403, Body: googleError(403, "youtube.quota", "quotaExceeded")},
			kind:   platforms.KindRateLimited, code: "quotaExceeded", wait: 2*time.Hour + 5*time.Minute,
		},
		{
			name: "quota exceeded while listing reasons", now: t0,
			reasons: fakes.Answer{Status: 403, Body: googleError(403, "youtube.quota", "quotaExceeded")},
			kind:    platforms.KindRateLimited, code: "quotaExceeded", wait: 16*time.Hour + 5*time.Minute,
		},
		{
			name: "rate limit with Retry-After", now: t0,
			report: fakes.Answer{Status: 403, Header: map[string]string{"Retry-After": "120"}, Body: googleError(403, "youtube.quota", "rateLimitExceeded")},
			kind:   platforms.KindRateLimited, code: "rateLimitExceeded", wait: 2 * time.Minute,
		},
		{
			name: "rate limit without Retry-After", now: t0,
			report: fakes.Answer{Status: 403, Body: googleError(403, "usageLimits", "rateLimitExceeded")},
			kind:   platforms.KindRateLimited, code: "rateLimitExceeded", wait: time.Minute,
		},
		{
			name: "429 with delta seconds", now: t0,
			report: fakes.Answer{Status: 429, Header: map[string]string{"Retry-After": "30"}},
			kind:   platforms.KindRateLimited, code: "http_429", wait: 30 * time.Second,
		},
		{
			name: "429 with HTTP date", now: t0,
			report: fakes.Answer{Status: 429, Header: map[string]string{"Retry-After": "Fri, 14 Mar 2025 15:10:00 GMT"}},
			kind:   platforms.KindRateLimited, code: "http_429", wait: 10 * time.Minute,
		},
		{
			name: "video not found", now: t0,
			report: fakes.Answer{Status: 404, Body: googleError(404, "youtube.video", "videoNotFound")},
			kind:   platforms.KindPermanent, code: "videoNotFound",
		},
		{
			name: "invalid abuse reason", now: t0,
			report: fakes.Answer{Status: 400, Body: googleError(400, "youtube.videoAbuseReport", "invalidAbuseReason")},
			kind:   platforms.KindPermanent, code: "invalidAbuseReason",
		},
		{
			name: "unauthorized", now: t0,
			report: fakes.Answer{Status: 401, Body: googleError(401, "global", "authError")},
			kind:   platforms.KindPermanent, code: "unauthorized",
		},
		{
			name: "other 403 is permanent", now: t0,
			report: fakes.Answer{Status: 403, Body: googleError(403, "youtube.videoAbuseReport", "forbidden")},
			kind:   platforms.KindPermanent, code: "forbidden",
		},
		{
			name: "server error", now: t0,
			report: fakes.Answer{Status: 503, Body: "<html>unavailable</html>"},
			kind:   platforms.KindTransient, code: "http_503",
		},
		{
			name: "malformed error body", now: t0,
			report: fakes.Answer{Status: 400, Body: "<html>bad gateway page</html>"},
			kind:   platforms.KindTransient, code: "malformed_response",
		},
		{
			name: "malformed reason list", now: t0,
			reasons: fakes.Answer{Status: 200, Body: `{"items": [`},
			kind:    platforms.KindTransient, code: "malformed_response",
		},
		{
			name: "no reason for other_illegal", now: t0, category: takedown.OtherIllegal,
			kind: platforms.KindPermanent, code: "reason_unmapped",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reasons := tt.reasons
			if reasons.Status == 0 {
				reasons = fakes.Answer{Status: 200, Body: reasonsKO}
			}
			report := tt.report
			if report.Status == 0 {
				report = fakes.Answer{Status: 204}
			}
			api := newFakeAPI(t, map[string]fakes.Answer{"/videoAbuseReportReasons": reasons, "/videos/reportAbuse": report})
			c := newClient(t, api, &clock{t: tt.now}, nil)
			_, err := c.Send(context.Background(), notice(cmp.Or(tt.category, takedown.DeepfakeSexual)))
			assertError(t, err, tt.kind, tt.code, tt.wait)
		})
	}
}

func TestNetworkErrorHidesTheVideo(t *testing.T) {
	api := newFakeAPI(t, map[string]fakes.Answer{})
	c := newClient(t, api, &clock{t: t0}, nil)
	api.srv.Close()
	_, err := c.Probe(context.Background(), takedown.Content{Platform: takedown.YouTube, ID: videoID})
	assertError(t, err, platforms.KindTransient, "network", 0)
	if strings.Contains(err.Error(), videoID) {
		t.Errorf("error names the video: %v", err)
	}
}

func TestTokenSource(t *testing.T) {
	api := newFakeAPI(t, map[string]fakes.Answer{"/videos": {Status: 200, Body: `{"items":[]}`}})
	calls := 0
	c := newClient(t, api, &clock{t: t0}, func(cfg *youtube.Config) {
		cfg.AccessToken = ""
		cfg.TokenSource = func(context.Context) (string, error) { calls++; return "fresh-token", nil }
	})
	if _, err := c.Probe(context.Background(), takedown.Content{ID: videoID}); err != nil {
		t.Fatal(err)
	}
	if got := api.requests()[0].Auth; got != "Bearer fresh-token" || calls != 1 {
		t.Errorf("Authorization = %q after %d calls", got, calls)
	}

	failing := newClient(t, api, &clock{t: t0}, func(cfg *youtube.Config) {
		cfg.TokenSource = func(context.Context) (string, error) { return "", errors.New("refresh failed") }
	})
	_, err := failing.Probe(context.Background(), takedown.Content{ID: videoID})
	assertError(t, err, platforms.KindTransient, "token", 0)
}

func TestProbe(t *testing.T) {
	item := func(upload, privacy, rejection string) string {
		s := `{"kind":"youtube#videoListResponse","items":[{"kind":"youtube#video","id":"` + videoID + `","status":{"uploadStatus":"` + upload +
			`","privacyStatus":"` + privacy + `"`
		if rejection != "" {
			s += `,"rejectionReason":"` + rejection + `"`
		}
		return s + `,"license":"youtube","embeddable":true}}],"pageInfo":{"totalResults":1,"resultsPerPage":1}}`
	}
	tests := []struct {
		name   string
		answer fakes.Answer
		state  takedown.ProbeState
		reason string
		kind   platforms.ErrorKind
		code   string
		wait   time.Duration
	}{
		{name: "no items", answer: fakes.Answer{Status: 200, Body: `{"kind":"youtube#videoListResponse","items":[],"pageInfo":{"totalResults":0,"resultsPerPage":0}}`},
			state: takedown.ProbeRemoved, reason: "video not returned"},
		{name: "rejected for legal reasons", answer: fakes.Answer{Status: 200, Body: item("rejected", "public", "legal")},
			state: takedown.ProbeRemoved, reason: "uploadStatus=rejected rejectionReason=legal"},
		{name: "deleted", answer: fakes.Answer{Status: 200, Body: item("deleted", "public", "")},
			state: takedown.ProbeRemoved, reason: "uploadStatus=deleted"},
		{name: "public", answer: fakes.Answer{Status: 200, Body: item("processed", "public", "")},
			state: takedown.ProbePresent, reason: "uploadStatus=processed"},
		{name: "unlisted is still reachable", answer: fakes.Answer{Status: 200, Body: item("uploaded", "unlisted", "")},
			state: takedown.ProbePresent, reason: "uploadStatus=uploaded"},
		{name: "private is not removed", answer: fakes.Answer{Status: 200, Body: item("processed", "private", "")},
			state: takedown.ProbeUnknown, reason: "private"},
		{name: "unknown upload status", answer: fakes.Answer{Status: 200, Body: item("queued", "public", "")},
			state: takedown.ProbeUnknown, reason: "uploadStatus=queued"},
		{name: "malformed 200", answer: fakes.Answer{Status: 200, Body: `{"items": [{"id": `},
			kind: platforms.KindTransient, code: "malformed_response"},
		{name: "200 without items", answer: fakes.Answer{Status: 200, Body: `{}`},
			kind: platforms.KindTransient, code: "malformed_response"},
		{name: "quota", answer: fakes.Answer{Status: 403, Body: googleError(403, "youtube.quota", "quotaExceeded")},
			kind: platforms.KindRateLimited, code: "quotaExceeded", wait: 16*time.Hour + 5*time.Minute},
		{name: "rate limit", answer: fakes.Answer{Status: 403, Header: map[string]string{"Retry-After": "5"}, Body: googleError(403, "youtube.quota", "rateLimitExceeded")},
			kind: platforms.KindRateLimited, code: "rateLimitExceeded", wait: 5 * time.Second},
		{name: "server error", answer: fakes.Answer{Status: 500, Body: googleError(500, "global", "backendError")},
			kind: platforms.KindTransient, code: "http_500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, map[string]fakes.Answer{"/videos": tt.answer})
			c := newClient(t, api, &clock{t: t0}, nil)
			res, err := c.Probe(context.Background(), takedown.Content{Platform: takedown.YouTube, ID: videoID, URL: "https://www.youtube.com/watch?v=" + videoID})
			assertRequests(t, api.requests(), []recorded{{Method: "GET", Target: "/youtube/v3/videos?part=status&id=" + videoID, Auth: "Bearer " + token}})
			if tt.kind != "" {
				assertError(t, err, tt.kind, tt.code, tt.wait)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := takedown.ProbeResult{State: tt.state, Reason: tt.reason, CheckedAt: t0}
			if res.State != want.State || res.Reason != want.Reason || !res.CheckedAt.Equal(want.CheckedAt) || res.Countries != nil {
				t.Errorf("probe = %+v, want %+v", res, want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  youtube.Config
		want string
	}{
		{"no token", youtube.Config{}, "AccessToken or TokenSource"},
		{"bad base URL", youtube.Config{AccessToken: "t", BaseURL: "googleapis.com/youtube"}, "BaseURL"},
		{"email channel", youtube.Config{AccessToken: "t", Channel: takedown.ChannelEmail}, "Channel"},
		{"unknown category override", youtube.Config{AccessToken: "t", ReasonIDs: map[takedown.Category]youtube.ReasonID{"spam": {Reason: "S"}}}, "unknown category"},
		{"empty override", youtube.Config{AccessToken: "t", ReasonIDs: map[takedown.Category]youtube.ReasonID{takedown.CSAM: {}}}, "empty Reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := youtube.New(tt.cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func assertRequests(t *testing.T, got, want []recorded) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func assertError(t *testing.T, err error, kind platforms.ErrorKind, code string, wait time.Duration) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s/%s", kind, code)
	}
	var pe *platforms.Error
	if !errors.As(err, &pe) {
		t.Fatalf("unclassified error: %v", err)
	}
	if pe.Kind != kind || pe.Code != code || pe.RetryAfter != wait {
		t.Errorf("got %s/%s retry %s (%v), want %s/%s retry %s", pe.Kind, pe.Code, pe.RetryAfter, err, kind, code, wait)
	}
}

// TestSendSaysWhatKindOfNotice: each kind of notice opens its comments with
// what it is, points at the first notice when it is known, and carries the
// added information; the staff note never leaves.
func TestSendSaysWhatKindOfNotice(t *testing.T) {
	first := time.Date(2025, 3, 10, 1, 0, 0, 0, time.UTC)
	const facts = "; category: sexually explicit deepfake; legal ground: 정보통신망법 제44조의7; evidence digest: sha256:ab12"
	const closing = ". Illegal under the law of the Republic of Korea; please remove it."
	tests := []struct {
		name   string
		mutate func(*takedown.Notice)
		want   string
	}{
		{"first notice", func(n *takedown.Notice) {},
			"Takedown request " + ref + " from the Korean regulator; case KCSC-2025-000777" + facts + closing},
		{"explicit first notice ignores a first reference", func(n *takedown.Notice) {
			n.Kind, n.FirstReference = takedown.KindNotice, "TKD-000000000001"
		}, "Takedown request " + ref + " from the Korean regulator; case KCSC-2025-000777" + facts + closing},
		{"reminder", func(n *takedown.Notice) {
			n.Kind, n.FirstReference, n.FirstSentAt = takedown.KindReminder, "TKD-000000000001", first
		}, "Reminder: takedown request " + ref + " from the Korean regulator, not yet acted on; case KCSC-2025-000777; " +
			"first notice TKD-000000000001 of 2025-03-10" + facts + closing},
		{"reminder without the first notice's date", func(n *takedown.Notice) {
			n.Kind, n.FirstReference = takedown.KindReminder, "TKD-000000000001"
		}, "Reminder: takedown request " + ref + " from the Korean regulator, not yet acted on; case KCSC-2025-000777; " +
			"first notice TKD-000000000001" + facts + closing},
		{"priority", func(n *takedown.Notice) {
			n.Kind, n.FirstReference, n.FirstSentAt = takedown.KindPriority, "TKD-000000000001", first
		}, "Priority escalation of takedown request " + ref + " from the Korean regulator; case KCSC-2025-000777; " +
			"first notice TKD-000000000001 of 2025-03-10" + facts + closing + " Urgent: ongoing harm."},
		{"follow-up", func(n *takedown.Notice) {
			n.Kind, n.Information = takedown.KindFollowUp, "The uploader is\nnot the person shown."
		}, "Further information for takedown request " + ref + " from the Korean regulator, answering your question; " +
			"case KCSC-2025-000777" + facts + "; information: The uploader is not the person shown." + closing},
		{"appeal", func(n *takedown.Notice) {
			n.Kind, n.Information = takedown.KindAppeal, "A court order (2025가합123) confirms the images are synthetic."
		}, "Appeal against the rejection of takedown request " + ref + " from the Korean regulator; case KCSC-2025-000777" +
			facts + "; grounds for reconsideration: A court order (2025가합123) confirms the images are synthetic." + closing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, map[string]fakes.Answer{
				"/videoAbuseReportReasons": {Status: 200, Body: reasonsKO},
				"/videos/reportAbuse":      {Status: 204},
			})
			c := newClient(t, api, &clock{t: t0}, nil)
			n := notice(takedown.DeepfakeSexual)
			tt.mutate(&n)
			if _, err := c.Send(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			assertRequests(t, api.requests(), []recorded{listReasonsReq, reportReq(
				`{"videoId":"dQw4w9WgXcQ","reasonId":"S","secondaryReasonId":"32","comments":"` + tt.want + `","language":"ko_KR"}`)})
		})
	}
}

// TestSendShortensLongInformation: the added information is cut, on a
// character boundary, so that the comments stay within YouTube's length and
// still end with the request itself.
func TestSendShortensLongInformation(t *testing.T) {
	api := newFakeAPI(t, map[string]fakes.Answer{
		"/videoAbuseReportReasons": {Status: 200, Body: reasonsKO},
		"/videos/reportAbuse":      {Status: 204},
	})
	c := newClient(t, api, &clock{t: t0}, nil)
	n := notice(takedown.DeepfakeSexual)
	n.Kind, n.Information = takedown.KindAppeal, strings.Repeat("합성", 400)
	if _, err := c.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	reqs := api.requests()
	var body struct{ Comments string }
	if err := json.Unmarshal([]byte(reqs[len(reqs)-1].Body), &body); err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(body.Comments) {
		t.Fatalf("comments are not valid UTF-8: %q", body.Comments)
	}
	if got := utf8.RuneCountInString(body.Comments); got != 500 {
		t.Errorf("comments are %d characters, want exactly 500", got)
	}
	if !strings.Contains(body.Comments, "합…. Illegal under the law of the Republic of Korea; please remove it.") &&
		!strings.Contains(body.Comments, "성…. Illegal under the law of the Republic of Korea; please remove it.") {
		t.Errorf("comments do not end with the cut information and the request: %q", body.Comments)
	}
	if strings.Contains(body.Comments, "010-1234-5678") {
		t.Error("comments carry the staff note")
	}
}

// TestSendTellsWhetherTheReportLeft: a report cut off after it was written
// may have reached YouTube; a failure while choosing the reason, before the
// report was written, is known not to have.
func TestSendTellsWhetherTheReportLeft(t *testing.T) {
	tests := []struct {
		name        string
		hangOn      string
		wantArrived bool
	}{
		{"reason list times out", "/youtube/v3/videoAbuseReportReasons", false},
		{"report written, answer never came", "/youtube/v3/videos/reportAbuse", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				if r.URL.Path == tt.hangOn {
					select {
					case <-release:
					case <-r.Context().Done():
					}
					return
				}
				switch r.URL.Path {
				case "/youtube/v3/videoAbuseReportReasons":
					_, _ = io.WriteString(w, reasonsKO)
				default:
					w.WriteHeader(http.StatusNoContent)
				}
			}))
			defer srv.Close()
			defer close(release)
			c, err := youtube.New(youtube.Config{BaseURL: srv.URL + "/youtube/v3", AccessToken: token, Now: (&clock{t: t0}).Now},
				&http.Client{Timeout: 200 * time.Millisecond}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Send(context.Background(), notice(takedown.DeepfakeSexual))
			if err == nil {
				t.Fatal("sent, want a timeout")
			}
			if got := platforms.MayHaveArrived(err); got != tt.wantArrived {
				t.Errorf("MayHaveArrived(%v) = %v, want %v", err, got, tt.wantArrived)
			}
		})
	}
}

func TestProbeMany(t *testing.T) {
	a, b, c := "aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc"
	contents := []takedown.Content{{Platform: takedown.YouTube, ID: a}, {Platform: takedown.YouTube, ID: b}, {Platform: takedown.YouTube, ID: c}}
	list := func(items ...string) string {
		return `{"kind":"youtube#videoListResponse","items":[` + strings.Join(items, ",") + `]}`
	}
	video := func(id, upload string) string {
		return `{"kind":"youtube#video","id":"` + id + `","status":{"uploadStatus":"` + upload + `","privacyStatus":"public"}}`
	}
	t.Run("one call answers each id", func(t *testing.T) {
		api := newFakeAPI(t, map[string]fakes.Answer{"/videos": {Status: 200, Body: list(video(c, "rejected"), video(a, "processed"))}})
		cl := newClient(t, api, &clock{t: t0}, nil)
		res, err := cl.ProbeMany(context.Background(), contents)
		if err != nil {
			t.Fatal(err)
		}
		assertRequests(t, api.requests(), []recorded{{Method: "GET", Target: "/youtube/v3/videos?part=status&id=" + a + "%2C" + b + "%2C" + c, Auth: "Bearer " + token}})
		want := []takedown.ProbeState{takedown.ProbePresent, takedown.ProbeRemoved, takedown.ProbeRemoved}
		for i, r := range res {
			if r.State != want[i] || !r.CheckedAt.Equal(t0) {
				t.Errorf("result %d = %+v, want %s", i, r, want[i])
			}
		}
		if res[1].Reason != "video not returned" || res[2].Reason != "uploadStatus=rejected" {
			t.Errorf("reasons %q, %q", res[1].Reason, res[2].Reason)
		}
	})
	t.Run("a stray video makes the missing ones unknown", func(t *testing.T) {
		api := newFakeAPI(t, map[string]fakes.Answer{"/videos": {Status: 200, Body: list(video(a, "processed"), video("zzzzzzzzzzz", "processed"))}})
		res, err := newClient(t, api, &clock{t: t0}, nil).ProbeMany(context.Background(), contents)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].State != takedown.ProbePresent || res[1].State != takedown.ProbeUnknown || res[2].State != takedown.ProbeUnknown {
			t.Errorf("states %s %s %s, want present unknown unknown", res[0].State, res[1].State, res[2].State)
		}
	})
	t.Run("more than a call takes", func(t *testing.T) {
		api := newFakeAPI(t, nil)
		many := make([]takedown.Content, youtube.BatchSize+1)
		for i := range many {
			many[i] = takedown.Content{Platform: takedown.YouTube, ID: a}
		}
		_, err := newClient(t, api, &clock{t: t0}, nil).ProbeMany(context.Background(), many)
		assertError(t, err, platforms.KindPermanent, "bad_request", 0)
		if len(api.requests()) != 0 {
			t.Error("a call was made")
		}
	})
}
