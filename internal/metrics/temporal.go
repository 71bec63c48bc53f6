package metrics

import (
	"time"

	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// TemporalHandler is a metrics handler for the Temporal SDK's client and
// workers (temporal_workflow_task_*, temporal_activity_*, temporal_request_*,
// …) that reports into this registry. The returned function flushes and
// stops it.
func (m *Metrics) TemporalHandler() (client.MetricsHandler, func()) {
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: m.Registry})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	return sdktally.NewMetricsHandler(scope), func() { _ = closer.Close() }
}
