// Package youtube is the YouTube adapter: notices go through the Data API's
// videos.reportAbuse (or, for priority notices, the Priority Flagger web form
// a person fills in), and probes read videos.list's status part.
package youtube

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	// The quota resets at midnight Pacific time; embedding the zone database
	// keeps that right on hosts without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/takedown-oss/takedown/internal/httpx"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/adapter"
)

// Defaults.
const (
	DefaultBaseURL        = "https://www.googleapis.com/youtube/v3"
	DefaultLanguage       = "ko_KR"
	DefaultReasonCacheTTL = 24 * time.Hour
)

const (
	// defaultRateLimitWait is used when a rate-limit answer names no wait.
	defaultRateLimitWait = 60 * time.Second
	// quotaResetMargin is added to the quota's reset time: Google's reset is
	// not to the second, and our clock is not Google's.
	quotaResetMargin = 5 * time.Minute
	// maxBody caps what is read of any answer; the API's are a few KiB.
	maxBody = 1 << 20
)

// ReasonID is a videoAbuseReportReasons id and, optionally, one of its
// secondary reason ids.
type ReasonID struct {
	Reason    string
	Secondary string
}

// Config configures the YouTube adapter.
type Config struct {
	// BaseURL is the Data API root, DefaultBaseURL by default.
	BaseURL string
	// AccessToken is an OAuth 2 bearer token of the account that files
	// reports. TokenSource, when set, is asked for a token before each call
	// instead (so that a refreshing source can be plugged in).
	AccessToken string
	TokenSource func(ctx context.Context) (string, error)
	// Language is the hl of the reason labels and the report's language,
	// DefaultLanguage by default.
	Language string
	// Channel carries ordinary notices (api by default); PriorityChannel
	// carries priority ones (portal by default: the Priority Flagger form).
	Channel         takedown.Channel
	PriorityChannel takedown.Channel
	// ReasonCacheTTL is how long the fetched reason list is trusted,
	// DefaultReasonCacheTTL by default.
	ReasonCacheTTL time.Duration
	// ReasonIDs overrides the label matching for some categories; a category
	// listed here is reported without fetching the reason list.
	ReasonIDs map[takedown.Category]ReasonID
	// Now is the clock, time.Now by default.
	Now func() time.Time
}

// Client is the YouTube adapter.
type Client struct {
	cfg     Config
	base    adapter.Base
	pacific *time.Location

	mu        sync.Mutex
	reasons   []abuseReason
	reasonsAt time.Time
}

var _ platforms.Adapter = (*Client)(nil)

// New validates cfg, fills its defaults and returns the adapter. A nil
// httpClient gets one with a 30 s timeout.
func New(cfg Config, httpClient *http.Client, logger *slog.Logger) (*Client, error) {
	cfg.BaseURL = strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/")
	cfg.Language = cmp.Or(cfg.Language, DefaultLanguage)
	cfg.ReasonCacheTTL = cmp.Or(cfg.ReasonCacheTTL, DefaultReasonCacheTTL)
	if err := adapter.CheckAbsoluteURL("BaseURL", cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("youtube config: %w", err)
	}
	if cfg.AccessToken == "" && cfg.TokenSource == nil {
		return nil, errors.New("youtube config: AccessToken or TokenSource is required")
	}
	base, err := adapter.NewBase(takedown.YouTube, platforms.Route{Name: "YouTube", Channel: cfg.Channel,
		PriorityChannel: cfg.PriorityChannel}, nil, httpClient, logger, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("youtube config: %w", err)
	}
	cfg.Now = base.Now
	if cfg.ReasonCacheTTL < 0 {
		return nil, fmt.Errorf("youtube config: negative ReasonCacheTTL %s", cfg.ReasonCacheTTL)
	}
	for cat, r := range cfg.ReasonIDs {
		if !cat.Valid() {
			return nil, fmt.Errorf("youtube config: ReasonIDs: unknown category %q", cat)
		}
		if r.Reason == "" {
			return nil, fmt.Errorf("youtube config: ReasonIDs[%s]: empty Reason", cat)
		}
	}
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return nil, fmt.Errorf("youtube: load quota time zone: %w", err)
	}
	return &Client{cfg: cfg, base: base, pacific: pacific}, nil
}

// Send files an abuse report through the API, or, when the notice's channel
// is the portal, sends nothing and leaves a portal task.
func (c *Client) Send(ctx context.Context, n takedown.Notice) (platforms.Submission, error) {
	if n.Key == "" {
		return platforms.Submission{}, platforms.Permanent("invalid_notice", errors.New("notice without idempotency key"))
	}
	ch, _ := c.base.Route.Pick(n.Priority)
	sub := platforms.Submission{Channel: ch, Reference: takedown.NoticeReference(n.Key), SentAt: c.cfg.Now()}
	if ch == takedown.ChannelPortal {
		sub.AwaitingPortal = true
		return sub, nil
	}
	if !validVideoID(n.Content.ID) {
		return platforms.Submission{}, platforms.Permanent("invalid_content_id", errors.New("not an 11-character YouTube video id"))
	}
	reason, err := c.reasonFor(ctx, n.Category)
	if err != nil {
		// Whatever became of the reason list's request, the report itself
		// never left.
		return platforms.Submission{}, platforms.NeverSent(fmt.Errorf("choose abuse reason: %w", err))
	}
	body, err := reportBody(n, reason, sub.Reference, c.cfg.Language)
	if err != nil {
		return platforms.Submission{}, platforms.Permanent("invalid_notice", err)
	}
	resp, err := c.do(ctx, http.MethodPost, "/videos/reportAbuse", body)
	if err != nil {
		return platforms.Submission{}, fmt.Errorf("report abuse: %w", err)
	}
	if resp.Status/100 != 2 {
		return platforms.Submission{}, fmt.Errorf("report abuse: %w", c.apiError(resp))
	}
	c.base.Logger.InfoContext(ctx, "youtube abuse report filed", "reference", sub.Reference, "priority", n.Priority)
	return sub, nil
}

// reportRequest is videos.reportAbuse's body; the field order is the API's.
type reportRequest struct {
	VideoID           string `json:"videoId"`
	ReasonID          string `json:"reasonId"`
	SecondaryReasonID string `json:"secondaryReasonId,omitempty"`
	Comments          string `json:"comments,omitempty"`
	Language          string `json:"language,omitempty"`
}

var categoryWords = map[takedown.Category]string{
	takedown.DeepfakeSexual: "sexually explicit deepfake",
	takedown.NCII:           "non-consensual intimate imagery",
	takedown.CSAM:           "child sexual abuse material",
	takedown.Sextortion:     "sextortion",
	takedown.OtherIllegal:   "other illegal content",
}

// maxComments caps the report's comments, in characters. The API documents
// no limit, but YouTube's own report form stops at 500 characters, and a
// report refused for its length would be a notice never sent.
const maxComments = 500

// leads open the comments by the notice's kind, so that a reviewer sees at
// once whether this is a new request or one they have seen before.
var leads = map[takedown.NoticeKind]string{
	takedown.KindNotice:   "Takedown request %s from the Korean regulator",
	takedown.KindReminder: "Reminder: takedown request %s from the Korean regulator, not yet acted on",
	takedown.KindPriority: "Priority escalation of takedown request %s from the Korean regulator",
	takedown.KindFollowUp: "Further information for takedown request %s from the Korean regulator, answering your question",
	takedown.KindAppeal:   "Appeal against the rejection of takedown request %s from the Korean regulator",
}

func reportBody(n takedown.Notice, r ReasonID, ref, language string) ([]byte, error) {
	comments, err := reportComments(n, ref)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(reportRequest{
		VideoID: n.Content.ID, ReasonID: r.Reason, SecondaryReasonID: r.Secondary,
		Comments: comments, Language: language,
	}); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// reportComments says what the report is and carries what a reviewer needs
// and nothing more: the staff note (Notice.Note) may hold the victim's
// details and stays home, while the added information is written for the
// platform and goes. Only the added information is shortened to fit.
func reportComments(n takedown.Notice, ref string) (string, error) {
	kind := n.Kind.Of()
	lead, ok := leads[kind]
	if !ok {
		return "", fmt.Errorf("unknown notice kind %q", n.Kind)
	}
	parts := []string{fmt.Sprintf(lead, ref)}
	if n.Reference != "" {
		parts = append(parts, "case "+n.Reference)
	}
	if kind != takedown.KindNotice && n.FirstReference != "" {
		first := "first notice " + n.FirstReference
		if !n.FirstSentAt.IsZero() {
			first += " of " + n.FirstSentAt.UTC().Format(time.DateOnly)
		}
		parts = append(parts, first)
	}
	parts = append(parts, "category: "+categoryWords[n.Category])
	if g := oneLine(n.LegalGround); g != "" {
		parts = append(parts, "legal ground: "+g)
	}
	if d := strings.TrimSpace(n.EvidenceDigest); d != "" {
		parts = append(parts, "evidence digest: "+d)
	}
	head := strings.Join(parts, "; ")
	tail := ". Illegal under the law of the Republic of Korea; please remove it."
	if n.Priority || kind == takedown.KindPriority {
		tail += " Urgent: ongoing harm."
	}
	if info := oneLine(n.Information); info != "" {
		label := "; information: "
		if kind == takedown.KindAppeal {
			label = "; grounds for reconsideration: "
		}
		room := maxComments - utf8.RuneCountInString(head+label+tail)
		head += label + truncate(info, room)
	}
	return truncate(head+tail, maxComments), nil
}

// truncate shortens s to at most n characters, ending it with an ellipsis
// when anything was cut; it never splits a character.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// videoList is the part of videos.list's answer a probe reads.
type videoList struct {
	Items *[]struct {
		ID     string      `json:"id"`
		Status videoStatus `json:"status"`
	} `json:"items"`
}

// BatchSize is how many ids one videos.list call answers for one unit.
const BatchSize = 50

// QuotaCost is what sending n costs of the project's daily quota: 50 units
// for an abuse report through the API, nothing through a portal.
func (c *Client) QuotaCost(n takedown.Notice) int {
	if ch, _ := c.base.Route.Pick(n.Priority); ch == takedown.ChannelAPI {
		return 50
	}
	return 0
}

// Probe asks videos.list for the video's status.
func (c *Client) Probe(ctx context.Context, content takedown.Content) (takedown.ProbeResult, error) {
	res, err := c.ProbeMany(ctx, []takedown.Content{content})
	if err != nil {
		return takedown.ProbeResult{}, err
	}
	return res[0], nil
}

// ProbeMany asks one videos.list call for the status of up to BatchSize
// videos; the results come in the order of contents. An id the answer
// leaves out is removed, as for a single video; an invalid id fails the
// whole call, which only ever carries ids the activities checked.
func (c *Client) ProbeMany(ctx context.Context, contents []takedown.Content) ([]takedown.ProbeResult, error) {
	ids, err := adapter.BatchIDs(contents, BatchSize, validVideoID, "videos", "not an 11-character YouTube video id")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodGet, "/videos?part=status&id="+url.QueryEscape(strings.Join(ids, ",")), nil)
	if err != nil {
		return nil, fmt.Errorf("probe videos: %w", err)
	}
	now := c.cfg.Now()
	out := make([]takedown.ProbeResult, len(contents))
	if resp.Status/100 != 2 {
		err := c.apiError(resp)
		if pe := platforms.Classify(err); pe.Kind == platforms.KindPermanent && pe.Code == "videoNotFound" && len(contents) == 1 {
			out[0] = takedown.ProbeResult{State: takedown.ProbeRemoved, Reason: "videoNotFound", CheckedAt: now}
			return out, nil
		}
		return nil, fmt.Errorf("probe videos: %w", err)
	}
	var list videoList
	if err := json.Unmarshal(resp.Body, &list); err != nil || list.Items == nil {
		// Never removed on an answer we cannot read: most likely a truncated
		// body or a proxy's page, worth another try soon.
		return nil, platforms.Transient("malformed_response", errors.New("probe videos: unreadable videos.list answer"))
	}
	items := *list.Items
	asked := make(map[string]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	byID := make(map[string]int, len(items))
	stray := false
	for i, v := range items {
		byID[v.ID] = i
		stray = stray || !asked[v.ID]
	}
	for i, content := range contents {
		res := takedown.ProbeResult{CheckedAt: now}
		j, ok := byID[content.ID]
		switch {
		case ok:
			res.State, res.Reason = videoState(items[j].Status)
		case len(contents) == 1 && len(items) == 1 && items[0].ID == "":
			// An answer without ids can only be about the one video asked for.
			res.State, res.Reason = videoState(items[0].Status)
		case stray:
			// An answer naming a video nobody asked for cannot be trusted to
			// have left the others out because they are gone.
			res.State, res.Reason = takedown.ProbeUnknown, "videos.list returned another video"
		default:
			res.State, res.Reason = takedown.ProbeRemoved, "video not returned"
		}
		out[i] = res
	}
	return out, nil
}

type videoStatus struct {
	UploadStatus    string `json:"uploadStatus"`
	PrivacyStatus   string `json:"privacyStatus"`
	RejectionReason string `json:"rejectionReason"`
	FailureReason   string `json:"failureReason"`
}

func videoState(st videoStatus) (takedown.ProbeState, string) {
	switch st.UploadStatus {
	case "deleted", "rejected", "failed":
		reason := "uploadStatus=" + st.UploadStatus
		if st.RejectionReason != "" {
			reason += " rejectionReason=" + st.RejectionReason
		}
		if st.FailureReason != "" {
			reason += " failureReason=" + st.FailureReason
		}
		return takedown.ProbeRemoved, reason
	case "processed", "uploaded":
		if st.PrivacyStatus == "private" {
			// A private video is out of public view but not removed: its
			// owner can make it public again at any moment. Reporting it as
			// removed would close the takedown on something still there.
			return takedown.ProbeUnknown, "private"
		}
		return takedown.ProbePresent, "uploadStatus=" + st.UploadStatus
	default:
		return takedown.ProbeUnknown, "uploadStatus=" + cmp.Or(st.UploadStatus, "missing")
	}
}

// do sends one authorised request to the API. Network failures come back
// transient and without the request URL, which holds the content's id.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (httpx.Response, error) {
	token := c.cfg.AccessToken
	if c.cfg.TokenSource != nil {
		t, err := c.cfg.TokenSource(ctx)
		if err != nil {
			return httpx.Response{}, platforms.Transient("token", fmt.Errorf("get access token: %w", err))
		}
		if t == "" {
			return httpx.Response{}, platforms.Transient("token", errors.New("token source returned an empty token"))
		}
		token = t
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, rd)
	if err != nil {
		return httpx.Response{}, platforms.Permanent("bad_request", errors.New("build request"))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return httpx.Do(c.base.HTTP, req, maxBody)
}

func validVideoID(id string) bool {
	if len(id) != 11 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}
