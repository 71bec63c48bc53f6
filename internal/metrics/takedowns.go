package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CountFunc counts takedowns by platform and status (outer key platform).
type CountFunc func(ctx context.Context) (map[string]map[string]int64, error)

// takedownsCollector reads the count of takedowns per platform and status
// from the database at each scrape: the database is the consistent view,
// and every API process reports the same numbers.
type takedownsCollector struct {
	count  CountFunc
	desc   *prometheus.Desc
	up     *prometheus.Desc
	logger *slog.Logger
}

// RegisterTakedowns adds the gauge takedown_takedowns{platform,status}, read
// with count at every scrape (bounded to 3 s), and takedown_database_up.
func (m *Metrics) RegisterTakedowns(count CountFunc, logger *slog.Logger) {
	m.Registry.MustRegister(&takedownsCollector{
		count:  count,
		desc:   prometheus.NewDesc("takedown_takedowns", "Takedowns by platform and status.", []string{"platform", "status"}, nil),
		up:     prometheus.NewDesc("takedown_database_up", "1 if the last scrape could count takedowns in the database.", nil, nil),
		logger: logger,
	})
}

func (c *takedownsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc; ch <- c.up }

func (c *takedownsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		c.logger.Warn("metrics: count takedowns", "err", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for p, byStatus := range counts {
		for s, n := range byStatus {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), p, s)
		}
	}
}
