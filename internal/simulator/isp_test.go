package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

const (
	ispPost    = "https://t.me/leakchan/12"
	ispToken   = "Bearer gateway-token"
	ispIdemKey = "Idempotency-Key"
)

// ispOrderJSON is an order as internal/isp sends it, for the post at rawURL.
func ispOrderJSON(orderID, rawURL string) string {
	return `{"order_id":"` + orderID + `","reference":"KCSC-2025-000123","url":"` + rawURL + `",
		"platform":"telegram","content_id":"leakchan/12","category":"deepfake_sexual",
		"legal_basis":"Art. 44-7","approved_by":"6f1c1f5e-3c1a-4a53-9d8e-2f1b6a0e9c11",
		"issued_at":"2025-03-10T01:00:00Z"}`
}

func (e *env) postOrder(t *testing.T, orderID, rawURL string) response {
	t.Helper()
	return e.do(t, http.MethodPost, "/isp/orders", ispOrderJSON(orderID, rawURL),
		"Authorization", ispToken, ispIdemKey, orderID, "Content-Type", "application/json")
}

func (e *env) checkBlocked(t *testing.T, rawURL string) response {
	t.Helper()
	return e.get(t, "/isp/check?url="+url.QueryEscape(rawURL))
}

func TestISPOrderTakesEffectAfterRemoveAfter(t *testing.T) {
	e := newEnv(t, Config{RemoveAfter: time.Minute})

	r := e.checkBlocked(t, ispPost)
	assertStatus(t, r, http.StatusOK)
	assertJSON(t, r.body, `{"url":"`+ispPost+`","blocked":false,"checked_at":"2025-03-10T01:00:00Z"}`)

	r = e.postOrder(t, "BLK-000000000001", ispPost)
	assertStatus(t, r, http.StatusAccepted)
	assertJSON(t, r.body, `{"seq":"*","order_id":"BLK-000000000001","idempotency_key":"BLK-000000000001",
		"reference":"KCSC-2025-000123","url":"`+ispPost+`","platform":"telegram","content_id":"leakchan/12",
		"category":"deepfake_sexual","legal_basis":"Art. 44-7","approved_by":"6f1c1f5e-3c1a-4a53-9d8e-2f1b6a0e9c11",
		"issued_at":"2025-03-10T01:00:00Z","received_at":"2025-03-10T01:00:00Z","effective_at":"2025-03-10T01:01:00Z",
		"requests":1,"status":"pending"}`)

	e.clock.Advance(time.Minute - time.Nanosecond)
	assertJSON(t, e.checkBlocked(t, ispPost).body, `{"url":"`+ispPost+`","blocked":false,"checked_at":"*"}`)
	if e.sim.Blocked(takedown.Telegram, "leakchan/12") {
		t.Fatal("Blocked before RemoveAfter passed")
	}

	e.clock.Advance(time.Nanosecond)
	// Another URL form of the same post is blocked too.
	other := "https://telegram.me/s/leakchan/12"
	assertJSON(t, e.checkBlocked(t, other).body,
		`{"url":"`+other+`","blocked":true,"block_page":"warning.or.kr","checked_at":"2025-03-10T01:01:00Z"}`)
	if !e.sim.Blocked("", ispPost) {
		t.Fatal("Blocked(url) = false after RemoveAfter")
	}
	if got := e.sim.Requests(RouteISPCheck); got != 3 {
		t.Errorf("Requests(check) = %d, want 3", got)
	}
	// The platform itself still shows the post: blocking is not removal.
	if st := e.sim.State(takedown.Telegram, "leakchan/12").Status; st != StatusPresent {
		t.Errorf("platform status = %s, want present", st)
	}
}

func TestISPOrderIdempotency(t *testing.T) {
	e := newEnv(t, Config{RemoveAfter: time.Minute})
	first := e.postOrder(t, "BLK-000000000001", ispPost)
	assertStatus(t, first, http.StatusAccepted)

	e.clock.Advance(30 * time.Second)
	again := e.postOrder(t, "BLK-000000000001", ispPost)
	assertStatus(t, again, http.StatusOK)
	var o orderView
	if err := json.Unmarshal(again.body, &o); err != nil {
		t.Fatal(err)
	}
	if o.OrderID != "BLK-000000000001" || !o.ReceivedAt.Equal(t0) || o.Requests != 2 {
		t.Errorf("repeat answered %+v; want the first order, received at t0, sent twice", o)
	}

	// A second order with another key is a new order but does not move the
	// block back.
	second := e.postOrder(t, "BLK-000000000002", "https://t.me/s/leakchan/12")
	assertStatus(t, second, http.StatusAccepted)

	if got := e.sim.BlockingOrderCount("", ispPost); got != 2 {
		t.Errorf("BlockingOrderCount(url) = %d, want 2", got)
	}
	if got := e.sim.BlockingOrderCount(takedown.Telegram, "leakchan/12"); got != 2 {
		t.Errorf("BlockingOrderCount(id) = %d, want 2", got)
	}
	if got := e.sim.BlockingOrderCount(takedown.YouTube, ""); got != 0 {
		t.Errorf("BlockingOrderCount(youtube) = %d, want 0", got)
	}
	if got := e.sim.Requests(RouteISPOrder); got != 3 {
		t.Errorf("Requests(order) = %d, want 3", got)
	}
	e.clock.Advance(30 * time.Second)
	if !e.sim.Blocked(takedown.Telegram, "leakchan/12") {
		t.Error("the second order delayed the block of the first")
	}

	// The same key for another URL is a client bug, not a new order.
	r := e.do(t, http.MethodPost, "/isp/orders",
		strings.ReplaceAll(ispOrderJSON("BLK-000000000001", ispPost), "leakchan/12", "otherchan/3"),
		"Authorization", ispToken, ispIdemKey, "BLK-000000000001")
	assertStatus(t, r, http.StatusConflict)
	if got := len(e.sim.BlockingOrders()); got != 2 {
		t.Errorf("BlockingOrders has %d orders, want 2", got)
	}
}

func TestISPNeverRemovingPlatformIsStillBlocked(t *testing.T) {
	e := newEnv(t, Config{RemoveAfter: time.Second, Script: &Script{
		Defaults: map[takedown.Platform]Behaviour{takedown.Telegram: {OnNotice: OnNoticeNever, FailRate: 1}},
	}})
	assertStatus(t, e.postOrder(t, "BLK-000000000001", ispPost), http.StatusAccepted)
	e.clock.Advance(time.Second)
	r := e.checkBlocked(t, ispPost)
	assertStatus(t, r, http.StatusOK)
	assertJSON(t, r.body, `{"url":"`+ispPost+`","blocked":true,"block_page":"warning.or.kr","checked_at":"*"}`)
}

func TestISPOrderRefused(t *testing.T) {
	valid := ispOrderJSON("BLK-1", ispPost)
	tests := []struct {
		name   string
		body   string
		hdr    []string
		status int
	}{
		{name: "no token", body: valid, status: http.StatusUnauthorized},
		{name: "empty bearer", body: valid, hdr: []string{"Authorization", "Bearer "}, status: http.StatusUnauthorized},
		{name: "not JSON", body: `order please`, status: http.StatusBadRequest},
		{name: "no order id", body: strings.Replace(valid, `"BLK-1"`, `""`, 1), status: http.StatusBadRequest},
		{name: "unknown url", body: ispOrderJSON("BLK-1", "https://example.com/a"), status: http.StatusBadRequest},
		{name: "url of another content", body: ispOrderJSON("BLK-1", "https://t.me/otherchan/3"), status: http.StatusBadRequest},
		{name: "unknown category", body: strings.Replace(valid, "deepfake_sexual", "spam", 1), status: http.StatusBadRequest},
		{name: "no legal basis", body: strings.Replace(valid, "Art. 44-7", " ", 1), status: http.StatusBadRequest},
		{name: "approver not a uuid", body: strings.Replace(valid, "6f1c1f5e-3c1a-4a53-9d8e-2f1b6a0e9c11", "kim", 1), status: http.StatusBadRequest},
		{name: "nil approver", body: strings.Replace(valid, "6f1c1f5e-3c1a-4a53-9d8e-2f1b6a0e9c11", "00000000-0000-0000-0000-000000000000", 1), status: http.StatusBadRequest},
		{name: "bad issued_at", body: strings.Replace(valid, "2025-03-10T01:00:00Z", "yesterday", 1), status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			hdr := tt.hdr
			if hdr == nil && tt.status != http.StatusUnauthorized {
				hdr = []string{"Authorization", ispToken}
			}
			r := e.do(t, http.MethodPost, "/isp/orders", tt.body, hdr...)
			assertStatus(t, r, tt.status)
			assertJSON(t, r.body, `{"error":"*"}`)
			if n := e.sim.BlockingOrderCount("", ""); n != 0 {
				t.Errorf("%d orders recorded, want none", n)
			}
			if n := e.sim.Requests(RouteISPOrder); n != 1 {
				t.Errorf("Requests(order) = %d, want 1: a refused request is still counted", n)
			}
		})
	}
}

func TestISPCheckRefused(t *testing.T) {
	e := newEnv(t, Config{})
	for _, path := range []string{"/isp/check", "/isp/check?url=" + url.QueryEscape("https://example.com/a")} {
		r := e.get(t, path)
		assertStatus(t, r, http.StatusBadRequest)
	}
}

func TestISPOrderList(t *testing.T) {
	e := newEnv(t, Config{RemoveAfter: time.Minute})
	assertStatus(t, e.get(t, "/isp/orders"), http.StatusOK)
	assertJSON(t, e.get(t, "/isp/orders").body, `[]`)

	e.postOrder(t, "BLK-000000000001", ispPost)
	e.clock.Advance(time.Minute)
	e.do(t, http.MethodPost, "/isp/orders",
		strings.NewReplacer("leakchan/12", "otherchan/3").Replace(ispOrderJSON("BLK-2", "https://t.me/otherchan/3")),
		"Authorization", ispToken)

	r := e.get(t, "/isp/orders")
	assertJSON(t, r.body, `[{"seq":"*","order_id":"BLK-000000000001","idempotency_key":"BLK-000000000001","reference":"*","url":"`+ispPost+`",
		"platform":"telegram","content_id":"leakchan/12","category":"*","legal_basis":"*","approved_by":"*","issued_at":"*",
		"received_at":"2025-03-10T01:00:00Z","effective_at":"2025-03-10T01:01:00Z","requests":1,"status":"blocked"},
		{"seq":"*","order_id":"BLK-2","idempotency_key":"BLK-2","reference":"*","url":"https://t.me/otherchan/3",
		"platform":"telegram","content_id":"otherchan/3","category":"*","legal_basis":"*","approved_by":"*","issued_at":"*",
		"received_at":"2025-03-10T01:01:00Z","effective_at":"2025-03-10T01:02:00Z","requests":1,"status":"pending"}]`)

	r = e.get(t, "/isp/orders?url="+url.QueryEscape("https://t.me/s/otherchan/3"))
	var list []orderView
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].OrderID != "BLK-2" {
		t.Errorf("filtered list = %+v, want only BLK-2", list)
	}
}

func TestISPOrdersPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	e := newEnv(t, Config{StatePath: path, RemoveAfter: time.Minute})
	assertStatus(t, e.postOrder(t, "BLK-000000000001", ispPost), http.StatusAccepted)
	if err := e.sim.Close(); err != nil {
		t.Fatal(err)
	}

	clock := newClock(t0.Add(time.Minute))
	sim, err := New(Config{StatePath: path, RemoveAfter: time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	orders := sim.BlockingOrders()
	if len(orders) != 1 || orders[0].OrderID != "BLK-000000000001" || !orders[0].EffectiveAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after restart BlockingOrders = %+v, want the one order, effective at t0+1m", orders)
	}
	if !sim.Blocked("", ispPost) {
		t.Error("the restored order is not in effect")
	}
	if got := sim.Requests(RouteISPOrder); got != 1 {
		t.Errorf("Requests(order) after restart = %d, want 1", got)
	}

	sim.Reset()
	if got := sim.BlockingOrderCount("", ""); got != 0 {
		t.Errorf("after Reset %d orders remain, want none", got)
	}
}
