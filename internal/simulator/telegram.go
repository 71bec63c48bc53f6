package simulator

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Telegram's widget markup, as served by https://t.me/<channel>/<id>?embed=1&mode=tme.
// The classes are the ones scrapers and the adapter rely on.
var telegramWidget = template.Must(template.New("widget").Parse(`<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>Telegram Widget</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <meta name="robots" content="noindex, nofollow">
    <link href="//telegram.org/css/widget-frame.css?67" rel="stylesheet" media="screen">
  </head>
  <body class="widget_frame_base tgme_widget body_widget_post emoji_image nodark">
    <div class="tgme_widget_message_wrap js-widget_message_wrap date_visible">
      <div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{{.Post}}">
{{- if .Error}}
        <div class="tgme_widget_message_bubble">
          <div class="tgme_widget_message_error">{{.Error}}</div>
        </div>
{{- else}}
        <div class="tgme_widget_message_user"><a href="https://t.me/{{.Channel}}"><i class="tgme_widget_message_user_photo bgcolor1" data-content="S"></i></a></div>
        <div class="tgme_widget_message_bubble">
          <i class="tgme_widget_message_bubble_tail"></i>
          <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/{{.Channel}}"><span dir="auto">{{.Title}}</span></a></div>
          <a class="tgme_widget_message_photo_wrap" href="https://t.me/{{.Post}}" style="width:800px;background-image:url('https://cdn4.telesco.pe/file/simulated.jpg')"><div class="tgme_widget_message_photo" style="padding-top:75%"></div></a>
          <div class="tgme_widget_message_text js-message_text" dir="auto">{{.Text}}</div>
          <div class="tgme_widget_message_footer compact js-message_footer">
            <div class="tgme_widget_message_info short js-message_info">
              <span class="tgme_widget_message_views">1.2K</span><span class="copyonly"> views</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{{.Post}}"><time datetime="2024-08-26T09:00:00+00:00" class="time">09:00</time></a></span>
            </div>
          </div>
        </div>
{{- end}}
      </div>
    </div>
  </body>
</html>
`))

// The page without embed=1 is the channel's preview with an "open in
// Telegram" button. It looks the same whether the post exists or not, which
// is why the adapter must ask for the widget.
var telegramPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>Telegram: View @{{.Channel}}</title>
    <meta property="og:title" content="{{.Title}}">
    <meta property="og:image" content="https://cdn4.telesco.pe/file/simulated.jpg">
    <meta property="og:site_name" content="Telegram">
    <meta property="og:description" content="You can view and join @{{.Channel}} right away.">
    <meta name="robots" content="noindex, nofollow">
  </head>
  <body class="no_transition">
    <div class="tgme_page_wrap">
      <div class="tgme_page tgme_page_post">
        <div class="tgme_page_title"><span dir="auto">{{.Title}}</span></div>
        <div class="tgme_page_action"><a class="tgme_action_button_new shine" href="tg://resolve?domain={{.Channel}}&amp;post={{.ID}}">View in Telegram</a></div>
      </div>
    </div>
  </body>
</html>
`))

var telegramChannelPage = template.Must(template.New("channel").Parse(`<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{{.Title}} – Telegram</title>
    <meta property="og:title" content="{{.Title}}">
    <meta property="og:site_name" content="Telegram">
  </head>
  <body class="widget_frame_base emoji_image nodark">
    <main class="tgme_main" data-url="/s/{{.Channel}}">
      <div class="tgme_channel_info"><div class="tgme_channel_info_header_title"><span dir="auto">{{.Title}}</span></div><div class="tgme_channel_info_header_username"><a href="https://t.me/{{.Channel}}">@{{.Channel}}</a></div></div>
      <section class="tgme_channel_history js-message_history">
{{- range .Posts}}
        <div class="tgme_widget_message_wrap js-widget_message_wrap">
          <div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{{.Post}}">
            <div class="tgme_widget_message_bubble">
              <div class="tgme_widget_message_text js-message_text" dir="auto">{{.Text}}</div>
              <div class="tgme_widget_message_info short js-message_info"><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{{.Post}}"><time datetime="2024-08-26T09:00:00+00:00" class="time">09:00</time></a></span></div>
            </div>
          </div>
        </div>
{{- end}}
      </section>
    </main>
  </body>
</html>
`))

type telegramPost struct {
	Channel, ID, Post, Title, Text string
	// Error is one of the fixed texts below, written as is: an apostrophe
	// escaped as &#39; would defeat a plain text match.
	Error template.HTML
}

func newTelegramPost(channel, id string) telegramPost {
	return telegramPost{
		Channel: channel,
		ID:      id,
		Post:    channel + "/" + id,
		Title:   "Simulated channel " + channel,
		Text:    "Simulated post " + id + " in @" + channel + ".",
	}
}

type telegramFaults struct{}

func (telegramFaults) rateLimited(w http.ResponseWriter, rl RateLimit) {
	retryAfter(w, rl)
	writeHTML(w, rl.Status, []byte("<html><head><title>Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>\n"))
}

func (telegramFaults) unavailable(w http.ResponseWriter) {
	writeHTML(w, http.StatusServiceUnavailable, []byte(nginxUnavailable))
}

const nginxUnavailable = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

func writeHTML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func renderHTML(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		// The templates are fixed and their data plain strings.
		panic("simulator: render " + t.Name() + ": " + err.Error())
	}
	writeHTML(w, status, buf.Bytes())
}

func identifyTelegramPost(r *http.Request) []takedown.Content {
	c, err := takedown.ParseURL("https://t.me/" + r.PathValue("channel") + "/" + r.PathValue("id"))
	if err != nil {
		return nil
	}
	return []takedown.Content{c}
}

func identifyTelegramPrivate(r *http.Request) []takedown.Content {
	c, err := takedown.ParseURL("https://t.me/c/" + r.PathValue("internal") + "/" + r.PathValue("id"))
	if err != nil {
		return nil
	}
	return []takedown.Content{c}
}

// telegramPost serves the post preview. Deleted posts, posts of private
// channels and posts that never existed all read "Post not found".
func (s *Simulator) telegramPost(w http.ResponseWriter, r *http.Request, cs []takedown.Content) {
	channel := r.PathValue("channel")
	if channel == "" {
		channel = "c/" + r.PathValue("internal")
	}
	p := newTelegramPost(channel, r.PathValue("id"))
	if r.URL.Query().Get("embed") != "1" {
		renderHTML(w, http.StatusOK, telegramPage, p)
		return
	}
	st := StatusRemoved
	if len(cs) > 0 && !strings.HasPrefix(cs[0].ID, "c/") {
		s.mu.Lock()
		st, _ = s.statusLocked(cs[0])
		s.mu.Unlock()
	}
	switch st {
	case StatusRemoved:
		p.Error = "Post not found"
	case StatusWithheld:
		// How Telegram renders a post blocked in the viewer's country is
		// unverified; this is a guess with the same error element.
		p.Error = "This message can't be displayed in your country"
	}
	renderHTML(w, http.StatusOK, telegramWidget, p)
}

// telegramChannel lists the channel's present posts that the simulator has
// seen, oldest first.
func (s *Simulator) telegramChannel(w http.ResponseWriter, r *http.Request, _ []takedown.Content) {
	channel := r.PathValue("channel")
	lower := strings.ToLower(channel)
	var ids []int64
	s.mu.Lock()
	for _, rec := range s.st.Contents {
		ch, post, ok := strings.Cut(rec.ID, "/")
		if rec.Platform != takedown.Telegram || !ok || ch != lower {
			continue
		}
		n, err := strconv.ParseInt(post, 10, 64)
		if err != nil {
			continue
		}
		if st, _ := rec.statusAt(s.now(), s.behaviourLocked(rec.Platform, rec.ID)); st == StatusPresent {
			ids = append(ids, n)
		}
	}
	s.mu.Unlock()
	slices.Sort(ids)
	page := struct {
		Channel, Title string
		Posts          []telegramPost
	}{Channel: channel, Title: "Simulated channel " + channel}
	for _, id := range ids {
		page.Posts = append(page.Posts, newTelegramPost(channel, strconv.FormatInt(id, 10)))
	}
	renderHTML(w, http.StatusOK, telegramChannelPage, page)
}
