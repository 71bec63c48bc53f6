package config

import "fmt"

// DefaultWorkflowCacheSize is how many workflows a worker keeps in memory
// between their tasks unless TAKEDOWN_WORKFLOW_CACHE_SIZE says otherwise.
// Each costs 60 to 90 KB of resident memory (BENCHMARKS.md): with the
// SDK's own default of 10,000, a worker holding 10,000 waiting takedowns
// grew to 649 MB; with 2,000 it stayed at 214 MB. A waiting takedown wakes
// rarely (a probe window ending, a deadline): when it is not in the cache,
// the worker replays its short history (tens of events) first. 2,000 is
// well above the 50 takedowns the benchmark's full run keeps in flight.
const DefaultWorkflowCacheSize = 2000

// LoadWorkflowCacheSize reads TAKEDOWN_WORKFLOW_CACHE_SIZE.
func LoadWorkflowCacheSize(e *Env) int {
	n := e.Int("TAKEDOWN_WORKFLOW_CACHE_SIZE", DefaultWorkflowCacheSize)
	if n < 1 {
		e.Fail(fmt.Errorf("TAKEDOWN_WORKFLOW_CACHE_SIZE: must be at least 1"))
	}
	return n
}
