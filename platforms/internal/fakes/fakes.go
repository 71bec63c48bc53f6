// Package fakes holds the test doubles the platform adapters' tests share: a
// mailer that records the notices it is asked to e-mail, and an HTTP server
// that records the requests it gets and answers each from the test's table.
package fakes

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// MailCall is one notice a Mailer was asked to e-mail.
type MailCall struct {
	To, Label string
	Notice    takedown.Notice
}

// Mailer is a platforms.Mailer that records every call and answers with
// MessageID, or fails with Err when it is set.
type Mailer struct {
	MessageID string
	Err       error

	mu    sync.Mutex
	calls []MailCall
}

var _ platforms.Mailer = (*Mailer)(nil)

// SendNotice records the call and answers as configured.
func (m *Mailer) SendNotice(_ context.Context, to string, n takedown.Notice, label string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, MailCall{To: to, Label: label, Notice: n})
	if m.Err != nil {
		return "", m.Err
	}
	return m.MessageID, nil
}

// Calls returns the calls so far, in order.
func (m *Mailer) Calls() []MailCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]MailCall(nil), m.calls...)
}

// Answer is what a Server says to one request.
type Answer struct {
	Status int
	// ContentType, when set, is sent as the Content-Type header, after Header.
	ContentType string
	Header      map[string]string
	Body        string
}

// Request is what a Server saw of one request.
type Request struct {
	Method string
	URL    *url.URL // as received: RequestURI() is the path and query sent
	Header http.Header
	Body   string
}

// Server is an httptest server that records every request and answers each
// with what its answer function says. A request the function has no answer
// for fails the test and gets 418, so that a stray call cannot pass unseen.
type Server struct {
	*httptest.Server

	mu   sync.Mutex
	reqs []Request
}

// NewServer starts a Server, closed when the test ends. A nil answer
// function expects no request at all.
func NewServer(t *testing.T, answer func(r *http.Request) (Answer, bool)) *Server {
	t.Helper()
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u := *r.URL
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{Method: r.Method, URL: &u, Header: r.Header.Clone(), Body: string(body)})
		s.mu.Unlock()
		var a Answer
		ok := answer != nil
		if ok {
			a, ok = answer(r)
		}
		if !ok {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
			w.WriteHeader(http.StatusTeapot)
			return
		}
		for k, v := range a.Header {
			w.Header().Set(k, v)
		}
		if a.ContentType != "" {
			w.Header().Set("Content-Type", a.ContentType)
		}
		w.WriteHeader(a.Status)
		_, _ = io.WriteString(w, a.Body)
	}))
	t.Cleanup(s.Close)
	return s
}

// Always answers every request with a.
func Always(a Answer) func(*http.Request) (Answer, bool) {
	return func(*http.Request) (Answer, bool) { return a, true }
}

// Requests returns the requests so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}
