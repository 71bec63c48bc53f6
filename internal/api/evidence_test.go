package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// TestEvidence: a file is kept once with its SHA-256, checked by what its
// bytes are, and refused when too large.
func TestEvidence(t *testing.T) {
	e := newEnv(t)
	it := e.createItem("https://t.me/evidence_chan/1")
	path := "/api/v1/items/" + it.ID.String() + "/evidence"
	var first map[string]any
	if code := e.do(takedown.RoleStaff, "POST", path, pngFile, &first); code != 201 {
		t.Fatalf("first upload: %d %v", code, first)
	}
	ev := first["evidence"].(map[string]any)
	sum := sha256.Sum256([]byte(pngFile))
	if ev["sha256"] != hex.EncodeToString(sum[:]) || ev["content_type"] != "image/png" {
		t.Errorf("stored %v", ev)
	}
	var again map[string]any
	if code := e.do(takedown.RoleStaff, "POST", path, pngFile, &again); code != 200 || again["existed"] != true {
		t.Errorf("same file again: %d %v", code, again)
	}
	var ae apiErr
	if code := e.do(takedown.RoleStaff, "POST", path, "<html><script>alert(1)</script>", &ae); code != 415 || ae.Error.Code != "unsupported_type" {
		t.Errorf("html: %d %v", code, ae)
	}
	if code := e.do(takedown.RoleStaff, "POST", path, pngFile+strings.Repeat("x", api.MaxEvidence), &ae); code != 413 {
		t.Errorf("too large: %d", code)
	}
	if code := e.do(takedown.RoleAuditor, "POST", path, pngFile, &ae); code != 403 {
		t.Errorf("auditor upload: %d", code)
	}
	var list map[string][]map[string]any
	if code := e.do(takedown.RoleAuditor, "GET", path, "", &list); code != 200 || len(list["evidence"]) != 1 {
		t.Errorf("list: %d %v", code, list)
	}
}
