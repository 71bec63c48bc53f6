package httpx_test

import (
	"errors"
	"fmt"
	"io"
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
