package web_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryStringInTheCatalogs: every message a template or handler asks
// for by a literal key is in both catalogs, so no page shows a key.
func TestEveryStringInTheCatalogs(t *testing.T) {
	cat := map[string]map[string]string{}
	for _, l := range []string{"en", "ko"} {
		b, err := os.ReadFile("messages/" + l + ".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		cat[l] = m
	}
	files, _ := filepath.Glob("templates/*.html")
	gofiles, _ := filepath.Glob("*.go")
	keyRE := regexp.MustCompile(`\.T "([a-z_.]+)"|\.T\("([a-z_.]+)"`)
	used := 0
	for _, f := range append(files, gofiles...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			k := m[1] + m[2]
			if strings.HasSuffix(k, ".") {
				continue // a key built at run time, like "platform."+p
			}
			used++
			for l, c := range cat {
				if _, ok := c[k]; !ok {
					t.Errorf("%s: message %q is missing from the %s catalog", f, k, l)
				}
			}
		}
	}
	if used < 100 {
		t.Errorf("only %d message uses found: the scan is broken", used)
	}
}
