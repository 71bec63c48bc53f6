package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/takedown-oss/takedown/internal/history"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

// waitStatus polls the API until the takedown reaches want.
func waitStatus(t *testing.T, id string, want takedown.Status, within time.Duration) takedown.Takedown {
	t.Helper()
	deadline := time.Now().Add(within)
	var td takedown.Takedown
	for time.Now().Before(deadline) {
		if code := call(t, takedown.RoleAuditor, "GET", "/api/v1/takedowns/"+id, nil, &td); code != http.StatusOK {
			t.Fatalf("get takedown: %d", code)
		}
		if td.Status == want {
			return td
		}
		if td.Status.Terminal() {
			t.Fatalf("takedown ended %s, want %s; events %+v", td.Status, want, td.Events)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("takedown still %s after %s, want %s; events %+v", td.Status, within, want, td.Events)
	return td
}

func TestTakedownEndToEndEveryPlatform(t *testing.T) {
	needStack(t)
	cases := []struct {
		name     string
		url      string
		platform takedown.Platform
		id       string
	}{
		{"youtube watch URL", "https://www.youtube.com/watch?v=e2eYtVid001", takedown.YouTube, "e2eYtVid001"},
		{"telegram post", "https://t.me/E2EChannel/4242", takedown.Telegram, "e2echannel/4242"},
		{"x status", "https://x.com/someone/status/1790000000000000001", takedown.X, "1790000000000000001"},
		{"instagram post", "https://www.instagram.com/p/E2EinstaPost/", takedown.Meta, "instagram/E2EinstaPost"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var it takedown.Item
			if code := call(t, takedown.RoleStaff, "POST", "/api/v1/items",
				map[string]string{"url": tc.url, "category": "deepfake_sexual"}, &it); code != http.StatusCreated {
				t.Fatalf("create item: %d", code)
			}
			if it.Platform != tc.platform || it.ContentID != tc.id || it.Status != takedown.ItemPendingReview {
				t.Fatalf("item = %+v", it)
			}
			var conf struct {
				TakedownID string `json:"takedown_id"`
				WorkflowID string `json:"workflow_id"`
				RunID      string `json:"run_id"`
			}
			if code := call(t, takedown.RoleStaff, "POST", "/api/v1/items/"+it.ID.String()+"/confirm", nil, &conf); code != http.StatusAccepted || conf.RunID == "" {
				t.Fatalf("confirm: %d, run id %q", code, conf.RunID)
			}
			waitStatus(t, conf.TakedownID, takedown.StatusRemoved, 90*time.Second)
			// The workflow ends after re-checking that the content stayed gone.
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var res workflows.Result
			// The run the API named is the one that ran.
			if err := stack.Client.GetWorkflow(ctx, conf.WorkflowID, conf.RunID).Get(ctx, &res); err != nil {
				t.Fatalf("workflow run %s: %v", conf.RunID, err)
			}
			if res.Status != takedown.StatusRemoved {
				t.Errorf("workflow result %s", res.Status)
			}
			var td takedown.Takedown
			call(t, takedown.RoleAuditor, "GET", "/api/v1/takedowns/"+conf.TakedownID, nil, &td)
			if td.Status != takedown.StatusRemoved || td.RemovedAt == nil || td.NoticeSentAt == nil || td.ClosedAt == nil || td.Deadline == nil {
				t.Errorf("takedown = %+v", td)
			}
			var kinds []string
			for _, e := range td.Events {
				kinds = append(kinds, string(e.Kind))
			}
			if got := strings.Join(kinds, ","); got != "confirmed,notice_sent,removed,rechecked" {
				t.Errorf("events = %s, want confirmed,notice_sent,removed,rechecked", got)
			}
			var notices struct {
				Notices []takedown.NoticeRecord `json:"notices"`
			}
			call(t, takedown.RoleAuditor, "GET", "/api/v1/takedowns/"+conf.TakedownID+"/notices", nil, &notices)
			if len(notices.Notices) != 1 || notices.Notices[0].State != takedown.NoticeSent || notices.Notices[0].SentAt == nil ||
				!strings.HasPrefix(notices.Notices[0].Reference, "TKD-") {
				t.Errorf("notices = %+v", notices.Notices)
			}
			if tc.platform != takedown.YouTube && notices.Notices[0].PlatformReference == "" {
				t.Errorf("e-mailed notice without its Message-ID: %+v", notices.Notices[0])
			}
			if n := stack.Simulator.NoticeCount(tc.platform, tc.id); n != 1 {
				t.Errorf("simulator received %d notices, want exactly 1", n)
			}
			desc, err := stack.Client.DescribeWorkflowExecution(ctx, conf.WorkflowID, "")
			if err != nil {
				t.Fatalf("describe workflow: %v", err)
			}
			if s := desc.GetWorkflowExecutionInfo().GetStatus(); s != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				t.Errorf("workflow status = %s", s)
			}
			if n := desc.GetWorkflowExecutionInfo().GetHistoryLength(); n > 40 {
				t.Errorf("happy path took %d history events, want at most 40", n)
			}
			checkHistory(t, conf.WorkflowID, "removed-"+string(tc.platform))
			// The engine stores the content's address sealed; an auditor can
			// ask for it opened.
			sealed := rawGet(t, takedown.RoleAuditor, "/api/v1/takedowns/"+conf.TakedownID+"/history")
			opened := rawGet(t, takedown.RoleAuditor, "/api/v1/takedowns/"+conf.TakedownID+"/history?decoded=true")
			hs, err := history.Unmarshal([]byte(sealed))
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range hs.GetEvents() {
				var ps []*commonpb.Payload
				if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
					ps = a.GetInput().GetPayloads()
				}
				if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
					ps = a.GetInput().GetPayloads()
				}
				if a := ev.GetActivityTaskCompletedEventAttributes(); a != nil {
					ps = a.GetResult().GetPayloads()
				}
				for _, p := range ps {
					if enc := string(p.GetMetadata()["encoding"]); enc != "binary/encrypted" {
						t.Errorf("event %d (%s) stores a %s payload", ev.GetEventId(), ev.GetEventType(), enc)
					}
				}
			}
			h, err := history.Unmarshal([]byte(opened))
			if err != nil {
				t.Fatal(err)
			}
			var in workflows.Input
			start := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
			if err := converter.GetDefaultDataConverter().FromPayload(start, &in); err != nil || in.Content.ID != tc.id {
				t.Errorf("decoded history's input = %+v (%v)", in.Content, err)
			}
			var replay struct {
				Deterministic bool `json:"deterministic"`
				Events        int  `json:"events"`
			}
			if code := call(t, takedown.RoleAuditor, "POST", "/api/v1/takedowns/"+conf.TakedownID+"/replay", nil, &replay); code != 200 || !replay.Deterministic || replay.Events == 0 {
				t.Errorf("replay: %d %+v", code, replay)
			}
		})
	}
}

var updateHistories = flag.Bool("update-histories", false, "write the histories of finished takedowns to workflows/testdata")

// checkHistory replays a finished takedown's real history against the
// current code, and with -update-histories stores it for the replay tests.
func checkHistory(t *testing.T, workflowID, name string) {
	t.Helper()
	waitClosed(t, workflowID)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runs, err := history.Runs(ctx, stack.Client, workflowID)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range runs {
		if err := history.Replay(nil, r.History, stack.Codec.DataConverter()); err != nil {
			t.Fatalf("replay %s run %d: %v", workflowID, i+1, err)
		}
		if !*updateHistories {
			continue
		}
		b, err := history.Marshal(r.History)
		if err != nil {
			t.Fatal(err)
		}
		file := name
		if len(runs) > 1 {
			file = fmt.Sprintf("%s-run%d", name, i+1)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "workflows", "testdata", file+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// rawGet returns a response body as text.
func rawGet(t *testing.T, role takedown.Role, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", stack.APIURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+stack.Tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return string(b)
}
