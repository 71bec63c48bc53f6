package httpx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/httpx"
	"github.com/takedown-oss/takedown/platforms"
)

const secret = "s3cr3t-token"

func TestDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, "0123456789")
	}))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/a?token="+secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpx.Do(srv.Client(), req, 4)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusTooManyRequests || string(resp.Body) != "0123" || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("response = %d %q %v, want 429 with the first 4 bytes", resp.Status, resp.Body, resp.Header)
	}
}

func TestDoNetworkErrorHidesTheURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/a?token="+secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = httpx.Do(http.DefaultClient, req, 1<<10)
	if pe := platforms.Classify(err); err == nil || pe.Kind != platforms.KindTransient || pe.Code != "network" {
		t.Fatalf("err = %v, want transient network", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error carries the URL: %v", err)
	}
}

func TestNetworkError(t *testing.T) {
	cause := errors.New("connection reset")
	uerr := &url.Error{Op: "Get", URL: "https://example.test/?token=" + secret, Err: cause}
	tests := []struct {
		name, what string
		err        error
		want       string
	}{
		{"url error", "", uerr, "transient (network): Get: connection reset"},
		{"url error with what", "look up post", uerr, "transient (network): look up post: Get: connection reset"},
		{"wrapped url error", "", fmt.Errorf("read: %w", uerr), "transient (network): Get: connection reset"},
		{"other error", "read answer", cause, "transient (network): read answer: connection reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := httpx.NetworkError(tt.what, tt.err)
			if err.Error() != tt.want {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
			if !errors.Is(err, cause) {
				t.Errorf("err = %v does not wrap its cause", err)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name, header string
		want         time.Duration
	}{
		{"seconds", "90", 90 * time.Second},
		{"date", "Fri, 14 Mar 2025 15:02:00 GMT", 2 * time.Minute},
		{"absent", "", time.Hour},
		{"unreadable", "soon", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			if got := httpx.RetryAfter(h, now, time.Hour); got != tt.want {
				t.Errorf("RetryAfter(%q) = %s, want %s", tt.header, got, tt.want)
			}
		})
	}
}

// TestDoTellsWhetherTheRequestWasWritten: a failure before the request left
// may be retried freely; one after it was written may have reached the
// server, and only that one is marked so.
func TestDoTellsWhetherTheRequestWasWritten(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	release := make(chan struct{})
	defer close(release)
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
		_ = buf.Flush()
		_ = conn.Close()
	}))
	defer cut.Close()
	answered := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer answered.Close()

	// A dial that never completes, as to a host that drops SYNs.
	stuckDial := &http.Client{Timeout: 100 * time.Millisecond, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}}
	short := &http.Client{Timeout: 200 * time.Millisecond}

	tests := []struct {
		name        string
		client      *http.Client
		url         string
		wantErr     bool
		wantArrived bool
	}{
		{"connection refused", short, closed.URL, true, false},
		{"dial timeout", stuckDial, "http://192.0.2.1/report", true, false},
		{"no answer after the request was written", short, hanging.URL, true, true},
		{"answer cut midway", short, cut.URL, true, true},
		{"an answer, even a 503", short, answered.URL, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, tt.url, strings.NewReader(`{"videoId":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			_, err = httpx.Do(tt.client, req, 1<<10)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := platforms.MayHaveArrived(err); got != tt.wantArrived {
				t.Errorf("MayHaveArrived(%v) = %v, want %v", err, got, tt.wantArrived)
			}
			if err != nil {
				if pe := platforms.Classify(err); pe.Kind != platforms.KindTransient || pe.Code != "network" {
					t.Errorf("classified %s/%s, want transient network", pe.Kind, pe.Code)
				}
			}
		})
	}
}
