// Package history exports a takedown's Temporal history and replays it
// against the current workflow code, so an auditor can show that the
// recorded decisions are the ones the code makes. Histories are written in
// the JSON form of `temporal workflow show --output json`, so either tool can
// read what the other wrote.
package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	tdcodec "github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/workflows"
)

// Fetch reads a workflow's whole history from the engine.
func Fetch(ctx context.Context, c client.Client, workflowID, runID string) (*historypb.History, error) {
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read history of %s: %w", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

// Marshal writes h as indented JSON.
func Marshal(h *historypb.History) ([]byte, error) {
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode history: %w", err)
	}
	return append(b, '\n'), nil
}

// Unmarshal reads JSON written by Marshal or by the temporal CLI.
func Unmarshal(b []byte) (*historypb.History, error) {
	h, err := client.HistoryFromJSON(bytes.NewReader(b), client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("decode history: %w", err)
	}
	return h, nil
}

// Decode opens every sealed payload in h in place, for an auditor who may
// read them. Payloads the engine holds unsealed (details a person gave the
// temporal CLI, say) are shown as they are: the export shows what is there.
func Decode(ctx context.Context, h *historypb.History, codec converter.PayloadCodec) error {
	if codec == nil {
		return nil
	}
	err := proxy.VisitPayloads(ctx, h, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			out := make([]*commonpb.Payload, len(ps))
			for i, p := range ps {
				if !tdcodec.Sealed(p) {
					out[i] = p
					continue
				}
				d, err := codec.Decode([]*commonpb.Payload{p})
				if err != nil {
					return nil, err
				}
				out[i] = d[0]
			}
			return out, nil
		},
	})
	if err != nil {
		return fmt.Errorf("decode history payloads: %w", err)
	}
	return nil
}

// NewReplayer returns a replayer that knows every workflow of the system.
// dc must be the converter the history was written with (nil: the default).
func NewReplayer(dc converter.DataConverter) (worker.WorkflowReplayer, error) {
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc})
	if err != nil {
		return nil, fmt.Errorf("create replayer: %w", err)
	}
	r.RegisterWorkflowWithOptions(workflows.Takedown, workflow.RegisterOptions{Name: "Takedown"})
	return r, nil
}

// Replay runs h against the current code; an error means the code would
// decide differently from what the history records.
func Replay(logger *slog.Logger, h *historypb.History, dc converter.DataConverter) error {
	var l tlog.Logger
	if logger != nil {
		l = tlog.NewStructuredLogger(logger)
	}
	r, err := NewReplayer(dc)
	if err != nil {
		return err
	}
	if err := r.ReplayWorkflowHistory(l, h); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}

// Service exports and replays histories from a running engine.
type Service struct {
	Client client.Client
	// Codec opens sealed payloads; nil when payloads are not encrypted.
	Codec interface {
		converter.PayloadCodec
		DataConverter() converter.DataConverter
	}
	Logger *slog.Logger
}

// Runs reads every run of a workflow, oldest first: a takedown that
// continued as new has one history per run, and an audit needs them all.
func Runs(ctx context.Context, c client.Client, workflowID string) ([]Run, error) {
	var runs []Run
	runID := ""
	for {
		h, err := Fetch(ctx, c, workflowID, runID)
		if err != nil {
			return nil, err
		}
		if len(h.Events) == 0 {
			return nil, fmt.Errorf("read history of %s: no events", workflowID)
		}
		first := h.Events[0].GetWorkflowExecutionStartedEventAttributes()
		if runID == "" {
			// The latest run's id is not in its events; ask the engine.
			d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
			if err != nil {
				return nil, fmt.Errorf("describe %s: %w", workflowID, err)
			}
			runID = d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		}
		runs = append(runs, Run{ID: runID, History: h})
		prev := first.GetContinuedExecutionRunId()
		if prev == "" {
			break
		}
		runID = prev
	}
	slices.Reverse(runs)
	return runs, nil
}

// Run is one run's history.
type Run struct {
	ID      string
	History *historypb.History
}

// Export returns one run's history as JSON (runID "" is the latest), with
// its payloads sealed as stored, or opened when decoded is true; and the
// ids of all the workflow's runs, oldest first.
func (s Service) Export(ctx context.Context, workflowID, runID string, decoded bool) ([]byte, []string, error) {
	runs, err := Runs(ctx, s.Client, workflowID)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(runs))
	pick := len(runs) - 1
	for i, r := range runs {
		ids[i] = r.ID
		if r.ID == runID {
			pick = i
		}
	}
	if runID != "" && runs[pick].ID != runID {
		return nil, ids, fmt.Errorf("run %s of %s: %w", runID, workflowID, ErrNoRun)
	}
	h := runs[pick].History
	if decoded && s.Codec != nil {
		if err := Decode(ctx, h, s.Codec); err != nil {
			return nil, nil, err
		}
	}
	b, err := Marshal(h)
	return b, ids, err
}

// ErrNoRun is a run id the workflow does not have.
var ErrNoRun = errors.New("no such run")

// Replay replays every run of the workflow against the current code and
// returns how many events they covered.
func (s Service) Replay(ctx context.Context, workflowID string) (int, error) {
	runs, err := Runs(ctx, s.Client, workflowID)
	if err != nil {
		return 0, err
	}
	var dc converter.DataConverter
	if s.Codec != nil {
		dc = s.Codec.DataConverter()
	}
	events := 0
	for _, r := range runs {
		events += len(r.History.Events)
		if err := Replay(s.Logger, r.History, dc); err != nil {
			return events, fmt.Errorf("run %s: %w", r.ID, err)
		}
	}
	return events, nil
}
