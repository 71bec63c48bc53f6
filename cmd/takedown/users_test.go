package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/store"
)

// TestAccountCommands drives the operator commands as an operator would on
// a production deployment, and checks the API's answer to the tokens they
// hand out.
func TestAccountCommands(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	env := envOf(map[string]string{"DATABASE_URL": dbURL})
	cli := func(input string, args ...string) (string, string, error) {
		t.Helper()
		stdin = strings.NewReader(input)
		var out, errOut bytes.Buffer
		err := run(ctx, args, env, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	must := func(input string, args ...string) (string, string) {
		t.Helper()
		out, errOut, err := cli(input, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		return out, errOut
	}

	must("", "users", "add", "alice", "--role", "staff")
	must("correct horse battery staple\n", "users", "add", "bob", "--role", "admin", "--password-stdin")
	token, info := must("", "tokens", "issue", "alice", "--name", "laptop", "--expires", "30d")
	token = strings.TrimSpace(token)
	if len(token) != 43 || !strings.Contains(info, `("laptop") for alice`) {
		t.Fatalf("tokens issue printed %q / %q", token, info)
	}
	id := strings.Fields(info)[1]

	st, err := store.Open(ctx, store.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(api.New(api.Config{Store: st}))
	defer srv.Close()
	me := func(tok string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := me(token); code != 200 {
		t.Fatalf("issued token: %d", code)
	}
	list, _ := must("", "tokens", "list", "alice")
	if !strings.Contains(list, id) || !strings.Contains(list, "active") {
		t.Errorf("tokens list:\n%s", list)
	}
	must("", "tokens", "revoke", id)
	if code := me(token); code != 401 {
		t.Errorf("revoked token: %d, want 401", code)
	}
	if list, _ := must("", "tokens", "list"); !strings.Contains(list, "revoked") {
		t.Errorf("tokens list after revoke:\n%s", list)
	}

	second, _ := must("", "tokens", "issue", "alice")
	must("", "users", "set-role", "alice", "auditor")
	must("", "users", "disable", "alice")
	if code := me(strings.TrimSpace(second)); code != 401 {
		t.Errorf("disabled user's token: %d, want 401", code)
	}
	users, _ := must("", "users", "list")
	if !strings.Contains(users, "alice") || !strings.Contains(users, "auditor") || !strings.Contains(users, "disabled") ||
		!regexpMatch(`bob\s+admin\s+active\s+yes`, users) {
		t.Errorf("users list:\n%s", users)
	}

	for _, tc := range []struct {
		input string
		args  []string
		want  string
	}{
		{"", []string{"users", "add", "alice", "--role", "staff"}, "exists already"},
		{"", []string{"users", "add", "carol", "--role", "root"}, "--role must be"},
		{"short\n", []string{"users", "add", "carol", "--role", "staff", "--password-stdin"}, "at least 12"},
		{"", []string{"users", "disable", "nobody"}, `no user named "nobody"`},
		{"", []string{"users", "frobnicate"}, "unknown subcommand"},
		{"", []string{"tokens", "issue", "alice", "--expires", "forever"}, "not a duration"},
		{"", []string{"tokens", "issue", "alice", "--expires", "1000d"}, "not between"},
		{"", []string{"tokens", "issue", "nobody"}, `no user named "nobody"`},
		{"", []string{"tokens", "revoke", "not-an-id"}, "not a token id"},
		{"", []string{"tokens", "revoke", "00000000-0000-0000-0000-000000000000"}, "no token with id"},
	} {
		if _, _, err := cli(tc.input, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}

	// Every change is in the audit log.
	entries, _, err := st.ListAudit(ctx, store.AuditFilter{SubjectType: "user"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	want := "user.add,user.add,token.issue,token.revoke,token.issue,user.set_role,user.disable"
	if strings.Join(actions, ",") != want {
		t.Errorf("audit = %v, want %s", actions, want)
	}
}

func TestKeygen(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keygen"}, envOf(nil), &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, l := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			vars[k] = v
		}
	}
	e := &env{Getenv: envOf(vars)}
	if s, keys := decisionSigner(e), decisionPublicKeys(e); e.Err() != nil || s == nil || len(keys) != 1 {
		t.Fatalf("keygen output does not configure serve and worker: %v\n%s", e.Err(), out.String())
	}
	e = &env{Getenv: envOf(map[string]string{"TAKEDOWN_DECISION_PUBLIC_KEYS": vars["TAKEDOWN_DECISION_PUBLIC_KEYS"] + ",nonsense"})}
	if decisionPublicKeys(e); e.Err() == nil {
		t.Error("a bad public key was accepted")
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
