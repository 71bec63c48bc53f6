package workers

import "go.temporal.io/sdk/worker"

// SetWorkflowCacheSize bounds how many workflows this process keeps in
// memory between their tasks (the SDK's sticky cache, one for the whole
// process). A workflow evicted from it is rebuilt by replaying its history
// at its next task. It must be called before the first worker starts.
func SetWorkflowCacheSize(n int) { worker.SetStickyWorkflowCacheSize(n) }
