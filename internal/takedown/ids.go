package takedown

import (
	"github.com/google/uuid"
)

// takedownNamespace derives a takedown's id from its item's, so that a
// confirmation retried after a crash finds the same workflow instead of
// starting a second one.
var takedownNamespace = uuid.MustParse("6f1c2b4e-8d1a-4f57-9a43-3c1e8b7d2a10")

// IDFor is the takedown id of an item.
func IDFor(itemID uuid.UUID) uuid.UUID { return uuid.NewSHA1(takedownNamespace, itemID[:]) }

// Reference is the regulator's reference for a takedown, quoted in notices
// and replies (TKD- and the id's first twelve hex digits). Each notice
// also has its own reference, derived from its idempotency key
// (NoticeReference), so that a platform's reply names the notice.
func Reference(takedownID uuid.UUID) string { return FormatReference(takedownID[:]) }
