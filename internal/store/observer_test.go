package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

type recordingObserver struct {
	mu      sync.Mutex
	sent    []string
	removed []time.Duration
}

func (o *recordingObserver) NoticeSent(p takedown.Platform, channel string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, string(p)+"/"+channel)
}

func (o *recordingObserver) Removed(_ takedown.Platform, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.removed = append(o.removed, d)
}

// TestObserverCountsOnce checks that metrics hear of a notice and a removal
// once each, however often a retried activity records them.
func TestObserverCountsOnce(t *testing.T) {
	ctx := t.Context()
	obs := &recordingObserver{}
	s, err := store.Open(ctx, store.Config{URL: pgtest.URL(t), Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	td := newTakedown(t, s)
	if _, _, err := s.ClaimNotice(ctx, takedown.NoticeClaim{Key: "obs-1", TakedownID: td.ID, Attempt: 1, Channel: "email"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.MarkNoticeSent(ctx, "obs-1", "email", "ref", "<msg@x>", base, takedown.NoticeSent); err != nil {
			t.Fatal(err)
		}
	}
	if len(obs.sent) != 1 || obs.sent[0] != "telegram/email" {
		t.Errorf("NoticeSent calls = %v, want one telegram/email", obs.sent)
	}
	sentAt, removedAt := base, base.Add(90*time.Minute)
	steps := []takedown.Transition{
		{TakedownID: td.ID, EventKey: "notice-1", Kind: "notice_sent", At: sentAt, Status: takedown.StatusNoticeSent, NoticeSentAt: &sentAt},
		{TakedownID: td.ID, EventKey: "removed", Kind: "removed", At: removedAt, Status: takedown.StatusRemoved, RemovedAt: &removedAt},
		{TakedownID: td.ID, EventKey: "removed", Kind: "removed", At: removedAt, Status: takedown.StatusRemoved, RemovedAt: &removedAt},
	}
	for _, st := range steps {
		if _, err := s.RecordTransition(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	if len(obs.removed) != 1 || obs.removed[0] != 90*time.Minute {
		t.Errorf("Removed calls = %v, want one of 1h30m", obs.removed)
	}
	counts, err := s.CountTakedowns(ctx)
	if err != nil || counts["telegram"]["removed"] != 1 {
		t.Errorf("CountTakedowns = %v, %v", counts, err)
	}
}
