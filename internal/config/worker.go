package config

import "fmt"

// DefaultWorkflowCacheSize is how many workflows a worker keeps in memory
// between their tasks unless TAKEDOWN_WORKFLOW_CACHE_SIZE says otherwise.
// Each costs about 80 KB of resident memory (BENCHMARKS.md), so the SDK's
// own default of 10,000 makes a worker holding 10,000 waiting takedowns
// grow past 800 MB. A waiting takedown wakes rarely (a probe window ending,
// a deadline): when it is not in the cache, the worker replays its short
// history first, which costs milliseconds. 2,000 is well above the
// workflows a worker moves at once in the benchmark's full run.
const DefaultWorkflowCacheSize = 2000

// LoadWorkflowCacheSize reads TAKEDOWN_WORKFLOW_CACHE_SIZE.
func LoadWorkflowCacheSize(e *Env) int {
	n := e.Int("TAKEDOWN_WORKFLOW_CACHE_SIZE", DefaultWorkflowCacheSize)
	if n < 1 {
		e.Fail(fmt.Errorf("TAKEDOWN_WORKFLOW_CACHE_SIZE: must be at least 1"))
	}
	return n
}
