package takedown_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// FuzzParseURL checks the properties the rest of the system leans on: a
// parsed Content rebuilds to itself from its URL and from its ID, its URL is a
// plain https URL, and a failure is always one of the two sentinels with a
// short message.
func FuzzParseURL(f *testing.F) {
	for _, tc := range parseURLCases {
		f.Add(tc.in)
		if tc.want.URL != "" {
			f.Add(tc.want.URL)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := takedown.ParseURL(raw)
		if err != nil {
			if !errors.Is(err, takedown.ErrMalformedURL) && !errors.Is(err, takedown.ErrUnsupportedURL) {
				t.Fatalf("ParseURL(%q): error %v wraps neither sentinel", raw, err)
			}
			if c != (takedown.Content{}) {
				t.Fatalf("ParseURL(%q) returned %+v with its error", raw, c)
			}
			// A bounded message cannot be carrying the whole input along.
			if len(err.Error()) > 300 {
				t.Fatalf("ParseURL(%q): error message of %d bytes", raw, len(err.Error()))
			}
			return
		}
		if !c.Platform.Valid() {
			t.Fatalf("ParseURL(%q): invalid platform %q", raw, c.Platform)
		}
		if c.ID == "" {
			t.Fatalf("ParseURL(%q): empty ID", raw)
		}
		checkCanonical(t, c.URL)

		again, err := takedown.ParseURL(c.URL)
		if err != nil {
			t.Fatalf("ParseURL(%q) = %+v, but its URL does not parse: %v", raw, c, err)
		}
		if again != c {
			t.Fatalf("ParseURL(%q) = %+v, but its URL parses to %+v", raw, c, again)
		}

		fromID, err := takedown.ParseContentID(c.Platform, c.ID)
		if err != nil {
			t.Fatalf("ParseURL(%q) = %+v, but ParseContentID refuses its ID: %v", raw, c, err)
		}
		if fromID.Platform != c.Platform || fromID.ID != c.ID {
			t.Fatalf("ParseContentID(%q, %q) = %+v; want the same platform and ID", c.Platform, c.ID, fromID)
		}
		// Facebook and Threads ids leave out the page or user of the
		// reported URL, so only their URLs may differ.
		if fromID.URL != c.URL && !strings.HasPrefix(c.ID, "facebook/") && !strings.HasPrefix(c.ID, "threads/") {
			t.Fatalf("ParseContentID(%q, %q).URL = %q; want %q", c.Platform, c.ID, fromID.URL, c.URL)
		}
		checkCanonical(t, fromID.URL)
	})
}

// checkCanonical asserts that u is a plain https URL: nothing from the input
// that could point a probe or a notice elsewhere.
func checkCanonical(t *testing.T, u string) {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("canonical URL %q does not parse: %v", u, err)
	}
	if p.Scheme != "https" || p.User != nil || p.Port() != "" || p.Fragment != "" || p.Opaque != "" {
		t.Fatalf("canonical URL %q is not a plain https URL", u)
	}
	if strings.ContainsAny(u, " \t\r\n%\\") {
		t.Fatalf("canonical URL %q holds characters no canonical form has", u)
	}
}
