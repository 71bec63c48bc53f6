package metered_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/metered"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

type freeLedger struct{}

func (freeLedger) Spend(context.Context, takedown.Platform, quota.Purpose, int, int) (quota.Grant, error) {
	return quota.Grant{OK: true}, nil
}
func (freeLedger) Refund(context.Context, takedown.Platform, quota.Grant, quota.Purpose, int, int) error {
	return nil
}
func (freeLedger) Exhausted(context.Context, takedown.Platform) (time.Time, error) {
	return time.Time{}, nil
}

// batcher answers every content present and remembers its calls.
type batcher struct {
	mu    sync.Mutex
	calls [][]string
}

func (b *batcher) Send(context.Context, takedown.Notice) (platforms.Submission, error) {
	return platforms.Submission{}, nil
}
func (b *batcher) Probe(ctx context.Context, c takedown.Content) (takedown.ProbeResult, error) {
	r, err := b.ProbeMany(ctx, []takedown.Content{c})
	if err != nil {
		return takedown.ProbeResult{}, err
	}
	return r[0], nil
}
func (b *batcher) ProbeMany(_ context.Context, cs []takedown.Content) ([]takedown.ProbeResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]string, len(cs))
	out := make([]takedown.ProbeResult, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
		out[i] = takedown.ProbeResult{State: takedown.ProbePresent, Reason: c.ID}
	}
	b.calls = append(b.calls, ids)
	return out, nil
}

func TestBatchesAreFullAndShared(t *testing.T) {
	inner := &batcher{}
	a, err := metered.Wrap(inner, metered.Config{Platform: takedown.YouTube, Ledger: freeLedger{}, BatchSize: 50,
		Gather: 200 * time.Millisecond, Lull: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// 100 probes of 50 contents, each content asked by two takedowns.
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 100 {
		wg.Go(func() {
			id := fmt.Sprint("c", i/2)
			res, err := a.Probe(ctx, takedown.Content{Platform: takedown.YouTube, ID: id})
			if err != nil || res.Reason != id {
				t.Errorf("probe %s: %+v %v", id, res, err)
			}
		})
	}
	wg.Wait()
	ids := 0
	for _, call := range inner.calls {
		seen := map[string]bool{}
		for _, id := range call {
			if seen[id] {
				t.Errorf("%s twice in one call", id)
			}
			seen[id] = true
		}
		if len(call) > 50 {
			t.Errorf("a call of %d ids", len(call))
		}
		ids += len(call)
	}
	// The first call goes once it holds 50 contents, with every takedown
	// of them that had come; one that came after it rides the next call.
	if len(inner.calls) == 0 || len(inner.calls[0]) != 50 || len(inner.calls) > 2 || ids > 100 {
		t.Errorf("%d calls carrying %d ids for 50 contents, want a full first call and at most one more", len(inner.calls), ids)
	}
}

// TestALoneProbeDoesNotWaitForCompany: a probe with no other coming goes
// after the lull, not after the whole gather.
func TestALoneProbeDoesNotWaitForCompany(t *testing.T) {
	inner := &batcher{}
	a, err := metered.Wrap(inner, metered.Config{Platform: takedown.X, Ledger: freeLedger{}, BatchSize: 100, Gather: time.Hour, Lull: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := a.Probe(ctx, takedown.Content{Platform: takedown.X, ID: "1"}); err != nil {
		t.Fatalf("a lone probe waited for the hour's gather: %v", err)
	}
}
