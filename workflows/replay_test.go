package workflows_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/history"
)

// TestReplayStoredHistories replays histories recorded from real takedowns
// (testdata/*.json, in the form `temporal workflow show --output json`
// writes) against the current code: those of the current revision in
// testdata/, those recorded before a change in testdata/<change>/. A change
// that would break takedowns already running fails here; such changes are
// chosen by the run's revision (see the package doc).
func TestReplayStoredHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no stored histories in testdata/")
	}
	older, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Every branch of the takedown has a history recorded from the real
	// engine (internal/e2e, -update-histories) by the current revision.
	for _, branch := range []string{
		"removed-youtube", "removed-telegram", "removed-x", "removed-meta", // each platform
		"withheld", "blocked", "rejected", "withdrawn", "failed", // each ending
		"failed-sends", "approval-without-isp", "clarification", "extension", "appeal",
		"reopened", "portal-refusal-blocked", "continued-run1", "continued-run2",
	} {
		if !slices.Contains(files, filepath.Join("testdata", branch+".json")) {
			t.Errorf("no stored history for the %s branch", branch)
		}
	}
	// The histories are sealed as the engine stores them, with a key kept
	// for this purpose beside them.
	raw, err := os.ReadFile(filepath.Join("testdata", "payload.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := codec.ParseKey(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.New(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, older...) {
		name, _ := filepath.Rel("testdata", f)
		t.Run(name, func(t *testing.T) {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			hist, err := client.HistoryFromJSON(fh, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatalf("read history: %v", err)
			}
			if err := history.Replay(nil, hist, c.DataConverter()); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
