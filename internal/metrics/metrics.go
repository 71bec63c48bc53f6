// Package metrics exports what a takedown deployment does as Prometheus
// metrics: takedowns by status and platform, time to removal, notices sent,
// platform errors and waits, HTTP requests, and the Temporal SDK's own
// metrics through the same registry.
//
// Labels are closed sets only (platform, status, channel, error kind, route
// pattern): never a URL, a content id or anything else a victim could be
// recognised by, and nothing whose number of values grows with the data.
package metrics

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// Metrics is one process's registry and the instruments the application
// records into.
type Metrics struct {
	Registry *prometheus.Registry

	noticesSent   *prometheus.CounterVec
	timeToRemoval *prometheus.HistogramVec
	platformErrs  *prometheus.CounterVec
	waits         *prometheus.CounterVec
	calls         *prometheus.CounterVec
	requests      *prometheus.CounterVec
	reqDuration   *prometheus.HistogramVec
}

// New makes a registry with the Go runtime's and the process's collectors
// and the application's instruments.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		noticesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takedown_notices_sent_total", Help: "Notices recorded as sent (or handed to staff for a portal), by platform and channel.",
		}, []string{"platform", "channel"}),
		timeToRemoval: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "takedown_time_to_removal_seconds", Help: "From the first notice to confirmed removal, by platform.",
			// From seconds (a scaled demonstration policy) to a week.
			Buckets: []float64{1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 48 * 3600, 72 * 3600, 168 * 3600},
		}, []string{"platform"}),
		platformErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takedown_platform_errors_total", Help: "Failed calls to a platform, by platform, operation (send, probe) and kind (permanent, rate_limited, transient).",
		}, []string{"platform", "op", "kind"}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takedown_platform_waits_total", Help: "Times a platform asked us to wait, by platform and reason (rate_limit, quota).",
		}, []string{"platform", "reason"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takedown_platform_calls_total", Help: "Calls to a platform, by platform and operation.",
		}, []string{"platform", "op"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takedown_http_requests_total", Help: "API requests by route pattern and status code.",
		}, []string{"route", "code"}),
		reqDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "takedown_http_request_duration_seconds", Help: "API request duration by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	reg.MustRegister(m.noticesSent, m.timeToRemoval, m.platformErrs, m.waits, m.calls, m.requests, m.reqDuration)
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// NoticeSent counts one notice recorded as sent. It is called by the store
// when a notice changes to sent, once per notice.
func (m *Metrics) NoticeSent(p takedown.Platform, channel string) {
	m.noticesSent.WithLabelValues(string(p), label(channel)).Inc()
}

// Removed records the time from a takedown's first notice to its removal.
func (m *Metrics) Removed(p takedown.Platform, sinceNotice time.Duration) {
	m.timeToRemoval.WithLabelValues(string(p)).Observe(sinceNotice.Seconds())
}

// PlatformCall counts a call to a platform and, when it failed, its kind;
// a request to wait counts as a wait too.
func (m *Metrics) PlatformCall(p takedown.Platform, op string, err error) {
	m.calls.WithLabelValues(string(p), op).Inc()
	if err == nil {
		return
	}
	pe := platforms.Classify(err)
	m.platformErrs.WithLabelValues(string(p), op, string(pe.Kind)).Inc()
	if pe.Kind == platforms.KindRateLimited {
		reason := "rate_limit"
		if strings.Contains(strings.ToLower(pe.Code), "quota") {
			reason = "quota"
		}
		m.waits.WithLabelValues(string(p), reason).Inc()
	}
}

// Request records one API request. route is the mux's pattern
// ("GET /api/v1/takedowns/{id}"), never the path itself.
func (m *Metrics) Request(route string, code int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, statusLabel(code)).Inc()
	m.reqDuration.WithLabelValues(route).Observe(d.Seconds())
}

// label keeps a free-form value from becoming an unbounded label.
func label(s string) string {
	switch s {
	case "api", "email", "portal":
		return s
	case "":
		return "none"
	}
	return "other"
}

func statusLabel(code int) string {
	const digits = "0123456789"
	if code < 100 || code > 999 {
		return "other"
	}
	return string([]byte{digits[code/100], digits[code/10%10], digits[code%10]})
}
