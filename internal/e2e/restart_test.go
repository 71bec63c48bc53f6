package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/devstack"
)

// devProcess is `takedown-dev dev` running as a child process, the way a
// developer runs it.
type devProcess struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	creds  devstack.Credentials
	exited chan struct{} // closed once the process has exited
	err    error         // how it exited
}

// wait waits for the process to exit and says how it did.
func (p *devProcess) wait() error {
	<-p.exited
	return p.err
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "takedown-dev")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/takedown-oss/takedown/cmd/takedown-dev")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build takedown-dev: %v\n%s", err, out)
	}
	return bin
}

func startDev(t *testing.T, bin, dataDir string, args []string) *devProcess {
	t.Helper()
	p, err := tryStartDev(t, bin, dataDir, args)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startFreshDev starts `takedown-dev dev` on ports nobody holds, and returns
// the arguments to restart it with. A port found free can be taken by
// another process (an outgoing connection's ephemeral port) before dev binds
// it; then dev is started again on other ports.
func startFreshDev(t *testing.T, bin, dataDir string, extra ...string) (*devProcess, []string) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		args := append([]string{
			"--http", "127.0.0.1:" + freePort(t), "--ui", "127.0.0.1:" + freePort(t),
			"--temporal-port", freePort(t), "--simulator", "127.0.0.1:" + freePort(t),
			"--smtp", "127.0.0.1:" + freePort(t),
		}, extra...)
		p, err := tryStartDev(t, bin, dataDir, args)
		if err == nil {
			return p, args
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("a port was taken before dev bound it; starting again on others")
	}
}

func tryStartDev(t *testing.T, bin, dataDir string, args []string) (*devProcess, error) {
	t.Helper()
	credsPath := filepath.Join(dataDir, "dev-credentials.json")
	_ = os.Remove(credsPath)
	p := &devProcess{out: &lockedBuffer{}}
	p.cmd = exec.Command(bin, append([]string{"dev", "--data-dir", dataDir}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), "TAKEDOWN_LOG_LEVEL=warn")
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	p.exited = make(chan struct{})
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(credsPath); err == nil {
			if err := json.Unmarshal(b, &p.creds); err == nil {
				resp, err := http.Get(p.creds.API + "/readyz")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						return p, nil
					}
				}
			}
		}
		if strings.Contains(p.out.String(), "address already in use") {
			break
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("takedown-dev dev exited:\n%s", p.out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	return nil, fmt.Errorf("takedown-dev dev did not become healthy:\n%s", p.out.String())
}

func (p *devProcess) request(t *testing.T, role, method, path string, body string, out any) int {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, p.creds.API+path, r)
	req.Header.Set("Authorization", "Bearer "+p.creds.Tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func (p *devProcess) status(t *testing.T, id string) string {
	var td struct{ Status string }
	p.request(t, "auditor", "GET", "/api/v1/takedowns/"+id, "", &td)
	return td.Status
}

// TestDevSurvivesSIGKILL kills `takedown-dev dev` in the middle of a takedown and
// starts it again on the same data directory: the takedown finishes, and the
// platform received exactly one notice.
func TestDevSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dataDir := t.TempDir()
	// Long enough that the kill lands while the takedown is probing.
	p, args := startFreshDev(t, bin, dataDir, "--remove-after", "8s")
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.wait() })

	var it struct{ ID string }
	if code := p.request(t, "staff", "POST", "/api/v1/items", `{"url":"https://t.me/restartchan/77","category":"ncii"}`, &it); code != 201 {
		t.Fatalf("create: %d\n%s", code, p.out.String())
	}
	var conf struct {
		TakedownID string `json:"takedown_id"`
	}
	if code := p.request(t, "staff", "POST", "/api/v1/items/"+it.ID+"/confirm", "", &conf); code != 202 {
		t.Fatalf("confirm: %d", code)
	}
	deadline := time.Now().Add(time.Minute)
	for p.status(t, conf.TakedownID) != "notice_sent" {
		if time.Now().After(deadline) {
			t.Fatalf("notice never sent:\n%s", p.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.wait()

	p2 := startDev(t, bin, dataDir, args)
	t.Cleanup(func() { _ = p2.cmd.Process.Kill(); _ = p2.wait() })
	// An activity that was running when the process died is retried once
	// its heartbeat timeout passes (TestRecoveryAfterSIGKILL measures it).
	deadline = time.Now().Add(3 * time.Minute)
	for p2.status(t, conf.TakedownID) != "removed" {
		if time.Now().After(deadline) {
			t.Fatalf("takedown did not finish after restart (status %s):\n%s", p2.status(t, conf.TakedownID), p2.out.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
	resp, err := http.Get(p2.creds.Simulator + "/_sim/notices?platform=telegram&content_id=restartchan/77")
	if err != nil {
		t.Fatal(err)
	}
	var notices []json.RawMessage
	err = json.NewDecoder(resp.Body).Decode(&notices)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("decode simulator notices: %v", err)
	}
	if len(notices) != 1 {
		t.Fatalf("simulator received %d notices, want exactly 1: %s", len(notices), notices)
	}

	// Ctrl-C stops everything, the private PostgreSQL included.
	if err := p2.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p2.wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("takedown-dev dev exited with %v:\n%s", err, p2.out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("takedown-dev dev did not stop on SIGINT")
	}
	pidFile := filepath.Join(dataDir, "postgres", "pgdata", "postmaster.pid")
	if _, err := os.Stat(pidFile); err == nil {
		t.Errorf("PostgreSQL still running after shutdown (%s exists)", pidFile)
	}
}
