package config

import "net/url"

// RedactURL hides a database password before the URL is printed.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unprintable URL)"
	}
	return u.Redacted()
}
