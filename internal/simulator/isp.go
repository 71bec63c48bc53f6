package simulator

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Routes of the blocking-order gateway and the domestic vantage point that
// stand in for the regulator's channel to the ISPs (see package internal/isp
// for the format).
const (
	RouteISPOrder  = "POST /isp/orders"
	RouteISPOrders = "GET /isp/orders"
	RouteISPCheck  = "GET /isp/check"
)

// blockPage is where a domestic ISP sends a subscriber asking for a URL
// KCSC had blocked.
const blockPage = "warning.or.kr"

// BlockingOrder is one access-blocking order as the simulated gateway
// received it. The block takes effect Config.RemoveAfter after the first
// receipt, whatever the platform's behaviour: ISPs are not the platform, and
// a platform that never acts on notices is exactly the case blocking is for.
type BlockingOrder struct {
	Seq            int64             `json:"seq"`
	OrderID        string            `json:"order_id"`
	IdempotencyKey string            `json:"idempotency_key"`
	Reference      string            `json:"reference,omitempty"`
	URL            string            `json:"url"`
	Platform       takedown.Platform `json:"platform"`
	ContentID      string            `json:"content_id"`
	Category       takedown.Category `json:"category"`
	LegalBasis     string            `json:"legal_basis"`
	ApprovedBy     string            `json:"approved_by"`
	IssuedAt       time.Time         `json:"issued_at"`
	ReceivedAt     time.Time         `json:"received_at"`
	EffectiveAt    time.Time         `json:"effective_at"`
	// Requests counts how often the order was sent, repeats included.
	Requests int `json:"requests"`
}

// orderView is an order as the gateway shows it, with its status now.
type orderView struct {
	BlockingOrder
	Status string `json:"status"` // "pending" until EffectiveAt, then "blocked"
}

// orderBody is the order as the gateway reads it.
type orderBody struct {
	OrderID    string `json:"order_id"`
	Reference  string `json:"reference"`
	URL        string `json:"url"`
	Platform   string `json:"platform"`
	ContentID  string `json:"content_id"`
	Category   string `json:"category"`
	LegalBasis string `json:"legal_basis"`
	ApprovedBy string `json:"approved_by"`
	IssuedAt   string `json:"issued_at"`
}

// ispRoutes registers the gateway and the vantage point. Neither goes
// through the platforms' scripted behaviours.
func (s *Simulator) ispRoutes(mux *http.ServeMux) {
	mux.HandleFunc(RouteISPOrder, s.ispOrder)
	mux.HandleFunc(RouteISPOrders, func(w http.ResponseWriter, r *http.Request) {
		s.countISP(RouteISPOrders)
		filter := r.URL.Query().Get("url")
		var key string
		if filter != "" {
			c, ok := identifyURL(filter)
			if !ok {
				writeISPError(w, http.StatusBadRequest, "url names no content the simulator knows")
				return
			}
			key = contentKey(c.Platform, c.ID)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		out := []orderView{}
		for _, o := range s.st.BlockingOrders {
			if key == "" || contentKey(o.Platform, o.ContentID) == key {
				out = append(out, s.orderViewLocked(o))
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc(RouteISPCheck, func(w http.ResponseWriter, r *http.Request) {
		s.countISP(RouteISPCheck)
		raw := r.URL.Query().Get("url")
		c, ok := identifyURL(raw)
		if !ok {
			writeISPError(w, http.StatusBadRequest, "url is missing or names no content the simulator knows")
			return
		}
		s.mu.Lock()
		blocked := s.blockedLocked(c.Platform, c.ID)
		now := s.now()
		s.mu.Unlock()
		ans := struct {
			URL       string `json:"url"`
			Blocked   bool   `json:"blocked"`
			BlockPage string `json:"block_page,omitempty"`
			CheckedAt string `json:"checked_at"`
		}{URL: raw, Blocked: blocked, CheckedAt: now.UTC().Format(time.RFC3339)}
		if blocked {
			ans.BlockPage = blockPage
		}
		writeJSON(w, http.StatusOK, ans)
	})
}

func (s *Simulator) countISP(route string) {
	s.mu.Lock()
	s.st.Routes[route]++
	s.saveLocked()
	s.mu.Unlock()
}

// ispOrder receives an order: 202 for a new one, 200 with the same order for
// a repeated Idempotency-Key, 409 when that key comes back for another URL.
func (s *Simulator) ispOrder(w http.ResponseWriter, r *http.Request) {
	s.countISP(RouteISPOrder)
	if bearerToken(r) == "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeISPError(w, http.StatusUnauthorized, "a bearer token is required")
		return
	}
	var body orderBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		writeISPError(w, http.StatusBadRequest, fmt.Sprintf("read order: %v", err))
		return
	}
	o, err := readOrder(body)
	if err != nil {
		writeISPError(w, http.StatusBadRequest, err.Error())
		return
	}
	o.IdempotencyKey = cmp.Or(strings.TrimSpace(r.Header.Get("Idempotency-Key")), o.OrderID)

	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.st.BlockingOrders {
		prev := &s.st.BlockingOrders[i]
		if prev.IdempotencyKey != o.IdempotencyKey {
			continue
		}
		if prev.Platform != o.Platform || prev.ContentID != o.ContentID {
			s.saveLocked()
			writeISPError(w, http.StatusConflict, "Idempotency-Key already used for another URL")
			return
		}
		prev.Requests++
		s.saveLocked()
		writeJSON(w, http.StatusOK, s.orderViewLocked(*prev))
		return
	}
	now := s.now()
	s.st.Seq++
	o.Seq, o.ReceivedAt, o.EffectiveAt, o.Requests = s.st.Seq, now, now.Add(s.cfg.RemoveAfter), 1
	s.st.BlockingOrders = append(s.st.BlockingOrders, o)
	s.saveLocked()
	s.log.Info("simulator blocking order", "order_id", o.OrderID, "platform", o.Platform, "category", o.Category)
	writeJSON(w, http.StatusAccepted, s.orderViewLocked(o))
}

// readOrder checks an order the way a gateway relaying it to ISPs would
// have to: every field an ISP or an auditor needs is there and makes sense.
func readOrder(b orderBody) (BlockingOrder, error) {
	o := BlockingOrder{
		OrderID: strings.TrimSpace(b.OrderID), Reference: b.Reference, URL: b.URL,
		Category: takedown.Category(b.Category), LegalBasis: strings.TrimSpace(b.LegalBasis),
	}
	if o.OrderID == "" {
		return o, errors.New("order_id is required")
	}
	c, ok := identifyURL(b.URL)
	if !ok {
		return o, errors.New("url is missing or names no content the simulator knows")
	}
	if (b.Platform != "" && takedown.Platform(b.Platform) != c.Platform) || (b.ContentID != "" && b.ContentID != c.ID) {
		return o, fmt.Errorf("platform and content_id (%s/%s) are not those of url (%s/%s)", b.Platform, b.ContentID, c.Platform, c.ID)
	}
	o.Platform, o.ContentID = c.Platform, c.ID
	if !o.Category.Valid() {
		return o, fmt.Errorf("category %q is not one of %v", b.Category, takedown.Categories)
	}
	if o.LegalBasis == "" {
		return o, errors.New("legal_basis is required")
	}
	id, err := uuid.Parse(b.ApprovedBy)
	if err != nil || id == uuid.Nil {
		return o, errors.New("approved_by must be the approving supervisor's uuid")
	}
	o.ApprovedBy = id.String()
	if o.IssuedAt, err = time.Parse(time.RFC3339, b.IssuedAt); err != nil {
		return o, errors.New("issued_at must be an RFC 3339 time")
	}
	return o, nil
}

func (s *Simulator) orderViewLocked(o BlockingOrder) orderView {
	v := orderView{BlockingOrder: o, Status: "pending"}
	if !o.EffectiveAt.After(s.now()) {
		v.Status = "blocked"
	}
	return v
}

// blockedLocked reports whether an order for the content has taken effect.
func (s *Simulator) blockedLocked(p takedown.Platform, id string) bool {
	now := s.now()
	for _, o := range s.st.BlockingOrders {
		if o.Platform == p && o.ContentID == id && !o.EffectiveAt.After(now) {
			return true
		}
	}
	return false
}

func writeISPError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// ispContent names content by URL, or by platform and id as NoticeCount does.
func ispContent(p takedown.Platform, contentID string) (takedown.Platform, string) {
	if strings.Contains(contentID, "://") {
		if c, ok := identifyURL(contentID); ok {
			return c.Platform, c.ID
		}
	}
	return p, normID(p, contentID)
}

// BlockingOrders lists the blocking orders received, oldest first; a
// repeated Idempotency-Key is one order.
func (s *Simulator) BlockingOrders() []BlockingOrder {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]BlockingOrder, len(s.st.BlockingOrders))
	copy(out, s.st.BlockingOrders)
	return out
}

// BlockingOrderCount is how many distinct orders named content (a URL, or
// a platform and normalized id). An empty contentID counts the platform's,
// and an empty platform too counts all. Repeats of an order count once here
// and every time in Requests.
func (s *Simulator) BlockingOrderCount(p takedown.Platform, contentID string) int {
	id := ""
	if contentID != "" {
		p, id = ispContent(p, contentID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, o := range s.st.BlockingOrders {
		if (p == "" || o.Platform == p) && (id == "" || o.ContentID == id) {
			n++
		}
	}
	return n
}

// Blocked reports whether the vantage point now sees content (a URL, or a
// platform and normalized id) blocked.
func (s *Simulator) Blocked(p takedown.Platform, contentID string) bool {
	p, id := ispContent(p, contentID)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blockedLocked(p, id)
}
