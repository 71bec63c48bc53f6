// Package mail sends takedown notices by e-mail: the channel Telegram's
// designated address and any platform's agreed address use. Each notice is
// one bilingual (Korean and English) plain-text message with a Message-ID
// derived from the notice's idempotency key and machine-readable
// X-Takedown-* headers, so that a notice sent twice is recognisably the same
// one and a receiving system can route it without reading the text.
package mail

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// TLSPolicy says how the connection to the SMTP relay is protected.
type TLSPolicy string

const (
	TLSNone     TLSPolicy = "none"     // plain text; only for a relay on the same host or a test server
	TLSStartTLS TLSPolicy = "starttls" // STARTTLS, required: a relay that does not offer it is an error
	TLSImplicit TLSPolicy = "tls"      // TLS from the first byte (SMTPS, usually port 465)
)

// Default ports by TLS policy.
const (
	defaultPortNone     = 25
	defaultPortStartTLS = 587
	defaultPortImplicit = 465
)

// Config configures the SMTP relay notices leave through.
type Config struct {
	Host string
	// Port defaults to 25, 587 or 465 for TLS none, starttls and tls.
	Port int
	// Username and Password enable SMTP AUTH (the best mechanism the relay
	// offers); leave both empty for a relay that needs none.
	Username, Password string
	// From is the sender, "Name <address>" or a bare address. Its domain is
	// the right-hand side of every Message-ID.
	From string
	// TLS defaults to starttls.
	TLS TLSPolicy
	// HeloName is the name given in EHLO; the host name by default.
	HeloName string
	// Timeout bounds connecting and each SMTP command; 30 s by default.
	Timeout time.Duration
	// Now stamps the Date header; time.Now by default.
	Now func() time.Time
}

// Sender sends notices through one SMTP relay. It is safe for concurrent use:
// every notice opens its own connection, which at the volumes a regulator
// sends (hundreds a day) costs nothing and keeps one failure from another.
type Sender struct {
	client *gomail.Client
	from   *netmail.Address
	domain string
	now    func() time.Time
	logger *slog.Logger
}

// NewSender validates cfg and returns a Sender. Nothing is dialled until the
// first notice.
func NewSender(cfg Config, logger *slog.Logger) (*Sender, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg.TLS = cmp.Or(cfg.TLS, TLSStartTLS)
	cfg.Timeout = cmp.Or(cfg.Timeout, 30*time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Host == "" {
		return nil, errors.New("mail config: Host is required")
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail config: Port %d out of range", cfg.Port)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("mail config: negative Timeout %s", cfg.Timeout)
	}
	if (cfg.Username == "") != (cfg.Password == "") {
		return nil, errors.New("mail config: Username and Password must be set together")
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail config: From %q: %w", cfg.From, err)
	}
	at := strings.LastIndexByte(from.Address, '@')
	if at < 0 || at == len(from.Address)-1 {
		return nil, fmt.Errorf("mail config: From %q has no domain", cfg.From)
	}
	domain := strings.ToLower(from.Address[at+1:])

	opts := []gomail.Option{gomail.WithTimeout(cfg.Timeout)}
	switch cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		cfg.Port = cmp.Or(cfg.Port, defaultPortNone)
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		cfg.Port = cmp.Or(cfg.Port, defaultPortStartTLS)
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
		cfg.Port = cmp.Or(cfg.Port, defaultPortImplicit)
	default:
		return nil, fmt.Errorf("mail config: TLS %q is not one of none, starttls, tls", cfg.TLS)
	}
	opts = append(opts, gomail.WithPort(cfg.Port))
	if cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(cfg.HeloName))
	}
	if cfg.Username != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail config: %w", err)
	}
	return &Sender{client: client, from: from, domain: domain, now: cfg.Now, logger: logger}, nil
}

// MessageID returns the Message-ID (with its angle brackets) that the notice
// with idempotency key key is sent under: the same key always gives the same
// id, so a receiving system can discard a duplicate.
func (s *Sender) MessageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "<tkd-" + hex.EncodeToString(sum[:])[:24] + "@" + s.domain + ">"
}

// SendNotice e-mails notice n about content on platformLabel ("Telegram",
// "X", …) to the address to, and returns the Message-ID it was sent under.
//
// Failures are classified for the workflow: an SMTP 5xx answer to the
// message or its recipient is permanent (the relay or the platform refuses
// it and will again), a 4xx, a refused or timed-out connection and anything
// else is transient. A failure while connecting, greeting, starting TLS or
// authenticating is transient whatever its code: it is about our relay, not
// the notice, and an operator can fix it while the takedown waits.
func (s *Sender) SendNotice(ctx context.Context, to string, n takedown.Notice, platformLabel string) (string, error) {
	msg, id, err := s.message(to, n, platformLabel)
	if err != nil {
		return "", platforms.Permanent("invalid_notice", fmt.Errorf("compose notice e-mail: %w", err))
	}
	ref := takedown.NoticeReference(n.Key)
	err = s.client.DialAndSendWithContext(ctx, msg)
	if err != nil && msg.IsDelivered() {
		// The relay accepted the message; only RSET or QUIT failed. Reporting
		// a failure would make the workflow send the notice again.
		s.logger.WarnContext(ctx, "notice e-mail delivered but closing the SMTP session failed",
			"reference", ref, "platform", platformLabel, "err", err)
		err = nil
	}
	if err != nil {
		return "", classify(err)
	}
	s.logger.InfoContext(ctx, "notice e-mailed", "reference", ref, "platform", platformLabel,
		"message_id", id, "priority", n.Priority)
	return id, nil
}

func classify(err error) error {
	return withDelivery(classifyReply(err), err)
}

// withDelivery marks a classified failure with how far the message got. It
// may have reached the relay only once DATA had begun and no reply to it
// was read: a reply code is the relay's word, and anything before DATA (the
// connection, TLS, the envelope) leaves no message behind.
func withDelivery(classified, err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch se.Reason {
		case gomail.ErrWriteContent, gomail.ErrSMTPDataClose:
			if se.ErrorCode() == 0 {
				return platforms.SentUnanswered(classified)
			}
		}
	}
	return platforms.NeverSent(classified)
}

func classifyReply(err error) error {
	err = fmt.Errorf("send notice e-mail: %w", err)
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch code := se.ErrorCode(); {
		case code >= 500 && code < 600:
			return platforms.Permanent(fmt.Sprintf("smtp_%d", code), err)
		case code >= 400 && code < 500:
			return platforms.Transient(fmt.Sprintf("smtp_%d", code), err)
		default:
			return platforms.Transient("smtp_send", err)
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return platforms.Transient(fmt.Sprintf("smtp_%d", te.Code), err)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return platforms.Transient("smtp_timeout", err)
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return platforms.Transient("smtp_unreachable", err)
	}
	return platforms.Transient("smtp_connect", err)
}
