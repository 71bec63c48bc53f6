package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// fakeClock is the injected clock every test drives by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2025, 3, 10, 1, 0, 0, 0, time.UTC)

type env struct {
	sim   *Simulator
	srv   *httptest.Server
	clock *fakeClock
}

// newEnv starts a simulator behind an httptest server with a fake clock at t0.
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	clock := newClock(t0)
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	sim, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		srv.Close()
		sim.Close()
	})
	return &env{sim: sim, srv: srv, clock: clock}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; hdr holds header name/value pairs.
func (e *env) do(t *testing.T, method, path, body string, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

func (e *env) get(t *testing.T, path string, hdr ...string) response {
	t.Helper()
	return e.do(t, http.MethodGet, path, "", hdr...)
}

// assertJSON compares a JSON body with want structurally; the string "*"
// in want matches any value (etags, trace ids).
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if path, ok := matchJSON(g, w, "$"); !ok {
		var pretty bytes.Buffer
		json.Indent(&pretty, got, "", "  ")
		t.Fatalf("JSON differs at %s\ngot:\n%s\nwant:\n%s", path, pretty.String(), want)
	}
}

func matchJSON(got, want any, path string) (string, bool) {
	if s, ok := want.(string); ok && s == "*" {
		return "", true
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return path, false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return path + "." + k, false
			}
			if p, ok := matchJSON(gv, wv, path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, false
		}
		for i := range w {
			if p, ok := matchJSON(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	}
	return path, reflect.DeepEqual(got, want)
}

func assertStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body:\n%s", r.status, want, r.body)
	}
}

func mustSet(t *testing.T, sim *Simulator, p takedown.Platform, id string, b Behaviour) {
	t.Helper()
	if err := sim.SetBehaviour(p, id, b); err != nil {
		t.Fatalf("SetBehaviour: %v", err)
	}
}
