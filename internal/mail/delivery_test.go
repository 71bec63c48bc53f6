package mail_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/takedown-oss/takedown/internal/mail"
	"github.com/takedown-oss/takedown/platforms"
)

// wireBackend answers by recipient: "hang@" takes the whole message and
// never replies to it, "spam@" refuses it after DATA, "nobody@" refuses the
// recipient before DATA.
type wireBackend struct{ done chan struct{} }

func (b *wireBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &wireSession{b: b}, nil }

type wireSession struct {
	b  *wireBackend
	to string
}

func (s *wireSession) Reset()                               {}
func (s *wireSession) Logout() error                        { return nil }
func (s *wireSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *wireSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	s.to = to
	return nil
}

func (s *wireSession) Data(r io.Reader) error {
	if _, err := io.ReadAll(r); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(s.to, "hang@"):
		<-s.b.done
		return nil
	case strings.HasPrefix(s.to, "spam@"):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message refused"}
	}
	return nil
}

// TestSendNoticeTellsWhetherTheMessageLeft: a notice may have reached the
// relay only when DATA had begun and no reply came back; a refused
// connection, a refused recipient or a reply refusing the message all say it
// did not, and releasing the claim for another try is safe.
func TestSendNoticeTellsWhetherTheMessageLeft(t *testing.T) {
	be := &wireBackend{done: make(chan struct{})}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { close(be.done); _ = srv.Close() })
	port := l.Addr().(*net.TCPAddr).Port

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	_ = closed.Close()

	tests := []struct {
		name        string
		port        int
		to          string
		wantCode    string
		wantArrived bool
	}{
		{"connection refused", closedPort, "abuse@telegram.example", "smtp_unreachable", false},
		{"recipient refused before DATA", port, "nobody@telegram.example", "smtp_550", false},
		{"message refused after DATA", port, "spam@telegram.example", "smtp_554", false},
		{"message written, reply never came", port, "hang@telegram.example", "smtp_send", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mail.NewSender(mail.Config{
				Host: "127.0.0.1", Port: tt.port, From: "takedown@kcsc.example",
				TLS: mail.TLSNone, Timeout: 300 * time.Millisecond,
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.SendNotice(context.Background(), tt.to, testNotice("k:1"), "Telegram")
			if err == nil {
				t.Fatal("sent, want an error")
			}
			if pe := platforms.Classify(err); pe.Code != tt.wantCode {
				t.Errorf("code = %s (%v), want %s", pe.Code, err, tt.wantCode)
			}
			if got := platforms.MayHaveArrived(err); got != tt.wantArrived {
				t.Errorf("MayHaveArrived(%v) = %v, want %v", err, got, tt.wantArrived)
			}
		})
	}
}
