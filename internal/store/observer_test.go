package store_test

import (
	"errors"
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

// observedStore is a store whose observer the test reads.
func observedStore(t *testing.T) (*store.Store, *recordingObserver) {
	t.Helper()
	obs := &recordingObserver{}
	s, err := store.Open(t.Context(), store.Config{URL: pgtest.URL(t), Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, obs
}

// TestObserverCountsOnce checks that metrics hear of a notice and a removal
// once each, however often a retried activity records them.
func TestObserverCountsOnce(t *testing.T) {
	ctx := t.Context()
	s, obs := observedStore(t)
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

// RecordNoticeSent marks the notice and records its step at once: both
// or neither. A step the database refuses leaves the claim as it was
// ("sending"), so a retry knows the send's outcome was never recorded,
// and metrics hear of the notice only once it is recorded.
func TestRecordNoticeSent(t *testing.T) {
	ctx := t.Context()
	s, obs := observedStore(t)
	td := newTakedown(t, s)
	if _, _, err := s.ClaimNotice(ctx, takedown.NoticeClaim{Key: "rns-1", TakedownID: td.ID, Attempt: 1, Channel: "email"}); err != nil {
		t.Fatal(err)
	}
	sentAt := base
	deadline := base.Add(24 * time.Hour)
	m := takedown.SentNotice{Key: "rns-1", Channel: "email", Reference: "REF-1", PlatformReference: "<m@x>", SentAt: sentAt, State: takedown.NoticeSent}
	step := takedown.Transition{TakedownID: td.ID, EventKey: "notice:1", Kind: takedown.EventNoticeSent, At: sentAt,
		Status: takedown.StatusNoticeSent, IfStatus: takedown.StatusPending, NoticeSentAt: &sentAt, Deadline: &deadline}

	refused := step
	bad := takedown.Level(-1) // the table refuses it
	refused.EscalationLevel = &bad
	if err := s.RecordNoticeSent(ctx, m, refused); err == nil {
		t.Fatal("RecordNoticeSent with a step the database refuses succeeded")
	}
	if n := noticeState(t, s, "rns-1"); n != takedown.NoticeSending {
		t.Errorf("notice is %s after the step was refused, want still %s", n, takedown.NoticeSending)
	}
	if len(obs.sent) != 0 {
		t.Errorf("NoticeSent observed %v for a notice whose record was undone", obs.sent)
	}

	for range 2 {
		if err := s.RecordNoticeSent(ctx, m, step); err != nil {
			t.Fatalf("RecordNoticeSent: %v", err)
		}
	}
	if n := noticeState(t, s, "rns-1"); n != takedown.NoticeSent {
		t.Errorf("notice is %s, want %s", n, takedown.NoticeSent)
	}
	got, err := s.GetTakedown(ctx, td.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != takedown.StatusNoticeSent || got.NoticeSentAt == nil || !got.NoticeSentAt.Equal(sentAt) ||
		got.Deadline == nil || !got.Deadline.Equal(deadline) || len(got.Events) != 2 {
		t.Errorf("takedown after the notice = %+v, want notice_sent at %s, deadline %s, two events", got, sentAt, deadline)
	}
	if len(obs.sent) != 1 || obs.sent[0] != "telegram/email" {
		t.Errorf("NoticeSent calls = %v, want one telegram/email", obs.sent)
	}

	if err := s.RecordNoticeSent(ctx, takedown.SentNotice{Key: "rns-unknown", State: takedown.NoticeSent}, step); !errors.Is(err, takedown.ErrNotFound) {
		t.Errorf("RecordNoticeSent of an unclaimed key: %v, want ErrNotFound", err)
	}
}

func noticeState(t *testing.T, s *store.Store, key string) takedown.NoticeState {
	t.Helper()
	var st takedown.NoticeState
	if err := s.Pool().QueryRow(t.Context(), `SELECT state FROM notices WHERE idempotency_key = $1`, key).Scan(&st); err != nil {
		t.Fatal(err)
	}
	return st
}
