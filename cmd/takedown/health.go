package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealth fetches a health URL and fails unless it answers 200: the
// image has no shell or curl, so its health checks run the binary itself.
func runHealth(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: takedown health URL (e.g. http://127.0.0.1:8080/readyz)")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", args[0], resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
