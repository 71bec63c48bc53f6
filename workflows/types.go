package workflows

import (
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// Names of the takedown's updates and query. Human decisions are Updates
// with validators, so the caller learns at once whether the decision was
// accepted.
const (
	QueryState             = "state"
	UpdateRecordReply      = "record_reply"
	UpdateDecideEscalation = "decide_escalation"
	UpdateExtendDeadline   = "extend_deadline"
	UpdateWithdraw         = "withdraw"
	UpdateAddInformation   = "add_information"
)

// Actor is who made a human decision. The API fills it from the
// authenticated caller and signs the decision (see auth.go); the workflow
// checks the role and the signature again in its validators so that no
// other path into the engine can skip the check.
type Actor struct {
	ID   uuid.UUID     `json:"id"`
	Role takedown.Role `json:"role"`
	// IssuedAt is when the API signed the decision; Proof its signature.
	IssuedAt time.Time `json:"issued_at,omitzero"`
	Proof    string    `json:"proof,omitempty"`
}

// ReplyKind is what a platform answered, as recorded by staff.
type ReplyKind string

const (
	// ReplyPortalSubmitted: staff filed the notice on the platform's portal;
	// Ticket holds the case number.
	ReplyPortalSubmitted ReplyKind = "portal_submitted"
	// ReplyClarification: the platform asked a question; the clock pauses
	// until staff answer with add_information.
	ReplyClarification ReplyKind = "clarification_requested"
	// ReplyRejected: the platform refused; a supervisor decides what next.
	ReplyRejected ReplyKind = "rejected"
	// ReplyActionClaimed: the platform says it acted. Only a probe confirms.
	ReplyActionClaimed ReplyKind = "action_claimed"
	// ReplyOther: anything else worth keeping on the record.
	ReplyOther ReplyKind = "other"
)

// Reply records what a platform answered by e-mail or on its portal.
type Reply struct {
	Actor  Actor     `json:"actor"`
	Kind   ReplyKind `json:"kind"`
	Ticket string    `json:"ticket,omitempty"`
	Note   string    `json:"note,omitempty"`
}

// EscalationDecision is a supervisor's answer to a request for an
// access-blocking order, or to a rejection.
type EscalationDecision struct {
	Actor   Actor  `json:"actor"`
	Approve bool   `json:"approve"`
	Reason  string `json:"reason"`
}

// Extension moves the current deadline.
type Extension struct {
	Actor  Actor     `json:"actor"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	// Level, when set, is the rung the person saw: if the takedown moved
	// on before the extension took effect, it is refused rather than
	// applied to a deadline they did not mean.
	Level *takedown.Level `json:"level,omitempty"`
}

// Withdrawal cancels the takedown.
type Withdrawal struct {
	Actor  Actor  `json:"actor"`
	Reason string `json:"reason"`
}

// Information answers a platform's question, or appeals a rejection with
// more material. It goes to the platform as a follow-up notice.
type Information struct {
	Actor Actor  `json:"actor"`
	Text  string `json:"text"`
}

// Input starts one takedown.
type Input struct {
	TakedownID  uuid.UUID         `json:"takedown_id"`
	ItemID      uuid.UUID         `json:"item_id"`
	Content     takedown.Content  `json:"content"`
	Category    takedown.Category `json:"category"`
	Note        string            `json:"note,omitempty"`
	ConfirmedBy uuid.UUID         `json:"confirmed_by"`
	// Reference is the regulator's own reference for the request.
	Reference   string `json:"reference"`
	LegalGround string `json:"legal_ground"`
	Language    string `json:"language"`
	Policy      Policy `json:"policy"`
	// Resume carries the state across continue-as-new.
	Resume *State `json:"resume,omitempty"`
	// Revision is the workflow code's revision the run was started under
	// (Starter.Start and continue-as-new set it to Revision). Changes made
	// since revisions exist are chosen by it: unlike workflow.GetVersion it
	// costs no marker and no search-attribute upsert in every run. Zero is
	// a run started before, whose changes GetVersion still decides.
	Revision int `json:"revision,omitempty"`
}

// Policy is the timing a takedown follows, resolved from the operator's
// policy file when the takedown starts, so that a later change of the file
// does not alter a running takedown's history.
type Policy struct {
	// Deadline runs from the notice to confirmed removal.
	Deadline time.Duration `json:"deadline"`
	// ReminderDeadline runs from the reminder; PriorityDeadline from the
	// notice through the priority channel. After it, a supervisor is asked
	// to approve an access-blocking order.
	ReminderDeadline time.Duration `json:"reminder_deadline"`
	PriorityDeadline time.Duration `json:"priority_deadline"`
	// PortalDeadline is how long staff have to file a portal notice.
	PortalDeadline time.Duration `json:"portal_deadline"`
	// ProbeInitial is the first wait between probes; it grows by
	// ProbeBackoff up to ProbeMax.
	ProbeInitial time.Duration `json:"probe_initial"`
	ProbeMax     time.Duration `json:"probe_max"`
	ProbeBackoff float64       `json:"probe_backoff"`
	// ConfirmGap separates the two probes that must both see the content
	// gone before it counts as removed.
	ConfirmGap time.Duration `json:"confirm_gap"`
	// RecheckAfter is when removed content is checked again; content that
	// came back reopens the takedown. Zero disables the re-check.
	RecheckAfter time.Duration `json:"recheck_after"`
	// EscalateWithheld treats geo-restriction in KR as not enough: the
	// ladder goes on. Otherwise withheld ends the takedown.
	EscalateWithheld bool `json:"escalate_withheld"`
	// MaxEventsPerRun continues the takedown as new once a run's history
	// is this long (0: 1,500, well under the engine's limits).
	MaxEventsPerRun int `json:"max_events_per_run,omitempty"`
	// ProbeSchedule, when on, spaces probes on the platform's grid of
	// slots instead of the backoff, so that one call answers many.
	ProbeSchedule activities.ProbeSchedule `json:"probe_schedule,omitzero"`
}

// Result is how a takedown ended.
type Result struct {
	Status takedown.Status      `json:"status"`
	Probe  takedown.ProbeResult `json:"probe"`
}

// Accepted is what an update answers once the workflow has taken the
// decision: where the takedown stands now. Repeat is true when the same
// update id had already been taken, and nothing was done again.
type Accepted struct {
	Status   takedown.Status `json:"status"`
	Level    takedown.Level  `json:"level"`
	Deadline time.Time       `json:"deadline,omitzero"`
	Repeat   bool            `json:"repeat,omitempty"`
}
