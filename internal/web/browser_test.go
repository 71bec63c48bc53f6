package web_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/takedown-oss/takedown/internal/takedown"
)

var screenshots = flag.Bool("screenshots", false, "write screenshots of the main pages to docs/screenshots")

// browser starts headless Chromium, or skips the test when it is not
// installed (and fails under CI, where .ci/run installs it).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; CI must install it (apt-get install chromium)")
		}
		t.Skip("chromium is not installed (apt-get install chromium): browser tests skipped")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Flag("ignore-certificate-errors", true), chromedp.NoSandbox, chromedp.WindowSize(1000, 700))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 50*time.Second)
	t.Cleanup(cancel3)
	// axe-core is injected by the test; the pages' own policy allows only
	// their own scripts.
	if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

var axeSource = func() string {
	b, err := os.ReadFile("testdata/axe.min.js")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func messages(t *testing.T, lang string) map[string]string {
	b, err := os.ReadFile("messages/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// session is one person at the browser, in one language.
type session struct {
	t    *testing.T
	ctx  context.Context
	e    *env
	lang string
	msg  map[string]string
}

func (s *session) run(steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, steps...); err != nil {
		s.t.Fatal(err)
	}
}

func (s *session) text(sel string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		s.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

func (s *session) count(sel string) int {
	s.t.Helper()
	n, err := chromedp.Run(s.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *session) filter(sel string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](fmt.Sprintf("getComputedStyle(document.querySelector(%q)).filter", sel)))
	if err != nil {
		s.t.Fatal(err)
	}
	return v
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func (s *session) T(key string, args ...any) string {
	m := s.msg[key]
	for i, a := range args {
		m = strings.ReplaceAll(m, fmt.Sprintf("{%d}", i+1), fmt.Sprint(a))
	}
	return m
}

// check runs axe-core on the page: no serious or critical violation. It
// also writes a screenshot when asked.
func (s *session) check(name string) {
	s.t.Helper()
	if _, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		s.t.Fatal(err)
	}
	bad, err := chromedp.Run(s.ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
			.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", ")))`, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatal(err)
	}
	for _, v := range bad {
		s.t.Errorf("%s (%s): accessibility: %s", name, s.lang, v)
	}
	if *screenshots {
		png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			s.t.Fatal(err)
		}
		dir := filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+s.lang+".png"), png, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
}

func (s *session) signIn(r takedown.Role) {
	s.t.Helper()
	if _, err := chromedp.Call(s.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := chromedp.Call(s.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": s.lang}}); err != nil {
		s.t.Fatal(err)
	}
	s.run(chromedp.Navigate(s.e.srv.URL+"/app/signin"), chromedp.WaitVisible(css("#name")))
	if got := s.text("h1"); got != s.T("signin.title") {
		s.t.Errorf("sign-in heading %q, want %q", got, s.T("signin.title"))
	}
	if r == takedown.RoleStaff {
		s.check("signin")
	}
	s.run(chromedp.SendKeys(css("#name"), "user-"+string(r)),
		chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css(`form[action="/app/signin"] button`)),
		chromedp.WaitVisible(css("nav")))
}

// TestBrowser walks each role's main path in headless Chromium, in Korean
// and in English, asserting on what the pages show.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			s := &session{t: t, ctx: ctx, e: newEnv(t), lang: lang, msg: messages(t, lang)}
			s.staff()
			s.supervisor()
			s.auditor()
			s.admin()
		})
	}
}

func (s *session) staff() {
	s.signIn(takedown.RoleStaff)
	urls := strings.Join([]string{
		"https://t.me/durov/123",
		"https://x.com/i/status/1445078208190291968",
		"https://www.facebook.com/zuck/posts/10102577175875681",
		"htps:/not a url",
		"https://www.youtube.com/watch?v=dQw4w9WgXcQ",
	}, "\n")
	s.check("intake")
	s.run(chromedp.SetValue(css("#urls"), urls),
		chromedp.Click(css(`form[action="/app/intake"] button`)),
		chromedp.WaitVisible(css("tr[data-line]")))
	if n := s.count("tr.outcome-created"); n != 4 {
		s.t.Errorf("created lines: %d, want 4", n)
	}
	if got := s.text(`tr[data-line="4"]`); !strings.Contains(got, s.T("intake.invalid")) {
		s.t.Errorf("line 4 (malformed) shows %q, want the error on that line", got)
	}
	if got := s.text(`tr[data-line="1"]`); !strings.Contains(got, s.T("intake.created", s.T("platform.telegram"))) {
		s.t.Errorf("line 1 shows %q", got)
	}
	if got := s.text("h2"); got != s.T("intake.results", 4, 5) {
		s.t.Errorf("results heading %q", got)
	}
	s.check("intake-results")
	s.run(chromedp.Click(css(`form[action="/app/queue/confirm"] button`)),
		chromedp.WaitVisible(css(".notice")))
	if got := strings.Count(s.text(".notice"), s.T("confirm.started")); got != 4 {
		s.t.Errorf("confirmed: %d started, want 4: %q", got, s.text(".notice"))
	}
	s.check("queue")
	// The same paste again: nothing is created twice.
	s.run(chromedp.Navigate(s.e.srv.URL+"/app/intake"), chromedp.WaitVisible(css("#urls")),
		chromedp.SetValue(css("#urls"), "https://t.me/durov/123"),
		chromedp.Click(css(`form[action="/app/intake"] button`)),
		chromedp.WaitVisible(css("tr[data-line]")))
	if got := s.text(`tr[data-line="1"]`); !strings.Contains(got, s.T("intake.duplicate")) {
		s.t.Errorf("a duplicate shows %q", got)
	}
	// Evidence: kept with its hash, shown blurred until revealed.
	file := filepath.Join(s.t.TempDir(), "screenshot.png")
	if err := os.WriteFile(file, testPNG(), 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.run(chromedp.Navigate(s.e.srv.URL+"/app/takedowns/"+s.e.waiting.ID.String()), chromedp.WaitVisible(css("#file")),
		chromedp.SetUploadFiles(css("#file"), []string{file}),
		chromedp.Click(css(`form[action$="/evidence"] button`)), chromedp.WaitVisible(css(".notice")))
	if got := s.text(".notice"); got != s.T("done.evidence") {
		s.t.Errorf("after upload: %q", got)
	}
	if got := s.filter(".evidence img"); !strings.Contains(got, "blur") {
		s.t.Errorf("evidence shown with filter %q, want blurred", got)
	}
	s.check("evidence")
	s.run(chromedp.Click(css(".evidence label")))
	if got := s.filter(".evidence img"); got != "none" {
		s.t.Errorf("revealed evidence has filter %q", got)
	}
	// Staff cannot open a supervisor's page.
	s.run(chromedp.Navigate(s.e.srv.URL+"/app/overdue"), chromedp.WaitVisible(css(".error")))
	if got := s.text(".error"); !strings.Contains(got, s.T("error.forbidden")) {
		s.t.Errorf("staff on the overdue board sees %q", got)
	}
}

func (s *session) supervisor() {
	s.signIn(takedown.RoleSupervisor)
	if n := s.count("tr.overdue-row"); n != 1 {
		s.t.Errorf("overdue board: %d rows, want 1", n)
	}
	row := s.text("tr.overdue-row")
	if !strings.Contains(row, s.T("late.days_hours", 1, 2)) || !strings.Contains(row, s.T("level.1")) {
		s.t.Errorf("overdue row %q: want late by 1 d 2 h at the reminder rung", row)
	}
	if s.count(`#board[hx-trigger^="every"]`) != 1 {
		s.t.Error("the board does not refresh itself")
	}
	s.check("overdue")
	// The board refreshes itself: once the content is gone, its row leaves
	// the board without a reload.
	if _, err := s.e.st.RecordTransition(context.Background(), takedown.Transition{TakedownID: s.e.overdue.ID, EventKey: "gone",
		Kind: "removed", At: now, Status: takedown.StatusRemoved, RemovedAt: &now, Closed: true}); err != nil {
		s.t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitNotPresent(css("tr.overdue-row"))); err != nil {
		s.t.Errorf("the board did not refresh itself: %v", err)
	}
	s.run(chromedp.Navigate(s.e.srv.URL+"/app/escalations"), chromedp.WaitVisible(css(".card")))
	s.check("escalations")
	s.run(chromedp.SendKeys(css(".card input[name=reason]"), "court order 2026-11"),
		chromedp.Click(css(`.card button[value="true"]`)),
		chromedp.WaitVisible(css(".notice")))
	if got := s.text(".notice"); got != s.T("done.escalation")+" "+s.T("done.now", s.T("status.blocking")) {
		s.t.Errorf("after approval: %q", got)
	}
	if got := s.text("dd.status-blocking"); got != s.T("status.blocking") {
		s.t.Errorf("status after approval: %q", got)
	}
	s.check("takedown")
	s.run(chromedp.Navigate(s.e.srv.URL+"/app/compliance"), chromedp.WaitVisible(css("figure svg")))
	s.check("compliance")
}

func (s *session) auditor() {
	s.signIn(takedown.RoleAuditor)
	s.check("search")
	s.run(chromedp.Click(css(`a[href="/app/takedowns/`+s.e.overdue.ID.String()+`"]`)),
		chromedp.WaitVisible(css(".timeline")))
	if got := s.text(".timeline"); !strings.Contains(got, s.T("event.notice_sent")) || !strings.Contains(got, s.T("event.deadline_passed")) {
		s.t.Errorf("timeline %q", got)
	}
	if s.count("form[method=post][action*=reply]") != 0 {
		s.t.Error("an auditor is offered a form that changes the takedown")
	}
	s.run(chromedp.Click(css(`a[href$="/history"]`)), chromedp.WaitVisible(css(".columns")))
	if got := s.text(".columns"); !strings.Contains(got, s.T("engine.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED")) {
		s.t.Errorf("engine history %q", got)
	}
	s.run(chromedp.Click(css(`form[action$="/replay"] button`)), chromedp.WaitVisible(css(".verdict")))
	if got := s.text(".verdict"); got != s.T("history.replay_ok", 4) {
		s.t.Errorf("replay verdict %q", got)
	}
	s.check("history")
	s.run(chromedp.Navigate(s.e.srv.URL+"/app/audit"), chromedp.WaitVisible(css("main")))
	s.check("audit")
}

func (s *session) admin() {
	s.signIn(takedown.RoleAdmin)
	if n := s.count("main tbody tr"); n != len(roles) {
		s.t.Errorf("users page: %d rows, want %d", n, len(roles))
	}
	s.check("users")
}
