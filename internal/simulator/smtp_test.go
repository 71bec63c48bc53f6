package simulator

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// startSMTP serves the simulator's SMTP on a free local port.
func (e *env) startSMTP(t *testing.T) string {
	t.Helper()
	addr, err := e.sim.StartSMTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func sendMail(t *testing.T, addr, to string, msg string) error {
	t.Helper()
	return smtp.SendMail(addr, nil, "notices@kcsc.example", []string{to}, []byte(strings.ReplaceAll(msg, "\n", "\r\n")))
}

const headerMail = `From: KCSC <notices@kcsc.example>
To: abuse@telegram.example
Subject: =?UTF-8?B?7Iuc7KCVIOyalOq1rA==?=
Message-ID: <notice-1@kcsc.example>
X-Takedown-Key: td-1/telegram/1
X-Takedown-Content-Url: https://t.me/SomeChannel/42
Content-Type: text/plain; charset=utf-8

The content at https://x.com/other/status/999 is not the one this notice is about.
`

// The URL is split by a quoted-printable soft line break, and the first
// URL in the text is not content.
const bodyMail = `From: notices@kcsc.example
To: legal@x.example
Subject: Removal request
Message-ID: <notice-2@kcsc.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

See https://www.kcsc.or.kr/ for our mandate. Reported post: https://x.com/someone/status/12345678=
90.
--b1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

PHA+PGEgaHJlZj0iaHR0cHM6Ly93d3cuZXhhbXBsZS5jb20vIj5ubzwvYT48L3A+
--b1--
`

const noURLMail = `From: notices@kcsc.example
To: abuse@telegram.example
Subject: Hello
Message-ID: <notice-3@kcsc.example>

Nothing to see here: https://www.kcsc.or.kr/
`

func TestSMTPNotices(t *testing.T) {
	e := newEnv(t, Config{})
	addr := e.startSMTP(t)
	tests := []struct {
		name, msg, to    string
		platform         takedown.Platform
		id, key, subject string
		messageID        string
		outcome          Outcome
	}{
		{"from header", headerMail, "abuse@telegram.example", takedown.Telegram, "somechannel/42", "td-1/telegram/1", "시정 요구", "<notice-1@kcsc.example>", OutcomeAccepted},
		{"from body", bodyMail, "legal@x.example", takedown.X, "1234567890", "", "Removal request", "<notice-2@kcsc.example>", OutcomeAccepted},
		{"unidentified", noURLMail, "abuse@telegram.example", Unidentified, "", "", "Hello", "<notice-3@kcsc.example>", OutcomeUnidentified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sendMail(t, addr, tt.to, tt.msg); err != nil {
				t.Fatalf("send: %v", err)
			}
			ns := e.sim.Notices(tt.platform, tt.id)
			if len(ns) != 1 {
				t.Fatalf("notices = %+v", ns)
			}
			n := ns[0]
			if n.Channel != takedown.ChannelEmail || n.MessageID != tt.messageID || n.Key != tt.key || n.Subject != tt.subject ||
				n.From != "notices@kcsc.example" || len(n.Recipients) != 1 || n.Recipients[0] != tt.to || n.Outcome != tt.outcome {
				t.Errorf("notice = %+v", n)
			}
		})
	}
	if got := e.sim.Requests(RouteSMTP); got != 3 {
		t.Errorf("Requests(SMTP) = %d, want 3", got)
	}
	if got := e.sim.Counters().Notices[Unidentified]; got != 1 {
		t.Errorf("unidentified count = %d", got)
	}
	if got := e.sim.NoticeCount(takedown.Telegram, "https://t.me/SomeChannel/42"); got != 1 {
		t.Errorf("NoticeCount by URL = %d, want 1", got)
	}
	if e.sim.NoticeCount(takedown.X, "999") != 0 {
		t.Errorf("a URL in the body won over the header")
	}

	e.clock.Advance(2 * time.Second)
	for _, c := range []struct {
		p  takedown.Platform
		id string
	}{{takedown.Telegram, "somechannel/42"}, {takedown.X, "1234567890"}} {
		if st := e.sim.State(c.p, c.id).Status; st != StatusRemoved {
			t.Errorf("%s %s is %s after the notice", c.p, c.id, st)
		}
	}
	r := e.get(t, "/t.me/SomeChannel/42?embed=1&mode=tme")
	if !strings.Contains(string(r.body), "Post not found") {
		t.Errorf("removed post still shown:\n%s", r.body)
	}
}

func TestSMTPBehaviours(t *testing.T) {
	e := newEnv(t, Config{})
	addr := e.startSMTP(t)
	mail := func(key, url string) string {
		return "From: a@kcsc.example\nTo: b@platform.example\nSubject: n\nMessage-ID: <" + key + "@kcsc.example>\nX-Takedown-Key: " + key +
			"\nX-Takedown-Content-Url: " + url + "\n\nbody\n"
	}
	mustSet(t, e.sim, takedown.Telegram, "rejectchan/1", Behaviour{OnNotice: OnNoticeReject})
	mustSet(t, e.sim, takedown.Telegram, "neverchan/1", Behaviour{OnNotice: OnNoticeNever})
	mustSet(t, e.sim, takedown.Meta, "", Behaviour{OnNotice: OnNoticePortal})
	mustSet(t, e.sim, takedown.X, "", Behaviour{FailRate: 1})

	tests := []struct {
		name, key, url string
		p              takedown.Platform
		id             string
		outcome        Outcome
		status         Status
	}{
		{"reject", "k1", "https://t.me/rejectchan/1", takedown.Telegram, "rejectchan/1", OutcomeRejected, StatusPresent},
		{"never", "k2", "https://t.me/neverchan/1", takedown.Telegram, "neverchan/1", OutcomeNoAction, StatusPresent},
		{"portal ignores e-mail", "k3", "https://www.instagram.com/p/Portal1/", takedown.Meta, "instagram/Portal1", OutcomeIgnored, StatusPresent},
	}
	for _, tt := range tests {
		if err := sendMail(t, addr, "b@platform.example", mail(tt.key, tt.url)); err != nil {
			t.Fatalf("%s: send: %v", tt.name, err)
		}
	}
	e.clock.Advance(time.Hour)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := e.sim.Notices(tt.p, tt.id)
			if len(ns) != 1 || ns[0].Outcome != tt.outcome || ns[0].Key != tt.key {
				t.Fatalf("notices = %+v", ns)
			}
			if tt.outcome == OutcomeRejected && ns[0].Reply == "" {
				t.Errorf("rejected notice has no reply")
			}
			if st := e.sim.State(tt.p, tt.id).Status; st != tt.status {
				t.Errorf("status = %s, want %s", st, tt.status)
			}
		})
	}

	// A bounced address refuses the message for good and records nothing.
	mustSet(t, e.sim, takedown.Telegram, "bouncechan/1", Behaviour{OnNotice: OnNoticeBounce})
	err := sendMail(t, addr, "b@platform.example", mail("k9", "https://t.me/bouncechan/1"))
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("bounce: %v, want a 550", err)
	}
	if ns := e.sim.Notices(takedown.Telegram, "bouncechan/1"); len(ns) != 0 {
		t.Errorf("bounced notice recorded: %+v", ns)
	}

	// A portal submission is what removes Meta content under "portal".
	n, err := e.sim.SubmitPortal(takedown.Meta, "instagram/Portal1", "")
	if err != nil || n.Outcome != OutcomeAccepted || !strings.HasPrefix(n.Ticket, "SIM-META-") {
		t.Fatalf("portal = %+v, %v", n, err)
	}
	e.clock.Advance(2 * time.Second)
	if st := e.sim.State(takedown.Meta, "instagram/Portal1").Status; st != StatusRemoved {
		t.Errorf("after portal: %s", st)
	}

	// The same key twice is filed twice and flagged.
	if err := sendMail(t, addr, "b@platform.example", mail("k2", "https://t.me/neverchan/1")); err != nil {
		t.Fatal(err)
	}
	if ns := e.sim.Notices(takedown.Telegram, "neverchan/1"); len(ns) != 2 || ns[0].Duplicate || !ns[1].Duplicate {
		t.Errorf("duplicate flags = %+v", ns)
	}

	// A failing platform answers a temporary SMTP error and files nothing.
	err = sendMail(t, addr, "b@platform.example", mail("k5", "https://x.com/a/status/77"))
	var perr *textproto.Error
	if !errors.As(err, &perr) || perr.Code != 451 {
		t.Fatalf("send to failing platform: %v", err)
	}
	if e.sim.NoticeCount(takedown.X, "77") != 0 || e.sim.ContentRequests(takedown.X, "77") != 1 {
		t.Errorf("failed e-mail: notices %d, requests %d", e.sim.NoticeCount(takedown.X, "77"), e.sim.ContentRequests(takedown.X, "77"))
	}
	if got := e.sim.Requests(RouteSMTP); got != 6 {
		t.Errorf("Requests(SMTP) = %d, want 6", got)
	}
}
