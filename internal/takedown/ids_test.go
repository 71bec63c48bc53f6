package takedown

import (
	"testing"

	"github.com/google/uuid"
)

// TestIDsAreDerived checks what a retried confirmation relies on: the same
// item always gives the same takedown, and references follow the id.
func TestIDsAreDerived(t *testing.T) {
	item := uuid.MustParse("0b6cff50-c90a-543c-aae9-71a09b68c4bc")
	id := IDFor(item)
	if id != IDFor(item) || id == IDFor(uuid.New()) || id == item {
		t.Fatalf("IDFor is not a stable function of the item: %s", id)
	}
	// Fixed by the namespace: changing it would orphan every running workflow.
	if got, want := id.String(), uuid.NewSHA1(uuid.MustParse("6f1c2b4e-8d1a-4f57-9a43-3c1e8b7d2a10"), item[:]).String(); got != want {
		t.Errorf("IDFor = %s, want %s", got, want)
	}
	ref := Reference(uuid.MustParse("1234abcd-ef01-5678-9abc-def012345678"))
	if ref != "TKD-1234ABCDEF01" {
		t.Errorf("Reference = %q", ref)
	}
}
