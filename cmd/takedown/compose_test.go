package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]any            `yaml:"secrets"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Secrets     []string          `yaml:"secrets"`
	Healthcheck map[string]any    `yaml:"healthcheck"`
	Deploy      struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	return f
}

var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::?[-?]([^}]*))?\}`)

// resolve fills in compose's ${VAR:-default} as compose would with an
// empty .env, and ${VAR} and ${VAR:?msg} with a placeholder.
func resolve(v string) string {
	return interpolation.ReplaceAllStringFunc(v, func(m string) string {
		sub := interpolation.FindStringSubmatch(m)
		if strings.Contains(m, ":-") {
			return sub[2]
		}
		if sub[1] == "TAKEDOWN_DECISION_PUBLIC_KEYS" {
			// What takedown keygen prints: a key the worker can parse.
			return base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey))
		}
		return "set-in-dot-env"
	})
}

// loaders are the commands the compose file runs, with what each reads.
var loaders = map[string]func(e *env) error{
	"setup":  func(e *env) error { _, err := loadSetup(e); return err },
	"serve":  func(e *env) error { _, err := loadServe(e); return err },
	"worker": func(e *env) error { _, err := loadWorker(e); return err },
}

// checkService loads the command's configuration from the service's
// environment and returns the variables the binary never read and the
// configuration error, if any.
func checkService(s composeService) (unknown []string, err error) {
	vals := map[string]string{}
	for k, v := range s.Environment {
		vals[k] = resolve(v)
	}
	e := &env{Getenv: func(k string) string { return vals[k] }, ReadFile: func(path string) ([]byte, error) {
		if strings.Contains(path, "payload_key") || strings.Contains(path, "decision_key") {
			return []byte(base64.StdEncoding.EncodeToString(make([]byte, 32))), nil
		}
		return []byte("secret-from-" + path), nil
	}}
	err = loaders[s.Command[0]](e)
	for k := range s.Environment {
		if !e.Seen(k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	return unknown, err
}

func TestComposeMatchesConfiguration(t *testing.T) {
	f := readCompose(t)
	ran := map[string]int{}
	for name, s := range f.Services {
		if s.Build == nil || len(s.Command) == 0 {
			continue // not our image
		}
		if loaders[s.Command[0]] == nil {
			t.Errorf("service %s runs %q, which the compose check does not know", name, s.Command[0])
			continue
		}
		ran[s.Command[0]]++
		unknown, err := checkService(s)
		if len(unknown) > 0 {
			t.Errorf("service %s sets variables takedown %s does not read: %v", name, s.Command[0], unknown)
		}
		if err != nil {
			t.Errorf("service %s: takedown %s would refuse its configuration: %v", name, s.Command[0], err)
		}
		for k, v := range s.Environment {
			secret, ok := strings.CutPrefix(v, "/run/secrets/")
			if !ok {
				continue
			}
			if !slices.Contains(s.Secrets, secret) {
				t.Errorf("service %s: %s names secret %s, which is not mounted", name, k, secret)
			}
			if _, ok := f.Secrets[secret]; !ok {
				t.Errorf("service %s: secret %s is not defined", name, secret)
			}
		}
		if s.Command[0] != "setup" && s.Healthcheck == nil {
			t.Errorf("service %s has no health check", name)
		}
		if strings.Contains(s.Environment["DATABASE_URL_FILE"], "owner") && s.Command[0] != "setup" {
			t.Errorf("service %s connects as the owner role; only setup may", name)
		}
	}
	for _, cmd := range []string{"setup", "serve", "worker"} {
		if ran[cmd] == 0 {
			t.Errorf("no service runs takedown %s", cmd)
		}
	}
	if w := f.Services["worker"]; w.Deploy.Replicas != 2 {
		t.Errorf("worker replicas = %d, want 2", w.Deploy.Replicas)
	}
	for name, s := range f.Services {
		if strings.Contains(s.Image, "auto-setup") {
			t.Errorf("service %s uses the deprecated auto-setup image", name)
		}
	}
	if len(f.Volumes) == 0 {
		t.Error("no named volumes")
	}
}

// TestComposeCheckCatchesMistakes proves the check above would fail: a
// misspelt variable and a missing required one are both reported.
func TestComposeCheckCatchesMistakes(t *testing.T) {
	s := readCompose(t).Services["api"]
	env := map[string]string{}
	for k, v := range s.Environment {
		env[k] = v
	}
	env["TAKEDOWN_HTTP_ADRESS"] = "0.0.0.0:8080"
	delete(env, "TEMPORAL_ADDRESS")
	s.Environment = env
	unknown, err := checkService(s)
	if !slices.Equal(unknown, []string{"TAKEDOWN_HTTP_ADRESS"}) {
		t.Errorf("unknown = %v", unknown)
	}
	if err == nil || !strings.Contains(err.Error(), "TEMPORAL_ADDRESS is required") {
		t.Errorf("err = %v", err)
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../../internal/deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if n := strings.Count(text, "\nFROM "); n < 2 {
		t.Errorf("Dockerfile has %d stages, want a build stage and a runtime stage", n)
	}
	if !regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 go build .* ./cmd/takedown$`).MatchString(text) {
		t.Error("no static `go build` of ./cmd/takedown in the build stage (.ci/run runs that line)")
	}
	if !regexp.MustCompile(`(?m)^USER 65532`).MatchString(text) || !strings.Contains(text, ":nonroot") {
		t.Error("the image does not run as the nonroot user")
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "internal/deploy/Dockerfile") {
		t.Error(".ci/run does not build the Dockerfile's build stage")
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"secrets/", ".env", ".takedown/", ".git"} {
		if !strings.Contains(string(ignore), want) {
			t.Errorf(".dockerignore does not keep out %s", want)
		}
	}
}
