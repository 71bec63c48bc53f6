package main

import "net/url"

// redactURL hides a database password before the URL is printed.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unprintable URL)"
	}
	return u.Redacted()
}
