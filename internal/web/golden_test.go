package web_test

import (
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/takedown-oss/takedown/internal/takedown"
)

var update = flag.Bool("update", false, "rewrite the golden files of rendered pages")

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	refRE  = regexp.MustCompile(`TKD-[0-9A-F]{12}`)
	csrfRE = regexp.MustCompile(`name="csrf_token" value="[^"]+"`)
	keyRE  = regexp.MustCompile(`name="idempotency_key" value="[^"]+"`)
)

// normalize replaces what differs from run to run: ids and tokens.
func normalize(s string) string {
	s = uuidRE.ReplaceAllString(s, "UUID")
	s = refRE.ReplaceAllString(s, "TKD-REF")
	s = keyRE.ReplaceAllString(s, `name="idempotency_key" value="KEY"`)
	return csrfRE.ReplaceAllString(s, `name="csrf_token" value="TOKEN"`)
}

// TestGolden compares rendered pages with testdata/*.golden; run with
// -update to rewrite them after a deliberate change.
func TestGolden(t *testing.T) {
	e := newEnv(t)
	en, ko := e.client("en"), e.client("ko")
	pages := map[string]func() (int, string){
		"signin-en": func() (int, string) { return en.get("/app/signin") },
		"signin-ko": func() (int, string) { return ko.get("/app/signin") },
	}
	staffKO := e.client("ko")
	csrf := staffKO.signIn(takedown.RoleStaff)
	pages["intake-results-ko"] = func() (int, string) {
		code, body, _ := staffKO.post("/app/intake", url.Values{"csrf_token": {csrf}, "category": {"ncii"},
			"urls": {"https://t.me/durov/123\nnot a url\nhttps://t.me/seedchannel/101"}})
		return code, body
	}
	sup := e.client("en")
	sup.signIn(takedown.RoleSupervisor)
	pages["overdue-en"] = func() (int, string) { return sup.get("/app/overdue") }
	pages["takedown-en"] = func() (int, string) { return sup.get("/app/takedowns/" + e.waiting.ID.String()) }
	pages["forbidden-ko"] = func() (int, string) { return staffKO.get("/app/compliance") }
	pages["notfound-en"] = func() (int, string) { return sup.get("/app/no-such-page") }
	want := map[string]int{"intake-results-ko": 422, "forbidden-ko": 403, "notfound-en": 404}
	for name, get := range pages {
		code, body := get()
		if w := want[name]; w != 0 && code != w || w == 0 && code != 200 {
			t.Errorf("%s: status %d", name, code)
		}
		got := normalize(body)
		file := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%s: %v (run go test -update)", name, err)
		}
		if string(b) != got {
			t.Errorf("%s differs from %s; run go test -update if the change is meant:\n%s", name, file, firstDiff(string(b), got))
		}
	}
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-80)
	return "want …" + a[lo:min(len(a), i+80)] + "…\n got …" + b[lo:min(len(b), i+80)] + "…"
}
