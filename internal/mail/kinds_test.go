package mail_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// TestSendNoticeKinds: every kind of notice says what it is, in the subject,
// in both languages of the body and in a header, so that a platform does not
// read a reminder or an appeal as a copy of the first request.
func TestSendNoticeKinds(t *testing.T) {
	const first = "TKD-0A1B2C3D4E5F"
	firstAt := time.Date(2025, 3, 11, 2, 15, 0, 0, time.UTC)
	tests := []struct {
		name        string
		golden      string
		notice      func(takedown.Notice) takedown.Notice
		wantKind    string
		wantFirst   string
		wantSubject string
		wantBody    []string
	}{
		{
			name: "first notice", golden: "kind-notice",
			notice: func(n takedown.Notice) takedown.Notice {
				n.Kind = takedown.KindNotice
				n.FirstReference = first
				return n
			},
			wantKind: "notice", wantSubject: "Sexually explicit deepfake / 불법 합성 성적 영상물",
			wantBody: []string{"삭제를 요청합니다.", "We request its removal."},
		},
		{
			name: "reminder", golden: "kind-reminder",
			notice: func(n takedown.Notice) takedown.Notice {
				n.Kind, n.Attempt, n.FirstReference, n.FirstSentAt = takedown.KindReminder, 2, first, firstAt
				return n
			},
			wantKind: "reminder", wantFirst: first,
			wantSubject: "REMINDER / 재요청: Sexually explicit deepfake / 불법 합성 성적 영상물",
			wantBody: []string{
				"[재요청] " + first + " (2025-03-11 02:15 UTC) 통지로 요청드린 아래 콘텐츠가 아직 삭제되지 않았습니다.",
				"최초 통지: " + first + " (2025-03-11 02:15 UTC)",
				"[REMINDER] The content below, which we asked you to remove in our notice " + first + " of 2025-03-11 02:15 UTC, has not been removed.",
				"First notice: " + first + " (2025-03-11 02:15 UTC)",
			},
		},
		{
			name: "reminder without the first notice", golden: "kind-reminder-unknown-first",
			notice:   func(n takedown.Notice) takedown.Notice { n.Kind, n.Attempt = takedown.KindReminder, 2; return n },
			wantKind: "reminder", wantSubject: "REMINDER / 재요청: Sexually explicit deepfake / 불법 합성 성적 영상물",
			wantBody: []string{"[재요청] 앞서 요청드린 아래 콘텐츠", "which we asked you to remove earlier, has not been removed"},
		},
		{
			name: "priority escalation", golden: "kind-priority",
			notice: func(n takedown.Notice) takedown.Notice {
				n.Kind, n.Attempt, n.Priority, n.FirstReference, n.FirstSentAt = takedown.KindPriority, 3, true, first, firstAt
				return n
			},
			wantKind: "priority", wantFirst: first,
			wantSubject: "PRIORITY ESCALATION / 긴급 상향 요청: Sexually explicit deepfake / 불법 합성 성적 영상물",
			wantBody: []string{
				"[긴급 상향 요청] " + first, "우선 처리 채널로 다시 삭제를 요청합니다.",
				"[PRIORITY ESCALATION] The content below, which we asked you to remove in our notice " + first,
				"was not removed by the deadline", "please remove the content immediately",
			},
		},
		{
			name: "follow-up answering a question", golden: "kind-follow-up",
			notice: func(n takedown.Notice) takedown.Notice {
				n.Kind, n.Attempt, n.FirstReference = takedown.KindFollowUp, 2, first
				n.Information = "The person shown did not consent.\r\n\r\n\r\nA police report (2025-0311) is on file;   ask us for it."
				return n
			},
			wantKind: "follow_up", wantFirst: first,
			wantSubject: "FURTHER INFORMATION / 추가 정보: Sexually explicit deepfake / 불법 합성 성적 영상물",
			wantBody: []string{
				"[추가 정보] 아래 콘텐츠에 관한 귀사의 질의에 답변하여",
				"추가 정보 (질의에 대한 답변):\n  The person shown did not consent.\n\n  A police report (2025-0311) is on file; ask us for it.\n",
				"[FURTHER INFORMATION] In answer to your question",
				"Additional information (answering your question):\n  The person shown did not consent.\n",
			},
		},
		{
			name: "appeal of a rejection", golden: "kind-appeal",
			notice: func(n takedown.Notice) takedown.Notice {
				n.Kind, n.Attempt = takedown.KindAppeal, 3
				n.Information = "법원 판결(2025가합123)로 합성물임이 확인되었습니다."
				return n
			},
			wantKind: "appeal", wantSubject: "APPEAL / 재검토 요청: Sexually explicit deepfake / 불법 합성 성적 영상물",
			wantBody: []string{
				"[재검토 요청] 아래 콘텐츠에 관한 삭제 요청을 거부하신 결정에 이의를 제기하며",
				"재검토 사유:\n  법원 판결(2025가합123)로 합성물임이 확인되었습니다.\n",
				"[APPEAL] We contest your decision to reject our request",
				"Grounds for reconsideration:\n  법원 판결(2025가합123)로 합성물임이 확인되었습니다.\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be, port := startServer(t)
			s := newSender(t, port)
			n := tt.notice(testNotice("0f8fad5b-d9cb-469f-a165-70867728950e:telegram:1"))
			if _, err := s.SendNotice(context.Background(), "abuse@telegram.example", n, "Telegram"); err != nil {
				t.Fatal(err)
			}
			msgs := be.messages()
			if len(msgs) != 1 {
				t.Fatalf("server received %d messages", len(msgs))
			}
			golden(t, tt.golden+".eml", msgs[0].Data)
			m, err := netmail.ReadMessage(bytes.NewReader(msgs[0].Data))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Header.Get("X-Takedown-Notice-Kind"); got != tt.wantKind {
				t.Errorf("X-Takedown-Notice-Kind = %q, want %q", got, tt.wantKind)
			}
			if got := m.Header.Get("X-Takedown-First-Reference"); got != tt.wantFirst {
				t.Errorf("X-Takedown-First-Reference = %q, want %q", got, tt.wantFirst)
			}
			subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			if want := "[Takedown request " + takedown.NoticeReference(n.Key) + "] " + tt.wantSubject; subj != want {
				t.Errorf("subject = %q, want %q", subj, want)
			}
			body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden+".txt", body)
			text := strings.ReplaceAll(string(body), "\r\n", "\n")
			for _, want := range tt.wantBody {
				if !strings.Contains(text, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
			if strings.Contains(string(body), "phone") {
				t.Error("body carries the staff note")
			}
		})
	}
}
