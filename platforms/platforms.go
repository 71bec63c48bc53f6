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

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Submission is what sending a notice returned.
type Submission struct {
	Channel takedown.Channel `json:"channel"`
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

// Sender sends a notice through a platform's channel. It sends exactly once
// per call and never retries internally: retrying is the workflow's job.
type Sender interface {
	Send(ctx context.Context, n takedown.Notice) (Submission, error)
}

// Prober checks whether content is still reachable.
type Prober interface {
	Probe(ctx context.Context, c takedown.Content) (takedown.ProbeResult, error)
}

// Adapter is a platform's sender and prober together.
type Adapter interface {
	Sender
	Prober
}
