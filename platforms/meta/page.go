package meta

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// What the public pages say, lower-cased, with ’ read as '. All unverified:
// Meta's logged-out pages change often, and they show the same "isn't
// available" page for content that was deleted and for content whose owner
// narrowed its audience; either way it is no longer public, which is what
// the regulator asked for. A page showing both the notice and the content's
// own metadata is left unknown.
var (
	unavailablePhrases = []string{
		"content isn't available", "content is not available",
		"page isn't available", "page is not available",
		"post isn't available", "post is not available",
		"video isn't available", "video is not available",
		"page not found",
		"콘텐츠를 이용할 수 없", "콘텐츠는 현재 이용할 수 없",
		"페이지를 사용할 수 없", "게시물을 이용할 수 없",
	}
	withheldPhrases = []string{
		"not available in your country", "isn't available in your country",
		"restricted in your country", "국가에서는 이용할 수 없",
	}
)

// contentOG are the Open Graph properties a page about the content carries;
// og:site_name, og:type and og:locale appear on any page and do not count.
var contentOG = map[string]bool{
	"og:title": true, "og:description": true, "og:image": true, "og:video": true, "og:url": true,
}

// probePage reads the content's public page; why says what made oEmbed's
// answer insufficient and is kept in the reason.
func (c *Client) probePage(ctx context.Context, page *url.URL, why string) (takedown.ProbeResult, error) {
	target := page.String()
	if c.cfg.PublicBaseURL != "" {
		target = c.cfg.PublicBaseURL + "/" + page.Host + page.EscapedPath()
		if page.RawQuery != "" {
			target += "?" + page.RawQuery
		}
	}
	resp, err := c.get(ctx, target, "text/html,application/xhtml+xml", maxPage)
	if err != nil {
		return takedown.ProbeResult{}, fmt.Errorf("public page: %w", err)
	}
	res := takedown.ProbeResult{CheckedAt: c.cfg.Now()}
	reason := func(s string) string {
		if why != "" {
			return s + " (" + why + ")"
		}
		return s
	}
	status := resp.Status
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		res.State, res.Reason = takedown.ProbeRemoved, reason(fmt.Sprintf("public page answered HTTP %d", status))
		return res, nil
	case status == http.StatusTooManyRequests:
		return takedown.ProbeResult{}, platforms.RateLimited("http_429", c.wait(resp.Header), fmt.Errorf("public page: HTTP %d", status))
	case status >= 500:
		return takedown.ProbeResult{}, platforms.Transient(fmt.Sprintf("http_%d", status), fmt.Errorf("public page: HTTP %d", status))
	case status != http.StatusOK:
		res.State, res.Reason = takedown.ProbeUnknown, reason(fmt.Sprintf("public page answered HTTP %d", status))
		return res, nil
	}

	og, text := readPage(resp.Body)
	withheld := findPhrase(text, withheldPhrases)
	gone := findPhrase(text, unavailablePhrases)
	switch {
	case og != "" && (withheld != "" || gone != ""):
		res.State, res.Reason = takedown.ProbeUnknown, reason("public page shows both the content's metadata and an unavailable notice")
	case withheld != "":
		res.State, res.Reason, res.Countries = takedown.ProbeWithheld, reason("public page: "+withheld), []string{c.cfg.ProbeCountry}
	case gone != "":
		res.State, res.Reason = takedown.ProbeRemoved, reason("public page: "+gone)
	case og != "":
		res.State, res.Reason = takedown.ProbePresent, reason("public page shows the content ("+og+")")
	default:
		res.State, res.Reason = takedown.ProbeUnknown, reason("public page not recognised (login wall?)")
	}
	return res, nil
}

// readPage returns the first content Open Graph property the page carries
// and its visible text (title included; scripts and styles left out),
// lower-cased.
func readPage(page []byte) (og, text string) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return "", ""
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "noscript", "template":
				return
			case "meta":
				prop := strings.ToLower(cmpAttr(n, "property", "name"))
				if og == "" && contentOG[prop] && strings.TrimSpace(attr(n, "content")) != "" {
					og = prop
				}
			}
		case html.TextNode:
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	text = strings.ToLower(strings.Join(strings.Fields(b.String()), " "))
	return og, strings.ReplaceAll(text, "’", "'")
}

func findPhrase(text string, phrases []string) string {
	for _, p := range phrases {
		if strings.Contains(text, p) {
			return p
		}
	}
	return ""
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// cmpAttr returns the first of the named attributes that is set.
func cmpAttr(n *html.Node, names ...string) string {
	for _, name := range names {
		if v := attr(n, name); v != "" {
			return v
		}
	}
	return ""
}
