package simulator

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// TestStatePersisted plays a process that is killed (never closed) and
// restarted on the same state file.
func TestStatePersisted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sim.json")
	clock := newClock(t0)

	first := newEnv(t, Config{StatePath: path, Now: clock.Now})
	addr := first.startSMTP(t)
	mustSet(t, first.sim, takedown.X, "", Behaviour{RateLimit: &RateLimit{RetryAfterSeconds: 5, Count: 2}})
	mustSet(t, first.sim, takedown.Telegram, "keepchan/1", Behaviour{OnNotice: OnNoticeNever})
	assertStatus(t, first.report(t, `{"videoId":"`+video+`","reasonId":"N"}`, auth, bearer), http.StatusNoContent)
	assertStatus(t, xGet(first, t, "/x/2/tweets/9"), http.StatusTooManyRequests)
	msg := "From: a@kcsc.example\nTo: abuse@telegram.example\nSubject: n\nMessage-ID: <p1@kcsc.example>\nX-Takedown-Key: td-9\n\nhttps://t.me/keepchan/1\n"
	if err := sendMail(t, addr, "abuse@telegram.example", msg); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil || !json.Valid(data) {
		t.Fatalf("state file: %v, valid JSON %v", err, json.Valid(data))
	}

	second := newEnv(t, Config{StatePath: path, Now: clock.Now})
	if ns := second.sim.Notices(takedown.Telegram, "keepchan/1"); len(ns) != 1 || ns[0].MessageID != "<p1@kcsc.example>" || ns[0].Key != "td-9" {
		t.Errorf("notices after restart = %+v", ns)
	}
	for route, want := range map[string]int{RouteYouTubeReportAbuse: 1, RouteXTweet: 1, RouteSMTP: 1} {
		if got := second.sim.Requests(route); got != want {
			t.Errorf("Requests(%s) after restart = %d, want %d", route, got, want)
		}
	}
	if q := second.sim.YouTubeQuota(); q.Used != 50 {
		t.Errorf("quota after restart = %+v", q)
	}
	// The removal scheduled before the restart still happens, by the clock.
	clock.Advance(2 * time.Second)
	if st := second.sim.State(takedown.YouTube, video).Status; st != StatusRemoved {
		t.Errorf("video after restart = %s", st)
	}
	// The rate limit continues where it was: one limited answer left.
	assertStatus(t, xGet(second, t, "/x/2/tweets/9"), http.StatusTooManyRequests)
	assertStatus(t, xGet(second, t, "/x/2/tweets/9"), http.StatusOK)

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state directory holds %d files, want only the state file", len(entries))
	}
}

func TestCorruptStateRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	os.WriteFile(path, []byte(`{"version":1,"contents":`), 0o600)
	if _, err := New(Config{StatePath: path}); err == nil {
		t.Fatal("a corrupt state file was accepted")
	}
}

func TestControlAPI(t *testing.T) {
	e := newEnv(t, Config{})
	put := func(body string) response {
		t.Helper()
		return e.do(t, http.MethodPut, "/_sim/behaviour", body, ctJSON, appJSON)
	}
	assertStatus(t, put(`{"url":"https://www.instagram.com/p/Ctl1/","behaviour":{"on_notice":"portal"}}`), http.StatusOK)
	assertStatus(t, put(`{"platform":"youtube","behaviour":{"quota":500}}`), http.StatusOK)
	assertStatus(t, put(`{"platform":"youtube","behaviour":{"on_notice":"later"}}`), http.StatusBadRequest)
	assertStatus(t, put(`{"platform":"youtube","behavior":{}}`), http.StatusBadRequest)

	r := e.do(t, http.MethodPost, "/_sim/portal", `{"platform":"meta","content_id":"instagram/Ctl1","ticket":"CASE-77"}`, ctJSON, appJSON)
	assertStatus(t, r, http.StatusCreated)
	assertJSON(t, r.body, `{"seq":1,"platform":"meta","content_id":"instagram/Ctl1","channel":"portal","received_at":"2025-03-10T01:00:00Z",
		"outcome":"accepted","ticket":"CASE-77"}`)
	assertStatus(t, e.do(t, http.MethodPost, "/_sim/portal", `{"platform":"meta","content_id":"nope"}`), http.StatusBadRequest)

	e.get(t, "/graph/v21.0/instagram_oembed?url=https://www.instagram.com/p/Ctl1/&access_token=t")
	e.get(t, "/no/such/route")

	r = e.get(t, "/_sim/notices?platform=meta&content_id=instagram/Ctl1")
	assertStatus(t, r, http.StatusOK)
	var ns []ReceivedNotice
	if err := json.Unmarshal(r.body, &ns); err != nil || len(ns) != 1 || ns[0].Ticket != "CASE-77" {
		t.Errorf("notices = %s", r.body)
	}
	assertJSON(t, e.get(t, "/_sim/notices?platform=x").body, `[]`)

	r = e.get(t, "/_sim/counters")
	assertJSON(t, r.body, `{"routes":{"GET /graph/{version}/instagram_oembed":1,"unmatched":1},"contents":{"meta/instagram/Ctl1":1},"notices":{"meta":1}}`)

	e.clock.Advance(2 * time.Second)
	r = e.get(t, "/_sim/content?url=https://www.instagram.com/p/Ctl1/")
	assertJSON(t, r.body, `{"platform":"meta","content_id":"instagram/Ctl1","url":"https://www.instagram.com/p/Ctl1/","status":"removed","notices":1,"requests":1}`)

	r = e.get(t, "/_sim/state")
	assertStatus(t, r, http.StatusOK)
	var snap Snapshot
	if err := json.Unmarshal(r.body, &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Contents) != 1 || snap.Contents[0].Status != StatusRemoved || len(snap.Notices) != 1 ||
		len(snap.Behaviours) != 2 || snap.YouTubeQuota.Limit != 500 || !snap.Now.Equal(t0.Add(2*time.Second)) {
		t.Errorf("state = %s", r.body)
	}

	assertStatus(t, e.do(t, http.MethodPost, "/_sim/reset", ""), http.StatusNoContent)
	assertJSON(t, e.get(t, "/_sim/counters").body, `{"routes":{},"contents":{},"notices":{}}`)
	if st := e.sim.State(takedown.Meta, "instagram/Ctl1").Status; st != StatusPresent {
		t.Errorf("after reset: %s", st)
	}
}

func TestStart(t *testing.T) {
	sim, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	run, err := sim.Start("127.0.0.1:0", ":0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(run.HTTPURL(), "http://127.0.0.1:") || !strings.HasPrefix(run.SMTPAddr(), "127.0.0.1:") {
		t.Fatalf("addresses %q %q", run.HTTPURL(), run.SMTPAddr())
	}
	res, err := http.Get(run.HTTPURL() + "/t.me/startchan/1?embed=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	msg := "From: a@kcsc.example\nTo: abuse@telegram.example\nSubject: n\nMessage-ID: <s@kcsc.example>\n\nhttps://t.me/startchan/1\n"
	if err := sendMail(t, run.SMTPAddr(), "abuse@telegram.example", msg); err != nil {
		t.Fatal(err)
	}
	if sim.NoticeCount(takedown.Telegram, "startchan/1") != 1 || sim.Requests(RouteTelegramPost) != 1 {
		t.Errorf("notices %d, requests %d", sim.NoticeCount(takedown.Telegram, "startchan/1"), sim.Requests(RouteTelegramPost))
	}
	if err := run.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := http.Get(run.HTTPURL() + "/_sim/state"); err == nil {
		t.Errorf("HTTP still served after Close")
	}
}

func TestReupload(t *testing.T) {
	e := newEnv(t, Config{})
	mustSet(t, e.sim, takedown.Telegram, "gonechan/1", Behaviour{Initial: StatusRemoved})
	if st := e.sim.State(takedown.Telegram, "gonechan/1").Status; st != StatusRemoved {
		t.Fatalf("before: %s", st)
	}
	if err := e.sim.Reupload(takedown.Telegram, "gonechan/1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	if st := e.sim.State(takedown.Telegram, "gonechan/1").Status; st != StatusPresent {
		t.Errorf("after reupload: %s", st)
	}
	if err := e.sim.Reupload(takedown.Telegram, "not an id"); err == nil {
		t.Error("reupload of a malformed id accepted")
	}
}
