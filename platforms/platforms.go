// Package platforms holds the contract between the takedown workflow's
// activities and the platforms they send notices to: what sending a notice
// returns, the interfaces an adapter satisfies (Sender, Prober, Adapter),
// the typed errors an adapter uses to say whether to give up, wait or try
// again, how far a failed send got, and each platform's channels and route.
// The notices, contents and probe results themselves are the domain's
// (package internal/takedown); this package only speaks them.
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
