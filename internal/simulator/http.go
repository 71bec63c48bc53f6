package simulator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// identifyFunc names the content a request is about, if any. It must not
// consume what the handler still needs to read.
type identifyFunc func(r *http.Request) []takedown.Content

// handlerFunc answers a request whose scripted faults have been ruled out.
type handlerFunc func(w http.ResponseWriter, r *http.Request, cs []takedown.Content)

// faults renders scripted failures the way one platform would.
type faults interface {
	rateLimited(w http.ResponseWriter, rl RateLimit)
	unavailable(w http.ResponseWriter)
}

func (s *Simulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	yt := youtubeFaults{s}
	s.handle(mux, RouteYouTubeReasons, takedown.YouTube, noContent, yt, s.youtubeReasons)
	s.handle(mux, RouteYouTubeReportAbuse, takedown.YouTube, s.identifyReportAbuse, yt, s.youtubeReportAbuse)
	s.handle(mux, RouteYouTubeVideos, takedown.YouTube, identifyVideos, yt, s.youtubeVideos)

	tg := telegramFaults{}
	s.handle(mux, RouteTelegramPost, takedown.Telegram, identifyTelegramPost, tg, s.telegramPost)
	s.handle(mux, RouteTelegramPrivatePost, takedown.Telegram, identifyTelegramPrivate, tg, s.telegramPost)
	s.handle(mux, RouteTelegramChannel, takedown.Telegram, noContent, tg, s.telegramChannel)
	s.handle(mux, RouteTelegramChannelPost, takedown.Telegram, identifyTelegramPost, tg, s.telegramChannel)

	s.handle(mux, RouteXTweet, takedown.X, identifyTweet, xFaults{s}, s.xTweet)
	s.handle(mux, RouteXTweets, takedown.X, identifyTweets, xFaults{s}, s.xTweets)

	mf := metaFaults{s}
	s.handle(mux, RouteMetaInstagramOEmbed, takedown.Meta, identifyOEmbed, mf, s.metaOEmbed(instagramOEmbed))
	s.handle(mux, RouteMetaOEmbedPost, takedown.Meta, identifyOEmbed, mf, s.metaOEmbed(facebookOEmbed))
	s.handle(mux, RouteMetaOEmbedVideo, takedown.Meta, identifyOEmbed, mf, s.metaOEmbed(facebookOEmbed))
	s.handle(mux, RouteWeb, takedown.Meta, identifyWeb, webFaults{}, s.webPage)

	s.ispRoutes(mux)
	s.controlRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.st.Routes[RouteUnmatched]++
		s.saveLocked()
		s.mu.Unlock()
		http.NotFound(w, r)
	})
	return mux
}

func noContent(*http.Request) []takedown.Content { return nil }

// handle registers a platform route. Every request is counted before
// anything can refuse it, so that tests see exactly what was sent; then the
// scripted behaviour may hang, rate-limit, fail or garble the answer.
func (s *Simulator) handle(mux *http.ServeMux, route string, p takedown.Platform, ident identifyFunc, f faults, h handlerFunc) {
	mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
		cs := ident(r)
		s.mu.Lock()
		s.st.Routes[route]++
		for _, c := range cs {
			s.recordLocked(c).Requests++
		}
		bp, id := p, ""
		if len(cs) > 0 {
			bp, id = cs[0].Platform, cs[0].ID
		}
		d := s.decideLocked(bp, id)
		s.saveLocked()
		s.mu.Unlock()

		if d.hang > 0 && !s.sleep(r.Context(), d.hang) {
			// A client that gave up gets nothing; one still waiting while the
			// simulator shuts down gets an honest failure, not an empty 200.
			if r.Context().Err() == nil {
				f.unavailable(w)
			}
			return
		}
		switch {
		case d.rateLimit != nil:
			f.rateLimited(w, *d.rateLimit)
		case d.fail:
			f.unavailable(w)
		case d.malformed:
			var buf bufferedWriter
			h(&buf, r, cs)
			buf.writeMalformed(w)
		default:
			h(w, r, cs)
		}
	})
}

type decision struct {
	hang      time.Duration
	rateLimit *RateLimit
	fail      bool
	malformed bool
}

// decideLocked draws the scripted fault for one request. A content's own
// behaviour wins over its platform's default, field by field; the slot that
// supplied a rate limit or a fail rate keeps the count or the PRNG state.
func (s *Simulator) decideLocked(p takedown.Platform, id string) decision {
	def := s.st.Defaults[p]
	var own *slot
	if id != "" {
		own = s.st.Behaviours[contentKey(p, id)]
	}
	pick := func(has func(Behaviour) bool) *slot {
		if own != nil && has(own.Behaviour) {
			return own
		}
		if def != nil && has(def.Behaviour) {
			return def
		}
		return nil
	}
	var d decision
	if sl := pick(func(b Behaviour) bool { return b.Hang > 0 }); sl != nil {
		d.hang = time.Duration(sl.Behaviour.Hang)
	}
	if sl := pick(func(b Behaviour) bool { return b.RateLimit != nil }); sl != nil {
		rl := *sl.Behaviour.RateLimit
		if rl.Count == 0 || sl.RateLimitUsed < rl.Count {
			sl.RateLimitUsed++
			rl.Status = cmp.Or(rl.Status, http.StatusTooManyRequests)
			d.rateLimit = &rl
			return d
		}
	}
	if sl := pick(func(b Behaviour) bool { return b.FailRate > 0 }); sl != nil && sl.draw() < sl.Behaviour.FailRate {
		d.fail = true
		return d
	}
	d.malformed = pick(func(b Behaviour) bool { return b.Malformed }) != nil
	return d
}

// sleep waits d, or less if the client goes away or the simulator closes;
// it reports whether the whole wait passed.
func (s *Simulator) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// bufferedWriter holds an answer so that a malformed behaviour can garble it.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header {
	if b.header == nil {
		b.header = http.Header{}
	}
	return b.header
}

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }

// writeMalformed answers 200 with the first half of the real body, or with a
// fragment of JSON when the real answer had none, as a broken proxy or a
// cut connection would.
func (b *bufferedWriter) writeMalformed(w http.ResponseWriter) {
	for k, v := range b.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	body := b.body.Bytes()
	if len(body) > 1 {
		body = body[:len(body)/2]
	} else {
		body = []byte(`{"error":{"code":`)
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Embed HTML is sent as is, not as \u003c escapes.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		// Every value written here is built by this package from plain types.
		panic("simulator: encode response: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func retryAfter(w http.ResponseWriter, rl RateLimit) {
	if rl.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds))
	}
}
