package platforms

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind tells the workflow what to do with a failed call.
type ErrorKind string

const (
	// KindPermanent: retrying will not help (rejected, not found, invalid reason).
	KindPermanent ErrorKind = "permanent"
	// KindRateLimited: the platform asked us to wait; RetryAfter says how long.
	KindRateLimited ErrorKind = "rate_limited"
	// KindTransient: a 5xx, a timeout, a reset connection; try again later.
	KindTransient ErrorKind = "transient"
)

// Error is a classified platform failure. Adapters return *Error (possibly
// wrapped) so that activities can turn it into the right Temporal error.
type Error struct {
	Kind ErrorKind
	// RetryAfter is the platform's own wait, for KindRateLimited.
	RetryAfter time.Duration
	// Code is the platform's short error code ("quotaExceeded", "FLOOD_WAIT",
	// "http_503"), safe to log and to show.
	Code string
	Err  error
}

func (e *Error) Error() string {
	s := string(e.Kind)
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Kind == KindRateLimited {
		s += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent classifies err as not worth retrying.
func Permanent(code string, err error) error {
	return &Error{Kind: KindPermanent, Code: code, Err: err}
}

// RateLimited classifies err as a platform-imposed wait of d.
func RateLimited(code string, d time.Duration, err error) error {
	if d < 0 {
		d = 0
	}
	return &Error{Kind: KindRateLimited, Code: code, RetryAfter: d, Err: err}
}

// Transient classifies err as worth retrying after the usual backoff.
func Transient(code string, err error) error {
	return &Error{Kind: KindTransient, Code: code, Err: err}
}

// Classify returns the classified error in err's chain; an unclassified error
// counts as transient, because an unknown failure must not end a takedown.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{Kind: KindTransient, Code: "unclassified", Err: err}
}
