package telegram

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Classes of the embed widget. A missing or deleted post renders an element
// of class tgme_widget_message_error ("Post not found"); a live one renders
// its text or media.
const errorClass = "tgme_widget_message_error"

var contentClasses = map[string]bool{
	"tgme_widget_message_text":              true,
	"tgme_widget_message_photo":             true,
	"tgme_widget_message_photo_wrap":        true,
	"tgme_widget_message_video":             true,
	"tgme_widget_message_video_player":      true,
	"tgme_widget_message_video_wrap":        true,
	"tgme_widget_message_roundvideo_player": true,
	"tgme_widget_message_grouped_wrap":      true,
	"tgme_widget_message_document":          true,
	"tgme_widget_message_sticker":           true,
	"tgme_widget_message_voice":             true,
	"tgme_widget_message_poll":              true,
}

// withheldPhrases mark a post Telegram hides in the probe's country. How a
// country-restricted post renders in the widget is unverified: these are the
// phrases Telegram's clients use for such posts, looked for only in the
// widget's error element, so a post that merely quotes them stays present.
var withheldPhrases = []string{
	"not available in your country",
	"unavailable in your country",
	"violated local laws",
	"can't be displayed",
	"cannot be displayed",
}

// classify reads a preview page. Note that a post of a channel that has gone
// private renders like a deleted one (Telegram's own caveat); for the
// regulator both mean the post is no longer public.
func (c *Client) classify(page []byte) (takedown.ProbeState, string, []string) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		// html.Parse fails only on reader errors; keep the branch honest.
		return takedown.ProbeUnknown, "unreadable preview page", nil
	}
	var errText *string
	hasContent := false
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, cls := range strings.Fields(attr(n, "class")) {
			switch {
			case cls == errorClass && errText == nil:
				t := strings.Join(strings.Fields(text(n)), " ")
				errText = &t
			case contentClasses[cls]:
				hasContent = true
			}
		}
	}
	switch {
	case errText != nil && hasContent:
		return takedown.ProbeUnknown, "preview shows both an error and the post", nil
	case errText != nil:
		lower := strings.ToLower(*errText)
		for _, p := range withheldPhrases {
			if strings.Contains(lower, p) {
				return takedown.ProbeWithheld, clip(*errText), []string{c.cfg.ProbeCountry}
			}
		}
		if strings.Contains(lower, "not found") {
			return takedown.ProbeRemoved, clip(*errText), nil
		}
		return takedown.ProbeUnknown, "preview error: " + clip(*errText), nil
	case hasContent:
		return takedown.ProbePresent, "post preview shown", nil
	default:
		return takedown.ProbeUnknown, "preview page not recognised", nil
	}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// clip bounds a platform's message kept as a reason.
func clip(s string) string {
	const max = 120
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
