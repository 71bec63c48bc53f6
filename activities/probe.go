package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/takedown-oss/takedown/platforms"
)

// ErrStillPresent is the retryable failure that keeps a probe going: the
// activity's retry policy is the polling schedule, so waiting for removal
// costs no history events however long it takes.
const ErrStillPresent = "still_present"

// ProbeInput names the content to probe.
type ProbeInput struct {
	Content platforms.Content `json:"content"`
	// UntilGone makes a present (or unknown) answer fail the attempt so that
	// the retry policy probes again; without it one answer is returned as is.
	UntilGone bool `json:"until_gone"`
}

// Probe asks the platform whether the content is still reachable.
func (a *Activities) Probe(ctx context.Context, in ProbeInput) (platforms.ProbeResult, error) {
	ad, err := a.adapter(in.Content.Platform)
	if err != nil {
		return platforms.ProbeResult{}, err
	}
	res, err := ad.Probe(ctx, in.Content)
	if err != nil {
		pe := platforms.Classify(err)
		// A probe that the platform refuses (expired token, misconfigured
		// endpoint) is still retried: an operator can fix it while the
		// takedown waits, and giving up would lose the takedown.
		if pe.Kind == platforms.KindRateLimited {
			return platforms.ProbeResult{}, temporal.NewApplicationErrorWithOptions(
				fmt.Sprintf("probe %s: %v", in.Content.Platform, err), "rate_limited",
				temporal.ApplicationErrorOptions{NextRetryDelay: pe.RetryAfter, Cause: err})
		}
		return platforms.ProbeResult{}, fmt.Errorf("probe %s: %w", in.Content.Platform, err)
	}
	if res.CheckedAt.IsZero() {
		res.CheckedAt = a.Now()
	}
	if in.UntilGone && (res.State == platforms.StatePresent || res.State == platforms.StateUnknown) {
		return res, temporal.NewApplicationError(
			fmt.Sprintf("content %s: %s %s", in.Content.Platform, res.State, res.Reason), ErrStillPresent)
	}
	return res, nil
}

// platformError turns a classified adapter failure into the Temporal error
// that makes the workflow do the right thing: give up, wait as long as the
// platform asked, or retry with the usual backoff.
func platformError(op string, err error) error {
	pe := platforms.Classify(err)
	msg := fmt.Sprintf("%s: %v", op, err)
	switch pe.Kind {
	case platforms.KindPermanent:
		return temporal.NewNonRetryableApplicationError(msg, "permanent:"+pe.Code, err)
	case platforms.KindRateLimited:
		return temporal.NewApplicationErrorWithOptions(msg, "rate_limited:"+pe.Code,
			temporal.ApplicationErrorOptions{NextRetryDelay: pe.RetryAfter, Cause: err})
	default:
		return temporal.NewApplicationError(msg, "transient:"+pe.Code, err)
	}
}

func nonRetryable(typ string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), typ, errors.Unwrap(err))
}
