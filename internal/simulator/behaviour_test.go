package simulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

func TestRemoveAndRestoreAfter(t *testing.T) {
	e := newEnv(t, Config{})
	const id = "restorechan/9"
	mustSet(t, e.sim, takedown.Telegram, id, Behaviour{RemoveAfter: Duration(time.Minute), RestoreAfter: Duration(10 * time.Minute)})
	if _, err := e.sim.SubmitPortal(takedown.Telegram, id, "T-1"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance time.Duration
		want    Status
	}{
		{59 * time.Second, StatusPresent},
		{time.Second, StatusRemoved},
		{10*time.Minute - time.Second, StatusRemoved},
		{time.Second, StatusPresent},
	}
	for i, s := range steps {
		e.clock.Advance(s.advance)
		if got := e.sim.State(takedown.Telegram, id).Status; got != s.want {
			t.Fatalf("step %d: status = %s, want %s", i, got, s.want)
		}
	}
	// Back again, so a new notice removes it again.
	if _, err := e.sim.SubmitPortal(takedown.Telegram, id, "T-2"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	if got := e.sim.State(takedown.Telegram, id).Status; got != StatusRemoved {
		t.Errorf("after the second notice: %s", got)
	}
}

func TestSecondNoticeDoesNotRestartClock(t *testing.T) {
	e := newEnv(t, Config{RemoveAfter: time.Minute})
	const id = "clockchan/1"
	e.sim.SubmitPortal(takedown.Telegram, id, "")
	e.clock.Advance(50 * time.Second)
	e.sim.SubmitPortal(takedown.Telegram, id, "")
	e.clock.Advance(10 * time.Second)
	if got := e.sim.State(takedown.Telegram, id).Status; got != StatusRemoved {
		t.Errorf("status = %s, want removed a minute after the first notice", got)
	}
}

func TestTelegramWithholdByEmail(t *testing.T) {
	e := newEnv(t, Config{})
	addr := e.startSMTP(t)
	mustSet(t, e.sim, takedown.Telegram, "", Behaviour{OnNotice: OnNoticeWithhold, Countries: []string{"KR", "JP"}})
	msg := "From: a@kcsc.example\nTo: abuse@telegram.example\nSubject: n\nMessage-ID: <w@kcsc.example>\n\nPlease remove https://t.me/WithChan/3\n"
	if err := sendMail(t, addr, "abuse@telegram.example", msg); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Second)
	st := e.sim.State(takedown.Telegram, "withchan/3")
	if st.Status != StatusWithheld || strings.Join(st.Countries, ",") != "KR,JP" {
		t.Errorf("state = %+v", st)
	}
	r := e.get(t, "/t.me/WithChan/3?embed=1&mode=tme")
	if !strings.Contains(string(r.body), "<div class=\"tgme_widget_message_error\">This message can't be displayed in your country</div>") {
		t.Errorf("withheld page:\n%s", r.body)
	}
}

// failures returns the indices of the requests, out of n, answered 503.
func failures(t *testing.T, e *env, n int) []int {
	t.Helper()
	var out []int
	for i := range n {
		r := xGet(e, t, "/x/2/tweets/42")
		switch r.status {
		case http.StatusServiceUnavailable:
			assertJSON(t, r.body, `{"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503}`)
			if r.header.Get("x-rate-limit-limit") == "" {
				t.Fatalf("503 without rate-limit headers")
			}
			out = append(out, i)
		case http.StatusOK:
		default:
			t.Fatalf("request %d: status %d", i, r.status)
		}
	}
	return out
}

func TestFailRateDeterministic(t *testing.T) {
	const n = 400
	b := Behaviour{FailRate: 0.25, Seed: 7}
	var runs [][]int
	for range 2 {
		e := newEnv(t, Config{})
		mustSet(t, e.sim, takedown.X, "", b)
		runs = append(runs, failures(t, e, n))
		if got := e.sim.Requests(RouteXTweet); got != n {
			t.Errorf("Requests = %d, want %d: failed requests must be counted", got, n)
		}
	}
	if len(runs[0]) < n/4-40 || len(runs[0]) > n/4+40 {
		t.Errorf("%d failures out of %d at rate 0.25", len(runs[0]), n)
	}
	if fmtInts(runs[0]) != fmtInts(runs[1]) {
		t.Errorf("same seed, different failures:\n%v\n%v", runs[0], runs[1])
	}

	e := newEnv(t, Config{})
	mustSet(t, e.sim, takedown.X, "", Behaviour{FailRate: 0.25, Seed: 8})
	if other := failures(t, e, n); fmtInts(other) == fmtInts(runs[0]) {
		t.Errorf("another seed gave the same failures")
	}
}

func fmtInts(v []int) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestHang(t *testing.T) {
	e := newEnv(t, Config{})
	mustSet(t, e.sim, takedown.Telegram, "slowchan/1", Behaviour{Hang: Duration(time.Hour)})
	mustSet(t, e.sim, takedown.Telegram, "slowchan/2", Behaviour{Hang: Duration(20 * time.Millisecond)})

	// The hung handler must return once the client gives up; wrap the
	// handler to see it return.
	returned := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.sim.Handler().ServeHTTP(w, r)
		returned <- struct{}{}
	}))
	defer srv.Close()

	client := &http.Client{Timeout: 50 * time.Millisecond}
	_, err := client.Get(srv.URL + "/t.me/slowchan/1?embed=1")
	var uerr interface{ Timeout() bool }
	if !errors.As(err, &uerr) || !uerr.Timeout() {
		t.Fatalf("request to a hanging route: %v, want a client timeout", err)
	}
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("hanging handler did not return after the client went away")
	}

	client.Timeout = 5 * time.Second
	res, err := client.Get(srv.URL + "/t.me/slowchan/2?embed=1")
	if err != nil {
		t.Fatalf("short hang: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("short hang: status %d", res.StatusCode)
	}
	if got := e.sim.Requests(RouteTelegramPost); got != 2 {
		t.Errorf("Requests = %d, want 2", got)
	}
}

func TestMalformed(t *testing.T) {
	e := newEnv(t, Config{})
	mustSet(t, e.sim, takedown.YouTube, "", Behaviour{Malformed: true})
	r := e.get(t, "/youtube/v3/videos?part=status&id="+video, auth, bearer)
	assertStatus(t, r, http.StatusOK)
	if json.Valid(r.body) || !strings.HasPrefix(string(r.body), `{`) || !strings.Contains(string(r.body), "youtube#videoListResponse") {
		t.Errorf("malformed body = %q", r.body)
	}
	// reportAbuse has no body to cut: it gets a JSON fragment with a 200.
	r = e.report(t, `{"videoId":"`+video+`","reasonId":"N"}`, auth, bearer)
	assertStatus(t, r, http.StatusOK)
	if json.Valid(r.body) || len(r.body) == 0 {
		t.Errorf("malformed reportAbuse body = %q", r.body)
	}
}

func TestBehaviourLayering(t *testing.T) {
	e := newEnv(t, Config{})
	mustSet(t, e.sim, takedown.X, "", Behaviour{OnNotice: OnNoticeWithhold, RemoveAfter: Duration(time.Hour)})
	mustSet(t, e.sim, takedown.X, "7", Behaviour{RemoveAfter: Duration(time.Minute)})
	e.sim.SubmitPortal(takedown.X, "7", "")
	e.clock.Advance(time.Minute)
	if st := e.sim.State(takedown.X, "7").Status; st != StatusWithheld {
		t.Errorf("status = %s: the content's remove_after and the default's on_notice should both apply", st)
	}
	// A zero behaviour clears the setting.
	mustSet(t, e.sim, takedown.X, "", Behaviour{})
	if snap := e.sim.Snapshot(); len(snap.Behaviours) != 1 || snap.Behaviours[0].ContentID != "7" {
		t.Errorf("behaviours = %+v", snap.Behaviours)
	}
}

func TestBehaviourValidation(t *testing.T) {
	e := newEnv(t, Config{})
	tests := []struct {
		name string
		p    takedown.Platform
		id   string
		b    Behaviour
	}{
		{"unknown on_notice", takedown.X, "", Behaviour{OnNotice: "delete"}},
		{"fail rate over 1", takedown.X, "", Behaviour{FailRate: 1.5}},
		{"bad country", takedown.X, "", Behaviour{Countries: []string{"kr"}}},
		{"bad status", takedown.X, "", Behaviour{RateLimit: &RateLimit{Status: 200}}},
		{"unknown platform", "myspace", "", Behaviour{OnNotice: OnNoticeNever}},
		{"id not normalized", takedown.Telegram, "UpperChan/1", Behaviour{OnNotice: OnNoticeNever}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.sim.SetBehaviour(tt.p, tt.id, tt.b); err == nil {
				t.Errorf("accepted")
			}
		})
	}
}

func TestLoadScript(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "script.json")
	script := `{
		"defaults": {"youtube": {"quota": 100}, "x": {"on_notice": "never", "remove_after": "5m"}},
		"contents": [
			{"url": "https://twitter.com/someone/status/31", "behaviour": {"initial": "removed"}},
			{"platform": "telegram", "content_id": "scriptchan/4", "behaviour": {"on_notice": "reject", "hang": 0.5}}
		]
	}`
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	sc, err := LoadScript(path)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Contents[1].Behaviour.Hang != Duration(500*time.Millisecond) || sc.Defaults[takedown.X].RemoveAfter != Duration(5*time.Minute) {
		t.Errorf("script = %+v", sc)
	}
	e := newEnv(t, Config{Script: sc})
	if st := e.sim.State(takedown.X, "31").Status; st != StatusRemoved {
		t.Errorf("scripted initial status: %s", st)
	}
	if q := e.sim.YouTubeQuota(); q.Limit != 100 {
		t.Errorf("scripted quota = %d", q.Limit)
	}
	// Reset returns to the script.
	mustSet(t, e.sim, takedown.X, "31", Behaviour{})
	e.sim.Reset()
	if st := e.sim.State(takedown.X, "31").Status; st != StatusRemoved {
		t.Errorf("after reset: %s", st)
	}

	bad := []struct{ name, text string }{
		{"unknown field", `{"defaults":{"x":{"on_notise":"never"}}}`},
		{"bad behaviour", `{"defaults":{"x":{"on_notice":"sometimes"}}}`},
		{"unknown platform", `{"defaults":{"myspace":{}}}`},
		{"bad url", `{"contents":[{"url":"https://example.com/x","behaviour":{}}]}`},
		{"bad duration", `{"defaults":{"x":{"remove_after":"soon"}}}`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad.json")
			os.WriteFile(p, []byte(tt.text), 0o600)
			if _, err := LoadScript(p); err == nil {
				t.Errorf("accepted %s", tt.text)
			}
		})
	}
}
