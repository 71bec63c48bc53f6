package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestCommandErrors(t *testing.T) {
	badPolicy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(badPolicy, []byte(`{"rules":[{"platform":"myspace"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string // every one must appear in the error
	}{
		{"no command", nil, nil, []string{"no command"}},
		{"unknown command", []string{"launch"}, nil, []string{`unknown command "launch"`}},
		{"serve needs its deployment", []string{"serve"}, nil, []string{"DATABASE_URL is required", "TEMPORAL_ADDRESS is required"}},
		{"worker needs its deployment", []string{"worker"}, nil, []string{"DATABASE_URL is required", "TEMPORAL_ADDRESS is required"}},
		{"migrate needs a database", []string{"migrate"}, nil, []string{"DATABASE_URL is required"}},
		{"bad log level", []string{"migrate"}, map[string]string{"DATABASE_URL": "postgres://x", "TAKEDOWN_LOG_LEVEL": "loud"}, []string{"TAKEDOWN_LOG_LEVEL"}},
		{"bad rate", []string{"serve"}, map[string]string{"TAKEDOWN_SEND_RATE_YOUTUBE": "fast"}, []string{"TAKEDOWN_SEND_RATE_YOUTUBE"}},
		{"unknown platform in policy", []string{"serve"}, map[string]string{"TAKEDOWN_POLICY_FILE": badPolicy}, []string{`unknown platform "myspace"`}},
		{"missing secret file", []string{"serve"}, map[string]string{"DATABASE_URL_FILE": "/nonexistent/db-url"}, []string{"DATABASE_URL_FILE"}},
		{"setup needs the engine", []string{"setup"}, map[string]string{"DATABASE_URL": "postgres://x"}, []string{"TEMPORAL_ADDRESS is required"}},
		{"runtime role without password", []string{"setup"}, map[string]string{"DATABASE_URL": "postgres://x", "TEMPORAL_ADDRESS": "t:7233", "TAKEDOWN_RUNTIME_ROLE": "app"}, []string{"TAKEDOWN_RUNTIME_PASSWORD"}},
		{"bad timeout", []string{"serve"}, map[string]string{"TAKEDOWN_REQUEST_TIMEOUT": "soon"}, []string{"TAKEDOWN_REQUEST_TIMEOUT"}},
		{"unknown platform", []string{"worker"}, map[string]string{"TAKEDOWN_PLATFORMS": "myspace"}, []string{"TAKEDOWN_PLATFORMS"}},
		{"no workflow cache", []string{"worker"}, map[string]string{"TAKEDOWN_WORKFLOW_CACHE_SIZE": "0"}, []string{"TAKEDOWN_WORKFLOW_CACHE_SIZE: must be at least 1"}},
		{"bad workflow cache", []string{"worker"}, map[string]string{"TAKEDOWN_WORKFLOW_CACHE_SIZE": "lots"}, []string{"TAKEDOWN_WORKFLOW_CACHE_SIZE"}},
		{"health needs a URL", []string{"health"}, nil, []string{"usage: takedown health URL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, envOf(tc.env), &out, &errOut)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestMigrateAppliesAndIsRepeatable(t *testing.T) {
	url := pgtest.EmptyURL(t)
	for range 2 {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate"}, envOf(map[string]string{"DATABASE_URL": url}), &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "migrations applied") {
			t.Errorf("output %q", out.String())
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &env{Getenv: envOf(map[string]string{"X_BEARER_TOKEN_FILE": path})}
	if got := e.Secret("X_BEARER_TOKEN"); got != "s3cret" || e.Err() != nil {
		t.Errorf("secret = %q, %v", got, e.Err())
	}
	cfg := loadAdapters(e)
	if cfg.X.BearerToken != "s3cret" || cfg.X.APIBaseURL != "https://api.x.com" || cfg.YouTube.PriorityChannel != "portal" {
		t.Errorf("adapters = %+v", cfg.X)
	}
}
