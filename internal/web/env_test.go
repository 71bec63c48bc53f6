package web_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/password"
	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/internal/web"
	"github.com/takedown-oss/takedown/workflows"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// now is the fixed clock of every test: the board's "late by" and the
// dates shown do not depend on the day the tests run.
var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// fakeEngine stands in for the workflow side: it starts nothing, and
// answers decisions by writing what the workflow would record, so that
// the pages show the outcome. refuse makes it refuse every decision, as a
// workflow's validator would.
type fakeEngine struct {
	st      *store.Store
	mu      sync.Mutex
	updates []string
	args    []any
	seen    map[string]bool
	refuse  string
}

func (f *fakeEngine) Start(context.Context, string, workflows.Input, workflows.Urgency) (string, error) {
	return "", nil
}

func (f *fakeEngine) Update(ctx context.Context, workflowID, updateID, name string, arg any) (workflows.Accepted, error) {
	f.mu.Lock()
	f.updates = append(f.updates, name)
	f.args = append(f.args, arg)
	refuse := f.refuse
	// The engine answers an update id it has taken before with the
	// first outcome, and does nothing again.
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	repeat := f.seen[updateID]
	f.seen[updateID] = true
	f.mu.Unlock()
	if repeat {
		return workflows.Accepted{Status: takedown.StatusBlocking, Level: 3, Repeat: true}, nil
	}
	if refuse != "" {
		return workflows.Accepted{}, &workflows.RefusedError{Reason: refuse}
	}
	id, err := uuid.Parse(strings.TrimPrefix(workflowID, "takedown-"))
	if err != nil {
		return workflows.Accepted{}, err
	}
	if name == "decide_escalation" {
		_, err := f.st.RecordTransition(ctx, takedown.Transition{TakedownID: id, EventKey: updateID, Kind: "blocking_approved",
			At: now, Status: takedown.StatusBlocking})
		return workflows.Accepted{Status: takedown.StatusBlocking, Level: 3}, err
	}
	return workflows.Accepted{Status: takedown.StatusNoticeSent}, nil
}

func (f *fakeEngine) Healthy(context.Context) error { return nil }

func (f *fakeEngine) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.updates...)
}

// fakeHistories answers with a short recorded history.
type fakeHistories struct{ replays atomic.Int32 }

const shortHistory = `{"events":[
{"eventId":"1","eventTime":"2026-11-27T03:00:00Z","eventType":"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"},
{"eventId":"2","eventTime":"2026-11-27T03:00:00Z","eventType":"EVENT_TYPE_WORKFLOW_TASK_SCHEDULED"},
{"eventId":"3","eventTime":"2026-11-27T03:00:01Z","eventType":"EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"},
{"eventId":"4","eventTime":"2026-11-27T03:00:02Z","eventType":"EVENT_TYPE_TIMER_STARTED"}]}`

func (h *fakeHistories) Export(context.Context, string, string, bool) ([]byte, []string, error) {
	return []byte(shortHistory), []string{"run-1"}, nil
}

func (h *fakeHistories) Replay(context.Context, string) (int, error) {
	h.replays.Add(1)
	return 4, nil
}

type env struct {
	t      testing.TB
	srv    *httptest.Server
	st     *store.Store
	engine *fakeEngine
	hist   *fakeHistories
	// overdue is a takedown past its deadline, at the reminder rung;
	// waiting awaits a supervisor's approval of a blocking order.
	overdue, waiting takedown.Takedown
	users            map[takedown.Role]takedown.User
	evidence         string
}

const testPassword = "correct horse battery"

var roles = []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor, takedown.RoleAuditor, takedown.RoleAdmin}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	var ticks atomic.Int64
	storeNow := func() time.Time { return now.Add(-2*time.Hour + time.Duration(ticks.Add(1))*time.Millisecond) }
	st, err := store.Open(ctx, store.Config{URL: pgtest.URL(t), Now: storeNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	hash, err := password.Hash(testPassword, password.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, engine: &fakeEngine{st: st}, hist: &fakeHistories{}, users: map[takedown.Role]takedown.User{}}
	for _, r := range roles {
		u, _, err := st.CreateUser(ctx, "user-"+string(r), r)
		if err != nil {
			t.Fatal(err)
		}
		e.users[r] = u
		if _, err := st.SetPassword(ctx, store.CLI, "user-"+string(r), hash); err != nil {
			t.Fatal(err)
		}
	}
	logger := slog.New(slog.NewTextHandler(logOut(), nil))
	srv := api.New(api.Config{Store: st, Engine: e.engine, Histories: e.hist, Policy: policy.Default(),
		Now: func() time.Time { return now }, Logger: logger})
	app, err := web.New(web.Config{API: srv, Logger: logger, Now: func() time.Time { return now }, Poll: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount("/app/", app)
	// TLS, because the session cookies are Secure (__Host-).
	e.srv = httptest.NewTLSServer(srv)
	t.Cleanup(e.srv.Close)
	e.overdue = e.seedTakedown("https://t.me/seedchannel/101", takedown.StatusNoticeSent, 1, now.Add(-26*time.Hour))
	e.waiting = e.seedTakedown("https://www.youtube.com/watch?v=seedvideo01", takedown.StatusAwaitingApproval, 3, now.Add(24*time.Hour))
	ev, _, err := st.AddEvidence(ctx, e.overdue.ItemID, e.users[takedown.RoleStaff].ID, "image/png", testPNG())
	if err != nil {
		t.Fatal(err)
	}
	e.evidence = ev.ID.String()
	return e
}

// testPNG is a small real image.
func testPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 60, 40))
	for x := 0; x < 60; x++ {
		for y := 0; y < 40; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 6), 120, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// seedTakedown reports and confirms an item through the store, then moves
// it where a workflow would have.
func (e *env) seedTakedown(rawURL string, status takedown.Status, level takedown.Level, deadline time.Time) takedown.Takedown {
	e.t.Helper()
	ctx := context.Background()
	u := e.users[takedown.RoleStaff]
	c, err := takedown.ParseURL(rawURL)
	if err != nil {
		e.t.Fatal(err)
	}
	it, err := e.st.CreateItem(ctx, store.NewItem{URL: c.URL, Platform: c.Platform, ContentID: c.ID, Category: "ncii", CreatedBy: u.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	tdID := takedown.IDFor(it.ID)
	td, err := e.st.ConfirmItem(ctx, takedown.Confirm{ItemID: it.ID, TakedownID: tdID, WorkflowID: takedown.WorkflowID(tdID), ConfirmedBy: u.ID},
		func(context.Context, takedown.Takedown) error { return nil })
	if err != nil {
		e.t.Fatal(err)
	}
	sent := now.Add(-50 * time.Hour)
	if _, err := e.st.RecordTransition(ctx, takedown.Transition{TakedownID: td.ID, EventKey: "sent", Kind: "notice_sent", At: sent,
		Status: takedown.StatusNoticeSent, Deadline: &deadline, NoticeSentAt: &sent}); err != nil {
		e.t.Fatal(err)
	}
	if level > 0 {
		kind := map[bool]takedown.EventKind{true: "blocking_approval_requested", false: "deadline_passed"}[status == takedown.StatusAwaitingApproval]
		if _, err := e.st.RecordTransition(ctx, takedown.Transition{TakedownID: td.ID, EventKey: "up", Kind: kind, At: now.Add(-time.Hour),
			Status: status, EscalationLevel: &level}); err != nil {
			e.t.Fatal(err)
		}
	}
	return td
}

// client is a person's browser without the browser: a cookie jar and
// the test server's certificate.
type client struct {
	e    *env
	http *http.Client
	lang string
}

func (e *env) client(lang string) *client {
	jar, _ := cookiejar.New(nil)
	tr := e.srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	return &client{e: e, lang: lang, http: &http.Client{Jar: jar, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (c *client) get(path string) (int, string) {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	req.Header.Set("Accept-Language", c.lang)
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *client) post(path string, form url.Values) (int, string, http.Header) {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", c.lang)
	req.Header.Set("Origin", c.e.srv.URL)
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// signIn signs in through the sign-in page and returns the session's CSRF
// token, read from a page's forms.
func (c *client) signIn(r takedown.Role) string {
	c.e.t.Helper()
	_, page := c.get("/app/signin")
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		c.e.t.Fatal("sign-in page has no CSRF token")
	}
	code, body, h := c.post("/app/signin", url.Values{"csrf_token": {m[1]}, "name": {"user-" + string(r)}, "password": {testPassword}})
	if code != http.StatusSeeOther {
		c.e.t.Fatalf("sign in as %s: %d %s", r, code, body)
	}
	if loc := h.Get("Location"); loc != "/app/" {
		c.e.t.Fatalf("sign in as %s: sent to %q", r, loc)
	}
	code, page = c.get(homePath(r))
	if code != 200 {
		c.e.t.Fatalf("home of %s: %d", r, code)
	}
	m = tokenRE.FindStringSubmatch(page)
	if m == nil {
		c.e.t.Fatal("signed-in page has no CSRF token")
	}
	return m[1]
}

func homePath(r takedown.Role) string {
	return map[takedown.Role]string{takedown.RoleStaff: "/app/intake", takedown.RoleSupervisor: "/app/overdue",
		takedown.RoleAuditor: "/app/takedowns", takedown.RoleAdmin: "/app/users"}[r]
}

// logOut shows the logs with -v only.
func logOut() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}
