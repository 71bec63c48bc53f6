package takedown

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// NoticeReference is our reference for the notice with idempotency key key:
// "TKD-" and the first 12 hex digits of the key's SHA-256, upper-cased. It is
// derived, never random, so that a notice sent again after a crash carries
// the same reference (and the same e-mail Message-ID) as the first try, and
// the platform can tell it is one request. 48 bits keep collisions unlikely
// for many millions of notices while staying short enough to quote by phone.
func NoticeReference(key string) string {
	sum := sha256.Sum256([]byte(key))
	return FormatReference(sum[:])
}

// FormatReference is the one form of the regulator's references, for a
// takedown (its id's bytes, takedown.Reference) as for a notice (its key's
// hash): "TKD-" and the first six bytes in upper-case hex.
func FormatReference(b []byte) string {
	return "TKD-" + strings.ToUpper(hex.EncodeToString(b[:min(6, len(b))]))
}
