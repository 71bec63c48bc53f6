package httpx_test

import (
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/httpx"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 14, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		wantOK bool
	}{
		{"delta seconds", "120", 120 * time.Second, true},
		{"zero", "0", 0, true},
		{"surrounding space", "  30 ", 30 * time.Second, true},
		{"IMF-fixdate", "Fri, 14 Mar 2025 07:30:30 GMT", 150 * time.Second, true},
		{"RFC 850 date", "Friday, 14-Mar-25 07:29:00 GMT", time.Minute, true},
		{"asctime date", "Fri Mar 14 07:28:10 2025", 10 * time.Second, true},
		{"date in the past", "Fri, 14 Mar 2025 07:00:00 GMT", 0, true},
		{"empty", "", 0, false},
		{"negative", "-5", 0, false},
		{"fraction", "1.5", 0, false},
		{"garbage", "soon", 0, false},
		{"overflowing seconds", "99999999999999999999", 0, false},
		{"seconds beyond Duration", "9300000000", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := httpx.ParseRetryAfter(tt.header, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tt.header, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
