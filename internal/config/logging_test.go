package config

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	tlog "go.temporal.io/sdk/log"
)

// TestLogsCarryTakedownID checks that a line naming a takedown's workflow,
// as the SDK's activity logger does, gets takedown_id, once.
func TestLogsCarryTakedownID(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(takedownIDs{Handler: slog.NewJSONHandler(&buf, nil)})
	const id = "0b6cff50-c90a-543c-aae9-71a09b68c4bc"

	tlog.NewStructuredLogger(logger).Info("Activity error.", "WorkflowID", "takedown-"+id, "Attempt", 2)
	logger.With("workflow_id", "takedown-"+id).Info("with attrs")
	logger.Info("already named", "takedown_id", id, "workflow_id", "takedown-"+id)
	logger.Info("not a takedown", "WorkflowID", "report-daily")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		want := id
		if i == 3 {
			want = ""
		}
		got, _ := rec["takedown_id"].(string)
		if got != want {
			t.Errorf("line %d: takedown_id %q, want %q: %s", i, got, want, line)
		}
		if n := strings.Count(line, `"takedown_id"`); want != "" && n != 1 {
			t.Errorf("line %d names takedown_id %d times: %s", i, n, line)
		}
	}
}
