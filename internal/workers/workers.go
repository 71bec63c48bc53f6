// Package workers runs the Temporal workers of a takedown deployment: one
// for the workflows and every activity they run, and one per platform for
// sends and one for probes, which serve the runs started before
// workflows.Revision 2 (they paced a platform by a queue of its own).
package workers

import (
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

// Set is a group of running workers.
type Set struct{ ws []worker.Worker }

// Start registers the workflows and activities and starts polling.
func Start(c client.Client, acts *activities.Activities) (*Set, error) {
	s := &Set{}
	main := worker.New(c, workflows.TaskQueue, worker.Options{
		// A bug in workflow code must fail loudly in tests, but in production
		// a panicking workflow task is retried so a fix can be deployed.
		WorkflowPanicPolicy: worker.BlockWorkflow,
		WorkerStopTimeout:   StopTimeout,
	})
	main.RegisterWorkflowWithOptions(workflows.Takedown, workflow.RegisterOptions{Name: "Takedown"})
	main.RegisterActivity(acts.RecordEvent)
	// On the workflow's own queue the engine hands a send or a probe to
	// this worker with the workflow task that scheduled it, without a trip
	// through matching; a platform's rate is the activities' (acts.Pacer).
	main.RegisterActivity(acts.SendNotice)
	main.RegisterActivity(acts.Probe)
	main.RegisterActivity(acts.SendBlockingOrder)
	main.RegisterActivity(acts.CheckBlocked)
	main.RegisterActivity(acts.BlockingConfigured)
	s.ws = append(s.ws, main)

	// The older runs' queues. Their rate is kept by the activities too,
	// so these workers need none of the engine's.
	for _, p := range takedown.Platforms {
		send := worker.New(c, workflows.SendQueue(p), worker.Options{
			DisableWorkflowWorker: true,
			WorkerStopTimeout:     StopTimeout,
		})
		send.RegisterActivity(acts.SendNotice)
		probe := worker.New(c, workflows.ProbeQueue(p), worker.Options{
			DisableWorkflowWorker: true,
			WorkerStopTimeout:     StopTimeout,
		})
		probe.RegisterActivity(acts.Probe)
		s.ws = append(s.ws, send, probe)
	}
	for i, w := range s.ws {
		if err := w.Start(); err != nil {
			for _, started := range s.ws[:i] {
				started.Stop()
			}
			return nil, fmt.Errorf("start worker: %w", err)
		}
	}
	return s, nil
}

// Stop stops every worker at once, letting running activities finish first;
// it returns within StopTimeout, not one StopTimeout per worker.
func (s *Set) Stop() {
	var wg sync.WaitGroup
	for _, w := range s.ws {
		wg.Go(w.Stop)
	}
	wg.Wait()
}

// StopTimeout is how long running activities get to finish on shutdown: a
// send's whole start-to-close timeout and a little for recording it. A
// shorter one would cut off sends that had begun, and a notice cut off after
// it was written is uncertain for good. Whatever runs the worker (a
// container's stop grace period) must wait at least this long before
// killing it.
const StopTimeout = workflows.SendStartToCloseTimeout + 10*time.Second
