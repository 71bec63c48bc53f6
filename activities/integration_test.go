package activities_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"github.com/takedown-oss/takedown/activities"
	"github.com/takedown-oss/takedown/internal/simulator"
	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

const (
	youtubeURL  = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
	telegramURL = "https://t.me/deepfakechan/4242"
	xURL        = "https://x.com/someone/status/1790000000000000001"
)

// A platform's rate limit must reach Temporal as the exact wait it named,
// after one request: the activity never waits or loops by itself.
func TestRateLimitWaitIsTheNamedOne(t *testing.T) {
	t.Parallel()
	const wait = 7 * time.Second
	limitedOnce := func(status int) simulator.Behaviour {
		return simulator.Behaviour{RateLimit: &simulator.RateLimit{Status: status, RetryAfterSeconds: 7, Count: 1}}
	}
	probe := func(h *harness, in activities.SendNoticeInput) error {
		_, err := h.probe(nil, activities.ProbeInput{Content: in.Notice.Content})
		return err
	}
	send := func(h *harness, in activities.SendNoticeInput) error {
		_, err := h.send(in)
		return err
	}
	tests := []struct {
		name  string
		url   string
		sim   simulator.Config
		setup func(h *harness, c takedown.Content)
		call  func(h *harness, in activities.SendNoticeInput) error
		route string
		typ   string
		// requests is the route's count once the limited call returned.
		requests int
	}{
		{
			name: "X probe, 429 with Retry-After and x-rate-limit-reset", url: xURL,
			setup: func(h *harness, c takedown.Content) { h.setBehaviour(takedown.X, c.ID, limitedOnce(429)) },
			call:  probe, route: simulator.RouteXTweet, typ: "rate_limited", requests: 1,
		},
		{
			// X's own window: the 429 carries x-rate-limit-reset and no
			// Retry-After, so only the reset header can give the wait.
			name: "X probe, window used up, x-rate-limit-reset only", url: xURL,
			sim: simulator.Config{XRateLimit: 1, XRateWindow: 15 * time.Minute},
			setup: func(h *harness, c takedown.Content) {
				if res, err := h.probe(nil, activities.ProbeInput{Content: c}); err != nil || res.State != takedown.ProbePresent {
					h.t.Fatalf("first probe = %+v, %v; want present", res, err)
				}
				h.clock.Advance(15*time.Minute - wait)
			},
			call: probe, route: simulator.RouteXTweet, typ: "rate_limited", requests: 2,
		},
		{
			name: "Telegram probe, 429 with Retry-After", url: telegramURL,
			setup: func(h *harness, c takedown.Content) { h.setBehaviour(takedown.Telegram, c.ID, limitedOnce(429)) },
			call:  probe, route: simulator.RouteTelegramPost, typ: "rate_limited", requests: 1,
		},
		{
			name: "YouTube reportAbuse, 429 with Retry-After", url: youtubeURL,
			setup: func(h *harness, c takedown.Content) { h.setBehaviour(takedown.YouTube, c.ID, limitedOnce(429)) },
			call:  send, route: simulator.RouteYouTubeReportAbuse, typ: "rate_limited:http_429", requests: 1,
		},
		{
			name: "YouTube reportAbuse, 403 rateLimitExceeded with Retry-After", url: youtubeURL,
			setup: func(h *harness, c takedown.Content) { h.setBehaviour(takedown.YouTube, c.ID, limitedOnce(403)) },
			call:  send, route: simulator.RouteYouTubeReportAbuse, typ: "rate_limited:rateLimitExceeded", requests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{sim: tt.sim})
			conf, c := h.takedownFor(tt.url)
			in := noticeInput(conf, c, 1)
			tt.setup(h, c)

			ae := appError(t, tt.call(h, in))
			if ae.Type() != tt.typ || ae.NonRetryable() {
				t.Errorf("error type %q, non-retryable %v; want %q, retryable", ae.Type(), ae.NonRetryable(), tt.typ)
			}
			if got := ae.NextRetryDelay(); got != wait {
				t.Errorf("NextRetryDelay = %s, want %s", got, wait)
			}
			if got := h.sim.Requests(tt.route); got != tt.requests {
				t.Fatalf("%s received %d requests, want %d", tt.route, got, tt.requests)
			}
			if got := h.sim.NoticeCount(c.Platform, c.ID); got != 0 {
				t.Fatalf("the platform holds %d notices after a refused call, want 0", got)
			}

			// Temporal retries once the named wait has passed.
			h.clock.Advance(ae.NextRetryDelay())
			if err := tt.call(h, in); err != nil {
				t.Fatalf("retry after the wait: %v", err)
			}
			if got := h.sim.Requests(tt.route); got != tt.requests+1 {
				t.Errorf("%s received %d requests after the retry, want %d", tt.route, got, tt.requests+1)
			}
		})
	}
}

// YouTube's daily quota renews at midnight in Los Angeles, whatever the
// length of that day: the notice waits for it, then goes.
func TestYouTubeQuotaWaitsForPacificMidnight(t *testing.T) {
	t.Parallel()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	// quotaResetMargin in platforms/youtube/errors.go.
	const margin = 5 * time.Minute
	tests := []struct {
		name    string
		now     time.Time
		want    time.Duration
		nextDay string
	}{
		{"afternoon", time.Date(2026, 3, 10, 15, 0, 0, 0, la), 9*time.Hour + margin, "2026-03-11"},
		{"a minute to midnight", time.Date(2026, 3, 10, 23, 59, 0, 0, la), time.Minute + margin, "2026-03-11"},
		{"day the clocks spring forward (23 h)", time.Date(2026, 3, 8, 0, 30, 0, 0, la), 22*time.Hour + 30*time.Minute + margin, "2026-03-09"},
		{"day the clocks fall back (25 h)", time.Date(2026, 11, 1, 0, 30, 0, 0, la), 24*time.Hour + 30*time.Minute + margin, "2026-11-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{start: tt.now})
			conf, c := h.takedownFor(youtubeURL)
			in := noticeInput(conf, c, 1)
			// 60 units a day; ten probes (one unit each) leave too few for
			// the reason list (1) and a report (50).
			h.setBehaviour(takedown.YouTube, "", simulator.Behaviour{Quota: 60})
			for range 10 {
				if _, err := h.probe(nil, activities.ProbeInput{Content: c}); err != nil {
					t.Fatalf("probe: %v", err)
				}
			}
			if q := h.sim.YouTubeQuota(); q.Used != 10 {
				t.Fatalf("quota used = %d, want 10", q.Used)
			}

			ae := appError(t, errOnly(h.send(in)))
			if ae.Type() != "rate_limited:quotaExceeded" || ae.NonRetryable() {
				t.Errorf("error type %q, non-retryable %v; want rate_limited:quotaExceeded, retryable", ae.Type(), ae.NonRetryable())
			}
			if got := ae.NextRetryDelay(); got != tt.want {
				t.Errorf("NextRetryDelay = %s, want %s", got, tt.want)
			}
			if got := h.sim.Requests(simulator.RouteYouTubeReportAbuse); got != 1 {
				t.Errorf("reportAbuse received %d requests, want 1", got)
			}
			if n := h.noticeRow(conf.TakedownID, in.Notice.Key); n.State != takedown.NoticeFailed {
				t.Errorf("notice row is %s, want %s (released for the retry)", n.State, takedown.NoticeFailed)
			}

			h.clock.Advance(ae.NextRetryDelay())
			res := h.mustSend(in)
			if res.Uncertain || res.Submission.Channel != takedown.ChannelAPI {
				t.Errorf("retry result = %+v, want a certain API submission", res)
			}
			if got := h.sim.NoticeCount(takedown.YouTube, c.ID); got != 1 {
				t.Errorf("YouTube holds %d notices, want 1", got)
			}
			if q := h.sim.YouTubeQuota(); q.Day != tt.nextDay {
				t.Errorf("quota day = %s, want %s", q.Day, tt.nextDay)
			}
			if n := h.noticeRow(conf.TakedownID, in.Notice.Key); n.State != takedown.NoticeSent {
				t.Errorf("notice row is %s, want %s", n.State, takedown.NoticeSent)
			}
		})
	}
}

// With half of all answers a failure, retrying (as Temporal does) still
// ends in one notice and a confirmed removal, and no failure is ever read
// as the content being gone.
func TestHalfTheAnswersFailingStillEndsRemoved(t *testing.T) {
	t.Parallel()
	const maxAttempts = 50
	h := newHarness(t, harnessConfig{})
	conf, c := h.takedownFor(telegramURL)
	h.setBehaviour(takedown.Telegram, c.ID, simulator.Behaviour{FailRate: 0.5, Seed: 74})

	// The e-mail: a 451 releases the claim; the next attempt sends.
	in := noticeInput(conf, c, 1)
	sendFailures := 0
	for attempt := 1; ; attempt++ {
		if attempt > maxAttempts {
			t.Fatalf("notice not sent after %d attempts", maxAttempts)
		}
		_, err := h.send(in)
		if err == nil {
			break
		}
		sendFailures++
		ae := appError(t, err)
		if ae.NonRetryable() || !strings.Contains(ae.Error(), "smtp_451") {
			t.Fatalf("attempt %d: %v; want a retryable SMTP 451", attempt, err)
		}
		if n := h.noticeRow(conf.TakedownID, in.Notice.Key); n.State != takedown.NoticeFailed {
			t.Fatalf("attempt %d: notice row is %s, want %s", attempt, n.State, takedown.NoticeFailed)
		}
	}
	notices := h.sim.Notices(takedown.Telegram, c.ID)
	if len(notices) != 1 || notices[0].Duplicate || notices[0].Key != in.Notice.Key {
		t.Fatalf("Telegram received %+v; want exactly one notice under key %s", notices, in.Notice.Key)
	}
	if sendFailures == 0 {
		t.Fatal("seed gives no failed send; want the release of a failed claim exercised")
	}

	probeIn := activities.ProbeInput{Content: c, UntilGone: true, Record: &takedown.Transition{
		TakedownID: conf.TakedownID, EventKey: "probe:removed", Kind: "removed", Status: takedown.StatusRemoved,
	}}
	calls := 0
	probe := func() string {
		calls++
		res, err := h.probe(nil, probeIn)
		return outcome(t, res, err)
	}

	// Before RemoveAfter the post is there: every attempt fails, present or 503.
	var before []string
	for range 12 {
		before = append(before, probe())
	}
	for i, o := range before {
		if o != activities.ErrStillPresent && o != "503" {
			t.Fatalf("probe %d before removal came to %q; want still_present or 503 (all: %v)", i+1, o, before)
		}
	}
	if !slices.Contains(before, "503") || !slices.Contains(before, activities.ErrStillPresent) {
		t.Fatalf("seed gives %v before removal; want both 503s and present answers", before)
	}
	if st := h.takedownStatus(conf.TakedownID); st != takedown.StatusNoticeSent {
		t.Fatalf("takedown is %s while the post is present, want %s", st, takedown.StatusNoticeSent)
	}

	h.clock.Advance(3 * time.Second) // past the simulator's RemoveAfter (2 s)
	var after []string
	for {
		if len(after) == maxAttempts {
			t.Fatalf("no removal after %d attempts: %v", maxAttempts, after)
		}
		o := probe()
		after = append(after, o)
		if o == string(takedown.ProbeRemoved) {
			break
		}
		if o != "503" {
			t.Fatalf("probe after removal came to %q; want 503 or removed (all: %v)", o, after)
		}
	}
	if !slices.Contains(after, "503") {
		t.Fatalf("seed gives %v after removal; want a 503 before the removal is seen", after)
	}
	if got := h.sim.Requests(simulator.RouteTelegramPost); got != calls {
		t.Errorf("the preview was fetched %d times in %d attempts; want one request per attempt", got, calls)
	}
	if st := h.takedownStatus(conf.TakedownID); st != takedown.StatusRemoved {
		t.Errorf("takedown is %s, want %s", st, takedown.StatusRemoved)
	}
}

// A platform that refuses a notice ends the send for good: one request,
// a non-retryable error, the notice recorded as failed.
func TestRejectionIsPermanent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	conf, c := h.takedownFor(youtubeURL)
	h.setBehaviour(takedown.YouTube, c.ID, simulator.Behaviour{OnNotice: simulator.OnNoticeReject})
	in := noticeInput(conf, c, 1)

	ae := appError(t, errOnly(h.send(in)))
	if !temporal.IsApplicationError(ae) || !ae.NonRetryable() {
		t.Fatalf("error %v is retryable; want non-retryable", ae)
	}
	if ae.Type() != "permanent:forbidden" {
		t.Errorf("error type %q, want permanent:forbidden", ae.Type())
	}
	if got := h.sim.Requests(simulator.RouteYouTubeReportAbuse); got != 1 {
		t.Errorf("reportAbuse received %d requests, want 1", got)
	}
	ns := h.sim.Notices(takedown.YouTube, c.ID)
	if len(ns) != 1 || ns[0].Outcome != simulator.OutcomeRejected {
		t.Errorf("YouTube holds %+v; want one rejected notice", ns)
	}
	n := h.noticeRow(conf.TakedownID, in.Notice.Key)
	if n.State != takedown.NoticeFailed || n.Error == "" {
		t.Errorf("notice row is %s with error %q; want %s with the reason", n.State, n.Error, takedown.NoticeFailed)
	}
	if st := h.takedownStatus(conf.TakedownID); st != takedown.StatusPending {
		t.Errorf("takedown is %s, want still %s", st, takedown.StatusPending)
	}
}

// Geo-restriction is its own outcome: withheld in KR, never removed; a
// policy that does not accept it keeps probing.
func TestWithheldIsReportedAsWithheld(t *testing.T) {
	t.Parallel()
	for _, rawURL := range []string{xURL, telegramURL} {
		t.Run(rawURL, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{})
			conf, c := h.takedownFor(rawURL)
			h.setBehaviour(c.Platform, c.ID, simulator.Behaviour{OnNotice: simulator.OnNoticeWithhold})
			h.mustSend(noticeInput(conf, c, 1))

			untilGone := activities.ProbeInput{Content: c, UntilGone: true}
			res, err := h.probe(nil, untilGone)
			if o := outcome(t, res, err); o != activities.ErrStillPresent {
				t.Fatalf("probe before the platform acted came to %q, want %s", o, activities.ErrStillPresent)
			}
			h.clock.Advance(3 * time.Second)

			res, err = h.probe(nil, untilGone)
			if err != nil {
				t.Fatalf("probe of withheld content: %v", err)
			}
			if res.State != takedown.ProbeWithheld || !slices.Contains(res.Countries, "KR") {
				t.Errorf("probe = %+v, want withheld in KR", res)
			}

			strict := untilGone
			strict.WithheldIsPresent = true
			for i := range 3 {
				_, err := h.probe(nil, strict)
				ae := appError(t, err)
				if ae.Type() != activities.ErrStillPresent || ae.NonRetryable() || !strings.Contains(ae.Error(), "withheld") {
					t.Errorf("strict probe %d: %v (type %q); want a retryable %s naming the withholding", i+1, err, ae.Type(), activities.ErrStillPresent)
				}
				h.clock.Advance(time.Hour)
			}
		})
	}
}

// crashOnceStore loses the record of the first sent notice, as when the
// worker dies between the platform accepting a notice and the database
// hearing of it.
type crashOnceStore struct {
	*store.Store
	crashed atomic.Bool
}

func (s *crashOnceStore) MarkNoticeSent(ctx context.Context, key, channel, reference, platformReference string, sentAt time.Time, state takedown.NoticeState) error {
	if s.crashed.CompareAndSwap(false, true) {
		return errors.New("connection to the database lost")
	}
	return s.Store.MarkNoticeSent(ctx, key, channel, reference, platformReference, sentAt, state)
}

func (s *crashOnceStore) RecordNoticeSent(ctx context.Context, m takedown.SentNotice, t takedown.Transition) error {
	if s.crashed.CompareAndSwap(false, true) {
		return errors.New("connection to the database lost")
	}
	return s.Store.RecordNoticeSent(ctx, m, t)
}

// sendRoutes names the simulator route each platform's notices arrive by.
var sendRoutes = []struct {
	url, route string
}{
	{telegramURL, simulator.RouteSMTP},
	{xURL, simulator.RouteSMTP},
	{youtubeURL, simulator.RouteYouTubeReportAbuse},
}

// A notice whose send outcome was lost is never sent again for the same
// attempt: the retry reports it uncertain instead.
func TestCrashAfterSendDoesNotSendAgain(t *testing.T) {
	t.Parallel()
	for _, tt := range sendRoutes {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{store: func(s *store.Store) activities.Store { return &crashOnceStore{Store: s} }})
			conf, c := h.takedownFor(tt.url)
			in := noticeInput(conf, c, 1)

			ae := appError(t, errOnly(h.send(in)))
			if ae.NonRetryable() {
				t.Fatalf("lost record gave a non-retryable error: %v", ae)
			}
			if got := h.sim.NoticeCount(c.Platform, c.ID); got != 1 {
				t.Fatalf("the platform holds %d notices after the first try, want 1", got)
			}
			if n := h.noticeRow(conf.TakedownID, in.Notice.Key); n.State != takedown.NoticeSending {
				t.Fatalf("notice row is %s after the crash, want %s", n.State, takedown.NoticeSending)
			}
			sent := h.sim.Requests(tt.route)

			for retry := 1; retry <= 2; retry++ {
				res := h.mustSend(in)
				if !res.Uncertain {
					t.Errorf("retry %d: result %+v is not uncertain", retry, res)
				}
				if got := h.sim.NoticeCount(c.Platform, c.ID); got != 1 {
					t.Errorf("retry %d: the platform holds %d notices, want 1", retry, got)
				}
				if got := h.sim.Requests(tt.route); got != sent {
					t.Errorf("retry %d: %s received %d requests, want still %d", retry, tt.route, got, sent)
				}
				if n := h.noticeRow(conf.TakedownID, in.Notice.Key); n.State != takedown.NoticeUncertain {
					t.Errorf("retry %d: notice row is %s, want %s", retry, n.State, takedown.NoticeUncertain)
				}
			}
			if st := h.takedownStatus(conf.TakedownID); st != takedown.StatusNoticeSent {
				t.Errorf("takedown is %s, want %s (the deadline covers a lost notice)", st, takedown.StatusNoticeSent)
			}
		})
	}
}

// A retry of a send that completed returns what was recorded and sends nothing.
func TestRetryAfterSendReturnsTheRecordedSubmission(t *testing.T) {
	t.Parallel()
	for _, tt := range sendRoutes {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{})
			conf, c := h.takedownFor(tt.url)
			in := noticeInput(conf, c, 1)
			in.DeadlineAfter = 24 * time.Hour

			first := h.mustSend(in)
			sent := h.sim.Requests(tt.route)
			h.clock.Advance(time.Minute)
			second := h.mustSend(in)

			a, b := first.Submission, second.Submission
			if second.Uncertain || a.Channel != b.Channel || a.Reference != b.Reference ||
				a.PlatformReference != b.PlatformReference || !a.SentAt.Equal(b.SentAt) || !first.Deadline.Equal(second.Deadline) {
				t.Errorf("retry returned %+v, want the first send's %+v", second, first)
			}
			if a.Reference != takedown.NoticeReference(in.Notice.Key) || !a.SentAt.Equal(t0) || !first.Deadline.Equal(t0.Add(24*time.Hour)) {
				t.Errorf("first send = %+v; want reference %s sent at %s", first, takedown.NoticeReference(in.Notice.Key), t0)
			}
			if got := h.sim.NoticeCount(c.Platform, c.ID); got != 1 {
				t.Errorf("the platform holds %d notices, want 1", got)
			}
			if got := h.sim.Requests(tt.route); got != sent {
				t.Errorf("%s received %d requests, want still %d", tt.route, got, sent)
			}
		})
	}
}

// Each attempt of a takedown (a reminder, a re-send) is a notice of its own.
func TestEachAttemptIsItsOwnNotice(t *testing.T) {
	t.Parallel()
	for _, rawURL := range []string{telegramURL, youtubeURL} {
		t.Run(rawURL, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{})
			conf, c := h.takedownFor(rawURL)
			first, second := noticeInput(conf, c, 1), noticeInput(conf, c, 2)
			second.Notice.Kind = takedown.KindReminder
			if first.Notice.Key == second.Notice.Key {
				t.Fatalf("attempts 1 and 2 share the key %s", first.Notice.Key)
			}
			r1, r2 := h.mustSend(first), h.mustSend(second)
			if r1.Submission.Reference == r2.Submission.Reference {
				t.Errorf("both attempts have reference %s", r1.Submission.Reference)
			}
			ns := h.sim.Notices(c.Platform, c.ID)
			if len(ns) != 2 {
				t.Fatalf("the platform holds %d notices, want 2", len(ns))
			}
			for i, n := range ns {
				if n.Duplicate {
					t.Errorf("notice %d flagged as a duplicate: %+v", i+1, n)
				}
			}
			for _, in := range []activities.SendNoticeInput{first, second} {
				if n := h.noticeRow(conf.TakedownID, in.Notice.Key); n.State != takedown.NoticeSent || n.Attempt != in.Notice.Attempt {
					t.Errorf("notice row %s is %s attempt %d; want sent attempt %d", n.Key, n.State, n.Attempt, in.Notice.Attempt)
				}
			}
		})
	}
}

// A garbled answer is never taken for removal, even of content that is
// in fact gone.
func TestMalformedAnswerIsNeverRemoved(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		initial   simulator.Status
	}{
		{"X, post present", xURL, simulator.StatusPresent},
		{"X, post gone", xURL, simulator.StatusRemoved},
		{"YouTube, video present", youtubeURL, simulator.StatusPresent},
		{"YouTube, video gone", youtubeURL, simulator.StatusRemoved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{})
			_, c := h.takedownFor(tt.url)
			h.setBehaviour(c.Platform, c.ID, simulator.Behaviour{Malformed: true, Initial: tt.initial})

			for _, untilGone := range []bool{false, true} {
				res, err := h.probe(nil, activities.ProbeInput{Content: c, UntilGone: untilGone})
				if err == nil {
					if res.State != takedown.ProbeUnknown {
						t.Errorf("until_gone=%v: probe of a garbled answer = %+v, want an error or unknown", untilGone, res)
					}
					continue
				}
				if ae := appError(t, err); ae.NonRetryable() {
					t.Errorf("until_gone=%v: %v is non-retryable", untilGone, err)
				}
			}

			// The same content answered properly: the garbling alone kept
			// a removal from being seen.
			h.setBehaviour(c.Platform, c.ID, simulator.Behaviour{Initial: tt.initial})
			res, err := h.probe(nil, activities.ProbeInput{Content: c})
			if err != nil || string(res.State) != string(tt.initial) {
				t.Errorf("probe of a well-formed answer = %+v, %v; want %s", res, err, tt.initial)
			}
		})
	}
}

// A platform that does not answer before the activity's deadline gives a
// timeout, which Temporal retries; nothing is read from it.
func TestHangIsTransient(t *testing.T) {
	t.Parallel()
	const deadline = 300 * time.Millisecond
	for _, rawURL := range []string{xURL, youtubeURL, telegramURL} {
		t.Run(rawURL, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{})
			_, c := h.takedownFor(rawURL)
			h.setBehaviour(c.Platform, c.ID, simulator.Behaviour{Hang: simulator.Duration(time.Minute), Initial: simulator.StatusRemoved})
			in := activities.ProbeInput{Content: c, UntilGone: true}

			// Through the worker: the start-to-close timeout fires.
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			res, err := h.probe(h.newEnv(ctx), in)
			if err == nil || !temporal.IsTimeoutError(err) {
				t.Errorf("probe through the worker = %+v, %v; want a timeout", res, err)
			}

			// The activity's own answer when its context ends: a transient
			// platform error, no result.
			ctx, cancel = context.WithTimeout(context.Background(), deadline)
			defer cancel()
			res, err = h.acts.Probe(ctx, in)
			if err == nil {
				t.Fatalf("probe of a hanging platform = %+v, want an error", res)
			}
			if pe := platforms.Classify(err); pe.Kind != platforms.KindTransient {
				t.Errorf("probe error %v is %s, want transient", err, pe.Kind)
			}
			var ae *temporal.ApplicationError
			if errors.As(err, &ae) && ae.NonRetryable() {
				t.Errorf("probe error %v is non-retryable", err)
			}
			if res.State == takedown.ProbeRemoved {
				t.Errorf("probe of a hanging platform reported %+v", res)
			}
		})
	}
}

func errOnly[T any](_ T, err error) error { return err }

// The workflow started, but the API's transaction never wrote the takedown
// (the API crashed or its commit failed): the first notice writes the
// takedown from the confirmation it carries, then sends, once.
func TestSendWritesTheTakedownTheAPIDidNot(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	c, err := takedown.ParseURL("https://t.me/neverwritten/7")
	if err != nil {
		t.Fatal(err)
	}
	it, err := h.store.CreateItem(t.Context(), store.NewItem{
		URL: c.URL, Platform: c.Platform, ContentID: c.ID, Category: takedown.DeepfakeSexual, CreatedBy: h.staff,
	})
	if err != nil {
		t.Fatalf("CreateItem: %v", err)
	}
	id := uuid.New()
	conf := takedown.Confirm{ItemID: it.ID, TakedownID: id, WorkflowID: takedown.WorkflowID(id), ConfirmedBy: h.staff}

	h.mustSend(noticeInput(conf, c, 1))
	if st := h.takedownStatus(id); st != takedown.StatusNoticeSent {
		t.Errorf("takedown is %s, want %s", st, takedown.StatusNoticeSent)
	}
	if got, _ := h.store.GetItem(t.Context(), it.ID); got.Status != takedown.ItemConfirmed {
		t.Errorf("item is %s, want %s", got.Status, takedown.ItemConfirmed)
	}
	if n := h.sim.NoticeCount(c.Platform, c.ID); n != 1 {
		t.Errorf("the platform holds %d notices, want 1", n)
	}
}
