package config

import (
	"context"
	"log/slog"
	"strings"
)

// takedownIDs adds takedown_id to every record that names a takedown's
// workflow (the SDK's WorkflowID, or workflow_id), so that an operator can
// follow one takedown through the logs of every process with one filter.
type takedownIDs struct {
	slog.Handler
	// found is set when an attribute added with WithAttrs already named it.
	found bool
}

func (h takedownIDs) Handle(ctx context.Context, r slog.Record) error {
	if !h.found {
		var id string
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "takedown_id" {
				id = ""
				return false
			}
			if v, ok := takedownIDOf(a); ok {
				id = v
			}
			return true
		})
		if id != "" {
			r = r.Clone()
			r.AddAttrs(slog.String("takedown_id", id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h takedownIDs) WithAttrs(as []slog.Attr) slog.Handler {
	found := h.found
	var extra []slog.Attr
	for _, a := range as {
		if a.Key == "takedown_id" {
			found = true
		} else if id, ok := takedownIDOf(a); ok && !found {
			extra = append(extra, slog.String("takedown_id", id))
			found = true
		}
	}
	return takedownIDs{Handler: h.Handler.WithAttrs(append(as, extra...)), found: found}
}

func (h takedownIDs) WithGroup(name string) slog.Handler {
	return takedownIDs{Handler: h.Handler.WithGroup(name), found: h.found}
}

func takedownIDOf(a slog.Attr) (string, bool) {
	if a.Key != "WorkflowID" && a.Key != "workflow_id" {
		return "", false
	}
	id, ok := strings.CutPrefix(a.Value.String(), "takedown-")
	return id, ok && id != ""
}
