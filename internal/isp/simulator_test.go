package isp_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/isp"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestAgainstSimulator checks that the client and the simulator's stand-in
// agree on the wire format: an order is accepted once, and the block is seen
// once the simulated ISPs have acted.
func TestAgainstSimulator(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 10, 1, 0, 0, 0, time.UTC)}
	sim, err := simulator.New(simulator.Config{Now: clk.Now, RemoveAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		srv.Close()
		sim.Close()
	})
	c, err := isp.New(isp.Config{
		OrderURL: srv.URL + "/isp/orders", Token: "gateway-token", VantageURL: srv.URL + "/isp/check", Now: clk.Now,
	}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	content := takedown.Content{Platform: takedown.X, ID: "1880000000000000001", URL: "https://x.com/someone/status/1880000000000000001"}
	o := takedown.BlockingOrder{
		Key: "td-1:blocking:1", TakedownID: uuid.New(), Content: content, Category: takedown.NCII,
		Reference: "KCSC-2025-000123", ApprovedBy: uuid.New(),
	}

	for i := range 2 {
		ref, err := c.Order(ctx, o)
		if err != nil {
			t.Fatalf("Order #%d: %v", i+1, err)
		}
		if ref != isp.OrderID(o.Key) {
			t.Fatalf("Order #%d reference = %q, want %q", i+1, ref, isp.OrderID(o.Key))
		}
	}
	if n := sim.BlockingOrderCount(content.Platform, content.ID); n != 1 {
		t.Fatalf("simulator holds %d orders, want 1: a resent order must not be a new one", n)
	}
	if n := sim.Requests(simulator.RouteISPOrder); n != 2 {
		t.Fatalf("simulator got %d order requests, want 2", n)
	}

	if blocked, err := c.Blocked(ctx, content); err != nil || blocked {
		t.Fatalf("Blocked before the ISPs acted = %v, %v; want false", blocked, err)
	}
	clk.Advance(time.Minute)
	if blocked, err := c.Blocked(ctx, content); err != nil || !blocked {
		t.Fatalf("Blocked after the ISPs acted = %v, %v; want true", blocked, err)
	}

	bad, err := isp.New(isp.Config{OrderURL: srv.URL + "/isp/orders", Token: "t", VantageURL: srv.URL + "/isp/check"}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Category = takedown.CSAM
	o.Content = takedown.Content{Platform: takedown.Meta, ID: "instagram/C0ffee12345"}
	_, err = bad.Order(ctx, o)
	var pe *platforms.Error
	if !errors.As(err, &pe) || pe.Kind != platforms.KindPermanent || pe.Code != "http_409" {
		t.Fatalf("reusing a key for other content: err = %v, want permanent http_409", err)
	}
}
