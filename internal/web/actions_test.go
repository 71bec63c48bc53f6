package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

// TestDecisionsGoThroughTheAPI: each form ends as the API's update of the
// workflow, with the person's words, and the page says it was done.
func TestDecisionsGoThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	td := "/app/takedowns/" + e.overdue.ID.String()
	sup := e.client("en")
	csrf := sup.signIn(takedown.RoleSupervisor)
	// The form's local time is Seoul's: 09:00 KST is midnight UTC.
	code, body, h := sup.post(td+"/deadline", url.Values{"csrf_token": {csrf}, "until": {"2026-11-30T09:00"}, "reason": {"platform asked for time"}})
	if code != http.StatusSeeOther || h.Get("Location") != td+"?done=deadline&status=notice_sent" {
		t.Fatalf("extend: %d %s %s", code, h.Get("Location"), body)
	}
	staff := e.client("ko")
	scsrf := staff.signIn(takedown.RoleStaff)
	if code, body, _ := staff.post(td+"/reply", url.Values{"csrf_token": {scsrf}, "kind": {"portal_submitted"}, "ticket": {"T-77"}}); code != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", code, body)
	}
	if code, body, _ := staff.post(td+"/information", url.Values{"csrf_token": {scsrf}, "text": {"the uploader is the person shown"}}); code != http.StatusSeeOther {
		t.Fatalf("information: %d %s", code, body)
	}
	// A reply without its kind is refused by the API's validation, and
	// the page shows why.
	if code, body, _ := staff.post(td+"/reply", url.Values{"csrf_token": {scsrf}, "kind": {""}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "받아들일 수 없습니다") {
		t.Errorf("reply without kind: %d", code)
	}
	names := e.engine.names()
	want := []string{workflows.UpdateExtendDeadline, workflows.UpdateRecordReply, workflows.UpdateAddInformation}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("updates %v, want %v", names, want)
	}
	b, _ := json.Marshal(e.engine.args[0])
	if !strings.Contains(string(b), "2026-11-30T00:00:00Z") || !strings.Contains(string(b), "platform asked for time") {
		t.Errorf("extension sent %s", b)
	}
	b, _ = json.Marshal(e.engine.args[1])
	if !strings.Contains(string(b), "T-77") {
		t.Errorf("reply sent %s", b)
	}
	if code, page := staff.get(td + "?done=replies"); code != 200 || !strings.Contains(page, "답변을 기록했습니다") {
		t.Errorf("after the reply: %d", code)
	}
}

// TestLanguageSwitch: the choice outlives the browser's preference.
func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t)
	c := e.client("ko")
	if _, page := c.get("/app/signin"); !strings.Contains(page, `<html lang="ko">`) || !strings.Contains(page, "로그인") {
		t.Fatal("Accept-Language ko does not give Korean")
	}
	code, _, h := c.post("/app/lang", url.Values{"lang": {"en"}, "back": {"/app/signin"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/app/signin" {
		t.Fatalf("switch: %d %s", code, h.Get("Location"))
	}
	if _, page := c.get("/app/signin"); !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, "Sign in") {
		t.Error("the switch to English did not stick")
	}
	if _, _, h := c.post("/app/lang", url.Values{"lang": {"en"}, "back": {"https://evil.example/"}}); h.Get("Location") != "/app/" {
		t.Errorf("switch sent the browser off-site: %s", h.Get("Location"))
	}
}

func TestComplianceCSV(t *testing.T) {
	e := newEnv(t)
	sup := e.client("en")
	sup.signIn(takedown.RoleSupervisor)
	code, body := sup.get("/app/compliance.csv?from=2026-11-01&to=2026-12-01")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if code != 200 || !strings.HasPrefix(lines[0], "platform,category,total") || len(lines) != 3 {
		t.Fatalf("csv: %d %q", code, body)
	}
	if !strings.Contains(body, "telegram,ncii,1,") || !strings.Contains(body, "youtube,ncii,1,") {
		t.Errorf("csv rows: %q", body)
	}
}

func TestWrongPasswordSaysSo(t *testing.T) {
	e := newEnv(t)
	c := e.client("ko")
	_, page := c.get("/app/signin")
	tok := tokenRE.FindStringSubmatch(page)[1]
	code, body, _ := c.post("/app/signin", url.Values{"csrf_token": {tok}, "name": {"user-staff"}, "password": {"wrong"}})
	if code != http.StatusUnauthorized || !strings.Contains(body, "비밀번호가 틀렸습니다") {
		t.Errorf("wrong password: %d", code)
	}
	code, body, _ = c.post("/app/signin", url.Values{"csrf_token": {"stale"}, "name": {"user-staff"}, "password": {testPassword}})
	if code != http.StatusForbidden || !strings.Contains(body, "양식이 만료되었습니다") {
		t.Errorf("stale form: %d", code)
	}
}

// TestCSVUpload: the rows of an uploaded file are filed like pasted lines,
// each with its row number.
func TestCSVUpload(t *testing.T) {
	e := newEnv(t)
	staff := e.client("en")
	csrf := staff.signIn(takedown.RoleStaff)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", csrf)
	_ = mw.WriteField("category", "deepfake_sexual")
	fw, _ := mw.CreateFormFile("csv", "batch.csv")
	_, _ = fw.Write([]byte("url,note\nhttps://t.me/durov/123,a\n=cmd|' /C calc'!A0,b\nhttps://t.me/seedchannel/101,c\n"))
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/app/intake", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("Origin", e.srv.URL)
	resp, err := staff.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	page := string(b)
	for _, want := range []string{`class="outcome-created" data-row="2"`, `class="outcome-invalid" data-row="3"`, `class="outcome-duplicate" data-row="4"`, "CSV row 3"} {
		if !strings.Contains(page, want) {
			t.Errorf("upload result lacks %q", want)
		}
	}
}

// TestSameFormTwiceDecidesOnce: the form's idempotency key goes to the
// engine as the update id, so a second submission is answered as a repeat.
func TestSameFormTwiceDecidesOnce(t *testing.T) {
	e := newEnv(t)
	td := "/app/takedowns/" + e.waiting.ID.String()
	sup := e.client("en")
	csrf := sup.signIn(takedown.RoleSupervisor)
	_, page := sup.get(td)
	m := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]{32})"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the escalation form has no idempotency key")
	}
	form := url.Values{"csrf_token": {csrf}, "idempotency_key": {m[1]}, "approve": {"true"}, "reason": {"court order"}}
	_, _, h1 := sup.post(td+"/escalation", form)
	_, _, h2 := sup.post(td+"/escalation", form)
	if strings.Contains(h1.Get("Location"), "repeat=1") || !strings.Contains(h2.Get("Location"), "repeat=1") {
		t.Errorf("first %s, second %s: want only the second to be a repeat", h1.Get("Location"), h2.Get("Location"))
	}
	if _, page := sup.get(h2.Get("Location")); !strings.Contains(page, "nothing was done twice") {
		t.Error("the page does not say the decision was a repeat")
	}
}
