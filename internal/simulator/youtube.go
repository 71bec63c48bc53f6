package simulator

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// YouTube Data API v3 costs, in quota units.
const (
	costReportAbuse = 50
	costList        = 1
)

// abuseReason is one entry of videoAbuseReportReasons. The ids are
// illustrative: YouTube does not document them, which is why the adapter
// must fetch the list and map categories onto labels, not hard-code ids.
type abuseReason struct {
	id, en, ko string
	secondary  []abuseReason
}

var abuseReasons = []abuseReason{
	{"N", "Sexual content", "성적인 콘텐츠", []abuseReason{
		{"1", "Graphic sexual activity", "노골적인 성행위", nil},
		{"2", "Nudity", "과도한 노출", nil},
		{"3", "Suggestive, but without nudity", "노출 없는 선정적인 콘텐츠", nil},
		{"4", "Content involving minors", "미성년자 관련 콘텐츠", nil},
		{"5", "Abusive title or description", "악의적인 제목 또는 설명", nil},
		{"6", "Other sexual content", "기타 성적인 콘텐츠", nil},
	}},
	{"V", "Violent or repulsive content", "폭력적 또는 혐오스러운 콘텐츠", []abuseReason{
		{"7", "Adults fighting", "성인 간의 싸움", nil},
		{"8", "Physical attack", "신체적 공격", nil},
		{"9", "Youth violence", "청소년 폭력", nil},
		{"10", "Animal abuse", "동물 학대", nil},
	}},
	{"H", "Hateful or abusive content", "증오성 또는 악의적인 콘텐츠", []abuseReason{
		{"11", "Promotes hatred or violence", "증오 또는 폭력 조장", nil},
		{"12", "Abusing vulnerable individuals", "취약 계층 학대", nil},
		{"13", "Abusive title or description", "악의적인 제목 또는 설명", nil},
	}},
	{"B", "Harassment or bullying", "괴롭힘 또는 따돌림", []abuseReason{
		{"14", "This is harassing me", "나를 괴롭히는 콘텐츠", nil},
		{"15", "This is harassing someone else", "다른 사람을 괴롭히는 콘텐츠", nil},
	}},
	{"D", "Harmful or dangerous acts", "유해하거나 위험한 행위", []abuseReason{
		{"16", "Pharmaceutical or drug abuse", "약물 남용", nil},
		{"17", "Abuse of fire or explosives", "화기 또는 폭발물 남용", nil},
		{"18", "Suicide or self injury", "자살 또는 자해", nil},
		{"19", "Other dangerous acts", "기타 위험한 행위", nil},
	}},
	{"C", "Child abuse", "아동 학대", nil},
	{"T", "Promotes terrorism", "테러 조장", nil},
	{"S", "Spam or misleading", "스팸 또는 오해의 소지가 있는 콘텐츠", []abuseReason{
		{"20", "Mass advertising", "대량 광고", nil},
		{"21", "Pharmaceutical drugs for sale", "의약품 판매", nil},
		{"22", "Misleading text", "오해의 소지가 있는 텍스트", nil},
		{"23", "Misleading thumbnail", "오해의 소지가 있는 미리보기 이미지", nil},
		{"24", "Scams / fraud", "사기", nil},
	}},
	{"R", "Infringes my rights", "권리 침해", []abuseReason{
		{"25", "Infringes my copyright", "저작권 침해", nil},
		{"26", "Invades my privacy", "개인정보 침해", nil},
		{"27", "Other legal claim", "기타 법적 신고", nil},
	}},
}

// validAbuseReason reports whether reasonID, and secondaryID if given, name
// a reason and one of its own secondary reasons.
func validAbuseReason(reasonID, secondaryID string) bool {
	for _, r := range abuseReasons {
		if r.id != reasonID {
			continue
		}
		if secondaryID == "" {
			return true
		}
		for _, sr := range r.secondary {
			if sr.id == secondaryID {
				return true
			}
		}
		return false
	}
	return false
}

type googleErrorItem struct {
	Message      string `json:"message"`
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
}

type googleErrorBody struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Errors  []googleErrorItem `json:"errors"`
	Status  string            `json:"status,omitempty"`
}

// writeGoogleError writes Google's JSON error envelope; the first item's
// message is the envelope's, as Google's own answers do.
func writeGoogleError(w http.ResponseWriter, code int, status string, item googleErrorItem) {
	writeJSON(w, code, map[string]googleErrorBody{"error": {
		Code: code, Message: item.Message, Errors: []googleErrorItem{item}, Status: status,
	}})
}

type youtubeFaults struct{ s *Simulator }

func (f youtubeFaults) rateLimited(w http.ResponseWriter, rl RateLimit) {
	retryAfter(w, rl)
	if rl.Status == http.StatusForbidden {
		writeGoogleError(w, rl.Status, "", googleErrorItem{
			Message: "Rate Limit Exceeded", Domain: "usageLimits", Reason: "rateLimitExceeded",
		})
		return
	}
	writeGoogleError(w, rl.Status, "RESOURCE_EXHAUSTED", googleErrorItem{
		Message: "Resource has been exhausted (e.g. check quota).", Domain: "global", Reason: "rateLimitExceeded",
	})
}

func (youtubeFaults) unavailable(w http.ResponseWriter) {
	writeGoogleError(w, http.StatusServiceUnavailable, "UNAVAILABLE", googleErrorItem{
		Message: "The service is currently unavailable.", Domain: "global", Reason: "backendError",
	})
}

func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// googleOAuth is the OAuth token of a Google API call: a bearer header or
// the access_token parameter.
func googleOAuth(r *http.Request) string {
	return cmp.Or(bearerToken(r), r.URL.Query().Get("access_token"))
}

func writeGoogleUnauthenticated(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
	writeGoogleError(w, http.StatusUnauthorized, "UNAUTHENTICATED", googleErrorItem{
		Message:  "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
		Domain:   "global",
		Reason:   "required",
		Location: "Authorization", LocationType: "header",
	})
}

// youtubeCaller checks that a read call names its caller, by OAuth token or
// API key, as Google requires.
func youtubeCaller(w http.ResponseWriter, r *http.Request) bool {
	if googleOAuth(r) != "" || r.URL.Query().Get("key") != "" {
		return true
	}
	writeGoogleError(w, http.StatusForbidden, "PERMISSION_DENIED", googleErrorItem{
		Message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
		Domain:  "global", Reason: "forbidden",
	})
	return false
}

// youtubeParts checks the part parameter against the parts a resource has.
func youtubeParts(w http.ResponseWriter, r *http.Request, known ...string) (map[string]bool, bool) {
	raw := r.URL.Query().Get("part")
	if raw == "" {
		writeGoogleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", googleErrorItem{
			Message: "Required parameter: part", Domain: "global", Reason: "required",
			Location: "part", LocationType: "parameter",
		})
		return nil, false
	}
	parts := map[string]bool{}
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		found := false
		for _, k := range known {
			found = found || k == p
		}
		if !found {
			writeGoogleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", googleErrorItem{
				Message: fmt.Sprintf("'%s'", p), Domain: "youtube.part", Reason: "unknownPart",
				Location: "part", LocationType: "parameter",
			})
			return nil, false
		}
		parts[p] = true
	}
	return parts, true
}

// spendQuota charges units to today's budget; the day is the Pacific one,
// as YouTube's quota resets at midnight America/Los_Angeles.
func (s *Simulator) spendQuota(w http.ResponseWriter, units int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.quotaLocked()
	if s.st.Quota.Used+units > q.Limit {
		msg := `The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.`
		writeGoogleError(w, http.StatusForbidden, "", googleErrorItem{Message: msg, Domain: "youtube.quota", Reason: "quotaExceeded"})
		return false
	}
	s.st.Quota.Used += units
	s.saveLocked()
	return true
}

// QuotaState is YouTube's quota as it stands.
type QuotaState struct {
	Day      string    `json:"day"`
	Used     int       `json:"used"`
	Limit    int       `json:"limit"`
	ResetsAt time.Time `json:"resets_at"`
}

// quotaLocked rolls the quota over to a new Pacific day when one began.
func (s *Simulator) quotaLocked() QuotaState {
	now := s.now().In(s.la)
	day := now.Format(time.DateOnly)
	if s.st.Quota.Day != day {
		s.st.Quota = quotaUsage{Day: day}
	}
	limit := s.cfg.YouTubeQuota
	if d := s.st.Defaults[takedown.YouTube]; d != nil && d.Behaviour.Quota > 0 {
		limit = d.Behaviour.Quota
	}
	y, m, dd := now.Date()
	return QuotaState{Day: day, Used: s.st.Quota.Used, Limit: limit, ResetsAt: time.Date(y, m, dd+1, 0, 0, 0, 0, s.la)}
}

// YouTubeQuota is the quota as it stands now.
func (s *Simulator) YouTubeQuota() QuotaState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quotaLocked()
}

func etag(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:27]
}

func (s *Simulator) youtubeReasons(w http.ResponseWriter, r *http.Request, _ []takedown.Content) {
	if !youtubeCaller(w, r) {
		return
	}
	parts, ok := youtubeParts(w, r, "id", "snippet")
	if !ok || !s.spendQuota(w, costList) {
		return
	}
	hl := r.URL.Query().Get("hl")
	korean := strings.HasPrefix(strings.ToLower(hl), "ko")
	label := func(a abuseReason) string {
		if korean {
			return a.ko
		}
		return a.en
	}
	type secondary struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	}
	type snippet struct {
		Label            string      `json:"label"`
		SecondaryReasons []secondary `json:"secondaryReasons,omitempty"`
	}
	type item struct {
		Kind    string   `json:"kind"`
		Etag    string   `json:"etag"`
		ID      string   `json:"id"`
		Snippet *snippet `json:"snippet,omitempty"`
	}
	items := []item{}
	for _, a := range abuseReasons {
		it := item{Kind: "youtube#videoAbuseReportReason", Etag: etag("reason", a.id, hl), ID: a.id}
		if parts["snippet"] {
			it.Snippet = &snippet{Label: label(a)}
			for _, sr := range a.secondary {
				it.Snippet.SecondaryReasons = append(it.Snippet.SecondaryReasons, secondary{ID: sr.id, Label: label(sr)})
			}
		}
		items = append(items, it)
	}
	writeJSON(w, http.StatusOK, struct {
		Kind  string `json:"kind"`
		Etag  string `json:"etag"`
		Items []item `json:"items"`
	}{"youtube#videoAbuseReportReasonListResponse", etag("reasons", hl), items})
}

type reportAbuseBody struct {
	VideoID           string `json:"videoId"`
	ReasonID          string `json:"reasonId"`
	SecondaryReasonID string `json:"secondaryReasonId"`
	Comments          string `json:"comments"`
	Language          string `json:"language"`
}

// identifyReportAbuse reads the video id out of the JSON body and puts the
// body back for the handler.
func (s *Simulator) identifyReportAbuse(r *http.Request) []takedown.Content {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	var b reportAbuseBody
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	if c, err := takedown.ParseContentID(takedown.YouTube, b.VideoID); err == nil {
		return []takedown.Content{c}
	}
	return nil
}

func (s *Simulator) youtubeReportAbuse(w http.ResponseWriter, r *http.Request, cs []takedown.Content) {
	if googleOAuth(r) == "" {
		writeGoogleUnauthenticated(w)
		return
	}
	var b reportAbuseBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeGoogleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", googleErrorItem{Message: "Parse Error", Domain: "global", Reason: "parseError"})
		return
	}
	if !s.spendQuota(w, costReportAbuse) {
		return
	}
	if b.VideoID == "" {
		writeGoogleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", googleErrorItem{
			Message: "Required", Domain: "global", Reason: "required", Location: "videoId", LocationType: "other",
		})
		return
	}
	if !validAbuseReason(b.ReasonID, b.SecondaryReasonID) {
		writeGoogleError(w, http.StatusBadRequest, "", googleErrorItem{
			Message: "The request contained an unexpected value for the <code>reason_id</code> field, or a combination of the <code>reason_id</code> and <code>secondary_reason_id</code> fields.",
			Domain:  "youtube.video", Reason: "invalidAbuseReason",
		})
		return
	}
	notFound := googleErrorItem{
		Message: "The video that you are trying to report abuse for cannot be found.",
		Domain:  "youtube.video", Reason: "videoNotFound", Location: "videoId", LocationType: "other",
	}
	if len(cs) == 0 {
		writeGoogleError(w, http.StatusNotFound, "", notFound)
		return
	}
	s.mu.Lock()
	if st, _ := s.statusLocked(cs[0]); st == StatusRemoved {
		s.mu.Unlock()
		writeGoogleError(w, http.StatusNotFound, "", notFound)
		return
	}
	n := s.noticeLocked(ReceivedNotice{
		Channel:           takedown.ChannelAPI,
		ReasonID:          b.ReasonID,
		SecondaryReasonID: b.SecondaryReasonID,
		Comments:          b.Comments,
		Language:          b.Language,
	}, &cs[0])
	s.saveLocked()
	s.mu.Unlock()
	if n.Outcome == OutcomeRejected {
		writeGoogleError(w, http.StatusForbidden, "", googleErrorItem{
			Message: "The request is not properly authorized to report abuse for this video.",
			Domain:  "youtube.video", Reason: "forbidden",
		})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func identifyVideos(r *http.Request) []takedown.Content {
	var cs []takedown.Content
	for _, id := range strings.Split(r.URL.Query().Get("id"), ",") {
		if c, err := takedown.ParseContentID(takedown.YouTube, strings.TrimSpace(id)); err == nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// youtubeVideos answers videos.list by id. A removed video is simply left
// out of items, which is how YouTube answers for a video it no longer
// serves. YouTube has no per-country flag in status, so withheld videos stay
// listed as processed and public: the API cannot see a geo-restriction.
func (s *Simulator) youtubeVideos(w http.ResponseWriter, r *http.Request, cs []takedown.Content) {
	if !youtubeCaller(w, r) {
		return
	}
	parts, ok := youtubeParts(w, r, "id", "snippet", "status")
	if !ok {
		return
	}
	if r.URL.Query().Get("id") == "" {
		writeGoogleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", googleErrorItem{
			Message: "No filter selected. Expected one of: myRated, id, chart.",
			Domain:  "youtube.parameter", Reason: "missingRequiredParameter",
			Location: "parameters.", LocationType: "other",
		})
		return
	}
	if !s.spendQuota(w, costList) {
		return
	}
	items := []map[string]any{}
	s.mu.Lock()
	for _, c := range cs {
		if st, _ := s.statusLocked(c); st == StatusRemoved {
			continue
		}
		it := map[string]any{"kind": "youtube#video", "etag": etag("video", c.ID), "id": c.ID}
		if parts["snippet"] {
			it["snippet"] = map[string]any{
				"publishedAt":          "2024-08-26T09:00:00Z",
				"channelId":            "UC" + etag("channel", c.ID)[:22],
				"title":                "Simulated video " + c.ID,
				"description":          "",
				"channelTitle":         "Simulated channel",
				"categoryId":           "22",
				"liveBroadcastContent": "none",
			}
		}
		if parts["status"] {
			it["status"] = map[string]any{
				"uploadStatus":        "processed",
				"privacyStatus":       "public",
				"license":             "youtube",
				"embeddable":          true,
				"publicStatsViewable": true,
				"madeForKids":         false,
			}
		}
		items = append(items, it)
	}
	s.mu.Unlock()
	type pageInfo struct {
		TotalResults   int `json:"totalResults"`
		ResultsPerPage int `json:"resultsPerPage"`
	}
	writeJSON(w, http.StatusOK, struct {
		Kind     string           `json:"kind"`
		Etag     string           `json:"etag"`
		Items    []map[string]any `json:"items"`
		PageInfo pageInfo         `json:"pageInfo"`
	}{"youtube#videoListResponse", etag("videos", r.URL.RawQuery, fmt.Sprint(len(items))), items, pageInfo{len(items), len(items)}})
}
