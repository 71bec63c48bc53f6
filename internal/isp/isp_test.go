package isp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

var (
	now        = time.Date(2025, 3, 10, 1, 0, 0, 0, time.UTC)
	supervisor = uuid.MustParse("6f1c1f5e-3c1a-4a53-9d8e-2f1b6a0e9c11")
	content    = takedown.Content{Platform: takedown.Telegram, ID: "leakchan/12", URL: "https://t.me/leakchan/12"}
)

func fixedNow() time.Time { return now }

// captured is what a test server saw of one request.
type captured struct {
	method, path, query string
	header              http.Header
	body                []byte
}

// recorder is an httptest server answering with a fixed status, headers and
// body, and keeping the requests it received.
type recorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []captured
}

func newRecorder(t *testing.T, status int, body string, hdr ...string) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.got = append(rec.got, captured{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: data})
		rec.mu.Unlock()
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (r *recorder) requests() []captured {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]captured(nil), r.got...)
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	cfg.Token = orDefault(cfg.Token, "gateway-token")
	cfg.OrderURL = orDefault(cfg.OrderURL, "http://gateway.invalid/v1/orders")
	cfg.VantageURL = orDefault(cfg.VantageURL, "http://probe.invalid/check")
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	c, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func order() takedown.BlockingOrder {
	return takedown.BlockingOrder{
		Key:        "takedown-1:blocking:1",
		TakedownID: uuid.MustParse("0b6d7a4e-5d0f-4a8a-9a52-2d3c8c0e1f00"),
		Content:    content,
		Category:   takedown.DeepfakeSexual,
		Reference:  "KCSC-2025-000123",
		ApprovedBy: supervisor,
		Reason:     "victim Kim asked again on 2025-03-09",
	}
}

// assertKind checks err's classification.
func assertKind(t *testing.T, err error, kind platforms.ErrorKind, code string, retryAfter time.Duration) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s (%s)", kind, code)
	}
	var pe *platforms.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, not a classified *platforms.Error", err)
	}
	if pe.Kind != kind || pe.Code != code || pe.RetryAfter != retryAfter {
		t.Fatalf("err = %v; want kind %s code %s retry after %s", err, kind, code, retryAfter)
	}
	if strings.Contains(err.Error(), content.URL) || strings.Contains(err.Error(), "leakchan") {
		t.Fatalf("error %q carries the content's URL", err)
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "complete", cfg: Config{OrderURL: "https://gw.example/orders", Token: "t", VantageURL: "https://probe.example/check"}},
		{name: "no order URL", cfg: Config{Token: "t", VantageURL: "https://probe.example/check"}, wantErr: "OrderURL: required"},
		{name: "relative order URL", cfg: Config{OrderURL: "/orders", Token: "t", VantageURL: "https://probe.example/check"}, wantErr: "OrderURL"},
		{name: "not http", cfg: Config{OrderURL: "ftp://gw.example/orders", Token: "t", VantageURL: "https://probe.example/check"}, wantErr: "OrderURL"},
		{name: "no vantage URL", cfg: Config{OrderURL: "https://gw.example/orders", Token: "t"}, wantErr: "VantageURL: required"},
		{name: "relative vantage URL", cfg: Config{OrderURL: "https://gw.example/orders", Token: "t", VantageURL: "probe/check"}, wantErr: "VantageURL"},
		{name: "no token", cfg: Config{OrderURL: "https://gw.example/orders", VantageURL: "https://probe.example/check"}, wantErr: "Token is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg, nil, nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c.cfg.LegalBasis != DefaultLegalBasis {
					t.Errorf("LegalBasis = %q, want the default", c.cfg.LegalBasis)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestOrderID(t *testing.T) {
	a, b := OrderID("k1"), OrderID("k1")
	if a != b {
		t.Fatalf("OrderID is not deterministic: %s, %s", a, b)
	}
	// sha256("k1") = 6ab9f1eb8f7d3388…
	if a != "BLK-6AB9F1EB8F7D" {
		t.Fatalf("OrderID(k1) = %q, want BLK-6AB9F1EB8F7D", a)
	}
	if OrderID("k2") == a {
		t.Fatal("two keys gave the same order id")
	}
}

func TestOrderRequest(t *testing.T) {
	gw := newRecorder(t, http.StatusAccepted, `{"order_id":"GW-77","status":"pending"}`)
	c := newClient(t, Config{OrderURL: gw.srv.URL + "/v1/blocking-orders", Token: "s3cret", LegalBasis: "Art. 44-7 (test)"})
	o := order()
	ref, err := c.Order(context.Background(), o)
	if err != nil {
		t.Fatalf("Order: %v", err)
	}
	if ref != "GW-77" {
		t.Errorf("reference = %q, want the gateway's GW-77", ref)
	}
	reqs := gw.requests()
	if len(reqs) != 1 {
		t.Fatalf("gateway got %d requests, want exactly 1", len(reqs))
	}
	r := reqs[0]
	id := OrderID(o.Key)
	if r.method != http.MethodPost || r.path != "/v1/blocking-orders" || r.query != "" {
		t.Errorf("request = %s %s?%s, want POST /v1/blocking-orders", r.method, r.path, r.query)
	}
	for k, want := range map[string]string{
		"Authorization": "Bearer s3cret", "Idempotency-Key": id, "Content-Type": "application/json",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	want := map[string]any{
		"order_id":    id,
		"reference":   "KCSC-2025-000123",
		"url":         "https://t.me/leakchan/12",
		"platform":    "telegram",
		"content_id":  "leakchan/12",
		"category":    "deepfake_sexual",
		"legal_basis": "Art. 44-7 (test)",
		"approved_by": supervisor.String(),
		"issued_at":   "2025-03-10T01:00:00Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %s\nwant %v", r.body, want)
	}
	if strings.Contains(string(r.body), "Kim") {
		t.Error("the supervisor's reason went into the order")
	}
}

func TestOrderDefaultsAndCanonicalURL(t *testing.T) {
	gw := newRecorder(t, http.StatusOK, ``)
	c := newClient(t, Config{OrderURL: gw.srv.URL})
	o := order()
	// A non-canonical form of the same post, and a YouTube video with no URL at all.
	o.Content = takedown.Content{Platform: takedown.Telegram, ID: "leakchan/12", URL: "https://telegram.me/s/leakchan/12?embed=1"}
	if _, err := c.Order(context.Background(), o); err != nil {
		t.Fatalf("Order: %v", err)
	}
	o.Key = "k-youtube"
	o.Content = takedown.Content{Platform: takedown.YouTube, ID: "dQw4w9WgXcQ"}
	if _, err := c.Order(context.Background(), o); err != nil {
		t.Fatalf("Order: %v", err)
	}
	reqs := gw.requests()
	wantURLs := []string{"https://t.me/leakchan/12", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}
	for i, r := range reqs {
		var body orderRequest
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		if body.URL != wantURLs[i] {
			t.Errorf("order %d url = %q, want %q", i, body.URL, wantURLs[i])
		}
		if body.LegalBasis != DefaultLegalBasis {
			t.Errorf("order %d legal_basis = %q, want the default", i, body.LegalBasis)
		}
	}
}

func TestOrderAnswers(t *testing.T) {
	ours := OrderID(order().Key)
	tests := []struct {
		name    string
		status  int
		body    string
		hdr     []string
		wantRef string
		kind    platforms.ErrorKind
		code    string
		wait    time.Duration
	}{
		{name: "200 with order id", status: 200, body: `{"order_id":"GW-1"}`, wantRef: "GW-1"},
		{name: "201 with order id", status: 201, body: `{"order_id":"GW-2"}`, wantRef: "GW-2"},
		{name: "202 without body", status: 202, wantRef: ours},
		{name: "202 without order id", status: 202, body: `{"status":"pending"}`, wantRef: ours},
		{name: "202 garbage", status: 202, body: `<html>ok`, wantRef: ours},
		{name: "400", status: 400, body: `{"error":"bad url https://t.me/leakchan/12"}`, kind: platforms.KindPermanent, code: "http_400"},
		{name: "401", status: 401, kind: platforms.KindPermanent, code: "unauthorized"},
		{name: "403", status: 403, kind: platforms.KindPermanent, code: "forbidden"},
		{name: "404", status: 404, kind: platforms.KindPermanent, code: "http_404"},
		{name: "409", status: 409, kind: platforms.KindPermanent, code: "http_409"},
		{name: "422", status: 422, kind: platforms.KindPermanent, code: "http_422"},
		{name: "408", status: 408, kind: platforms.KindTransient, code: "http_408"},
		{name: "429 seconds", status: 429, hdr: []string{"Retry-After", "120"}, kind: platforms.KindRateLimited, code: "http_429", wait: 2 * time.Minute},
		{name: "429 date", status: 429, hdr: []string{"Retry-After", "Mon, 10 Mar 2025 01:05:00 GMT"}, kind: platforms.KindRateLimited, code: "http_429", wait: 5 * time.Minute},
		{name: "429 without wait", status: 429, kind: platforms.KindRateLimited, code: "http_429", wait: defaultRateLimitWait},
		{name: "500", status: 500, kind: platforms.KindTransient, code: "http_500"},
		{name: "502", status: 502, kind: platforms.KindTransient, code: "http_502"},
		{name: "503", status: 503, hdr: []string{"Retry-After", "30"}, kind: platforms.KindTransient, code: "http_503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := newRecorder(t, tt.status, tt.body, tt.hdr...)
			c := newClient(t, Config{OrderURL: gw.srv.URL})
			ref, err := c.Order(context.Background(), order())
			if n := len(gw.requests()); n != 1 {
				t.Fatalf("gateway got %d requests, want 1 (no internal retry)", n)
			}
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("Order: %v", err)
				}
				if ref != tt.wantRef {
					t.Fatalf("reference = %q, want %q", ref, tt.wantRef)
				}
				return
			}
			if ref != "" {
				t.Errorf("reference = %q on failure, want empty", ref)
			}
			assertKind(t, err, tt.kind, tt.code, tt.wait)
		})
	}
}

func TestOrderNetworkFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	c := newClient(t, Config{OrderURL: addr + "/orders", VantageURL: addr + "/check"})
	_, err := c.Order(context.Background(), order())
	assertKind(t, err, platforms.KindTransient, "network", 0)
	_, err = c.Blocked(context.Background(), content)
	assertKind(t, err, platforms.KindTransient, "network", 0)
}

func TestOrderRefusedBeforeSending(t *testing.T) {
	tests := []struct {
		name   string
		change func(*takedown.BlockingOrder)
		code   string
	}{
		{name: "no key", change: func(o *takedown.BlockingOrder) { o.Key = "" }, code: "invalid_order"},
		{name: "not approved", change: func(o *takedown.BlockingOrder) { o.ApprovedBy = uuid.Nil }, code: "invalid_order"},
		{name: "unknown category", change: func(o *takedown.BlockingOrder) { o.Category = "spam" }, code: "invalid_order"},
		{name: "unsupported url", change: func(o *takedown.BlockingOrder) {
			o.Content = takedown.Content{Platform: takedown.Telegram, ID: "x", URL: "https://example.com/a"}
		}, code: "invalid_content"},
		{name: "no url and a bad id", change: func(o *takedown.BlockingOrder) {
			o.Content = takedown.Content{Platform: takedown.YouTube, ID: "short"}
		}, code: "invalid_content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := newRecorder(t, http.StatusAccepted, `{}`)
			c := newClient(t, Config{OrderURL: gw.srv.URL})
			o := order()
			tt.change(&o)
			_, err := c.Order(context.Background(), o)
			assertKind(t, err, platforms.KindPermanent, tt.code, 0)
			if n := len(gw.requests()); n != 0 {
				t.Fatalf("gateway got %d requests, want none", n)
			}
		})
	}
}

func TestBlockedRequest(t *testing.T) {
	probe := newRecorder(t, http.StatusOK, `{"url":"https://t.me/leakchan/12","blocked":true,"block_page":"warning.or.kr","checked_at":"2025-03-10T01:00:00Z"}`)
	tests := []struct {
		name      string
		vantage   string
		token     string
		wantQuery string
		wantAuth  string
	}{
		{name: "plain", vantage: probe.srv.URL + "/v1/check", wantQuery: "url=https%3A%2F%2Ft.me%2Fleakchan%2F12"},
		{name: "query kept and token sent", vantage: probe.srv.URL + "/v1/check?isp=kt", token: "probe-token",
			wantQuery: "isp=kt&url=https%3A%2F%2Ft.me%2Fleakchan%2F12", wantAuth: "Bearer probe-token"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, Config{VantageURL: tt.vantage, VantageToken: tt.token})
			ok, err := c.Blocked(context.Background(), content)
			if err != nil || !ok {
				t.Fatalf("Blocked = %v, %v; want true", ok, err)
			}
			r := probe.requests()[i]
			if r.method != http.MethodGet || r.path != "/v1/check" || r.query != tt.wantQuery {
				t.Errorf("request = %s %s?%s, want GET /v1/check?%s", r.method, r.path, r.query, tt.wantQuery)
			}
			if got := r.header.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q (the gateway token must never reach the probe)", got, tt.wantAuth)
			}
		})
	}
}

func TestBlockedAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		hdr    []string
		want   bool
		kind   platforms.ErrorKind
		code   string
		wait   time.Duration
	}{
		{name: "blocked", status: 200, body: `{"url":"https://t.me/leakchan/12","blocked":true,"block_page":"warning.or.kr"}`, want: true},
		{name: "blocked without echo", status: 200, body: `{"blocked":true}`, want: true},
		{name: "not blocked", status: 200, body: `{"url":"https://t.me/leakchan/12","blocked":false}`, want: false},
		{name: "blocked missing", status: 200, body: `{"url":"https://t.me/leakchan/12","block_page":"warning.or.kr"}`, kind: platforms.KindTransient, code: "malformed_response"},
		{name: "blocked not a bool", status: 200, body: `{"blocked":"yes"}`, kind: platforms.KindTransient, code: "malformed_response"},
		{name: "truncated", status: 200, body: `{"url":"https://t.me/leakchan/12","blocked":tr`, kind: platforms.KindTransient, code: "malformed_response"},
		{name: "html", status: 200, body: `<html>warning.or.kr</html>`, kind: platforms.KindTransient, code: "malformed_response"},
		{name: "another url", status: 200, body: `{"url":"https://t.me/other/1","blocked":true}`, kind: platforms.KindTransient, code: "mismatched_answer"},
		{name: "204", status: 204, kind: platforms.KindTransient, code: "http_204"},
		{name: "400", status: 400, kind: platforms.KindPermanent, code: "http_400"},
		{name: "401", status: 401, kind: platforms.KindPermanent, code: "unauthorized"},
		{name: "429", status: 429, hdr: []string{"Retry-After", "7"}, kind: platforms.KindRateLimited, code: "http_429", wait: 7 * time.Second},
		{name: "503", status: 503, kind: platforms.KindTransient, code: "http_503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probe := newRecorder(t, tt.status, tt.body, tt.hdr...)
			c := newClient(t, Config{VantageURL: probe.srv.URL})
			got, err := c.Blocked(context.Background(), content)
			if n := len(probe.requests()); n != 1 {
				t.Fatalf("probe got %d requests, want 1", n)
			}
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("Blocked: %v", err)
				}
				if got != tt.want {
					t.Fatalf("Blocked = %v, want %v", got, tt.want)
				}
				return
			}
			if got {
				t.Error("Blocked = true on a failure")
			}
			assertKind(t, err, tt.kind, tt.code, tt.wait)
		})
	}
}

func TestBlockedInvalidContent(t *testing.T) {
	probe := newRecorder(t, http.StatusOK, `{"blocked":true}`)
	c := newClient(t, Config{VantageURL: probe.srv.URL})
	got, err := c.Blocked(context.Background(), takedown.Content{Platform: takedown.X, ID: "not-a-number"})
	if got {
		t.Error("Blocked = true for content with no URL")
	}
	assertKind(t, err, platforms.KindPermanent, "invalid_content", 0)
	if n := len(probe.requests()); n != 0 {
		t.Fatalf("probe got %d requests, want none", n)
	}
}
