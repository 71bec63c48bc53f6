package takedown

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxURLLen bounds what is accepted as one URL: every real post URL, tracking
// parameters included, fits well inside it, and a pasted document does not.
const maxURLLen = 2048

// ErrUnsupportedURL is returned by ParseURL for a URL on a host or of a shape
// the system does not handle.
var ErrUnsupportedURL = errors.New("unsupported URL")

// ErrMalformedURL is returned by ParseURL for input that is not a URL.
var ErrMalformedURL = errors.New("malformed URL")

// ErrInvalidContentID is returned by ParseContentID for an id that is not in
// the normalized form ParseURL produces.
var ErrInvalidContentID = errors.New("invalid content id")

// ParseURL identifies the platform a reported URL belongs to and extracts the
// content's normalized id, so that every URL form of one piece of content
// gives the same Content.ID. Content.URL is rebuilt from the id alone, never
// copied from the input, so tracking parameters and look-alike tricks in the
// reported URL never reach a notice or a probe.
//
// Errors wrap ErrMalformedURL when raw is not an absolute URL, and
// ErrUnsupportedURL when it is one but names no content ParseURL knows. Their
// messages are fit to show to staff and never repeat the path or query, which
// may hold a victim's data.
func ParseURL(raw string) (Content, error) {
	u, err := parseAbsolute(raw)
	if err != nil {
		return Content{}, err
	}
	host, err := checkHost(u)
	if err != nil {
		return Content{}, err
	}
	parse, ok := sites[host]
	if !ok {
		return Content{}, unsupported("host %s is not a platform the system handles (YouTube, Telegram, X, Facebook, Instagram, Threads)", quoteClip(host))
	}
	t := target{
		host:  strings.TrimPrefix(host, "www."),
		query: parseQuery(u.RawQuery),
	}
	if t.segs, err = pathSegments(u, t.host); err != nil {
		return Content{}, err
	}
	return parse(t)
}

// ParseContentID validates a normalized id, as ParseURL produces it, and
// rebuilds its Content. It refuses an id in any other form rather than
// normalizing it, because a non-normalized id in storage is a bug to surface.
//
// A Facebook id does not carry the page or owner the post was reported under,
// so its URL is https://www.facebook.com/<id>, which is not the canonical URL
// ParseURL builds; likewise a Threads id gives https://www.threads.net/t/<code>.
// Where the reported URL is known, prefer ParseURL's.
func ParseContentID(p Platform, id string) (Content, error) {
	c, ok := contentFromID(p, id)
	if !ok {
		if !p.Valid() {
			return Content{}, fmt.Errorf("%w: unknown platform %s", ErrInvalidContentID, quoteClip(string(p)))
		}
		return Content{}, fmt.Errorf("%w: not a normalized %s content id", ErrInvalidContentID, p)
	}
	return c, nil
}

func contentFromID(p Platform, id string) (Content, bool) {
	switch p {
	case YouTube:
		if !validYouTubeID(id) {
			return Content{}, false
		}
		return youTubeContent(id), true
	case Telegram:
		parts := strings.Split(id, "/")
		switch {
		case len(parts) == 2:
			ch, post := parts[0], parts[1]
			if !validTelegramChannel(ch) || ch != strings.ToLower(ch) || !isNormalDecimal(post, 63) {
				return Content{}, false
			}
			return telegramContent(ch, post), true
		case len(parts) == 3 && parts[0] == "c":
			if !isNormalDecimal(parts[1], 63) || !isNormalDecimal(parts[2], 63) {
				return Content{}, false
			}
			return telegramPrivateContent(parts[1], parts[2]), true
		}
	case X:
		if !isNormalDecimal(id, 64) {
			return Content{}, false
		}
		return xContent(id), true
	case Meta:
		kind, key, _ := strings.Cut(id, "/")
		switch kind {
		case "facebook":
			if !isNormalFacebookID(key) {
				return Content{}, false
			}
			return Content{Platform: Meta, ID: id, URL: "https://www.facebook.com/" + key}, true
		case "fbwatch":
			if !validCode(key) {
				return Content{}, false
			}
			return fbWatchContent(key), true
		case "instagram":
			if !validCode(key) {
				return Content{}, false
			}
			return instagramContent(key), true
		case "threads":
			if !validCode(key) {
				return Content{}, false
			}
			return threadsShortContent(key), true
		}
	}
	return Content{}, false
}

// Canonical forms. Every Content leaves through one of these, so the URL in a
// notice depends only on the id.

func youTubeContent(id string) Content {
	return Content{Platform: YouTube, ID: id, URL: "https://www.youtube.com/watch?v=" + id}
}

func telegramContent(channel, post string) Content {
	id := channel + "/" + post
	return Content{Platform: Telegram, ID: id, URL: "https://t.me/" + id}
}

func telegramPrivateContent(internal, post string) Content {
	id := "c/" + internal + "/" + post
	return Content{Platform: Telegram, ID: id, URL: "https://t.me/" + id}
}

func xContent(id string) Content {
	return Content{Platform: X, ID: id, URL: "https://x.com/i/status/" + id}
}

func facebookPostContent(page, id string) Content {
	return Content{Platform: Meta, ID: "facebook/" + id, URL: "https://www.facebook.com/" + page + "/posts/" + id}
}

func facebookPermalinkContent(storyID, owner string) Content {
	return Content{
		Platform: Meta,
		ID:       "facebook/" + storyID,
		URL:      "https://www.facebook.com/permalink.php?story_fbid=" + storyID + "&id=" + owner,
	}
}

func fbWatchContent(code string) Content {
	return Content{Platform: Meta, ID: "fbwatch/" + code, URL: "https://fb.watch/" + code + "/"}
}

func instagramContent(shortcode string) Content {
	return Content{Platform: Meta, ID: "instagram/" + shortcode, URL: "https://www.instagram.com/p/" + shortcode + "/"}
}

func threadsPostContent(user, code string) Content {
	return Content{Platform: Meta, ID: "threads/" + code, URL: "https://www.threads.net/@" + user + "/post/" + code}
}

func threadsShortContent(code string) Content {
	return Content{Platform: Meta, ID: "threads/" + code, URL: "https://www.threads.net/t/" + code}
}

// sites maps every accepted host, lower-case, to the parser of its paths.
var sites = map[string]func(target) (Content, error){
	"youtube.com":              parseYouTube,
	"www.youtube.com":          parseYouTube,
	"m.youtube.com":            parseYouTube,
	"music.youtube.com":        parseYouTube,
	"youtu.be":                 parseYouTuBe,
	"youtube-nocookie.com":     parseYouTubeNoCookie,
	"www.youtube-nocookie.com": parseYouTubeNoCookie,
	"t.me":                     parseTelegram,
	"www.t.me":                 parseTelegram,
	"telegram.me":              parseTelegram,
	"www.telegram.me":          parseTelegram,
	"x.com":                    parseX,
	"www.x.com":                parseX,
	"mobile.x.com":             parseX,
	"twitter.com":              parseX,
	"www.twitter.com":          parseX,
	"mobile.twitter.com":       parseX,
	"facebook.com":             parseFacebook,
	"www.facebook.com":         parseFacebook,
	"m.facebook.com":           parseFacebook,
	"web.facebook.com":         parseFacebook,
	"fb.watch":                 parseFBWatch,
	"instagram.com":            parseInstagram,
	"www.instagram.com":        parseInstagram,
	"threads.net":              parseThreads,
	"www.threads.net":          parseThreads,
	"threads.com":              parseThreads,
	"www.threads.com":          parseThreads,
}

// target is a URL on a known host, taken apart.
type target struct {
	host  string   // lower-case, without "www.": safe to show in messages
	segs  []string // decoded path segments, none empty
	query map[string][]string
}

// param returns the one value of a query parameter. A parameter given twice
// with different values is refused rather than guessed at.
func (t target) param(key string) (string, error) {
	vs := t.query[key]
	if len(vs) == 0 {
		return "", unsupported("%s URL has no %s= parameter", t.host, key)
	}
	for _, v := range vs[1:] {
		if v != vs[0] {
			return "", unsupported("%s URL has conflicting %s= parameters", t.host, key)
		}
	}
	return vs[0], nil
}

func parseYouTube(t target) (Content, error) {
	s := t.segs
	switch {
	case len(s) == 1 && eqFold(s[0], "watch"):
		v, err := t.param("v")
		if err != nil {
			return Content{}, err
		}
		return youTubeVideo(t, v)
	case len(s) == 2 && (eqFold(s[0], "shorts") || eqFold(s[0], "live")):
		return youTubeVideo(t, s[1])
	case len(s) == 2 && eqFold(s[0], "embed"):
		return youTubeEmbed(t, s[1])
	case len(s) == 0:
		return Content{}, unsupported("the %s home page is not content; use a video URL", t.host)
	case strings.HasPrefix(s[0], "@") || isOneOf(s[0], "channel", "c", "user"):
		return Content{}, unsupported("%s channel pages are not content; use a video URL", t.host)
	case isOneOf(s[0], "playlist"):
		return Content{}, unsupported("%s playlists are not content; use a video URL", t.host)
	case isOneOf(s[0], "results"):
		return Content{}, unsupported("%s search pages are not content; use a video URL", t.host)
	}
	return Content{}, unsupported("this %s page is not a video; use a watch, shorts, embed or live URL", t.host)
}

func parseYouTuBe(t target) (Content, error) {
	if len(t.segs) != 1 {
		return Content{}, unsupported("a %s URL must be %s/<video id>", t.host, t.host)
	}
	return youTubeVideo(t, t.segs[0])
}

func parseYouTubeNoCookie(t target) (Content, error) {
	if len(t.segs) != 2 || !eqFold(t.segs[0], "embed") {
		return Content{}, unsupported("only %s/embed/<video id> URLs are supported", t.host)
	}
	return youTubeEmbed(t, t.segs[1])
}

func youTubeEmbed(t target, id string) (Content, error) {
	// /embed/videoseries?list=… embeds a playlist, and its name happens to
	// have the shape of a video id.
	if id == "videoseries" {
		return Content{}, unsupported("%s playlist embeds are not content; use a video URL", t.host)
	}
	return youTubeVideo(t, id)
}

func youTubeVideo(t target, id string) (Content, error) {
	if !validYouTubeID(id) {
		return Content{}, unsupported("%s video id must be 11 letters, digits, '-' or '_'", t.host)
	}
	return youTubeContent(id), nil
}

func validYouTubeID(s string) bool {
	return len(s) == 11 && allBytes(s, isCodeByte)
}

// telegramReserved are first path segments of t.me that name a feature, not
// a channel, yet have the shape of a username.
var telegramReserved = map[string]bool{
	"joinchat": true, "addstickers": true, "addemoji": true, "addtheme": true,
	"addlist": true, "share": true, "proxy": true, "socks": true, "setlanguage": true,
	"login": true, "confirmphone": true, "invoice": true, "boost": true, "giftcode": true,
	"contact": true,
}

func parseTelegram(t target) (Content, error) {
	s := t.segs
	preview := len(s) > 0 && eqFold(s[0], "s")
	if preview {
		s = s[1:]
	}
	switch {
	case len(s) == 0:
		if preview {
			return Content{}, unsupported("a %s/s/ URL needs a channel and a post number", t.host)
		}
		return Content{}, unsupported("the %s home page is not content; use a post URL", t.host)
	case !preview && eqFold(s[0], "c"):
		if len(s) != 3 {
			return Content{}, unsupported("a private %s/c/ link must be %s/c/<channel number>/<post number>", t.host, t.host)
		}
		internal, ok1 := decimal(s[1], 63)
		post, ok2 := decimal(s[2], 63)
		if !ok1 || !ok2 {
			return Content{}, unsupported("a private %s/c/ link must hold two positive numbers", t.host)
		}
		return telegramPrivateContent(internal, post), nil
	case strings.HasPrefix(s[0], "+") || telegramReserved[asciiLower(s[0])]:
		return Content{}, unsupported("%s invite and service links are not content; use a post URL", t.host)
	case len(s) == 1:
		return Content{}, unsupported("%s channel pages are not content; use a post URL", t.host)
	case len(s) > 2:
		return Content{}, unsupported("a %s post URL must be %s/<channel>/<post number>", t.host, t.host)
	}
	if !validTelegramChannel(s[0]) {
		return Content{}, unsupported("%s channel name must be 4 to 32 letters, digits or '_', starting with a letter", t.host)
	}
	post, ok := decimal(s[1], 63)
	if !ok {
		return Content{}, unsupported("%s post number must be a positive number", t.host)
	}
	return telegramContent(strings.ToLower(s[0]), post), nil
}

func validTelegramChannel(s string) bool {
	return len(s) >= 4 && len(s) <= 32 && isLetter(s[0]) && allBytes(s, isWordByte)
}

func parseX(t target) (Content, error) {
	s := t.segs
	var id string
	var rest []string
	switch {
	case len(s) >= 4 && eqFold(s[0], "i") && eqFold(s[1], "web") && isStatus(s[2]):
		id, rest = s[3], s[4:]
	case len(s) >= 3 && validXHandle(s[0]) && isStatus(s[1]):
		id, rest = s[2], s[3:]
	case len(s) == 0:
		return Content{}, unsupported("the %s home page is not content; use a post URL", t.host)
	case isOneOf(s[0], "search", "explore", "hashtag"):
		return Content{}, unsupported("%s search pages are not content; use a post URL", t.host)
	case eqFold(s[0], "i"):
		return Content{}, unsupported("this %s/i/ page is not a post; use a post URL", t.host)
	case validXHandle(s[0]) && (len(s) == 1 || !isStatus(s[1])):
		return Content{}, unsupported("%s profile pages are not content; use a post URL", t.host)
	default:
		return Content{}, unsupported("this %s page is not a post; use a URL like %s/<handle>/status/<id>", t.host, t.host)
	}
	n, ok := decimal(id, 64)
	if !ok {
		return Content{}, unsupported("%s post id must be a positive number", t.host)
	}
	// The photo and video viewers of a post show that same post.
	if len(rest) != 0 && !(len(rest) == 2 && isOneOf(rest[0], "photo", "video") && isSmallIndex(rest[1])) {
		return Content{}, unsupported("this %s page is not a post; remove what follows the post id", t.host)
	}
	return xContent(n), nil
}

func isStatus(s string) bool { return isOneOf(s, "status", "statuses") }

func validXHandle(s string) bool {
	return len(s) >= 1 && len(s) <= 15 && allBytes(s, isWordByte)
}

func isSmallIndex(s string) bool {
	return len(s) >= 1 && len(s) <= 2 && s[0] != '0' && allBytes(s, isDigit)
}

func parseFacebook(t target) (Content, error) {
	s := t.segs
	switch {
	case len(s) == 1 && isOneOf(s[0], "permalink.php", "story.php"):
		sid, err := t.param("story_fbid")
		if err != nil {
			return Content{}, err
		}
		owner, err := t.param("id")
		if err != nil {
			return Content{}, err
		}
		sid, ok := facebookID(sid)
		if !ok {
			return Content{}, unsupported("%s story_fbid must be a number or a pfbid id", t.host)
		}
		owner, ok = decimal(owner, 64)
		if !ok {
			return Content{}, unsupported("%s id= must be a positive number", t.host)
		}
		return facebookPermalinkContent(sid, owner), nil
	case len(s) == 3 && eqFold(s[1], "posts") && validFacebookPage(s[0]):
		id, ok := facebookID(s[2])
		if !ok {
			return Content{}, unsupported("%s post id must be a number or a pfbid id", t.host)
		}
		return facebookPostContent(s[0], id), nil
	case len(s) == 0:
		return Content{}, unsupported("the %s home page is not content; use a post URL", t.host)
	case isOneOf(s[0], "groups"):
		return Content{}, unsupported("%s group URLs are not supported; use the post's permalink URL", t.host)
	case isOneOf(s[0], "watch", "reel", "share", "photo", "photo.php") || (len(s) >= 2 && isOneOf(s[1], "videos", "photos")):
		return Content{}, unsupported("%s videos, reels, photos and share links are not supported; use a post, permalink or fb.watch URL", t.host)
	case len(s) == 1:
		return Content{}, unsupported("%s profile and page URLs are not content; use a post URL", t.host)
	}
	return Content{}, unsupported("this %s page is not a post; use a URL like %s/<page>/posts/<id>", t.host, t.host)
}

// facebookID normalizes a post id: a decimal number, or a "pfbid" id whose
// case is significant.
func facebookID(s string) (string, bool) {
	if strings.HasPrefix(s, "pfbid") {
		return s, len(s) > len("pfbid") && len(s) <= 128 && allBytes(s, isAlnum)
	}
	return decimal(s, 64)
}

func isNormalFacebookID(s string) bool {
	n, ok := facebookID(s)
	return ok && n == s
}

// validFacebookPage accepts usernames (letters, digits, '.') and the older
// "Page-Name-123…" vanity names, but nothing that could read as a dot
// segment or a script name.
func validFacebookPage(s string) bool {
	return len(s) <= 100 && s != "" && isAlnum(s[0]) &&
		allBytes(s, func(b byte) bool { return isAlnum(b) || b == '.' || b == '-' || b == '_' }) &&
		!strings.HasSuffix(strings.ToLower(s), ".php")
}

func parseFBWatch(t target) (Content, error) {
	if len(t.segs) != 1 || !validCode(t.segs[0]) {
		return Content{}, unsupported("a %s URL must be %s/<code>", t.host, t.host)
	}
	return fbWatchContent(t.segs[0]), nil
}

func parseInstagram(t target) (Content, error) {
	s := t.segs
	// Newer share links put the author first: /<user>/p/<shortcode>.
	if len(s) == 3 && validInstagramUser(s[0]) && isInstagramKind(s[1]) {
		s = s[1:]
	}
	switch {
	case len(s) == 2 && isInstagramKind(s[0]):
		if !validCode(s[1]) {
			return Content{}, unsupported("%s shortcode must be letters, digits, '-' or '_'", t.host)
		}
		return instagramContent(s[1]), nil
	case len(s) == 0:
		return Content{}, unsupported("the %s home page is not content; use a post or reel URL", t.host)
	case len(s) == 1 && isInstagramKind(s[0]):
		return Content{}, unsupported("this %s URL has no shortcode after /%s/", t.host, asciiLower(s[0]))
	case isOneOf(s[0], "stories"):
		return Content{}, unsupported("%s stories are not supported; use a post or reel URL", t.host)
	case len(s) == 1:
		return Content{}, unsupported("%s profile pages are not content; use a post or reel URL", t.host)
	}
	return Content{}, unsupported("this %s page is not a post; use a URL like %s/p/<shortcode>", t.host, t.host)
}

func isInstagramKind(s string) bool { return isOneOf(s, "p", "reel", "reels", "tv") }

func validInstagramUser(s string) bool {
	return len(s) >= 1 && len(s) <= 30 && allBytes(s, func(b byte) bool { return isWordByte(b) || b == '.' })
}

func parseThreads(t target) (Content, error) {
	s := t.segs
	switch {
	case len(s) == 3 && strings.HasPrefix(s[0], "@") && eqFold(s[1], "post"):
		user := s[0][1:]
		if !validInstagramUser(user) || !validCode(s[2]) {
			return Content{}, unsupported("a %s post URL must be %s/@<user>/post/<code>", t.host, t.host)
		}
		// Instagram and Threads user names are case-insensitive.
		return threadsPostContent(strings.ToLower(user), s[2]), nil
	case len(s) == 2 && eqFold(s[0], "t"):
		if !validCode(s[1]) {
			return Content{}, unsupported("%s post code must be letters, digits, '-' or '_'", t.host)
		}
		return threadsShortContent(s[1]), nil
	case len(s) == 0:
		return Content{}, unsupported("the %s home page is not content; use a post URL", t.host)
	case len(s) == 1 && strings.HasPrefix(s[0], "@"):
		return Content{}, unsupported("%s profile pages are not content; use a post URL", t.host)
	}
	return Content{}, unsupported("this %s page is not a post; use a URL like %s/@<user>/post/<code>", t.host, t.host)
}

// validCode accepts the opaque codes of fb.watch, Instagram and Threads.
func validCode(s string) bool {
	return len(s) >= 1 && len(s) <= 64 && allBytes(s, isCodeByte)
}

// parseAbsolute turns trimmed input into an absolute http(s) URL, adding
// https:// when the scheme is missing, as it is in most pasted links.
func parseAbsolute(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, malformed("empty input")
	}
	if len(s) > maxURLLen {
		return nil, malformed("longer than %d bytes", maxURLLen)
	}
	if !utf8.ValidString(s) {
		return nil, malformed("not valid UTF-8")
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return nil, malformed("contains a control character")
		case unicode.Is(unicode.Cf, r):
			// Invisible formatting characters (bidi overrides, zero-width
			// spaces) can make a URL read differently from what it is.
			return nil, malformed("contains an invisible formatting character")
		case unicode.IsSpace(r):
			return nil, malformed("contains a space")
		}
	}
	s, err := withScheme(s)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, malformed("%s", parseFailure(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, unsupported("scheme %s is not supported; use an http or https URL", quoteClip(u.Scheme))
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, malformed("no host after the scheme")
	}
	return u, nil
}

// parseFailure words a url.Parse error for staff. url.Parse's own messages
// quote the input, or the part of it at fault, which may be a victim's data.
func parseFailure(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid port"):
		return "the port after the host is not a number"
	case strings.Contains(msg, "in host name"), strings.Contains(msg, "invalid IP-literal"):
		return "the host contains characters no host name has"
	case strings.Contains(msg, "escape"):
		return "bad percent-encoding"
	case strings.Contains(msg, "userinfo"):
		return "bad user name before the host"
	}
	return "cannot be read as a URL"
}

// withScheme adds https:// to input that has no scheme. "t.me:443/…" and
// "localhost:8080" have a colon before any slash but are a host and port, told
// apart from a scheme by the dot no scheme in practice contains, or by the
// digits that follow.
func withScheme(s string) (string, error) {
	if strings.HasPrefix(s, "//") {
		return "https:" + s, nil
	}
	i := strings.IndexAny(s, ":/?#")
	if i > 0 && s[i] == ':' && isSchemeName(s[:i]) && !strings.Contains(s[:i], ".") && !startsWithPort(s[i+1:]) {
		scheme := strings.ToLower(s[:i])
		if scheme != "http" && scheme != "https" {
			return "", unsupported("scheme %s is not supported; use an http or https URL", quoteClip(scheme))
		}
		return s, nil
	}
	return "https://" + s, nil
}

// startsWithPort reports whether s, what follows a colon, is a port number
// ending the authority.
func startsWithPort(s string) bool {
	end := strings.IndexAny(s, "/?#")
	if end < 0 {
		end = len(s)
	}
	return end > 0 && allBytes(s[:end], isDigit)
}

func isSchemeName(s string) bool {
	return s != "" && isLetter(s[0]) &&
		allBytes(s, func(b byte) bool { return isAlnum(b) || b == '+' || b == '-' || b == '.' })
}

// checkHost returns the lower-case host of u, refusing what no platform link
// has: credentials, a port other than the scheme's own, an IP address.
func checkHost(u *url.URL) (string, error) {
	if u.User != nil {
		return "", unsupported("URLs with a user name or password before the host are not accepted")
	}
	if p := u.Port(); p != "" && !(u.Scheme == "https" && p == "443") && !(u.Scheme == "http" && p == "80") {
		return "", unsupported("URLs with an explicit port are not accepted")
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return "", unsupported("IP addresses are not platform hosts; use the platform's URL")
	}
	host = strings.TrimSuffix(host, ".") // a fully qualified name is the same host
	if host == "" {
		return "", malformed("no host after the scheme")
	}
	// Only ASCII is folded: strings.ToLower would turn the Kelvin sign into
	// 'k' and let a look-alike host pass for facebook.com.
	if !allBytes(host, func(b byte) bool { return b < utf8.RuneSelf }) {
		return "", unsupported("this internationalized host is not a platform the system handles")
	}
	// url.Parse lets through sub-delimiters ("<", "!", "*", …) that no DNS
	// name holds; refusing them here also keeps them out of messages.
	if !allBytes(host, func(b byte) bool { return isAlnum(b) || b == '.' || b == '-' || b == '_' }) {
		return "", malformed("the host contains characters no host name has")
	}
	return strings.ToLower(host), nil
}

// pathSegments splits the escaped path before decoding, so that an encoded
// slash stays inside its segment (where validation refuses it) instead of
// shifting the segments. One trailing slash is dropped.
func pathSegments(u *url.URL, host string) ([]string, error) {
	p := strings.TrimPrefix(u.EscapedPath(), "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil, nil
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s == "" {
			return nil, unsupported("this %s path has an empty segment", host)
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, malformed("bad percent-encoding in the path")
		}
		segs[i] = d
	}
	return segs, nil
}

// parseQuery is url.ParseQuery without its refusal of the whole query over
// one bad pair: pairs that do not decode are skipped, since only a few known
// keys are ever read.
func parseQuery(raw string) map[string][]string {
	q := make(map[string][]string)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || k == "" {
			continue
		}
		q[k] = append(q[k], v)
	}
	return q
}

// decimal normalizes a positive decimal number that fits in bits bits,
// dropping leading zeros so that 0123 and 123 name the same post.
func decimal(s string, bits int) (string, bool) {
	if s == "" || !allBytes(s, isDigit) {
		return "", false
	}
	n, err := strconv.ParseUint(s, 10, bits)
	if err != nil || n == 0 {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}

func isNormalDecimal(s string, bits int) bool {
	n, ok := decimal(s, bits)
	return ok && n == s
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupportedURL, fmt.Sprintf(format, args...))
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedURL, fmt.Sprintf(format, args...))
}

// quoteClip quotes s for a message, cut short so that a long input cannot
// flood it.
func quoteClip(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

// eqFold compares s with a lower-case ASCII word, ignoring ASCII case only:
// Unicode folding would let "ſ" (long s) or the Kelvin sign stand in for a
// keyword.
func eqFold(s, word string) bool {
	if len(s) != len(word) {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != word[i] {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	if !allBytes(s, func(b byte) bool { return b < utf8.RuneSelf }) {
		return s
	}
	return strings.ToLower(s)
}

func isOneOf(s string, words ...string) bool {
	for _, w := range words {
		if eqFold(s, w) {
			return true
		}
	}
	return false
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(b byte) bool    { return '0' <= b && b <= '9' }
func isLetter(b byte) bool   { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }
func isAlnum(b byte) bool    { return isLetter(b) || isDigit(b) }
func isWordByte(b byte) bool { return isAlnum(b) || b == '_' }
func isCodeByte(b byte) bool { return isWordByte(b) || b == '-' }
