package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// maxRecovery is how soon after a worker comes back an activity it was
// running when it died must be tried again.
const maxRecovery = 15 * time.Second

// simCounters reads how many requests the simulator received per content.
func (p *devProcess) simCounters(t *testing.T) map[string]int {
	t.Helper()
	return p.simCountersOf(t).Contents
}

type simCounters struct {
	Routes   map[string]int `json:"routes"`
	Contents map[string]int `json:"contents"`
}

// simCountersOf reads the simulator's request counters.
func (p *devProcess) simCountersOf(t *testing.T) simCounters {
	t.Helper()
	resp, err := http.Get(p.creds.Simulator + "/_sim/counters")
	if err != nil {
		t.Fatalf("read simulator counters: %v", err)
	}
	defer resp.Body.Close()
	var c simCounters
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatalf("decode simulator counters: %v", err)
	}
	return c
}

// setBehaviour scripts how the simulator treats one piece of content.
func (p *devProcess) setBehaviour(t *testing.T, platform, contentID, behaviour string) {
	t.Helper()
	body := fmt.Sprintf(`{"platform":%q,"content_id":%q,"behaviour":%s}`, platform, contentID, behaviour)
	req, _ := http.NewRequest(http.MethodPut, p.creds.Simulator+"/_sim/behaviour", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("set behaviour: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("set behaviour %s: %d", body, resp.StatusCode)
	}
}

// confirm reports a URL and confirms it, returning the takedown's id.
func (p *devProcess) confirm(t *testing.T, rawURL string) string {
	t.Helper()
	var it struct{ ID string }
	if code := p.request(t, "staff", "POST", "/api/v1/items", fmt.Sprintf(`{"url":%q,"category":"ncii"}`, rawURL), &it); code != 201 {
		t.Fatalf("create %s: %d\n%s", rawURL, code, p.out.String())
	}
	var conf struct {
		TakedownID string `json:"takedown_id"`
	}
	if code := p.request(t, "staff", "POST", "/api/v1/items/"+it.ID+"/confirm", "", &conf); code != 202 {
		t.Fatalf("confirm %s: %d", rawURL, code)
	}
	return conf.TakedownID
}

// pollUntil polls cond every 50 ms until it holds, and returns when it did.
func pollUntil(t *testing.T, what string, limit time.Duration, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Now()
}

// TestRecoveryAfterSIGKILL kills `takedown-dev dev` while a notice is being sent
// and a probe is waiting on a slow platform, starts it again, and measures
// how long each activity takes to be tried again: the heartbeat timeout, not
// the activity's start-to-close timeout, decides it.
func TestRecoveryAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dataDir := t.TempDir()
	p, args := startFreshDev(t, bin, dataDir, "--remove-after", "3s")
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.wait() })

	// The probe: a notice goes out, then every look at the post takes 8 s.
	const probeKey = "telegram/recoverprobe/5"
	probeTD := p.confirm(t, "https://t.me/recoverprobe/5")
	pollUntil(t, "first notice sent", time.Minute, func() bool { return p.status(t, probeTD) == "notice_sent" })
	p.setBehaviour(t, "telegram", "recoverprobe/5", `{"hang":"8s","on_notice":"never"}`)
	before := p.simCounters(t)[probeKey]
	pollUntil(t, "a probe in flight", time.Minute, func() bool { return p.simCounters(t)[probeKey] > before })

	// The send: the report reaches the platform, which takes 8 s to answer.
	const sendKey = "youtube/recoverVid1"
	p.setBehaviour(t, "youtube", "recoverVid1", `{"hang":"8s"}`)
	sendTD := p.confirm(t, "https://www.youtube.com/watch?v=recoverVid1")
	pollUntil(t, "a send in flight", time.Minute, func() bool { return p.simCounters(t)[sendKey] > 0 })

	probes := p.simCounters(t)[probeKey]
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = p.wait()

	restarted := time.Now()
	p2 := startDev(t, bin, dataDir, args)
	t.Cleanup(func() { _ = p2.cmd.Process.Kill(); _ = p2.wait() })
	healthy := time.Now()

	var probeAt, sendAt time.Time
	pollUntil(t, "probe and send tried again", 3*time.Minute, func() bool {
		now := time.Now()
		if probeAt.IsZero() && p2.simCounters(t)[probeKey] > probes {
			probeAt = now
		}
		// The send's retry finds its claim taken by the dead worker: it
		// records the notice as uncertain rather than sending it again.
		if sendAt.IsZero() && p2.status(t, sendTD) == "notice_sent" {
			sendAt = now
		}
		return !probeAt.IsZero() && !sendAt.IsZero()
	})
	report := func(what string, at time.Time) time.Duration {
		d := at.Sub(healthy)
		t.Logf("SIGKILL recovery, in-flight %s: %.1f s after the stack was healthy again (%.1f s after the restart began, %.1f s after the kill)",
			what, d.Seconds(), at.Sub(restarted).Seconds(), at.Sub(killed).Seconds())
		return d
	}
	t.Logf("restart took %.1f s to a healthy stack", healthy.Sub(restarted).Seconds())
	if d := report("probe", probeAt); d > maxRecovery {
		t.Errorf("in-flight probe retried %s after the restart, want <= %s", d.Round(100*time.Millisecond), maxRecovery)
	}
	if d := report("send", sendAt); d > maxRecovery {
		t.Errorf("in-flight send retried %s after the restart, want <= %s", d.Round(100*time.Millisecond), maxRecovery)
	}
	if got := p2.simCountersOf(t).Routes["POST /youtube/v3/videos/reportAbuse"]; got != 1 {
		t.Errorf("the platform received the report %d times, want once (at most once per attempt)", got)
	}

	// Let the slow platform answer again, and stop cleanly so that the
	// private PostgreSQL stops too.
	p2.setBehaviour(t, "telegram", "recoverprobe/5", `{}`)
	p2.setBehaviour(t, "youtube", "recoverVid1", `{}`)
	if err := p2.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p2.wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("takedown-dev dev exited with %v", err)
		}
	case <-time.After(90 * time.Second):
		t.Errorf("takedown-dev dev did not stop on SIGINT")
	}
}
