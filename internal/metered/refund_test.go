package metered_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/metered"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/youtube"
)

// A report or probe call that never reached YouTube (nothing listens)
// cost YouTube nothing, so its units go back to the ledger; one that
// YouTube answered, even with an error, stays paid for, as YouTube
// charges for every request it receives.
func TestUnsentCallsAreRefunded(t *testing.T) {
	pacific, _ := time.LoadLocation("America/Los_Angeles")
	r := newRig(t, time.Date(2026, 3, 10, 9, 0, 0, 0, pacific).UTC())
	ctx := context.Background()

	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	inner, err := youtube.New(youtube.Config{BaseURL: deadURL + "/youtube/v3", AccessToken: "test-token", Now: r.clk.Now}, &http.Client{Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	unreachable, err := metered.Wrap(inner, metered.Config{Platform: takedown.YouTube, Ledger: r.ledger, BatchSize: youtube.BatchSize,
		Gather: 20 * time.Millisecond, Observer: r.obs, Now: r.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	_, err = unreachable.Send(ctx, report(1))
	if err == nil || !platforms.NeverReached(err) {
		t.Fatalf("report to a YouTube that is not listening: %v, want a failure that never reached it", err)
	}
	if _, err := unreachable.Probe(ctx, takedown.Content{Platform: takedown.YouTube, ID: videoID(1)}); err == nil || !platforms.NeverReached(err) {
		t.Fatalf("probe of a YouTube that is not listening: %v, want a failure that never reached it", err)
	}
	w := youtubeWindow(t, r)
	if w.Reports != 0 || w.Probes != 0 || w.Calls != 0 || w.Refunded != 51 {
		t.Errorf("window after two unsent calls = %+v, want nothing spent and 51 units refunded", w)
	}
	if r.obs.spent[quota.Report] != 50 || r.obs.refunded[quota.Report] != 50 || r.obs.refunded[quota.Probe] != 1 {
		t.Errorf("observed spent %v, refunded %v; want 50 report units spent and refunded, 1 probe unit refunded", r.obs.spent, r.obs.refunded)
	}

	// A report that goes through (and leaves the adapter holding
	// YouTube's reason list), then YouTube answers every request with a
	// 503: the second report reached it.
	if _, err := r.yt.Send(ctx, report(2)); err != nil {
		t.Fatalf("report: %v", err)
	}
	if err := r.sim.SetBehaviour(takedown.YouTube, "", simulator.Behaviour{FailRate: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.yt.Send(ctx, report(3)); err == nil || platforms.NeverReached(err) {
		t.Fatalf("report answered with a 503: %v, want a failure that reached YouTube", err)
	}
	if w := youtubeWindow(t, r); w.Reports != 100 || w.Refunded != 51 {
		t.Errorf("window after an answered failure = %+v, want both reports' 100 units still spent", w)
	}
}

func youtubeWindow(t *testing.T, r *rig) quota.Window {
	t.Helper()
	st, err := r.ledger.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Platform == takedown.YouTube {
			return s.Window
		}
	}
	t.Fatal("no YouTube window in the ledger's status")
	return quota.Window{}
}
