package platforms

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"slices"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Mailer sends a notice by e-mail and returns its Message-ID; *mail.Sender
// is one. It is declared here, next to SendRouted, its one user, so that the
// adapters that e-mail notices share one definition.
type Mailer interface {
	SendNotice(ctx context.Context, to string, n takedown.Notice, platformLabel string) (string, error)
}

// Route says which channel, and for e-mail which address, carries a
// platform's ordinary notices and which its priority ones.
type Route struct {
	// Name is the platform as errors name it: "X", "Meta", "Telegram".
	Name            string
	Channel         takedown.Channel
	To              string
	PriorityChannel takedown.Channel
	PriorityTo      string
}

// Pick returns the channel and address for an ordinary or a priority notice.
func (r Route) Pick(priority bool) (takedown.Channel, string) {
	if priority {
		return r.PriorityChannel, r.PriorityTo
	}
	return r.Channel, r.To
}

// Validate checks both of the route's channels against the ones the
// platform takes, and that an e-mail channel has a mailer and an address it
// can send to: a mistake here must stop the worker at start, not fail the
// first notice hours later.
func (r Route) Validate(m Mailer, allowed ...takedown.Channel) error {
	for _, c := range []struct {
		name, to string
		ch       takedown.Channel
	}{{"Channel", r.To, r.Channel}, {"PriorityChannel", r.PriorityTo, r.PriorityChannel}} {
		if !slices.Contains(allowed, c.ch) {
			names := make([]string, len(allowed))
			for i, a := range allowed {
				names[i] = string(a)
			}
			return fmt.Errorf("%s %q: %s takes %s", c.name, c.ch, r.Name, strings.Join(names, " or "))
		}
		if c.ch != takedown.ChannelEmail {
			continue
		}
		if m == nil {
			return fmt.Errorf("%s is email but Mailer is nil", c.name)
		}
		if _, err := netmail.ParseAddress(c.to); err != nil {
			return fmt.Errorf("%s is email but the address %q is not valid: %w", c.name, c.to, err)
		}
	}
	return nil
}

// SendRouted sends n along r, for the platforms whose channels are a portal
// and e-mail. A portal channel sends nothing: the Submission awaits a person
// filing the notice. An e-mail channel has m send it under label (the
// service's name in the e-mail) and records the Message-ID as the
// platform's reference. now stamps SentAt once the notice is out.
//
// The mailer's errors come back wrapped, their classification intact.
func SendRouted(ctx context.Context, r Route, m Mailer, n takedown.Notice, label string, now func() time.Time) (Submission, error) {
	if n.Key == "" {
		return Submission{}, Permanent("invalid_notice", errors.New("notice without idempotency key"))
	}
	ch, to := r.Pick(n.Priority)
	sub := Submission{Channel: ch, Reference: takedown.NoticeReference(n.Key)}
	if ch == takedown.ChannelPortal {
		sub.AwaitingPortal, sub.SentAt = true, now()
		return sub, nil
	}
	if ch != takedown.ChannelEmail {
		// Validate refuses such a route; this keeps a route that skipped it
		// from handing a notice to a mailer that may not exist.
		return Submission{}, Permanent("invalid_channel", fmt.Errorf("%s cannot send through channel %q", r.Name, ch))
	}
	id, err := m.SendNotice(ctx, to, n, label)
	if err != nil {
		return Submission{}, fmt.Errorf("e-mail notice to %s: %w", r.Name, err)
	}
	sub.PlatformReference, sub.SentAt = id, now()
	return sub, nil
}
