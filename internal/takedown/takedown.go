// Package takedown is the domain every other package speaks: reported
// items and the takedowns that follow them, what happened to each (events,
// transitions, the escalation level), who may do what, the platforms and
// legal categories, the content a URL names (ParseURL, ParseContentID),
// the notices sent and the probes' observations, the regulator's ids and
// references, and the blocking order.
//
// It imports no other package of the project, so that the store, the API,
// the activities, the workflows and the platform adapters can all depend on
// it without depending on one another.
package takedown

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// Role is what a user may do.
type Role string

const (
	RoleStaff      Role = "staff"
	RoleSupervisor Role = "supervisor"
	RoleAuditor    Role = "auditor"
	// RoleAdmin manages accounts and nothing else: an admin can neither
	// act on takedowns nor read them.
	RoleAdmin Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleStaff, RoleSupervisor, RoleAuditor, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleStaff || r == RoleSupervisor || r == RoleAuditor || r == RoleAdmin
}

// User is an authenticated caller. Tokens are never held here: only their hash
// is stored.
type User struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// ItemStatus is where a reported item stands before its takedown starts.
type ItemStatus string

const (
	ItemPendingReview ItemStatus = "pending_review"
	ItemConfirmed     ItemStatus = "confirmed"
)

// Item is one reported URL.
type Item struct {
	ID        uuid.UUID  `json:"id"`
	URL       string     `json:"url"`
	Platform  Platform   `json:"platform"`
	ContentID string     `json:"content_id"`
	Category  Category   `json:"category"`
	Note      string     `json:"note,omitempty"`
	Status    ItemStatus `json:"status"`
	CreatedBy uuid.UUID  `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// TakedownID is set once the item is confirmed.
	TakedownID *uuid.UUID `json:"takedown_id,omitempty"`
}

// Status is where a takedown stands.
type Status string

const (
	StatusPending          Status = "pending"                 // confirmed, notice not yet sent
	StatusNoticeSent       Status = "notice_sent"             // waiting for the platform, probing
	StatusAwaitingPortal   Status = "awaiting_portal"         // a person must file the notice on the platform's portal
	StatusClarification    Status = "clarification_requested" // the platform asked a question; the clock is paused
	StatusAwaitingApproval Status = "awaiting_approval"       // a blocking order waits for a supervisor
	StatusBlocking         Status = "blocking"                // the blocking order was sent; waiting for ISPs
	StatusRemoved          Status = "removed"                 // a probe confirmed the content is gone
	StatusWithheld         Status = "withheld"                // geo-restricted in KR instead of removed
	StatusRejected         Status = "rejected"                // the platform refused (closed once a supervisor decides so)
	StatusBlocked          Status = "blocked"                 // domestic ISPs confirmed blocking
	StatusWithdrawn        Status = "withdrawn"               // staff cancelled
	StatusFailed           Status = "failed"                  // the notice could not be sent at all
)

// Terminal reports whether s ends a takedown.
func (s Status) Terminal() bool {
	switch s {
	case StatusRemoved, StatusWithheld, StatusRejected, StatusBlocked, StatusWithdrawn, StatusFailed:
		return true
	}
	return false
}

// Statuses lists every status, for validating filters.
var Statuses = []Status{StatusPending, StatusNoticeSent, StatusAwaitingPortal,
	StatusClarification, StatusAwaitingApproval, StatusBlocking, StatusRemoved,
	StatusWithheld, StatusRejected, StatusBlocked, StatusWithdrawn, StatusFailed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, t := range Statuses {
		if s == t {
			return true
		}
	}
	return false
}

// Takedown follows one confirmed item until its content is gone.
type Takedown struct {
	ID              uuid.UUID  `json:"id"`
	ItemID          uuid.UUID  `json:"item_id"`
	WorkflowID      string     `json:"workflow_id"`
	Platform        Platform   `json:"platform"`
	ContentID       string     `json:"content_id"`
	URL             string     `json:"url"`
	Category        Category   `json:"category"`
	Status          Status     `json:"status"`
	EscalationLevel Level      `json:"escalation_level"`
	Deadline        *time.Time `json:"deadline,omitempty"`
	ConfirmedBy     uuid.UUID  `json:"confirmed_by"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	NoticeSentAt    *time.Time `json:"notice_sent_at,omitempty"`
	RemovedAt       *time.Time `json:"removed_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	Events          []Event    `json:"events,omitempty"`
}

// Event is one thing that happened to a takedown. Events are append-only.
type Event struct {
	Seq    int64          `json:"seq"`
	At     time.Time      `json:"at"`
	Kind   EventKind      `json:"kind"`
	Status Status         `json:"status,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
}

// Errors the store returns at its boundary, so callers never see pgx.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
	ErrConflict  = errors.New("conflicting state")
	// ErrInvalid is a request the store refuses whatever the moment: a
	// missing field, a value out of range.
	ErrInvalid = errors.New("invalid")
)

// WorkflowID derives a takedown's workflow id from its id, so that starting it
// twice is refused by the engine.
func WorkflowID(takedownID uuid.UUID) string { return "takedown-" + takedownID.String() }

// BlockingOrder asks domestic ISPs to block access to a URL.
type BlockingOrder struct {
	Key        string    `json:"key"`
	TakedownID uuid.UUID `json:"takedown_id"`
	Content    Content   `json:"content"`
	Category   Category  `json:"category"`
	Reference  string    `json:"reference"`
	ApprovedBy uuid.UUID `json:"approved_by"`
	Reason     string    `json:"reason,omitempty"`
}
