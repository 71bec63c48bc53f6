package platforms

import "errors"

// Delivery says how far a failed send got: whether the platform may have
// the request even though no answer came back.
type Delivery string

const (
	// NotSent: the request never reached the wire (a refused connection, a
	// dial or TLS timeout, a relay that refused the envelope). Sending it
	// again cannot make a duplicate.
	NotSent Delivery = "not_sent"
	// Unanswered: the request was written to the wire (an HTTP request
	// written whole, an e-mail whose DATA had begun) and no answer was read.
	// The platform may have acted on it.
	Unanswered Delivery = "unanswered"
)

// WireError records how far a failed request got. Transports (the HTTP
// helper, the mailer) wrap their failures in one; an adapter that knows
// better wraps again, and the outermost WireError in a chain wins.
type WireError struct {
	Delivery Delivery
	Err      error
}

func (e *WireError) Error() string {
	if e.Err == nil {
		return string(e.Delivery)
	}
	return e.Err.Error()
}

func (e *WireError) Unwrap() error { return e.Err }

// NeverSent marks err as a failure before anything reached the wire.
func NeverSent(err error) error { return &WireError{Delivery: NotSent, Err: err} }

// SentUnanswered marks err as a failure after the request was written and
// before its answer was read.
func SentUnanswered(err error) error { return &WireError{Delivery: Unanswered, Err: err} }

// MayHaveArrived reports whether a failed send may nonetheless have reached
// the platform: only when the outermost WireError in err's chain says the
// request was written and went unanswered. An answer (an HTTP status, an SMTP
// reply) is the platform's word and says no; so does a failure before the
// wire, or one no transport marked (a bad notice, a missing token).
func MayHaveArrived(err error) bool {
	var we *WireError
	return errors.As(err, &we) && we.Delivery == Unanswered
}

// NeverReached reports whether a failed request certainly never reached
// the platform: the outermost WireError in err's chain says it was not
// sent. A platform's answer, an unanswered request, or a failure no
// transport marked may all have reached it.
func NeverReached(err error) bool {
	var we *WireError
	return errors.As(err, &we) && we.Delivery == NotSent
}
