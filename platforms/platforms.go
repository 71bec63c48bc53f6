// Package platforms holds the contract between the takedown workflow and the
// platforms it sends notices to: what a notice carries, what sending one
// returns, what a probe of the content's status says, and the typed errors an
// adapter uses to tell the workflow whether to give up, wait or try again.
//
// One sub-package per platform (youtube, telegram, x, meta) implements it.
package platforms

import (
	"context"
	"time"
)

// Platform names a platform family the regulator sends notices to.
type Platform string

const (
	YouTube  Platform = "youtube"
	Telegram Platform = "telegram"
	X        Platform = "x"
	Meta     Platform = "meta" // Facebook, Instagram and Threads share one legal channel.
)

// All lists the platforms in a stable order.
var All = []Platform{YouTube, Telegram, X, Meta}

// Valid reports whether p is a platform the system knows.
func (p Platform) Valid() bool {
	for _, q := range All {
		if p == q {
			return true
		}
	}
	return false
}

// Category is the legal category of the reported content.
type Category string

const (
	DeepfakeSexual Category = "deepfake_sexual"
	NCII           Category = "ncii" // non-consensual intimate images
	CSAM           Category = "csam"
	Sextortion     Category = "sextortion"
	OtherIllegal   Category = "other_illegal"
)

// Categories lists the categories in a stable order.
var Categories = []Category{DeepfakeSexual, NCII, CSAM, Sextortion, OtherIllegal}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	for _, d := range Categories {
		if c == d {
			return true
		}
	}
	return false
}

// Content identifies one piece of content on a platform. ID is the normalized
// key (two URL forms of the same content give the same ID); URL is the
// canonical public URL built from it.
type Content struct {
	Platform Platform `json:"platform"`
	ID       string   `json:"content_id"`
	URL      string   `json:"url"`
}

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

// Submission is what sending a notice returned.
type Submission struct {
	Channel Channel `json:"channel"`
	// Reference is ours, always set (YouTube answers 204 with no ticket).
	Reference string `json:"reference"`
	// PlatformReference is the platform's: an e-mail Message-ID, or a portal
	// case number typed in later by staff. Empty when the platform gives none.
	PlatformReference string    `json:"platform_reference,omitempty"`
	SentAt            time.Time `json:"sent_at"`
	// AwaitingPortal is true when nothing was sent automatically: a person
	// must submit the notice through the platform's web portal.
	AwaitingPortal bool `json:"awaiting_portal,omitempty"`
}

// ProbeState is what a probe saw of the content.
type ProbeState string

const (
	StatePresent  ProbeState = "present"
	StateRemoved  ProbeState = "removed"
	StateWithheld ProbeState = "withheld" // geo-restricted in some countries, not removed
	StateUnknown  ProbeState = "unknown"  // the probe could not tell; never read as removed
)

// ProbeResult is one observation of the content's status.
type ProbeResult struct {
	State ProbeState `json:"state"`
	// Countries lists ISO 3166-1 alpha-2 codes where the content is withheld.
	Countries []string `json:"countries,omitempty"`
	// Reason says why, in the platform's words where it gave any
	// ("uploadStatus=rejected rejectionReason=legal", "Post not found", …).
	Reason    string    `json:"reason,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// Sender sends a notice through a platform's channel. It sends exactly once
// per call and never retries internally: retrying is the workflow's job.
type Sender interface {
	Send(ctx context.Context, n Notice) (Submission, error)
}

// Prober checks whether content is still reachable.
type Prober interface {
	Probe(ctx context.Context, c Content) (ProbeResult, error)
}

// Adapter is a platform's sender and prober together.
type Adapter interface {
	Sender
	Prober
}
