package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// Quota counts what the platforms' allowances pay for; it is the metered
// adapters' observer.
type Quota struct {
	spent    *prometheus.CounterVec
	refused  *prometheus.CounterVec
	refunded *prometheus.CounterVec
	ids      *prometheus.HistogramVec
}

// Quota registers the quota instruments.
func (m *Metrics) Quota() *Quota {
	q := &Quota{
		spent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takedown_quota_units_spent_total", Help: "Quota units (YouTube) or requests (X) spent by this process, by platform and purpose (report, probe).",
		}, []string{"platform", "purpose"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takedown_quota_refused_total", Help: "Calls the quota ledger held back, by platform and purpose.",
		}, []string{"platform", "purpose"}),
		refunded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takedown_quota_units_refunded_total", Help: "Quota units given back because the call they paid for never reached the platform, by platform and purpose; they are also in takedown_quota_units_spent_total.",
		}, []string{"platform", "purpose"}),
		ids: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "takedown_probe_batch_ids", Help: "Content ids one probe call carried, by platform.",
			Buckets: []float64{1, 2, 5, 10, 20, 30, 40, 50, 75, 100},
		}, []string{"platform"}),
	}
	m.Registry.MustRegister(q.spent, q.refused, q.refunded, q.ids)
	return q
}

func (q *Quota) Spent(p takedown.Platform, purpose quota.Purpose, units int) {
	q.spent.WithLabelValues(string(p), string(purpose)).Add(float64(units))
}

func (q *Quota) Refused(p takedown.Platform, purpose quota.Purpose) {
	q.refused.WithLabelValues(string(p), string(purpose)).Inc()
}

func (q *Quota) Refunded(p takedown.Platform, purpose quota.Purpose, units int) {
	q.refunded.WithLabelValues(string(p), string(purpose)).Add(float64(units))
}

func (q *Quota) Batch(p takedown.Platform, ids int) {
	q.ids.WithLabelValues(string(p)).Observe(float64(ids))
}
