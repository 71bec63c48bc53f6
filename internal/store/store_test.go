package store_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/takedown-oss/takedown/internal/pgtest"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// base is the fixed clock of these tests.
var base = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// newStore opens a store on a fresh database of its own.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), store.Config{URL: pgtest.URL(t), MaxConns: 4})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func newUser(t *testing.T, s *store.Store, name string, role takedown.Role) takedown.User {
	t.Helper()
	u, _, err := s.CreateUser(t.Context(), name, role)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func newItem(t *testing.T, s *store.Store, by uuid.UUID, p takedown.Platform, contentID string) takedown.Item {
	t.Helper()
	it, err := s.CreateItem(t.Context(), store.NewItem{
		URL:       "https://example.test/" + contentID,
		Platform:  p,
		ContentID: contentID,
		Category:  takedown.DeepfakeSexual,
		Note:      "reported by victim",
		CreatedBy: by,
	})
	if err != nil {
		t.Fatalf("CreateItem: %v", err)
	}
	return it
}

// newTakedown creates a user, an item and confirms it.
func newTakedown(t *testing.T, s *store.Store) takedown.Takedown {
	t.Helper()
	u := newUser(t, s, "staff-"+uuid.NewString()[:8], takedown.RoleStaff)
	it := newItem(t, s, u.ID, takedown.Telegram, "chan/"+uuid.NewString()[:8])
	id := uuid.New()
	td, err := s.ConfirmItem(t.Context(), takedown.Confirm{ItemID: it.ID, TakedownID: id, ConfirmedBy: u.ID}, nil)
	if err != nil {
		t.Fatalf("ConfirmItem: %v", err)
	}
	return td
}

func TestOpenFailures(t *testing.T) {
	t.Run("no server gives up after the connect timeout", func(t *testing.T) {
		_, err := store.Open(t.Context(), store.Config{
			URL:            "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1",
			ConnectTimeout: 200 * time.Millisecond,
		})
		if err == nil {
			t.Fatal("Open succeeded without a server")
		}
	})
	t.Run("missing database is not retried", func(t *testing.T) {
		url := pgtest.URL(t)
		i := strings.LastIndex(url, "/")
		j := strings.Index(url, "?")
		missing := url[:i+1] + "no_such_database" + url[j:]
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		_, err := store.Open(ctx, store.Config{URL: missing, ConnectTimeout: time.Hour})
		if err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "3D000") {
			t.Fatalf("Open() error = %v, want an immediate 3D000 (database does not exist)", err)
		}
	})
	t.Run("empty URL", func(t *testing.T) {
		if _, err := store.Open(t.Context(), store.Config{}); err == nil {
			t.Fatal("Open succeeded without a URL")
		}
	})
}

func TestMigrate(t *testing.T) {
	url := pgtest.EmptyURL(t)
	want, err := migrations.Latest()
	if err != nil {
		t.Fatal(err)
	}
	// Every process migrates at startup: the second time finds nothing to do.
	for i := range 2 {
		if err := store.Migrate(t.Context(), url, nil); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	s, err := store.Open(t.Context(), store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got int32
	if err := s.Pool().QueryRow(t.Context(), "SELECT version FROM schema_version").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("schema_version = %d, want %d", got, want)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestUsers(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)

	alice, token, err := s.CreateUser(ctx, "alice", takedown.RoleStaff)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if len(token) != 43 || strings.ContainsAny(token, "+/=") {
		t.Errorf("token %q is not 32 bytes of unpadded base64url", token)
	}
	got, err := s.UserByToken(ctx, token)
	if err != nil {
		t.Fatalf("UserByToken: %v", err)
	}
	if got.ID != alice.ID || got.Name != "alice" || got.Role != takedown.RoleStaff || got.CreatedAt.IsZero() {
		t.Errorf("UserByToken = %+v, want %+v", got, alice)
	}
	var stored []byte
	if err := s.Pool().QueryRow(ctx, "SELECT hash FROM tokens WHERE user_id = $1", alice.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), token) || len(stored) != 32 {
		t.Errorf("tokens.hash holds %d bytes, want a 32-byte hash and never the token", len(stored))
	}

	bobToken := "bob-token-0123456789abcdef"
	bob, err := s.UpsertUserToken(ctx, "bob", takedown.RoleAuditor, bobToken)
	if err != nil {
		t.Fatalf("UpsertUserToken (create): %v", err)
	}
	newToken := "bob-token-rotated-0123456789"
	bob2, err := s.UpsertUserToken(ctx, "bob", takedown.RoleSupervisor, newToken)
	if err != nil {
		t.Fatalf("UpsertUserToken (update): %v", err)
	}
	if bob2.ID != bob.ID || bob2.Role != takedown.RoleSupervisor {
		t.Errorf("upsert changed identity or kept role: %+v then %+v", bob, bob2)
	}
	if u, err := s.UserByToken(ctx, newToken); err != nil || u.Role != takedown.RoleSupervisor {
		t.Errorf("UserByToken(new token) = %+v, %v", u, err)
	}

	errTests := []struct {
		name string
		call func() error
		want error // nil: any error
	}{
		{"duplicate name", func() error { _, _, err := s.CreateUser(ctx, "alice", takedown.RoleAuditor); return err }, takedown.ErrDuplicate},
		{"unknown role", func() error { _, _, err := s.CreateUser(ctx, "carol", "root"); return err }, nil},
		{"empty name", func() error { _, _, err := s.CreateUser(ctx, "", takedown.RoleStaff); return err }, nil},
		{"unknown token", func() error { _, err := s.UserByToken(ctx, "no-such-token-at-all"); return err }, takedown.ErrNotFound},
		{"empty token", func() error { _, err := s.UserByToken(ctx, ""); return err }, takedown.ErrNotFound},
		{"replaced token", func() error { _, err := s.UserByToken(ctx, bobToken); return err }, takedown.ErrNotFound},
		{"short token", func() error {
			_, err := s.UpsertUserToken(ctx, "dave", takedown.RoleStaff, "short")
			return err
		}, nil},
		{"token of another user", func() error {
			_, err := s.UpsertUserToken(ctx, "erin", takedown.RoleStaff, newToken)
			return err
		}, takedown.ErrDuplicate},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("error = %v, want %v", err, cmpOr(tt.want, "an error"))
			}
		})
	}
}

func cmpOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}

func TestItems(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	u := newUser(t, s, "alice", takedown.RoleStaff)

	in := store.NewItem{
		URL: "https://t.me/somechan/42", Platform: takedown.Telegram, ContentID: "somechan/42",
		Category: takedown.NCII, Note: "victim's note", CreatedBy: u.ID,
	}
	it, err := s.CreateItem(ctx, in)
	if err != nil {
		t.Fatalf("CreateItem: %v", err)
	}
	got, err := s.GetItem(ctx, it.ID)
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if got.URL != in.URL || got.Platform != in.Platform || got.ContentID != in.ContentID || got.Category != in.Category ||
		got.Note != in.Note || got.CreatedBy != u.ID || got.Status != takedown.ItemPendingReview || got.TakedownID != nil ||
		!got.CreatedAt.Equal(it.CreatedAt) {
		t.Errorf("GetItem = %+v, created %+v", got, it)
	}

	t.Run("duplicate content", func(t *testing.T) {
		dup := in
		dup.URL = "https://t.me/s/somechan/42" // another form of the same post
		_, err := s.CreateItem(ctx, dup)
		var de *store.DuplicateItemError
		if !errors.Is(err, takedown.ErrDuplicate) || !errors.As(err, &de) {
			t.Fatalf("CreateItem(duplicate) error = %v, want ErrDuplicate and *DuplicateItemError", err)
		}
		if de.ExistingID != it.ID {
			t.Errorf("ExistingID = %s, want %s", de.ExistingID, it.ID)
		}
	})
	t.Run("same content id on another platform", func(t *testing.T) {
		other := in
		other.Platform = takedown.X
		if _, err := s.CreateItem(ctx, other); err != nil {
			t.Errorf("CreateItem: %v", err)
		}
	})
	t.Run("unknown item", func(t *testing.T) {
		if _, err := s.GetItem(ctx, uuid.New()); !errors.Is(err, takedown.ErrNotFound) {
			t.Errorf("GetItem(unknown) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("unknown creator", func(t *testing.T) {
		bad := in
		bad.ContentID, bad.CreatedBy = "somechan/43", uuid.New()
		if _, err := s.CreateItem(ctx, bad); !errors.Is(err, takedown.ErrNotFound) {
			t.Errorf("CreateItem(unknown user) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("missing fields", func(t *testing.T) {
		if _, err := s.CreateItem(ctx, store.NewItem{CreatedBy: u.ID}); err == nil {
			t.Error("CreateItem accepted an empty item")
		}
	})
}

func TestConfirmItem(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	u := newUser(t, s, "alice", takedown.RoleStaff)
	it := newItem(t, s, u.ID, takedown.YouTube, "dQw4w9WgXcQ")
	deadline := base.Add(24 * time.Hour)
	c := takedown.Confirm{ItemID: it.ID, TakedownID: uuid.New(), ConfirmedBy: u.ID, Deadline: &deadline}

	var started []takedown.Takedown
	td, err := s.ConfirmItem(ctx, c, func(_ context.Context, t takedown.Takedown) error {
		started = append(started, t)
		return nil
	})
	if err != nil {
		t.Fatalf("ConfirmItem: %v", err)
	}
	if len(started) != 1 || started[0].ID != c.TakedownID {
		t.Fatalf("start called with %+v, want once with takedown %s", started, c.TakedownID)
	}
	want := takedown.Takedown{
		ID: c.TakedownID, ItemID: it.ID, WorkflowID: takedown.WorkflowID(c.TakedownID),
		Platform: it.Platform, ContentID: it.ContentID, URL: it.URL, Category: it.Category,
		Status: takedown.StatusPending, ConfirmedBy: u.ID,
	}
	if td.ID != want.ID || td.ItemID != want.ItemID || td.WorkflowID != want.WorkflowID || td.Platform != want.Platform ||
		td.ContentID != want.ContentID || td.URL != want.URL || td.Category != want.Category || td.Status != want.Status ||
		td.ConfirmedBy != want.ConfirmedBy || td.Deadline == nil || !td.Deadline.Equal(deadline) {
		t.Errorf("ConfirmItem = %+v, want %+v with deadline %s", td, want, deadline)
	}

	got, err := s.GetTakedown(ctx, td.ID)
	if err != nil {
		t.Fatalf("GetTakedown: %v", err)
	}
	if len(got.Events) != 1 || got.Events[0].Kind != "confirmed" || got.Events[0].Status != takedown.StatusPending ||
		got.Events[0].Detail["confirmed_by"] != u.ID.String() {
		t.Errorf("events = %+v, want one confirmed event", got.Events)
	}
	item, err := s.GetItem(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if item.Status != takedown.ItemConfirmed || item.TakedownID == nil || *item.TakedownID != td.ID {
		t.Errorf("item after confirmation = %+v", item)
	}

	t.Run("twice", func(t *testing.T) {
		again := c
		again.TakedownID = uuid.New()
		calls := 0
		_, err := s.ConfirmItem(ctx, again, func(context.Context, takedown.Takedown) error { calls++; return nil })
		if !errors.Is(err, takedown.ErrConflict) {
			t.Errorf("second ConfirmItem error = %v, want ErrConflict", err)
		}
		if calls != 0 {
			t.Error("start called for an item already confirmed")
		}
	})
	t.Run("unknown item", func(t *testing.T) {
		_, err := s.ConfirmItem(ctx, takedown.Confirm{ItemID: uuid.New(), TakedownID: uuid.New(), ConfirmedBy: u.ID}, nil)
		if !errors.Is(err, takedown.ErrNotFound) {
			t.Errorf("ConfirmItem(unknown) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("unknown takedown", func(t *testing.T) {
		if _, err := s.GetTakedown(ctx, uuid.New()); !errors.Is(err, takedown.ErrNotFound) {
			t.Errorf("GetTakedown(unknown) error = %v, want ErrNotFound", err)
		}
	})
}

func TestConfirmItemStartFails(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	u := newUser(t, s, "alice", takedown.RoleStaff)
	it := newItem(t, s, u.ID, takedown.Meta, "fb/123")
	c := takedown.Confirm{ItemID: it.ID, TakedownID: uuid.New(), ConfirmedBy: u.ID}

	errEngine := errors.New("workflow engine unavailable")
	_, err := s.ConfirmItem(ctx, c, func(context.Context, takedown.Takedown) error { return errEngine })
	if !errors.Is(err, errEngine) {
		t.Fatalf("ConfirmItem error = %v, want the start error", err)
	}
	if _, err := s.GetTakedown(ctx, c.TakedownID); !errors.Is(err, takedown.ErrNotFound) {
		t.Errorf("takedown written although start failed: %v", err)
	}
	var events int
	if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM takedown_events").Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 0 {
		t.Errorf("%d events written although start failed", events)
	}
	if item, _ := s.GetItem(ctx, it.ID); item.Status != takedown.ItemPendingReview {
		t.Errorf("item status = %s, want it still pending review", item.Status)
	}
	if _, err := s.ConfirmItem(ctx, c, nil); err != nil {
		t.Errorf("confirming after a failed start: %v", err)
	}
}

func TestEnsureTakedown(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	u := newUser(t, s, "alice", takedown.RoleStaff)
	it := newItem(t, s, u.ID, takedown.X, "1234567890")
	c := takedown.Confirm{ItemID: it.ID, TakedownID: uuid.New(), ConfirmedBy: u.ID}

	for i := range 2 {
		if err := s.EnsureTakedown(ctx, c); err != nil {
			t.Fatalf("EnsureTakedown #%d: %v", i+1, err)
		}
	}
	td, err := s.GetTakedown(ctx, c.TakedownID)
	if err != nil {
		t.Fatalf("GetTakedown: %v", err)
	}
	if td.ItemID != it.ID || td.URL != it.URL || td.Status != takedown.StatusPending || len(td.Events) != 1 {
		t.Errorf("ensured takedown = %+v", td)
	}
	if item, _ := s.GetItem(ctx, it.ID); item.Status != takedown.ItemConfirmed {
		t.Errorf("item status = %s, want confirmed", item.Status)
	}

	// The usual case: the API's transaction did commit.
	confirmed := newTakedown(t, s)
	if err := s.EnsureTakedown(ctx, takedown.Confirm{ItemID: confirmed.ItemID, TakedownID: confirmed.ID, ConfirmedBy: u.ID}); err != nil {
		t.Errorf("EnsureTakedown of a confirmed takedown: %v", err)
	}

	tests := []struct {
		name string
		c    takedown.Confirm
		want error
	}{
		{"item has another takedown", takedown.Confirm{ItemID: it.ID, TakedownID: uuid.New(), ConfirmedBy: u.ID}, takedown.ErrConflict},
		{"takedown id of another item", takedown.Confirm{ItemID: confirmed.ItemID, TakedownID: c.TakedownID, ConfirmedBy: u.ID}, takedown.ErrConflict},
		{"unknown item", takedown.Confirm{ItemID: uuid.New(), TakedownID: uuid.New(), ConfirmedBy: u.ID}, takedown.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.EnsureTakedown(ctx, tt.c); !errors.Is(err, tt.want) {
				t.Errorf("EnsureTakedown error = %v, want %v", err, tt.want)
			}
		})
	}
}

// The API's confirmation and the workflow's EnsureTakedown of one item
// meet in the database: the workflow starts eagerly and writes within
// milliseconds. Both succeed and leave one takedown, whichever order their
// statements interleave in. A third transaction holds the item so that the
// confirmation takes its lock first and EnsureTakedown arrives while it
// runs, the order that used to deadlock.
func TestConfirmRacingEnsureTakedown(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	u := newUser(t, s, "alice", takedown.RoleStaff)
	it := newItem(t, s, u.ID, takedown.Telegram, "racechan/1")
	c := takedown.Confirm{ItemID: it.ID, TakedownID: uuid.New(), ConfirmedBy: u.ID}

	hold := holdItem(t, s, it.ID)
	confirmed := make(chan error, 1)
	go func() {
		_, err := s.ConfirmItem(ctx, c, nil)
		confirmed <- err
	}()
	waitForLockWaiters(t, s, 1)
	ensured := make(chan error, 1)
	go func() { ensured <- s.EnsureTakedown(ctx, c) }()
	waitForLockWaiters(t, s, 2)
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-confirmed; err != nil {
		t.Errorf("ConfirmItem: %v", err)
	}
	if err := <-ensured; err != nil {
		t.Errorf("EnsureTakedown: %v", err)
	}
	td, err := s.GetTakedown(ctx, c.TakedownID)
	if err != nil {
		t.Fatalf("GetTakedown: %v", err)
	}
	if len(td.Events) != 1 {
		t.Errorf("takedown has %d events, want the one confirmation", len(td.Events))
	}
}

// Two confirmations of one item at once, as two staff clicking together
// do: the second waits for the first and then finds the item confirmed,
// so one takedown is written, with one event and one audit entry, and the
// loser is told why.
func TestConfirmRacingConfirm(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	u := newUser(t, s, "alice", takedown.RoleStaff)
	it := newItem(t, s, u.ID, takedown.X, "1900000000000000001")

	hold := holdItem(t, s, it.ID)
	ids := []uuid.UUID{uuid.New(), uuid.New()}
	errs := make(chan error, len(ids))
	for i, id := range ids {
		entry := store.AuditEntry{ActorID: &u.ID, ActorRole: "staff", Action: "item.confirm", SubjectType: "item", SubjectID: it.ID.String()}
		go func() {
			_, err := s.ConfirmItem(ctx, takedown.Confirm{ItemID: it.ID, TakedownID: id, ConfirmedBy: u.ID}, nil, entry)
			errs <- err
		}()
		waitForLockWaiters(t, s, i+1)
	}
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var won, lost int
	for range ids {
		switch err := <-errs; {
		case err == nil:
			won++
		case errors.Is(err, takedown.ErrConflict) && strings.Contains(err.Error(), "item is confirmed"):
			lost++
		default:
			t.Errorf("ConfirmItem error = %v, want nil for one and a conflict naming the status for the other", err)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("%d confirmations won and %d lost, want one each", won, lost)
	}
	var takedowns, events, audits int
	if err := s.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM takedowns WHERE item_id = $1),
		(SELECT count(*) FROM takedown_events e JOIN takedowns t ON t.id = e.takedown_id WHERE t.item_id = $1),
		(SELECT count(*) FROM audit_log WHERE action = 'item.confirm' AND subject_id = $2)`, it.ID, it.ID.String()).Scan(&takedowns, &events, &audits); err != nil {
		t.Fatal(err)
	}
	if takedowns != 1 || events != 1 || audits != 1 {
		t.Errorf("%d takedowns, %d events, %d audit entries, want one of each", takedowns, events, audits)
	}
}

// holdItem locks an item's row in a transaction the test ends (by rolling
// it back) when it wants the sessions queued behind the lock to go on.
func holdItem(t *testing.T, s *store.Store, id uuid.UUID) pgx.Tx {
	t.Helper()
	hold, err := s.Pool().Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hold.Rollback(context.Background()) })
	if _, err := hold.Exec(t.Context(), `SELECT 1 FROM items WHERE id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}
	return hold
}

// waitForLockWaiters waits until n sessions of this database wait for a lock.
func waitForLockWaiters(t *testing.T, s *store.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions wait for a lock after 10 s, want %d", waiting, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRecordTransition(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	td := newTakedown(t, s)
	ptr := func(tm time.Time) *time.Time { return &tm }
	one := takedown.LevelReminder

	steps := []struct {
		name        string
		tr          takedown.Transition
		wantApplied bool
		check       func(t *testing.T, got takedown.Takedown)
	}{
		{
			name: "notice sent",
			tr: takedown.Transition{EventKey: "notice:1", Kind: "notice_sent", At: base, Status: takedown.StatusNoticeSent,
				NoticeSentAt: ptr(base), Deadline: ptr(base.Add(24 * time.Hour)), Detail: map[string]any{"attempt": 1}},
			wantApplied: true,
			check: func(t *testing.T, got takedown.Takedown) {
				if got.Status != takedown.StatusNoticeSent || !timeIs(got.NoticeSentAt, base) || !timeIs(got.Deadline, base.Add(24*time.Hour)) {
					t.Errorf("after notice: %+v", got)
				}
			},
		},
		{
			name: "retried step changes nothing",
			tr: takedown.Transition{EventKey: "notice:1", Kind: "notice_sent", At: base.Add(time.Minute),
				Status: takedown.StatusRemoved, Closed: true},
			wantApplied: false,
			check: func(t *testing.T, got takedown.Takedown) {
				if got.Status != takedown.StatusNoticeSent || got.ClosedAt != nil {
					t.Errorf("retry was applied: %+v", got)
				}
			},
		},
		{
			name: "reminder keeps the first notice time",
			tr: takedown.Transition{EventKey: "notice:2", Kind: "notice_sent", At: base.Add(25 * time.Hour),
				NoticeSentAt: ptr(base.Add(25 * time.Hour)), EscalationLevel: &one, Deadline: ptr(base.Add(49 * time.Hour))},
			wantApplied: true,
			check: func(t *testing.T, got takedown.Takedown) {
				if !timeIs(got.NoticeSentAt, base) || got.EscalationLevel != 1 || !timeIs(got.Deadline, base.Add(49*time.Hour)) ||
					got.Status != takedown.StatusNoticeSent {
					t.Errorf("after reminder: %+v", got)
				}
			},
		},
		{
			name:        "deadline cleared",
			tr:          takedown.Transition{EventKey: "paused", Kind: "clarification_requested", At: base.Add(26 * time.Hour), ClearDeadline: true},
			wantApplied: true,
			check: func(t *testing.T, got takedown.Takedown) {
				if got.Deadline != nil || got.EscalationLevel != 1 {
					t.Errorf("after clearing the deadline: %+v", got)
				}
			},
		},
		{
			name: "removed and closed",
			tr: takedown.Transition{EventKey: "removed", Kind: "removed", At: base.Add(30 * time.Hour), Status: takedown.StatusRemoved,
				RemovedAt: ptr(base.Add(30 * time.Hour)), Closed: true},
			wantApplied: true,
			check: func(t *testing.T, got takedown.Takedown) {
				if got.Status != takedown.StatusRemoved || !timeIs(got.RemovedAt, base.Add(30*time.Hour)) ||
					!timeIs(got.ClosedAt, base.Add(30*time.Hour)) || !timeIs(got.NoticeSentAt, base) {
					t.Errorf("after removal: %+v", got)
				}
			},
		},
		{
			name: "content came back",
			tr: takedown.Transition{EventKey: "reappeared:1", Kind: "reappeared", At: base.Add(40 * time.Hour),
				Status: takedown.StatusNoticeSent, Reopened: true, EscalationLevel: new(takedown.Level)},
			wantApplied: true,
			check: func(t *testing.T, got takedown.Takedown) {
				if got.Status != takedown.StatusNoticeSent || got.RemovedAt != nil || got.ClosedAt != nil ||
					got.EscalationLevel != 0 || !timeIs(got.NoticeSentAt, base) {
					t.Errorf("after reopening: %+v", got)
				}
			},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.tr.TakedownID = td.ID
			applied, err := s.RecordTransition(ctx, st.tr)
			if err != nil {
				t.Fatalf("RecordTransition: %v", err)
			}
			if applied != st.wantApplied {
				t.Errorf("applied = %v, want %v", applied, st.wantApplied)
			}
			got, err := s.GetTakedown(ctx, td.ID)
			if err != nil {
				t.Fatal(err)
			}
			st.check(t, got)
		})
	}

	got, err := s.GetTakedown(ctx, td.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, ev := range got.Events {
		kinds = append(kinds, string(ev.Kind))
		if i > 0 && ev.Seq <= got.Events[i-1].Seq {
			t.Errorf("events not in seq order: %+v", got.Events)
		}
	}
	wantKinds := "confirmed notice_sent notice_sent clarification_requested removed reappeared"
	if strings.Join(kinds, " ") != wantKinds {
		t.Errorf("event kinds = %v, want %s", kinds, wantKinds)
	}
	if got.Events[1].Detail["attempt"] != float64(1) || !got.Events[1].At.Equal(base) || got.Events[1].Status != takedown.StatusNoticeSent {
		t.Errorf("notice event = %+v", got.Events[1])
	}

	errTests := []struct {
		name string
		tr   takedown.Transition
		want error
	}{
		{"unknown takedown", takedown.Transition{TakedownID: uuid.New(), EventKey: "x", Kind: "x"}, takedown.ErrNotFound},
		{"unknown status", takedown.Transition{TakedownID: td.ID, EventKey: "y", Kind: "y", Status: "gone"}, nil},
		{"no event key", takedown.Transition{TakedownID: td.ID, Kind: "z"}, nil},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.RecordTransition(ctx, tt.tr)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("error = %v, want %v", err, cmpOr(tt.want, "an error"))
			}
		})
	}
}

func timeIs(got *time.Time, want time.Time) bool { return got != nil && got.Equal(want) }

func TestNotices(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	td := newTakedown(t, s)
	other := newTakedown(t, s)
	claim := func(key string, attempt int) takedown.NoticeClaim {
		return takedown.NoticeClaim{Key: key, TakedownID: td.ID, Attempt: attempt, Channel: "email"}
	}

	steps := []struct {
		name        string
		do          func() (takedown.NoticeRecord, bool, error)
		wantClaimed bool
		wantState   takedown.NoticeState
	}{
		{"first claim", func() (takedown.NoticeRecord, bool, error) { return s.ClaimNotice(ctx, claim("k1", 1)) }, true, takedown.NoticeSending},
		{"claim while sending", func() (takedown.NoticeRecord, bool, error) { return s.ClaimNotice(ctx, claim("k1", 1)) }, false, takedown.NoticeSending},
		{"marked uncertain", func() (takedown.NoticeRecord, bool, error) {
			if err := s.MarkNoticeUncertain(ctx, "k1"); err != nil {
				return takedown.NoticeRecord{}, false, err
			}
			return s.ClaimNotice(ctx, claim("k1", 1))
		}, false, takedown.NoticeUncertain},
		{"uncertain twice", func() (takedown.NoticeRecord, bool, error) {
			if err := s.MarkNoticeUncertain(ctx, "k1"); err != nil {
				return takedown.NoticeRecord{}, false, err
			}
			return s.ClaimNotice(ctx, claim("k1", 1))
		}, false, takedown.NoticeUncertain},
		{"another attempt", func() (takedown.NoticeRecord, bool, error) { return s.ClaimNotice(ctx, claim("k2", 2)) }, true, takedown.NoticeSending},
		{"failed send is claimable again", func() (takedown.NoticeRecord, bool, error) {
			if err := s.MarkNoticeFailed(ctx, "k2", "smtp: 451 try later"); err != nil {
				return takedown.NoticeRecord{}, false, err
			}
			return s.ClaimNotice(ctx, takedown.NoticeClaim{Key: "k2", TakedownID: td.ID, Attempt: 2})
		}, true, takedown.NoticeSending},
		{"sent is never claimed again", func() (takedown.NoticeRecord, bool, error) {
			if err := s.MarkNoticeSent(ctx, "k2", "email", "REF-2", "<msg@mail.test>", base, takedown.NoticeSent); err != nil {
				return takedown.NoticeRecord{}, false, err
			}
			return s.ClaimNotice(ctx, claim("k2", 2))
		}, false, takedown.NoticeSent},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			n, claimed, err := st.do()
			if err != nil {
				t.Fatal(err)
			}
			if claimed != st.wantClaimed || n.State != st.wantState {
				t.Errorf("claimed = %v, state = %s; want %v, %s", claimed, n.State, st.wantClaimed, st.wantState)
			}
		})
	}

	list, err := s.ListNotices(ctx, td.ID)
	if err != nil {
		t.Fatalf("ListNotices: %v", err)
	}
	if len(list) != 2 || list[0].Key != "k1" || list[1].Key != "k2" {
		t.Fatalf("ListNotices = %+v, want k1 then k2", list)
	}
	sent := list[1]
	if sent.Attempt != 2 || sent.Channel != "email" || sent.Reference != "REF-2" || sent.PlatformReference != "<msg@mail.test>" ||
		!timeIs(sent.SentAt, base) || sent.Error != "" || sent.TakedownID != td.ID || sent.CreatedAt.IsZero() {
		t.Errorf("sent notice = %+v", sent)
	}

	t.Run("portal case number added later", func(t *testing.T) {
		if _, _, err := s.ClaimNotice(ctx, claim("k3", 3)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkNoticeSent(ctx, "k3", "portal", "REF-3", "", base, takedown.NoticeAwaitingPortal); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkNoticeSent(ctx, "k3", "", "", "CASE-77", base.Add(time.Hour), takedown.NoticeSent); err != nil {
			t.Fatal(err)
		}
		n, claimed, err := s.ClaimNotice(ctx, claim("k3", 3))
		if err != nil || claimed {
			t.Fatalf("ClaimNotice = %v, %v", claimed, err)
		}
		if n.State != takedown.NoticeSent || n.Channel != "portal" || n.Reference != "REF-3" || n.PlatformReference != "CASE-77" {
			t.Errorf("notice = %+v", n)
		}
	})

	errTests := []struct {
		name string
		call func() error
		want error
	}{
		{"sent notice cannot fail", func() error { return s.MarkNoticeFailed(ctx, "k2", "late error") }, takedown.ErrConflict},
		{"sent notice cannot become uncertain", func() error { return s.MarkNoticeUncertain(ctx, "k2") }, takedown.ErrConflict},
		{"uncertain notice cannot fail", func() error { return s.MarkNoticeFailed(ctx, "k1", "x") }, takedown.ErrConflict},
		{"mark unknown sent", func() error {
			return s.MarkNoticeSent(ctx, "nope", "email", "r", "", base, takedown.NoticeSent)
		}, takedown.ErrNotFound},
		{"mark unknown failed", func() error { return s.MarkNoticeFailed(ctx, "nope", "x") }, takedown.ErrNotFound},
		{"mark unknown uncertain", func() error { return s.MarkNoticeUncertain(ctx, "nope") }, takedown.ErrNotFound},
		{"mark sent with a bad state", func() error {
			return s.MarkNoticeSent(ctx, "k2", "email", "r", "", base, takedown.NoticeFailed)
		}, nil},
		{"key of another takedown", func() error {
			_, _, err := s.ClaimNotice(ctx, takedown.NoticeClaim{Key: "k1", TakedownID: other.ID, Attempt: 1})
			return err
		}, takedown.ErrConflict},
		{"unknown takedown", func() error {
			_, _, err := s.ClaimNotice(ctx, takedown.NoticeClaim{Key: "k9", TakedownID: uuid.New(), Attempt: 1})
			return err
		}, takedown.ErrNotFound},
		{"empty key", func() error { _, _, err := s.ClaimNotice(ctx, takedown.NoticeClaim{TakedownID: td.ID}); return err }, nil},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("error = %v, want %v", err, cmpOr(tt.want, "an error"))
			}
		})
	}
}

func TestAppendOnly(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	td := newTakedown(t, s)
	u := newUser(t, s, "sup", takedown.RoleSupervisor)

	entries := []store.AuditEntry{
		{ActorID: &u.ID, ActorRole: string(u.Role), Action: "escalation.approve", SubjectType: "takedown",
			SubjectID: td.ID.String(), Detail: map[string]any{"level": 3}},
		{Action: "takedown.overdue", SubjectType: "takedown", SubjectID: td.ID.String()},
	}
	for _, e := range entries {
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit(%s): %v", e.Action, err)
		}
	}
	if err := s.AppendAudit(ctx, store.AuditEntry{}); err == nil {
		t.Error("AppendAudit accepted an entry without action")
	}
	var n int
	var level float64
	if err := s.Pool().QueryRow(ctx, `SELECT count(*), max((detail->>'level')::float8) FROM audit_log WHERE subject_type = 'takedown'`).Scan(&n, &level); err != nil {
		t.Fatal(err)
	}
	if n != 2 || level != 3 {
		t.Errorf("audit_log has %d rows, level %v; want 2 rows, level 3", n, level)
	}

	for _, sql := range []string{
		"UPDATE audit_log SET action = 'rewritten'",
		"DELETE FROM audit_log",
		"TRUNCATE audit_log",
		"UPDATE takedown_events SET kind = 'rewritten'",
		"DELETE FROM takedown_events",
		"TRUNCATE takedown_events",
	} {
		t.Run(sql, func(t *testing.T) {
			_, err := s.Pool().Exec(ctx, sql)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("error = %v, want the append-only trigger to refuse", err)
			}
		})
	}
}

// seed is a takedown inserted directly, to control the columns lists sort
// and filter on.
type seed struct {
	created    time.Time
	platform   takedown.Platform
	category   takedown.Category // default ncii
	status     takedown.Status   // default pending
	deadline   *time.Time
	noticeSent *time.Time
	removed    *time.Time
	closed     bool
}

// seedTakedowns inserts the seeds and returns them as the store reads them.
func seedTakedowns(t *testing.T, s *store.Store, seeds []seed) []takedown.Takedown {
	t.Helper()
	ctx := t.Context()
	u := newUser(t, s, "seeder-"+uuid.NewString()[:8], takedown.RoleStaff)
	var out []takedown.Takedown
	for i, sd := range seeds {
		itemID, id := uuid.New(), uuid.New()
		content := fmt.Sprintf("seed-%d", i)
		var closedAt *time.Time
		if sd.closed {
			closedAt = &sd.created
		}
		_, err := s.Pool().Exec(ctx, `
			WITH i AS (
				INSERT INTO items (id, url, platform, content_id, category, status, created_by, created_at)
				VALUES ($1, 'https://example.test/'||$4, $3, $4, $11, 'confirmed', $5, $6)
			)
			INSERT INTO takedowns (id, item_id, workflow_id, platform, content_id, url, category, status,
				deadline, confirmed_by, created_at, closed_at, notice_sent_at, removed_at)
			VALUES ($2, $1, $10, $3, $4, 'https://example.test/'||$4, $11, $7, $8, $5, $6, $9, $12, $13)`,
			itemID, id, sd.platform, content, u.ID, sd.created, cmp.Or(sd.status, takedown.StatusPending), sd.deadline,
			closedAt, takedown.WorkflowID(id), cmp.Or(sd.category, takedown.NCII), sd.noticeSent, sd.removed)
		if err != nil {
			t.Fatalf("seed takedown %d: %v", i, err)
		}
		td, err := s.GetTakedown(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, td)
	}
	return out
}

// listAll follows cursors to the end and returns every id in order.
func listAll(t *testing.T, s *store.Store, f store.TakedownFilter) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		list, next, err := s.ListTakedowns(t.Context(), f)
		if err != nil {
			t.Fatalf("ListTakedowns: %v", err)
		}
		if limit := cmp.Or(f.Limit, 50); len(list) > limit {
			t.Fatalf("page of %d rows, limit %d", len(list), limit)
		}
		for _, td := range list {
			ids = append(ids, td.ID)
		}
		if next == "" {
			return ids
		}
		f.Cursor = next
	}
}

func TestListTakedowns(t *testing.T) {
	s := newStore(t)
	ptr := func(tm time.Time) *time.Time { return &tm }
	now := base.Add(100 * time.Hour)
	var seeds []seed
	for i := range 23 {
		sd := seed{
			// Five distinct times: ties that only the id can order.
			created:  base.Add(time.Duration(i%5) * time.Hour),
			platform: takedown.Platforms[i%len(takedown.Platforms)],
		}
		if i%3 == 0 {
			sd.status = takedown.StatusNoticeSent
		}
		switch i % 4 {
		case 0: // overdue
			sd.deadline = ptr(now.Add(-time.Duration(i) * time.Minute))
		case 1: // overdue but closed
			sd.deadline, sd.closed = ptr(now.Add(-time.Hour)), true
		case 2: // not yet due
			sd.deadline = ptr(now.Add(time.Hour))
		}
		seeds = append(seeds, sd)
	}
	all := seedTakedowns(t, s, seeds)

	// The expected orders, computed independently of the SQL.
	newestFirst := func(keep func(i int) bool) []uuid.UUID {
		var idx []int
		for i := range all {
			if keep(i) {
				idx = append(idx, i)
			}
		}
		sortBy(idx, func(a, b int) bool {
			if !all[a].CreatedAt.Equal(all[b].CreatedAt) {
				return all[a].CreatedAt.After(all[b].CreatedAt)
			}
			return strings.Compare(all[a].ID.String(), all[b].ID.String()) > 0
		})
		return idsOf(all, idx)
	}
	var overdueIdx []int
	for i, sd := range seeds {
		if !sd.closed && sd.deadline != nil && sd.deadline.Before(now) {
			overdueIdx = append(overdueIdx, i)
		}
	}
	sortBy(overdueIdx, func(a, b int) bool {
		if !seeds[a].deadline.Equal(*seeds[b].deadline) {
			return seeds[a].deadline.Before(*seeds[b].deadline)
		}
		return strings.Compare(all[a].ID.String(), all[b].ID.String()) < 0
	})

	tests := []struct {
		name string
		f    store.TakedownFilter
		want []uuid.UUID
	}{
		{"all, pages of 4", store.TakedownFilter{Limit: 4}, newestFirst(func(int) bool { return true })},
		{"all, one page", store.TakedownFilter{}, newestFirst(func(int) bool { return true })},
		{"by status", store.TakedownFilter{Status: takedown.StatusNoticeSent, Limit: 2},
			newestFirst(func(i int) bool { return seeds[i].status == takedown.StatusNoticeSent })},
		{"by platform", store.TakedownFilter{Platform: takedown.X, Limit: 3},
			newestFirst(func(i int) bool { return seeds[i].platform == takedown.X })},
		{"by status and platform", store.TakedownFilter{Status: takedown.StatusNoticeSent, Platform: takedown.YouTube, Limit: 1},
			newestFirst(func(i int) bool {
				return seeds[i].status == takedown.StatusNoticeSent && seeds[i].platform == takedown.YouTube
			})},
		{"by category", store.TakedownFilter{Category: takedown.CSAM}, nil},
		{"overdue, pages of 2", store.TakedownFilter{Overdue: true, Now: now, Limit: 2}, idsOf(all, overdueIdx)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listAll(t, s, tt.f)
			if len(tt.want) == 0 && len(got) == 0 {
				return
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ids =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}

	t.Run("cursor survives new rows", func(t *testing.T) {
		first, next, err := s.ListTakedowns(t.Context(), store.TakedownFilter{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		seedTakedowns(t, s, []seed{{created: base.Add(time.Hour * 50), platform: takedown.X}})
		rest := listAll(t, s, store.TakedownFilter{Limit: 5, Cursor: next})
		want := newestFirst(func(int) bool { return true })
		if got := append(idsOf(first, []int{0, 1, 2, 3, 4}), rest...); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("a row created between pages shifted them:\n%v\nwant\n%v", got, want)
		}
	})

	valid := func(overdue bool) string {
		_, next, err := s.ListTakedowns(t.Context(), store.TakedownFilter{Limit: 1, Overdue: overdue, Now: now})
		if err != nil || next == "" {
			t.Fatalf("no cursor: %v", err)
		}
		return next
	}
	badCursors := []struct {
		name    string
		cursor  string
		overdue bool
	}{
		{"not base64", "%%%", false},
		{"not a cursor", "aGVsbG8", false},
		{"bad time", encode("c|yesterday|" + uuid.NewString()), false},
		{"bad id", encode("c|2025-03-01T09:00:00Z|not-a-uuid"), false},
		{"overdue cursor in the newest-first list", valid(true), false},
		{"newest-first cursor in the overdue list", valid(false), true},
	}
	for _, tt := range badCursors {
		t.Run("malformed cursor: "+tt.name, func(t *testing.T) {
			_, _, err := s.ListTakedowns(t.Context(), store.TakedownFilter{Cursor: tt.cursor, Overdue: tt.overdue, Now: now})
			if !errors.Is(err, store.ErrBadCursor) {
				t.Errorf("error = %v, want ErrBadCursor", err)
			}
		})
	}
}

func TestListTakedownsLimits(t *testing.T) {
	s := newStore(t)
	u := newUser(t, s, "bulk", takedown.RoleStaff)
	_, err := s.Pool().Exec(t.Context(), `
		WITH i AS (
			INSERT INTO items (id, url, platform, content_id, category, status, created_by)
			SELECT gen_random_uuid(), 'https://example.test/'||n, 'x', n::text, 'ncii', 'confirmed', $1
			FROM generate_series(1, 205) n
			RETURNING id, content_id
		)
		INSERT INTO takedowns (id, item_id, workflow_id, platform, content_id, url, category, confirmed_by)
		SELECT gen_random_uuid(), i.id, 'wf-'||i.content_id, 'x', i.content_id, 'https://example.test/', 'ncii', $1 FROM i`, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"default", 0, 50},
		{"negative", -1, 50},
		{"capped", 1000, 200},
		{"as asked", 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, next, err := s.ListTakedowns(t.Context(), store.TakedownFilter{Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != tt.want || next == "" {
				t.Errorf("got %d rows (next %q), want %d and a next page", len(list), next, tt.want)
			}
		})
	}
}

func idsOf(tds []takedown.Takedown, idx []int) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(idx))
	for _, i := range idx {
		ids = append(ids, tds[i].ID)
	}
	return ids
}

// sortBy sorts indexes by a less function.
func sortBy(idx []int, less func(a, b int) bool) {
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
}

func encode(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestStatusesMatchSchema fails when a status is added to the domain
// without a migration that lets the database store it.
func TestStatusesMatchSchema(t *testing.T) {
	s := newStore(t)
	td := newTakedown(t, s)
	for _, st := range takedown.Statuses {
		t.Run(string(st), func(t *testing.T) {
			_, err := s.RecordTransition(t.Context(), takedown.Transition{
				TakedownID: td.ID, EventKey: "status:" + string(st), Kind: "status_check", Status: st,
			})
			if err != nil {
				t.Errorf("status %s cannot be stored: %v", st, err)
			}
		})
	}
	if _, err := s.Pool().Exec(t.Context(), "UPDATE takedowns SET status = 'vanished'"); err == nil {
		t.Error("the database accepted an unknown status")
	}
}

func TestComplianceStats(t *testing.T) {
	s := newStore(t)
	ptr := func(d time.Duration) *time.Time { tm := base.Add(d); return &tm }
	seedTakedowns(t, s, []seed{
		// Removed an hour after the notice, within its 24-hour deadline.
		{created: base, platform: takedown.Telegram, status: takedown.StatusRemoved, closed: true,
			noticeSent: ptr(0), removed: ptr(time.Hour), deadline: ptr(24 * time.Hour)},
		// Removed after three hours, past its two-hour deadline.
		{created: base, platform: takedown.Telegram, status: takedown.StatusRemoved, closed: true,
			noticeSent: ptr(0), removed: ptr(3 * time.Hour), deadline: ptr(2 * time.Hour)},
		// Still waiting.
		{created: base.Add(time.Hour), platform: takedown.Telegram, status: takedown.StatusNoticeSent,
			noticeSent: ptr(time.Hour), deadline: ptr(25 * time.Hour)},
		// Geo-restricted, not removed.
		{created: base, platform: takedown.X, category: takedown.CSAM, status: takedown.StatusWithheld, closed: true,
			noticeSent: ptr(0)},
		// Confirmed before the period: not counted.
		{created: base.Add(-time.Hour), platform: takedown.Telegram, status: takedown.StatusRemoved, closed: true,
			noticeSent: ptr(-time.Hour), removed: ptr(0)},
	})
	rows, err := s.ComplianceStats(t.Context(), base, base.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("ComplianceStats: %v", err)
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want telegram/ncii and x/csam: %+v", len(rows), rows)
	}
	tg, x := rows[0], rows[1]
	if tg.Platform != takedown.Telegram || tg.Category != takedown.NCII || tg.Total != 3 || tg.Open != 1 ||
		tg.Removed != 2 || tg.RemovedWithinDeadline != 1 || tg.WithinDeadlineShare != 1.0/3 ||
		tg.Outcomes[takedown.StatusRemoved] != 2 || tg.Outcomes[takedown.StatusNoticeSent] != 1 {
		t.Errorf("telegram row = %+v", tg)
	}
	// Removal took 3600 s and 10800 s: the median lies halfway, the 90th
	// percentile 90% of the way.
	if tg.MedianRemovalSeconds == nil || *tg.MedianRemovalSeconds != 7200 ||
		tg.P90RemovalSeconds == nil || *tg.P90RemovalSeconds != 10080 {
		t.Errorf("removal times = %v, %v; want 7200, 10080", deref(tg.MedianRemovalSeconds), deref(tg.P90RemovalSeconds))
	}
	if x.Platform != takedown.X || x.Total != 1 || x.Open != 0 || x.Removed != 0 || x.Outcomes[takedown.StatusWithheld] != 1 ||
		x.MedianRemovalSeconds != nil || x.WithinDeadlineShare != 0 {
		t.Errorf("x row = %+v", x)
	}

	empty, err := s.ComplianceStats(t.Context(), base.Add(-48*time.Hour), base.Add(-24*time.Hour))
	if err != nil || len(empty) != 0 {
		t.Errorf("ComplianceStats of an empty period = %+v, %v", empty, err)
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// TestRecordTransitionIfStatus: a step guarded by the status it expects
// changes status and deadline only while the takedown is still there; its
// event is recorded either way.
func TestRecordTransitionIfStatus(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	td := newTakedown(t, s)
	dl := base.Add(24 * time.Hour)
	if _, err := s.RecordTransition(ctx, takedown.Transition{TakedownID: td.ID, EventKey: "withdrawn:1", Kind: "withdrawn", At: base,
		Status: takedown.StatusWithdrawn, Closed: true}); err != nil {
		t.Fatal(err)
	}
	applied, err := s.RecordTransition(ctx, takedown.Transition{TakedownID: td.ID, EventKey: "notice:1", Kind: "notice_sent", At: base.Add(time.Hour),
		Status: takedown.StatusNoticeSent, IfStatus: takedown.StatusPending, Deadline: &dl})
	if err != nil || !applied {
		t.Fatalf("guarded step: applied=%v err=%v", applied, err)
	}
	got, err := s.GetTakedown(ctx, td.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != takedown.StatusWithdrawn || got.Deadline != nil || len(got.Events) < 2 || got.Events[len(got.Events)-1].Kind != "notice_sent" {
		t.Errorf("a late notice overwrote the withdrawal: %+v", got)
	}
	// Still in the expected status: applied.
	td2 := newTakedown(t, s)
	if _, err := s.RecordTransition(ctx, takedown.Transition{TakedownID: td2.ID, EventKey: "notice:1", Kind: "notice_sent", At: base,
		Status: takedown.StatusNoticeSent, IfStatus: takedown.StatusPending, Deadline: &dl}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetTakedown(ctx, td2.ID); got.Status != takedown.StatusNoticeSent || !timeIs(got.Deadline, dl) {
		t.Errorf("guarded step not applied: %+v", got)
	}
	// Refusals that retrying cannot change are marked as such.
	if _, err := s.RecordTransition(ctx, takedown.Transition{TakedownID: td2.ID, EventKey: "x", Kind: "x", Status: "nonsense"}); !errors.Is(err, takedown.ErrInvalid) {
		t.Errorf("unknown status: %v", err)
	}
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40P01"}, true}, // deadlock_detected
		{&pgconn.PgError{Code: "40001"}, true}, // serialization_failure
		{&pgconn.PgError{Code: "57P01"}, true}, // admin_shutdown
		{&pgconn.PgError{Code: "57014"}, true}, // query_canceled
		{&pgconn.PgError{Code: "08006"}, true}, // connection_failure
		{fmt.Errorf("confirm: %w", &pgconn.PgError{Code: "40P01"}), true},
		{&pgconn.PgError{Code: "23505"}, false}, // unique_violation
		{&pgconn.PgError{Code: "42P01"}, false}, // undefined_table
		{errors.New("something else"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := store.Unavailable(tt.err); got != tt.want {
			t.Errorf("Unavailable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// A report's and a confirmation's audit entries are written with them, or
// not at all: a duplicate report and a confirmation that rolls back leave
// no entry behind.
func TestAuditWrittenWithTheChange(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	u := newUser(t, s, "alice", takedown.RoleStaff)
	entry := func(action string) *store.AuditEntry {
		return &store.AuditEntry{ActorID: &u.ID, ActorRole: string(u.Role), Action: action, Detail: map[string]any{"k": "v"}}
	}
	n := store.NewItem{URL: "https://t.me/auditchan/1", Platform: takedown.Telegram, ContentID: "auditchan/1",
		Category: takedown.NCII, CreatedBy: u.ID, Audit: entry("item.create")}
	it, err := s.CreateItem(ctx, n)
	if err != nil {
		t.Fatalf("CreateItem: %v", err)
	}
	if _, err := s.CreateItem(ctx, n); !errors.Is(err, takedown.ErrDuplicate) {
		t.Fatalf("second CreateItem: %v, want a duplicate", err)
	}
	c := takedown.Confirm{ItemID: it.ID, TakedownID: uuid.New(), ConfirmedBy: u.ID}
	confirm := *entry("item.confirm")
	confirm.SubjectType, confirm.SubjectID = "item", it.ID.String()
	failing := func(context.Context, takedown.Takedown) error { return errors.New("engine down") }
	if _, err := s.ConfirmItem(ctx, c, failing, confirm); err == nil {
		t.Fatal("ConfirmItem with a failing start succeeded")
	}
	if _, err := s.ConfirmItem(ctx, c, nil, confirm); err != nil {
		t.Fatalf("ConfirmItem: %v", err)
	}
	list, _, err := s.ListAudit(ctx, store.AuditFilter{SubjectType: "item", SubjectID: it.ID.String()})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var got []string
	for _, a := range list {
		got = append(got, a.Action)
		if a.ActorID == nil || *a.ActorID != u.ID || a.ActorRole != "staff" || a.Detail["k"] != "v" {
			t.Errorf("entry %+v", a)
		}
	}
	if strings.Join(got, ",") != "item.create,item.confirm" {
		t.Errorf("audit of the item: %v, want one item.create and one item.confirm", got)
	}
	if _, err := s.CreateItem(ctx, store.NewItem{URL: "https://t.me/auditchan/2", Platform: takedown.Telegram,
		ContentID: "auditchan/2", Category: takedown.NCII, CreatedBy: u.ID, Audit: &store.AuditEntry{}}); err == nil {
		t.Error("an audit entry without an action was accepted")
	}
}

// Retries of one step racing each other record it once; different steps
// racing each other all apply, in the order their events are numbered.
func TestRecordTransitionRacing(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	td := newTakedown(t, s)
	const n = 8
	type outcome struct {
		applied bool
		err     error
	}
	out := make(chan outcome, 2*n)
	for i := range 2 * n {
		go func() {
			tr := takedown.Transition{TakedownID: td.ID, EventKey: "reminder", Kind: takedown.EventSupervisorAlerted}
			if i%2 == 1 {
				lvl := takedown.Level(i)
				tr = takedown.Transition{TakedownID: td.ID, EventKey: fmt.Sprintf("step:%d", i), Kind: takedown.EventLadderStarted,
					EscalationLevel: &lvl, Detail: map[string]any{"level": i}}
			}
			ok, err := s.RecordTransition(ctx, tr)
			out <- outcome{ok, err}
		}()
	}
	applied := 0
	for range 2 * n {
		o := <-out
		if o.err != nil {
			t.Errorf("RecordTransition: %v", o.err)
		}
		if o.applied {
			applied++
		}
	}
	if applied != n+1 {
		t.Errorf("%d transitions applied, want %d: the repeated step once and each other step", applied, n+1)
	}
	after, err := s.GetTakedown(ctx, td.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Events) != n+2 { // and the confirmation
		t.Fatalf("%d events, want %d", len(after.Events), n+2)
	}
	var last takedown.Event
	for _, e := range after.Events {
		if e.Kind == takedown.EventLadderStarted && e.Seq > last.Seq {
			last = e
		}
	}
	if lvl, _ := last.Detail["level"].(float64); int(lvl) != int(after.EscalationLevel) {
		t.Errorf("the last step's event says level %v, the takedown is at %d", last.Detail["level"], after.EscalationLevel)
	}
}

// TestPoolSize: the pool is DefaultMaxConns unless the caller or the URL
// sizes it.
func TestPoolSize(t *testing.T) {
	url := pgtest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, c := range []struct {
		name string
		cfg  store.Config
		want int32
	}{
		{"default", store.Config{URL: url}, store.DefaultMaxConns()},
		{"the caller's", store.Config{URL: url, MaxConns: 3}, 3},
		{"the URL's", store.Config{URL: url + sep + "pool_max_conns=5"}, 5},
	} {
		s, err := store.Open(t.Context(), c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := s.Pool().Stat().MaxConns(); got != c.want {
			t.Errorf("%s pool: %d connections, want %d", c.name, got, c.want)
		}
		s.Close()
	}
	if store.DefaultMaxConns() < 8 {
		t.Errorf("DefaultMaxConns = %d, want at least 8", store.DefaultMaxConns())
	}
}
