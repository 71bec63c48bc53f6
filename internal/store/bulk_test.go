package store_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

func TestCopyItems(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	u := newUser(t, s, "seeder", takedown.RoleStaff)
	items := make([]store.SeedItem, 3)
	for i := range items {
		id := "seedchan/" + string(rune('1'+i))
		items[i] = store.SeedItem{ID: uuid.New(), NewItem: store.NewItem{
			URL: "https://t.me/" + id, Platform: takedown.Telegram, ContentID: id,
			Category: takedown.NCII, CreatedBy: u.ID}}
	}
	if err := s.CopyItems(ctx, items); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetItem(ctx, items[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentID != "seedchan/3" || got.Platform != takedown.Telegram || got.CreatedBy != u.ID {
		t.Errorf("item = %+v", got)
	}
	// A duplicate fails the whole batch, as COPY does.
	again := []store.SeedItem{{ID: uuid.New(), NewItem: items[0].NewItem}}
	if err := s.CopyItems(ctx, again); err == nil {
		t.Error("a duplicate was copied")
	} else if _, err := s.GetItem(ctx, again[0].ID); !errors.Is(err, takedown.ErrNotFound) {
		t.Errorf("after the failed copy: %v", err)
	}
	if v, err := s.ServerVersion(ctx); err != nil || v == "" {
		t.Errorf("ServerVersion = %q, %v", v, err)
	}
}
