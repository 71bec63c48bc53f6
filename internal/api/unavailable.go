package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/workflows"
)

// engineError marks an error that came from the workflow engine, so that
// an unreachable engine is told apart from an unreachable database.
type engineError struct{ err error }

func (e *engineError) Error() string { return e.err.Error() }
func (e *engineError) Unwrap() error { return e.err }

// boundedEngine gives every call to the engine a deadline of its own, so
// that an engine that does not answer costs a request seconds, not minutes:
// the SDK retries an unreachable frontend until its context ends.
type boundedEngine struct {
	Engine
	timeout time.Duration
}

func (b boundedEngine) Start(ctx context.Context, workflowID string, in workflows.Input, u workflows.Urgency) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	runID, err := b.Engine.Start(ctx, workflowID, in, u)
	return runID, markEngine(err)
}

// Update is bounded by the request's deadline only: it waits for the
// workflow to take the decision, which takes a workflow task (and a worker
// to run it).
func (b boundedEngine) Update(ctx context.Context, workflowID, updateID, name string, arg any) (workflows.Accepted, error) {
	acc, err := b.Engine.Update(ctx, workflowID, updateID, name, arg)
	return acc, markEngine(err)
}

func (b boundedEngine) Healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return markEngine(b.Engine.Healthy(ctx))
}

func markEngine(err error) error {
	if err == nil || !engineDown(err) {
		return err
	}
	return &engineError{err: err}
}

// engineDown reports whether err says the engine could not be reached or
// did not answer in time.
func engineDown(err error) bool {
	var un *serviceerror.Unavailable
	var de *serviceerror.DeadlineExceeded
	if errors.As(err, &un) || errors.As(err, &de) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok && (s.Code() == codes.Unavailable || s.Code() == codes.DeadlineExceeded) {
			return true
		}
	}
	return false
}

// unavailable turns an error meaning "a part this request needs is down"
// into a 503 that says which part, and nil for any other error.
func unavailable(err error) *Error {
	var ee *engineError
	switch {
	case errors.As(err, &ee):
		return &Error{Status: http.StatusServiceUnavailable, Code: "engine_unavailable",
			Message: "the workflow engine is unavailable; nothing was changed, try again", Err: err}
	case store.Unavailable(err):
		return &Error{Status: http.StatusServiceUnavailable, Code: "database_unavailable",
			Message: "the database is unavailable; try again", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Code: "timeout",
			Message: "the request took too long; try again", Err: err}
	}
	return nil
}
