package mail

import (
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"text/template"

	gomail "github.com/wneessen/go-mail"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Machine-readable headers a receiving system can route on without parsing
// the text. X-Takedown-Reference is ours (the one a reply should quote, also
// in the subject); X-Takedown-Case is the regulator's own case number, the
// same across reminders of one takedown.
const (
	HeaderReference  gomail.Header = "X-Takedown-Reference"
	HeaderKey        gomail.Header = "X-Takedown-Key"
	HeaderContentURL gomail.Header = "X-Takedown-Content-Url"
	HeaderPlatform   gomail.Header = "X-Takedown-Platform"
	HeaderPriority   gomail.Header = "X-Takedown-Priority"
	HeaderCategory   gomail.Header = "X-Takedown-Category"
	HeaderCase       gomail.Header = "X-Takedown-Case"
	// HeaderKind names what the notice is (notice, reminder, priority,
	// follow_up, appeal), so that a receiving system can thread a reminder
	// or an appeal onto the request it is about.
	HeaderKind gomail.Header = "X-Takedown-Notice-Kind"
	// HeaderFirstReference is our reference of the request's first notice,
	// on every later notice that knows it.
	HeaderFirstReference gomail.Header = "X-Takedown-First-Reference"
)

// kindWords is how the subject names each kind, English then Korean; a
// first notice needs no label.
var kindWords = map[takedown.NoticeKind]struct{ en, ko string }{
	takedown.KindNotice:   {},
	takedown.KindReminder: {"REMINDER", "재요청"},
	takedown.KindPriority: {"PRIORITY ESCALATION", "긴급 상향 요청"},
	takedown.KindFollowUp: {"FURTHER INFORMATION", "추가 정보"},
	takedown.KindAppeal:   {"APPEAL", "재검토 요청"},
}

// categoryWords names each category in the words a platform's reviewer reads.
var categoryWords = map[takedown.Category]struct{ ko, en string }{
	takedown.DeepfakeSexual: {"불법 합성 성적 영상물", "Sexually explicit deepfake"},
	takedown.NCII:           {"비동의 촬영·유포 성적 영상물", "Non-consensual intimate imagery"},
	takedown.CSAM:           {"아동·청소년 성착취물", "Child sexual abuse material"},
	takedown.Sextortion:     {"성적 영상물을 이용한 협박", "Sextortion"},
	takedown.OtherIllegal:   {"기타 불법 정보", "Other illegal content"},
}

// noticeData is what the body template reads.
type noticeData struct {
	Platform    string
	Reference   string // ours
	Case        string // the regulator's
	URL         string
	CategoryKO  string
	CategoryEN  string
	LegalGround string
	Evidence    string
	Priority    bool
	Kind        takedown.NoticeKind
	// First and FirstDate name the request's first notice, when known.
	First, FirstDate string
	// Information is the added text, one string per line.
	Information []string
}

// The staff note (Notice.Note) is deliberately left out: it may hold the
// victim's details, which the platform does not need to find the content.
// The added information (Notice.Information) is written by staff for the
// platform and goes in full.
var bodyTemplate = template.Must(template.New("notice").Parse(`{{.Platform}} 신고 담당자 귀하,
{{if .Priority}}
[긴급 우선 처리 요청]
{{end}}
{{if eq .Kind "reminder" -}}
[재요청] {{template "firstKO" .}} 아래 콘텐츠가 아직 삭제되지 않았습니다. 대한민국 법률상 불법정보에 해당하므로 다시 삭제를 요청합니다.
{{- else if eq .Kind "priority" -}}
[긴급 상향 요청] {{template "firstKO" .}} 아래 콘텐츠가 기한 내에 삭제되지 않아 우선 처리 채널로 다시 삭제를 요청합니다.
{{- else if eq .Kind "follow_up" -}}
[추가 정보] 아래 콘텐츠에 관한 귀사의 질의에 답변하여 추가 정보를 보내드립니다. 이 콘텐츠의 삭제 요청은 유효합니다.
{{- else if eq .Kind "appeal" -}}
[재검토 요청] 아래 콘텐츠에 관한 삭제 요청을 거부하신 결정에 이의를 제기하며 재검토를 요청합니다.
{{- else -}}
아래 콘텐츠는 대한민국 법률상 불법정보에 해당하므로 삭제를 요청합니다.
{{- end}}

  접수번호: {{.Reference}} (회신 시 이 번호를 인용해 주십시오)
{{- if .Case}}
  사건번호: {{.Case}}{{end}}
{{- if .First}}
  최초 통지: {{.First}}{{if .FirstDate}} ({{.FirstDate}}){{end}}{{end}}
  콘텐츠 URL: {{.URL}}
  유형: {{.CategoryKO}}
{{- if .LegalGround}}
  법적 근거: {{.LegalGround}}{{end}}
{{- if .Evidence}}
  증거 해시: {{.Evidence}}{{end}}
{{- if .Information}}

{{if eq .Kind "appeal"}}재검토 사유{{else if eq .Kind "follow_up"}}추가 정보 (질의에 대한 답변){{else}}추가 정보{{end}}:
{{- range .Information}}
{{if .}}  {{.}}{{end}}{{end}}{{end}}

요청 사항: {{if .Priority}}피해가 진행 중인 긴급 사안입니다. 위 콘텐츠를 즉시 삭제해 주십시오.{{else}}위 콘텐츠를 삭제해 주십시오.{{end}} 전 세계에서 삭제할 수 없는 경우 대한민국에서의 접근을 제한하고 그 사실을 알려 주십시오.
회신 방법: 처리 결과를 이 메일에 회신으로 알려 주십시오. 제목의 접수번호({{.Reference}})를 그대로 유지해 주십시오.

----------------------------------------------------------------------

To the {{.Platform}} trust and safety team,
{{if .Priority}}
[PRIORITY REQUEST]
{{end}}
{{if eq .Kind "reminder" -}}
[REMINDER] The content below, {{template "firstEN" .}}, has not been removed. It is illegal under the law of the Republic of Korea; we request its removal again.
{{- else if eq .Kind "priority" -}}
[PRIORITY ESCALATION] The content below, {{template "firstEN" .}}, was not removed by the deadline. We now request its removal through your priority channel.
{{- else if eq .Kind "follow_up" -}}
[FURTHER INFORMATION] In answer to your question about the content below, we send the additional information that follows. Our request for its removal stands.
{{- else if eq .Kind "appeal" -}}
[APPEAL] We contest your decision to reject our request about the content below and ask you to reconsider it.
{{- else -}}
The content below is illegal under the law of the Republic of Korea. We request its removal.
{{- end}}

  Our reference: {{.Reference}} (please quote it in any reply)
{{- if .Case}}
  Case reference: {{.Case}}{{end}}
{{- if .First}}
  First notice: {{.First}}{{if .FirstDate}} ({{.FirstDate}}){{end}}{{end}}
  Content URL: {{.URL}}
  Category: {{.CategoryEN}}
{{- if .LegalGround}}
  Legal ground: {{.LegalGround}}{{end}}
{{- if .Evidence}}
  Evidence digest: {{.Evidence}}{{end}}
{{- if .Information}}

{{if eq .Kind "appeal"}}Grounds for reconsideration{{else if eq .Kind "follow_up"}}Additional information (answering your question){{else}}Additional information{{end}}:
{{- range .Information}}
{{if .}}  {{.}}{{end}}{{end}}{{end}}

Requested action: {{if .Priority}}this is an urgent case of ongoing harm; please remove the content immediately.{{else}}please remove the content.{{end}} If it cannot be removed globally, restrict access to it from the Republic of Korea and tell us so.
How to reply: reply to this e-mail with the outcome, keeping the reference {{.Reference}} in the subject.

--
이 통지는 자동으로 생성되었습니다. 식별 정보는 X-Takedown-* 헤더에 있습니다.
This notice was generated automatically; its identifiers are in the X-Takedown-* headers.
{{- define "firstKO"}}{{if .First}}{{.First}}{{if .FirstDate}} ({{.FirstDate}}){{end}} 통지로 요청드린{{else}}앞서 요청드린{{end}}{{end}}
{{- define "firstEN"}}{{if .First}}which we asked you to remove in our notice {{.First}}{{if .FirstDate}} of {{.FirstDate}}{{end}}{{else}}which we asked you to remove earlier{{end}}{{end}}
`))

// message composes the e-mail for n and returns it with its Message-ID.
func (s *Sender) message(to string, n takedown.Notice, platformLabel string) (*gomail.Msg, string, error) {
	if n.Key == "" {
		return nil, "", errors.New("notice without idempotency key")
	}
	if n.Content.URL == "" {
		return nil, "", errors.New("notice without content URL")
	}
	if strings.ContainsAny(n.Content.URL, " \r\n") {
		return nil, "", errors.New("content URL contains white space")
	}
	words, ok := categoryWords[n.Category]
	if !ok {
		return nil, "", fmt.Errorf("unknown category %q", n.Category)
	}
	if platformLabel == "" {
		platformLabel = string(n.Content.Platform)
	}
	rcpt, err := netmail.ParseAddress(to)
	if err != nil {
		return nil, "", fmt.Errorf("recipient %q: %w", to, err)
	}
	kind := n.Kind.Of()
	kw, ok := kindWords[kind]
	if !ok {
		return nil, "", fmt.Errorf("unknown notice kind %q", n.Kind)
	}
	for _, v := range []string{n.Key, n.Reference, platformLabel, n.FirstReference} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, "", errors.New("header value contains a line break")
		}
	}

	ref := takedown.NoticeReference(n.Key)
	data := noticeData{
		Platform:    platformLabel,
		Reference:   ref,
		Case:        n.Reference,
		URL:         n.Content.URL,
		CategoryKO:  words.ko,
		CategoryEN:  words.en,
		LegalGround: oneLine(n.LegalGround),
		Evidence:    oneLine(n.EvidenceDigest),
		Priority:    n.Priority,
		Kind:        kind,
		Information: paragraphs(n.Information),
	}
	if kind != takedown.KindNotice && n.FirstReference != "" {
		data.First = n.FirstReference
		if !n.FirstSentAt.IsZero() {
			data.FirstDate = n.FirstSentAt.UTC().Format("2006-01-02 15:04 UTC")
		}
	}
	var body strings.Builder
	if err := bodyTemplate.Execute(&body, data); err != nil {
		return nil, "", fmt.Errorf("render body: %w", err)
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(rcpt)
	msg.Subject(subject(ref, words.en, words.ko, kw.en, kw.ko, n.Priority && kind != takedown.KindPriority))
	msg.SetDateWithValue(s.now())
	id := s.MessageID(n.Key)
	msg.SetMessageIDWithValue(strings.Trim(id, "<>"))
	msg.SetGenHeader(gomail.HeaderContentLang, "ko, en")
	msg.SetGenHeader(HeaderReference, ref)
	msg.SetGenHeader(HeaderKey, n.Key)
	msg.SetGenHeader(HeaderContentURL, n.Content.URL)
	msg.SetGenHeader(HeaderPlatform, platformLabel)
	msg.SetGenHeader(HeaderCategory, string(n.Category))
	msg.SetGenHeader(HeaderKind, string(kind))
	if data.First != "" {
		msg.SetGenHeader(HeaderFirstReference, data.First)
	}
	if n.Reference != "" {
		msg.SetGenHeader(HeaderCase, n.Reference)
	}
	if n.Priority {
		msg.SetGenHeader(HeaderPriority, "yes")
		msg.SetImportance(gomail.ImportanceHigh)
	} else {
		msg.SetGenHeader(HeaderPriority, "no")
	}
	msg.SetBodyString(gomail.TypeTextPlain, body.String())
	return msg, id, nil
}

// subject names the request, its kind when it is not a first notice, and
// the category, each in English and Korean.
func subject(ref, en, ko, kindEN, kindKO string, priority bool) string {
	s := "[Takedown request " + ref + "] "
	if kindEN != "" {
		s += kindEN + " / " + kindKO + ": "
	}
	if priority {
		s += "PRIORITY / 긴급: "
	}
	return s + en + " / " + ko
}

// paragraphs splits free text into its lines, each with its spaces
// collapsed and blank runs kept to one empty line, so that it is indented
// under its heading and cannot break the layout around it.
func paragraphs(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		l = oneLine(l)
		if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// oneLine keeps a free-text field from breaking the body's layout.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
