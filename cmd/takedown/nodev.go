//go:build nodev

package main

import (
	"context"
	"errors"
	"io"
)

// The production image is built with -tags nodev: without the embedded
// engine, the Web UI and the benchmark, the binary is a fraction of the
// size, and a deployment cannot start a private engine by mistake.

var errNoDev = errors.New("this build has no embedded engine (built with -tags nodev): use serve, worker and setup against a Temporal cluster")

func runDev(context.Context, []string, func(string) string, io.Writer, io.Writer) error {
	return errNoDev
}

func runBench(context.Context, []string, func(string) string, io.Writer, io.Writer) error {
	return errNoDev
}
