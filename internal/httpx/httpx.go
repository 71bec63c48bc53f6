// Package httpx is the HTTP plumbing the platform adapters and the ISP client
// share: one request with its answer read whole but bounded, network failures
// classified as transient, and no request URL in any error, because those
// URLs hold a content's address or a token and errors end up in logs.
//
// What an answer's status means stays with each caller: every platform
// classifies its own failures.
package httpx

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/takedown-oss/takedown/platforms"
)

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req through hc and reads at most limit bytes of the answer. It
// does not retry: a failure comes back transient for the workflow to decide,
// marked (platforms.WireError) with whether the request had been written to
// the wire, so that a failed dial is told apart from a lost answer.
func Do(hc *http.Client, req *http.Request, limit int64) (Response, error) {
	// Any attempt to write counts, even one that failed midway: the bytes
	// that did leave may be a request the server can act on.
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := hc.Do(req)
	if err != nil {
		if wrote.Load() {
			return Response{}, platforms.SentUnanswered(NetworkError("", err))
		}
		return Response{}, platforms.NeverSent(NetworkError("", err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		// The status line came, the rest did not: an answer that cannot be
		// read is no answer.
		return Response{}, platforms.SentUnanswered(NetworkError("read answer", err))
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// NetworkError classifies a failure to send a request or to read its answer
// as transient ("network"), with the request URL left out; what, unless
// empty, says what was being done ("look up post").
func NetworkError(what string, err error) error {
	err = StripURL(err)
	if what != "" {
		err = fmt.Errorf("%s: %w", what, err)
	}
	return platforms.Transient("network", err)
}

// StripURL drops the URL a *url.Error quotes, keeping its operation and
// cause.
func StripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// RetryAfter is the wait an answer's Retry-After header asks for, or
// fallback when it names none it can read: retrying at once would only be
// refused again.
func RetryAfter(h http.Header, now time.Time, fallback time.Duration) time.Duration {
	if d, ok := ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	return fallback
}
