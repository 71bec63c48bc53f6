package simulator

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// identifyURL identifies content from a URL a client sent. Besides what
// ParseURL accepts, it takes https://www.facebook.com/<id>, the URL that
// ParseContentID builds for a Facebook id, which a probe may well send.
func identifyURL(raw string) (takedown.Content, bool) {
	if c, err := takedown.ParseURL(raw); err == nil {
		return c, true
	}
	u, err := url.Parse(raw)
	if err != nil {
		return takedown.Content{}, false
	}
	switch strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.") {
	case "facebook.com", "m.facebook.com", "web.facebook.com":
		if c, err := takedown.ParseContentID(takedown.Meta, "facebook/"+strings.Trim(u.Path, "/")); err == nil {
			return c, true
		}
	}
	return takedown.Content{}, false
}

func identifyOEmbed(r *http.Request) []takedown.Content {
	if c, ok := identifyURL(r.URL.Query().Get("url")); ok {
		return []takedown.Content{c}
	}
	return nil
}

// fbtraceID stands in for the opaque trace id Meta puts on every error.
func (s *Simulator) fbtraceID() string {
	return "A" + etag("fbtrace", strconv.FormatUint(s.traces.Add(1), 10))[:22]
}

func (s *Simulator) writeMetaError(w http.ResponseWriter, status, code int, message string, transient bool) {
	e := map[string]any{"message": message, "type": "OAuthException", "code": code, "fbtrace_id": s.fbtraceID()}
	if transient {
		e["is_transient"] = true
	}
	writeJSON(w, status, map[string]any{"error": e})
}

type metaFaults struct{ s *Simulator }

func (f metaFaults) rateLimited(w http.ResponseWriter, rl RateLimit) {
	retryAfter(w, rl)
	f.s.writeMetaError(w, rl.Status, 4, "(#4) Application request limit reached", true)
}

func (f metaFaults) unavailable(w http.ResponseWriter) {
	f.s.writeMetaError(w, http.StatusServiceUnavailable, 2, "(#2) Service temporarily unavailable", true)
}

// oembedKind is one of Graph's oEmbed endpoints: which content it embeds
// and how.
type oembedKind struct {
	accepts func(id string) bool
	render  func(c takedown.Content, width int) map[string]any
	width   int
}

var instagramOEmbed = oembedKind{
	accepts: func(id string) bool { return strings.HasPrefix(id, "instagram/") },
	width:   658,
	render: func(c takedown.Content, width int) map[string]any {
		permalink := html.EscapeString(c.URL + "?utm_source=ig_embed&utm_campaign=loading")
		return map[string]any{
			"version":       "1.0",
			"author_name":   "simulated_account",
			"provider_name": "Instagram",
			"provider_url":  "https://www.instagram.com/",
			"type":          "rich",
			"width":         width,
			"html": `<blockquote class="instagram-media" data-instgrm-captioned data-instgrm-permalink="` + permalink +
				`" data-instgrm-version="14" style=" background:#FFF; border:0; border-radius:3px; margin: 1px; max-width:` + strconv.Itoa(width) +
				`px; min-width:326px; padding:0; width:99.375%;"><div style="padding:16px;"><a href="` + permalink +
				`" target="_blank">View this post on Instagram</a><p><a href="` + permalink +
				`" target="_blank">A post shared by simulated_account</a></p></div></blockquote><script async src="//www.instagram.com/embed.js"></script>`,
			"thumbnail_url":    "https://scontent.cdninstagram.com/v/simulated.jpg",
			"thumbnail_width":  640,
			"thumbnail_height": 640,
		}
	},
}

var facebookOEmbed = oembedKind{
	accepts: func(id string) bool { return strings.HasPrefix(id, "facebook/") || strings.HasPrefix(id, "fbwatch/") },
	width:   552,
	render: func(c takedown.Content, width int) map[string]any {
		href := html.EscapeString(c.URL)
		class := "fb-post"
		if strings.HasPrefix(c.ID, "fbwatch/") {
			class = "fb-video"
		}
		return map[string]any{
			"author_name":   "Simulated Page",
			"author_url":    "https://www.facebook.com/simulatedpage",
			"provider_url":  "https://www.facebook.com",
			"provider_name": "Facebook",
			"success":       true,
			"html": `<div id="fb-root"></div> <script async="1" defer="1" crossorigin="anonymous" src="https://connect.facebook.net/en_US/sdk.js#xfbml=1&amp;version=v21.0"></script><div class="` +
				class + `" data-href="` + href + `" data-width="` + strconv.Itoa(width) + `"><blockquote cite="` + href +
				`" class="fb-xfbml-parse-ignore"><p>Simulated post.</p>Posted by <a href="https://www.facebook.com/simulatedpage">Simulated Page</a></blockquote></div>`,
			"type":    "rich",
			"version": "1.0",
			"url":     c.URL,
			"width":   width,
		}
	},
}

// metaOEmbed serves one oEmbed endpoint. The error codes for content that is
// gone and for a URL the endpoint does not embed are unverified.
//
// Withheld content still embeds: Graph calls carry an app token, not a
// viewer's location, and whether Meta applies a geo-restriction to oEmbed is
// unverified. The public page (/web) shows the restriction.
func (s *Simulator) metaOEmbed(kind oembedKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, cs []takedown.Content) {
		q := r.URL.Query()
		if q.Get("access_token") == "" && bearerToken(r) == "" {
			s.writeMetaError(w, http.StatusBadRequest, 104, "An access token is required to request this resource.", false)
			return
		}
		if q.Get("url") == "" {
			s.writeMetaError(w, http.StatusBadRequest, 100, "(#100) The parameter url is required", false)
			return
		}
		if len(cs) == 0 || !kind.accepts(cs[0].ID) {
			s.writeMetaError(w, http.StatusBadRequest, 100, "(#100) Invalid parameter", false)
			return
		}
		s.mu.Lock()
		st, _ := s.statusLocked(cs[0])
		s.mu.Unlock()
		if st == StatusRemoved {
			s.writeMetaError(w, http.StatusBadRequest, 24, "(#24) The requested media could not be found", false)
			return
		}
		width := kind.width
		if mw, err := strconv.Atoi(q.Get("maxwidth")); err == nil && mw >= 320 && mw < width {
			width = mw
		}
		writeJSON(w, http.StatusOK, kind.render(cs[0], width))
	}
}

var webPresent = template.Must(template.New("web").Parse(`<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{{.Title}}</title>
    <meta property="og:site_name" content="{{.Site}}">
    <meta property="og:title" content="{{.Title}}">
    <meta property="og:description" content="{{.Description}}">
    <meta property="og:image" content="https://static.simulated.invalid/{{.Site}}/preview.jpg">
    <meta property="og:url" content="{{.URL}}">
    <meta property="og:type" content="article">
  </head>
  <body>
    <main><article><p>{{.Description}}</p></article></main>
  </body>
</html>
`))

var webRemoved = template.Must(template.New("web-removed").Parse(`<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Page not found • {{.Site}}</title>
  </head>
  <body>
    <main><h2>Sorry, this page isn't available.</h2><p>The link you followed may be broken, or the page may have been removed. <a href="/">Go back to {{.Site}}.</a></p></main>
  </body>
</html>
`))

// The wording of the country-restriction page is unverified.
var webWithheld = template.Must(template.New("web-withheld").Parse(`<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Content unavailable • {{.Site}}</title>
  </head>
  <body>
    <main><h2>This content isn't available in your country</h2><p>We've restricted access to this content in your country in response to a legal requirement.</p></main>
  </body>
</html>
`))

type webPage struct{ Site, Title, Description, URL string }

func identifyWeb(r *http.Request) []takedown.Content {
	raw := "https://" + r.PathValue("host") + "/" + r.PathValue("path")
	if r.URL.RawQuery != "" {
		raw += "?" + r.URL.RawQuery
	}
	if c, ok := identifyURL(raw); ok {
		return []takedown.Content{c}
	}
	return nil
}

// siteName is the brand a public page is served under.
func siteName(host string, cs []takedown.Content) string {
	if len(cs) > 0 {
		c := cs[0]
		if c.Platform == takedown.Meta {
			switch kind, _, _ := strings.Cut(c.ID, "/"); kind {
			case "instagram":
				return "Instagram"
			case "threads":
				return "Threads"
			default:
				return "Facebook"
			}
		}
		return platformName(c.Platform)
	}
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	switch {
	case strings.Contains(host, "instagram"):
		return "Instagram"
	case strings.Contains(host, "threads"):
		return "Threads"
	case strings.Contains(host, "facebook"), host == "fb.watch":
		return "Facebook"
	}
	return host
}

type webFaults struct{}

func (webFaults) rateLimited(w http.ResponseWriter, rl RateLimit) {
	retryAfter(w, rl)
	writeHTML(w, rl.Status, []byte("<!DOCTYPE html>\n<html><head><title>Error</title></head><body><p>Please wait a few minutes before you try again.</p></body></html>\n"))
}

func (webFaults) unavailable(w http.ResponseWriter) {
	writeHTML(w, http.StatusServiceUnavailable, []byte("<!DOCTYPE html>\n<html><head><title>Error</title></head><body><p>Sorry, something went wrong. We're working on getting this fixed as soon as we can.</p></body></html>\n"))
}

// webPage stands in for a platform's public page (https://{host}/{path}),
// the Meta adapter's fallback when oEmbed cannot tell.
func (s *Simulator) webPage(w http.ResponseWriter, r *http.Request, cs []takedown.Content) {
	p := webPage{Site: siteName(r.PathValue("host"), cs)}
	if len(cs) == 0 {
		renderHTML(w, http.StatusNotFound, webRemoved, p)
		return
	}
	s.mu.Lock()
	st, _ := s.statusLocked(cs[0])
	s.mu.Unlock()
	switch st {
	case StatusRemoved:
		renderHTML(w, http.StatusNotFound, webRemoved, p)
	case StatusWithheld:
		renderHTML(w, http.StatusOK, webWithheld, p)
	default:
		p.Title = fmt.Sprintf("Simulated post on %s", p.Site)
		p.Description = "Simulated content " + cs[0].ID + "."
		p.URL = cs[0].URL
		renderHTML(w, http.StatusOK, webPresent, p)
	}
}
