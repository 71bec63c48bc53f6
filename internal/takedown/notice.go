package takedown

import "time"

// Channel is how a notice reaches a platform.
type Channel string

const (
	ChannelAPI    Channel = "api"    // the platform's own reporting API (YouTube reportAbuse)
	ChannelEmail  Channel = "email"  // a designated address agreed with the platform
	ChannelPortal Channel = "portal" // a web form a person fills in; the ticket is recorded by staff
)

// Notice is one outbound takedown notice.
type Notice struct {
	// Key is the idempotency key: takedown id, platform and attempt. The same
	// key is never sent twice.
	Key            string   `json:"key"`
	Content        Content  `json:"content"`
	Category       Category `json:"category"`
	LegalGround    string   `json:"legal_ground"`
	Reference      string   `json:"reference"` // the regulator's own reference number
	Language       string   `json:"language"`  // BCP 47, e.g. "ko"
	EvidenceDigest string   `json:"evidence_digest,omitempty"`
	Note           string   `json:"note,omitempty"`
	Attempt        int      `json:"attempt"`
	// Priority asks for the platform's priority channel (hotline,
	// trusted-flagger route) instead of the ordinary one.
	Priority bool `json:"priority,omitempty"`
	// Kind says where on the escalation ladder this notice is, so that the
	// wording can say "reminder" or "further information".
	Kind NoticeKind `json:"kind,omitempty"`
	// Information is added material: an answer to the platform's question,
	// or an appeal against a rejection. Staff write it for the platform, so
	// unlike Note it is sent.
	Information string `json:"information,omitempty"`
	// FirstReference and FirstSentAt name the first notice of this request
	// (our reference, NoticeReference of its key, and when it left), so that
	// a reminder or an escalation can point the platform at it. Both are
	// optional; without them a notice quotes only the case reference.
	FirstReference string    `json:"first_reference,omitempty"`
	FirstSentAt    time.Time `json:"first_sent_at,omitzero"`
}

// NoticeKind is the role of a notice on the escalation ladder.
type NoticeKind string

const (
	KindNotice   NoticeKind = "notice"    // the first request
	KindReminder NoticeKind = "reminder"  // the deadline passed
	KindPriority NoticeKind = "priority"  // re-sent through the priority channel
	KindFollowUp NoticeKind = "follow_up" // an answer to the platform's question, or more material
	KindAppeal   NoticeKind = "appeal"    // asks the platform to reconsider a rejection
)

// NoticeKinds lists the kinds in ladder order.
var NoticeKinds = []NoticeKind{KindNotice, KindReminder, KindPriority, KindFollowUp, KindAppeal}

// Valid reports whether k is a known kind; the empty kind is a first notice.
func (k NoticeKind) Valid() bool {
	if k == "" {
		return true
	}
	for _, j := range NoticeKinds {
		if k == j {
			return true
		}
	}
	return false
}

// Of is the kind n is sent as: its own, or a first notice when it names
// none (notices recorded before kinds existed).
func (k NoticeKind) Of() NoticeKind {
	if k == "" {
		return KindNotice
	}
	return k
}
