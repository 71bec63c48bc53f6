package mail_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/takedown-oss/takedown/internal/mail"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// received is one message as the SMTP server saw it.
type received struct {
	From string
	To   []string
	Data []byte
}

// backend is a go-smtp backend that records messages and refuses some
// recipients the way real relays do.
type backend struct {
	mu   sync.Mutex
	msgs []received
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type session struct {
	b   *backend
	cur received
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "nobody@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	case strings.HasPrefix(to, "busy@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = data
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

// startServer runs a real SMTP server on a free local port.
func startServer(t *testing.T) (*backend, int) {
	t.Helper()
	be := &backend{}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return be, l.Addr().(*net.TCPAddr).Port
}

var fixedNow = time.Date(2025, 3, 14, 9, 30, 0, 0, time.FixedZone("KST", 9*3600))

func newSender(t *testing.T, port int) *mail.Sender {
	t.Helper()
	s, err := mail.NewSender(mail.Config{
		Host:     "127.0.0.1",
		Port:     port,
		From:     "KCSC Takedown <takedown@kcsc.example>",
		TLS:      mail.TLSNone,
		HeloName: "takedown.kcsc.example",
		Timeout:  5 * time.Second,
		Now:      func() time.Time { return fixedNow },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testNotice(key string) takedown.Notice {
	return takedown.Notice{
		Key:            key,
		Content:        takedown.Content{Platform: takedown.Telegram, ID: "somechannel/123", URL: "https://t.me/somechannel/123"},
		Category:       takedown.DeepfakeSexual,
		LegalGround:    "정보통신망법 제44조의7 제1항 제1호",
		Reference:      "KCSC-2025-000123",
		Language:       "ko",
		EvidenceDigest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Note:           "victim's phone number must never leave the system",
		Attempt:        1,
	}
}

func TestSendNoticeMessage(t *testing.T) {
	be, port := startServer(t)
	s := newSender(t, port)
	ctx := context.Background()
	key := "0f8fad5b-d9cb-469f-a165-70867728950e:telegram:1"

	id1, err := s.SendNotice(ctx, "abuse@telegram.example", testNotice(key), "Telegram")
	if err != nil {
		t.Fatalf("first send: %v", err)
	}
	id2, err := s.SendNotice(ctx, "abuse@telegram.example", testNotice(key), "Telegram")
	if err != nil {
		t.Fatalf("second send: %v", err)
	}
	other := testNotice("0f8fad5b-d9cb-469f-a165-70867728950e:telegram:2")
	other.Priority = true
	id3, err := s.SendNotice(ctx, "hotline@telegram.example", other, "Telegram")
	if err != nil {
		t.Fatalf("third send: %v", err)
	}

	const wantID = "<tkd-f8e62102f7e8a2b95c414b76@kcsc.example>"
	if id1 != id2 {
		t.Errorf("same key gave Message-IDs %s and %s", id1, id2)
	}
	if id1 == id3 {
		t.Errorf("different keys gave the same Message-ID %s", id1)
	}
	if id1 != s.MessageID(key) {
		t.Errorf("returned %s, MessageID says %s", id1, s.MessageID(key))
	}

	msgs := be.messages()
	if len(msgs) != 3 {
		t.Fatalf("server received %d messages, want 3", len(msgs))
	}
	if msgs[0].From != "takedown@kcsc.example" || strings.Join(msgs[0].To, ",") != "abuse@telegram.example" {
		t.Errorf("envelope = %s -> %v", msgs[0].From, msgs[0].To)
	}
	if !bytes.Equal(msgs[0].Data, msgs[1].Data) {
		t.Errorf("two sends of one key differ:\n%s\n---\n%s", msgs[0].Data, msgs[1].Data)
	}
	golden(t, "notice.eml", msgs[0].Data)
	golden(t, "notice-priority.eml", msgs[2].Data)

	m, err := netmail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders := map[string]string{
		"Message-Id":             id1,
		"From":                   `"KCSC Takedown" <takedown@kcsc.example>`,
		"To":                     "<abuse@telegram.example>",
		"Date":                   "Fri, 14 Mar 2025 09:30:00 +0900",
		"X-Takedown-Reference":   takedown.NoticeReference(key),
		"X-Takedown-Key":         key,
		"X-Takedown-Content-Url": "https://t.me/somechannel/123",
		"X-Takedown-Platform":    "Telegram",
		"X-Takedown-Priority":    "no",
		"X-Takedown-Category":    "deepfake_sexual",
		"X-Takedown-Case":        "KCSC-2025-000123",
		"Content-Type":           "text/plain; charset=UTF-8",
	}
	for k, want := range wantHeaders {
		if got := m.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if id1 != wantID {
		t.Errorf("Message-ID = %s, want %s (sha256 of the key, first 24 hex digits)", id1, wantID)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	wantSubj := "[Takedown request " + takedown.NoticeReference(key) + "] Sexually explicit deepfake / 불법 합성 성적 영상물"
	if subj != wantSubj {
		t.Errorf("subject = %q, want %q", subj, wantSubj)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	// The decoded text, kept next to the raw message so that a reviewer can
	// read what a platform receives.
	golden(t, "notice.txt", body)
	for _, want := range []string{
		"접수번호: " + takedown.NoticeReference(key),
		"Our reference: " + takedown.NoticeReference(key),
		"사건번호: KCSC-2025-000123",
		"Case reference: KCSC-2025-000123",
		"콘텐츠 URL: https://t.me/somechannel/123",
		"Content URL: https://t.me/somechannel/123",
		"유형: 불법 합성 성적 영상물",
		"Category: Sexually explicit deepfake",
		"법적 근거: 정보통신망법 제44조의7 제1항 제1호",
		"Legal ground: 정보통신망법 제44조의7 제1항 제1호",
		"Evidence digest: sha256:9f86d081",
		"위 콘텐츠를 삭제해 주십시오.",
		"Requested action: please remove the content.",
		"How to reply: reply to this e-mail",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "phone") {
		t.Error("body carries the staff note")
	}

	p, err := netmail.ReadMessage(bytes.NewReader(msgs[2].Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Header.Get("X-Takedown-Priority"); got != "yes" {
		t.Errorf("priority notice: X-Takedown-Priority = %q", got)
	}
	if got := p.Header.Get("Importance"); got != "high" {
		t.Errorf("priority notice: Importance = %q", got)
	}
	pbody, err := io.ReadAll(quotedprintable.NewReader(p.Body))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "notice-priority.txt", pbody)
	for _, want := range []string{"[긴급 우선 처리 요청]", "[PRIORITY REQUEST]", "remove the content immediately"} {
		if !strings.Contains(string(pbody), want) {
			t.Errorf("priority body lacks %q", want)
		}
	}
}

func TestSendNoticeFailures(t *testing.T) {
	_, port := startServer(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	_ = closed.Close()

	tests := []struct {
		name     string
		port     int
		to       string
		notice   takedown.Notice
		wantKind platforms.ErrorKind
		wantCode string
	}{
		{"recipient refused 550", port, "nobody@telegram.example", testNotice("k:1"), platforms.KindPermanent, "smtp_550"},
		{"recipient deferred 451", port, "busy@telegram.example", testNotice("k:1"), platforms.KindTransient, "smtp_451"},
		{"connection refused", closedPort, "abuse@telegram.example", testNotice("k:1"), platforms.KindTransient, "smtp_unreachable"},
		{"notice without key", port, "abuse@telegram.example", testNotice(""), platforms.KindPermanent, "invalid_notice"},
		{"bad recipient", port, "not an address", testNotice("k:1"), platforms.KindPermanent, "invalid_notice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSender(t, tt.port)
			id, err := s.SendNotice(context.Background(), tt.to, tt.notice, "Telegram")
			if err == nil {
				t.Fatalf("sent as %s, want an error", id)
			}
			var pe *platforms.Error
			if !errors.As(err, &pe) {
				t.Fatalf("unclassified error %v", err)
			}
			if pe.Kind != tt.wantKind || pe.Code != tt.wantCode {
				t.Errorf("got %s/%s (%v), want %s/%s", pe.Kind, pe.Code, err, tt.wantKind, tt.wantCode)
			}
		})
	}
}

func TestSendNoticeTimeout(t *testing.T) {
	// A server that accepts the connection and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { <-done; _ = c.Close() }()
		}
	}()
	s, err := mail.NewSender(mail.Config{
		Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, From: "takedown@kcsc.example",
		TLS: mail.TLSNone, Timeout: 50 * time.Millisecond,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SendNotice(context.Background(), "abuse@telegram.example", testNotice("k:1"), "Telegram")
	if pe := platforms.Classify(err); err == nil || pe.Kind != platforms.KindTransient || pe.Code != "smtp_timeout" {
		t.Errorf("got %v, want transient smtp_timeout", err)
	}
}

func TestNewSenderValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  mail.Config
		want string
	}{
		{"no host", mail.Config{From: "a@b.example"}, "Host is required"},
		{"bad from", mail.Config{Host: "smtp.example", From: "nobody"}, "From"},
		{"bad tls", mail.Config{Host: "smtp.example", From: "a@b.example", TLS: "ssl3"}, "TLS"},
		{"user without password", mail.Config{Host: "smtp.example", From: "a@b.example", Username: "u"}, "Username and Password"},
		{"port out of range", mail.Config{Host: "smtp.example", From: "a@b.example", Port: 70000}, "Port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.NewSender(tt.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("message differs from %s (run with -update after checking):\n%s", path, got)
	}
}
