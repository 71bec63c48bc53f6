package workflows

import (
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// ClockState says whether a clock runs, is paused with time left, or is
// stopped.
type ClockState string

const (
	ClockStopped ClockState = ""
	ClockRunning ClockState = "running"
	ClockPaused  ClockState = "paused"
)

// Clock is one of the takedown's deadlines. Gen changes every time the
// clock is set, so a timer armed for an earlier setting is recognised and
// ignored when it fires.
type Clock struct {
	State ClockState    `json:"state,omitempty"`
	At    time.Time     `json:"at,omitzero"`    // when it ends, while running
	Left  time.Duration `json:"left,omitempty"` // what was left, while paused
	Gen   int           `json:"gen,omitempty"`
}

// Running reports whether the clock will fire.
func (c Clock) Running() bool { return c.State == ClockRunning }

func (c *Clock) start(at time.Time) {
	c.State, c.At, c.Left = ClockRunning, at, 0
	c.Gen++
}

func (c *Clock) stop() {
	if c.State != ClockStopped {
		c.State, c.Left = ClockStopped, 0
		c.Gen++
	}
}

// pause keeps what is left; a clock that has already passed keeps its time.
func (c *Clock) pause(now time.Time) {
	if !c.Running() || !c.At.After(now) {
		return
	}
	c.State, c.Left = ClockPaused, c.At.Sub(now)
	c.Gen++
}

func (c *Clock) resume(now time.Time) {
	if c.State == ClockPaused {
		c.start(now.Add(c.Left))
	}
}

// Request names the decision a person owes the takedown.
type Request string

const (
	RequestNone Request = ""
	// RequestApproveBlocking: a supervisor approves or refuses an
	// access-blocking order.
	RequestApproveBlocking Request = "approve_blocking"
	// RequestDecideRejection: the platform refused; a supervisor accepts
	// the rejection (or approves blocking), or staff appeal with more
	// information.
	RequestDecideRejection Request = "decide_rejection"
	// RequestAnswerClarification: the platform asked a question; staff
	// answer it with add_information.
	RequestAnswerClarification Request = "answer_clarification"
)

// Send is a notice the workflow has decided to send. Its attempt number
// is fixed when it is queued, so its idempotency key is too.
type Send struct {
	Attempt     int                 `json:"attempt"`
	Kind        takedown.NoticeKind `json:"kind"`
	Priority    bool                `json:"priority,omitempty"`
	Information string              `json:"information,omitempty"`
}

// PortalTask is a notice that a person must file on the platform's web
// portal; the ticket number closes it.
type PortalTask struct {
	Attempt int                 `json:"attempt"`
	Kind    takedown.NoticeKind `json:"kind"`
	Due     Clock               `json:"due"`
	Overdue bool                `json:"overdue,omitempty"`
}

// Blocking is where an access-blocking order stands.
type Blocking string

const (
	BlockingNone     Blocking = ""
	BlockingOrdering Blocking = "ordering" // being sent to the ISPs' gateway
	BlockingOrdered  Blocking = "ordered"  // sent; waiting for the domestic probe to see it blocked
)

// Decided remembers a decision taken, by its update id, so that a repeat
// answers as the first did.
type Decided struct {
	ID      string `json:"id"`
	Refused string `json:"refused,omitempty"`
}

// maxDecided bounds the decisions remembered; repeats come within minutes.
const maxDecided = 64

// State is the whole takedown: every decision the workflow makes follows
// from it and the input. It answers the "state" query and continue-as-new
// carries it whole; the activities in flight are restarted from it.
type State struct {
	Status takedown.Status `json:"status"`
	Level  takedown.Level  `json:"level"`
	// Stage is the TakedownStage search attribute last written, carried
	// across continue-as-new with the attribute itself.
	Stage string `json:"stage,omitempty"`
	// Attempt is the number of the last notice queued.
	Attempt int `json:"attempt"`

	// Rung ends the current rung of the ladder, or, after a refused
	// blocking order, the wait before a supervisor is asked again.
	Rung Clock `json:"rung"`
	// Deadline is the removal deadline the compliance figures measure
	// against. It runs from the notice (or the portal filing), pauses
	// while a clarification is pending, and is moved by extensions.
	Deadline Clock `json:"deadline"`
	// Recheck looks at removed content again later.
	Recheck Clock `json:"recheck"`
	// ProbeRetry restarts probing after a probe failed for good.
	ProbeRetry Clock `json:"probe_retry"`
	// FlushRetry writes the projection again after the database stayed
	// unreachable for longer than the bookkeeping activity's budget.
	FlushRetry Clock `json:"flush_retry"`

	// Asked is the decision a person owes the takedown, if any.
	Asked  Request     `json:"asked,omitempty"`
	Portal *PortalTask `json:"portal,omitempty"`
	// Sending holds the notices decided but not yet answered, in order;
	// the first is in flight.
	Sending []Send `json:"sending,omitempty"`
	// Probing is true while a probe for removal should be in flight.
	Probing bool `json:"probing,omitempty"`
	// ProbeSince is when probing for the current notice began: a probe
	// schedule probes densely for a while after it.
	ProbeSince time.Time `json:"probe_since,omitzero"`
	// Rechecking is true while the re-check probe is in flight; Sightings
	// counts re-checks in a row that found the content back.
	Rechecking bool     `json:"rechecking,omitempty"`
	Sightings  int      `json:"sightings,omitempty"`
	Blocking   Blocking `json:"blocking,omitempty"`
	// BlockingAvailable says whether the worker has an ISP channel, asked
	// when a blocking decision is requested.
	BlockingAvailable bool `json:"blocking_available,omitempty"`
	BlockingKnown     bool `json:"blocking_known,omitempty"`
	// Orders counts approved blocking orders; ApprovedBy and
	// ApprovalReason are the last approval's.
	Orders         int       `json:"orders,omitempty"`
	ApprovedBy     uuid.UUID `json:"approved_by,omitzero"`
	ApprovalReason string    `json:"approval_reason,omitempty"`

	PausedFrom  takedown.Status `json:"paused_from,omitempty"`
	Overdue     bool            `json:"overdue"`
	WasOverdue  bool            `json:"was_overdue"`
	Ticket      string          `json:"ticket,omitempty"`
	Reopened    int             `json:"reopened,omitempty"`
	FirstNotice time.Time       `json:"first_notice,omitzero"`
	// FirstReference is our reference of the first notice, quoted by the
	// notices that follow it.
	FirstReference string `json:"first_reference,omitempty"`
	// LastFailure is the last failure the takedown went on from.
	LastFailure string `json:"last_failure,omitempty"`
	// ProjectionErrors counts records the database refused for good.
	ProjectionErrors int `json:"projection_errors,omitempty"`

	Decided []Decided `json:"decided,omitempty"`
	// Seq numbers recorded events so their keys are unique.
	Seq  int  `json:"seq"`
	Done bool `json:"done,omitempty"`
}

// Waiting names what the takedown waits for; "" means nothing would ever
// move it on, which must never happen to a takedown that is not done.
func (s State) Waiting() string {
	switch {
	case s.Done:
		return "done"
	case len(s.Sending) > 0:
		return "notice in flight"
	case s.Blocking == BlockingOrdering:
		return "blocking order in flight"
	case s.Asked != RequestNone:
		return "request: " + string(s.Asked)
	case s.Portal != nil:
		return "request: portal filing"
	case s.Rung.Running():
		return "clock: rung"
	case s.Recheck.Running(), s.Rechecking:
		return "clock: re-check"
	case s.Probing:
		return "probe in flight"
	case s.Blocking == BlockingOrdered:
		return "blocking check in flight"
	case s.ProbeRetry.Running():
		return "clock: probe retry"
	case s.FlushRetry.Running():
		return "clock: projection retry"
	}
	return ""
}

// decided returns the remembered outcome of update id.
func (s State) decided(id string) (Decided, bool) {
	for _, d := range s.Decided {
		if d.ID == id {
			return d, true
		}
	}
	return Decided{}, false
}

func (s *State) remember(d Decided) {
	if d.ID == "" {
		return
	}
	s.Decided = append(s.Decided, d)
	if len(s.Decided) > maxDecided {
		s.Decided = s.Decided[len(s.Decided)-maxDecided:]
	}
}
