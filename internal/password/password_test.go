package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/password"
)

// cheap keeps the tests fast; the format and the check are the same.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

func TestHashAndVerify(t *testing.T) {
	h, err := password.Hash("correct horse battery staple", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h, "horse") {
		t.Fatalf("hash = %q", h)
	}
	if err := password.Verify("correct horse battery staple", h); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := password.Verify("correct horse battery stapl", h); !errors.Is(err, password.ErrMismatch) {
		t.Errorf("wrong password: %v, want ErrMismatch", err)
	}
	h2, _ := password.Hash("correct horse battery staple", cheap)
	if h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	// A hash from another implementation (the reference implementation,
	// `echo -n password | argon2 somesalt -id -t 2 -m 16 -p 4 -l 24 -e`).
	ref := "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$F1jG2CV3/Nr+yRuIsPKw0J9r4s7cJHBU"
	if err := password.Verify("password", ref); err != nil {
		t.Errorf("reference vector: %v", err)
	}
	for _, bad := range []string{"", "$2a$10$abc", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$aGFzaA", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA"} {
		if err := password.Verify("x", bad); err == nil || errors.Is(err, password.ErrMismatch) {
			t.Errorf("Verify(%q) = %v, want a format error", bad, err)
		}
	}
	if err := password.VerifyNothing("anything"); !errors.Is(err, password.ErrMismatch) {
		t.Errorf("VerifyNothing = %v", err)
	}
}

func TestCheck(t *testing.T) {
	for pw, ok := range map[string]bool{"short": false, "twelve chars": true, "비밀번호는열두글자입니다": true, strings.Repeat("x", 1025): false} {
		if err := password.Check(pw); (err == nil) != ok {
			t.Errorf("Check(%d chars) = %v, want ok=%v", len(pw), err, ok)
		}
	}
}
