package takedown

import (
	"time"

	"github.com/google/uuid"
)

// Confirm asks for an item to become a takedown.
type Confirm struct {
	ItemID      uuid.UUID
	TakedownID  uuid.UUID
	WorkflowID  string
	ConfirmedBy uuid.UUID
	Deadline    *time.Time
}

// Transition is one step of a takedown, written by activities. EventKey makes
// it idempotent: activities are retried, and the same step must not be
// recorded twice.
type Transition struct {
	TakedownID uuid.UUID
	EventKey   string
	Kind       EventKind
	At         time.Time
	Status     Status // "" leaves the status unchanged
	// IfStatus, when set, applies Status and Deadline only if the takedown
	// is still in this status: an activity that ran long (a notice waiting
	// on a platform's quota) must not overwrite what a person decided
	// meanwhile.
	IfStatus        Status
	Detail          map[string]any
	Deadline        *time.Time
	ClearDeadline   bool
	EscalationLevel *Level
	NoticeSentAt    *time.Time
	RemovedAt       *time.Time
	Closed          bool
	// Reopened clears closed_at and removed_at: removed content came back.
	Reopened bool
}

// NoticeState is where one outbound notice stands.
type NoticeState string

const (
	NoticeSending        NoticeState = "sending" // claimed; the send may or may not have happened
	NoticeSent           NoticeState = "sent"
	NoticeFailed         NoticeState = "failed"    // known not delivered; may be claimed again
	NoticeUncertain      NoticeState = "uncertain" // a send died midway; never re-sent for this attempt
	NoticeAwaitingPortal NoticeState = "awaiting_portal"
)

// NoticeClaim reserves an idempotency key before a notice is sent.
type NoticeClaim struct {
	Key        string
	TakedownID uuid.UUID
	Attempt    int
	Channel    string
	Priority   bool
}

// SentNotice is what sending a claimed notice returned. State is sent, or
// awaiting_portal when a person must file it.
type SentNotice struct {
	Key               string
	Channel           string
	Reference         string
	PlatformReference string
	SentAt            time.Time
	State             NoticeState
}

// NoticeRecord is the record of one outbound notice: what was claimed,
// sent and answered (the notice itself is a Notice).
type NoticeRecord struct {
	Key               string      `json:"key"`
	TakedownID        uuid.UUID   `json:"takedown_id"`
	Attempt           int         `json:"attempt"`
	Channel           string      `json:"channel"`
	Priority          bool        `json:"priority"`
	State             NoticeState `json:"state"`
	Reference         string      `json:"reference,omitempty"`
	PlatformReference string      `json:"platform_reference,omitempty"`
	Error             string      `json:"error,omitempty"`
	CreatedAt         time.Time   `json:"created_at"`
	SentAt            *time.Time  `json:"sent_at,omitempty"`
}
