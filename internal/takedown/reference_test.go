package takedown_test

import (
	"testing"

	"github.com/takedown-oss/takedown/internal/takedown"
)

func TestNoticeReference(t *testing.T) {
	// sha256("0f8fad5b-d9cb-469f-a165-70867728950e:telegram:1") starts f8e62102f7e8.
	const key = "0f8fad5b-d9cb-469f-a165-70867728950e:telegram:1"
	if got, want := takedown.NoticeReference(key), "TKD-F8E62102F7E8"; got != want {
		t.Errorf("NoticeReference(%q) = %s, want %s", key, got, want)
	}
	if takedown.NoticeReference(key) == takedown.NoticeReference(key[:len(key)-1]+"2") {
		t.Error("two attempts share a reference")
	}
}
