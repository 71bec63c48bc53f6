package simulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"

	"github.com/takedown-oss/takedown/internal/takedown"
)

const maxMessageBytes = 25 << 20

// ServeSMTP accepts e-mail on l until Close: the platforms' designated
// addresses. Any sender and any recipient are accepted; AUTH PLAIN is
// offered and accepts any credentials, so that a sender configured with a
// password works too.
func (s *Simulator) ServeSMTP(l net.Listener) error {
	srv, err := s.newSMTPServer(l)
	if err != nil {
		return err
	}
	if err := srv.Serve(l); err != nil {
		return fmt.Errorf("serve smtp: %w", err)
	}
	return nil
}

// StartSMTP listens on addr (":0" picks a port), serves in the background
// and returns the address it listens on.
func (s *Simulator) StartSMTP(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("start smtp: %w", err)
	}
	srv, err := s.newSMTPServer(l)
	if err != nil {
		return "", err
	}
	go func() {
		if err := srv.Serve(l); err != nil {
			s.log.Error("simulator smtp stopped", "err", err)
		}
	}()
	return l.Addr().String(), nil
}

// newSMTPServer builds a server and registers it for Close. Registration
// happens before Serve so that a Close racing with it still stops it.
func (s *Simulator) newSMTPServer(l net.Listener) (*smtp.Server, error) {
	srv := smtp.NewServer(smtpBackend{s})
	srv.Domain = "smtp.simulator.invalid"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = smtpLog{s.log}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		l.Close()
		return nil, errors.New("serve smtp: simulator closed")
	}
	s.smtpServers = append(s.smtpServers, srv)
	s.smtpListeners = append(s.smtpListeners, l)
	return srv, nil
}

// smtpLog passes go-smtp's connection errors to the logger. They never hold
// message content.
type smtpLog struct{ log *slog.Logger }

func (l smtpLog) Printf(format string, v ...any) {
	l.log.Warn("simulator smtp", "detail", fmt.Sprintf(format, v...))
}

func (l smtpLog) Println(v ...any) { l.log.Warn("simulator smtp", "detail", fmt.Sprint(v...)) }

type smtpBackend struct{ s *Simulator }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{s: b.s}, nil
}

type smtpSession struct {
	s     *Simulator
	from  string
	rcpts []string
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, _ string) error { return nil }), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	return ss.s.receiveMail(ss.from, ss.rcpts, raw)
}

func (ss *smtpSession) Reset() { ss.from, ss.rcpts = "", nil }

func (ss *smtpSession) Logout() error { return nil }

// receiveMail files one message as a notice. A message naming no content is
// still filed and counted, under Unidentified, and changes nothing. The
// content platform's scripted faults apply: a rate limit or a failure is a
// temporary SMTP error and the message is not filed.
func (s *Simulator) receiveMail(from string, rcpts []string, raw []byte) error {
	n := ReceivedNotice{Channel: takedown.ChannelEmail, From: from, Recipients: slices.Clone(rcpts)}
	var content *takedown.Content
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		n.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
		n.Key = strings.TrimSpace(msg.Header.Get("X-Takedown-Key"))
		n.Subject = decodeHeader(msg.Header.Get("Subject"))
		if c, ok := identifyMail(msg); ok {
			content = &c
		}
	}

	var d decision
	bounce := false
	s.mu.Lock()
	s.st.Routes[RouteSMTP]++
	if content != nil {
		s.recordLocked(*content).Requests++
		d = s.decideLocked(content.Platform, content.ID)
		bounce = s.onNoticeLocked(content.Platform, content.ID) == OnNoticeBounce
	}
	s.saveLocked()
	s.mu.Unlock()

	if d.hang > 0 && !s.sleep(context.Background(), d.hang) {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Service shutting down"}
	}
	switch {
	case d.rateLimit != nil:
		return &smtp.SMTPError{
			Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 28},
			Message: fmt.Sprintf("Too many messages, try again in %d seconds", d.rateLimit.RetryAfterSeconds),
		}
	case d.fail:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
	case bounce:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}
	}

	s.mu.Lock()
	s.noticeLocked(n, content)
	s.saveLocked()
	s.mu.Unlock()
	return nil
}

func decodeHeader(v string) string {
	if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// identifyMail finds the content a notice is about: the X-Takedown-Content-Url
// header, or else the first URL in the text that names content.
func identifyMail(msg *mail.Message) (takedown.Content, bool) {
	if c, ok := identifyURL(strings.TrimSpace(msg.Header.Get("X-Takedown-Content-Url"))); ok {
		return c, true
	}
	text := messageText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	for _, m := range urlPattern.FindAllString(text, -1) {
		m = html.UnescapeString(strings.TrimRight(m, ".,;:!?)]}"))
		if c, ok := identifyURL(m); ok {
			return c, true
		}
	}
	return takedown.Content{}, false
}

var urlPattern = regexp.MustCompile("https?://[^\\s<>\"'`]+")

// messageText returns the decoded text of every text part of a body,
// descending into multipart bodies.
func messageText(contentType, encoding string, body io.Reader, depth int) string {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth > 5 || params["boundary"] == "" {
			return ""
		}
		var sb strings.Builder
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err != nil {
				break
			}
			sb.WriteString(messageText(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, depth+1))
			sb.WriteString("\n")
		}
		return sb.String()
	}
	if !strings.HasPrefix(mediaType, "text/") {
		return ""
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	}
	data, _ := io.ReadAll(io.LimitReader(r, maxMessageBytes))
	return string(data)
}
