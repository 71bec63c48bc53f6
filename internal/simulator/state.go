package simulator

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// Unidentified is the platform an e-mail is filed under when no content URL
// could be found in it.
const Unidentified takedown.Platform = "unidentified"

// Outcome is what the simulated platform did with a notice.
type Outcome string

const (
	OutcomeAccepted     Outcome = "accepted"     // the platform will act on it
	OutcomeNoAction     Outcome = "no_action"    // on_notice "never"
	OutcomeIgnored      Outcome = "ignored"      // on_notice "portal" and the notice came another way
	OutcomeRejected     Outcome = "rejected"     // on_notice "reject"
	OutcomeUnidentified Outcome = "unidentified" // an e-mail naming no content
)

// ReceivedNotice is one notice as the simulated platform received it.
type ReceivedNotice struct {
	Seq        int64             `json:"seq"`
	Platform   takedown.Platform `json:"platform"`
	ContentID  string            `json:"content_id,omitempty"`
	Channel    takedown.Channel  `json:"channel"`
	ReceivedAt time.Time         `json:"received_at"`
	Outcome    Outcome           `json:"outcome"`
	// Reply is the platform's answer to a rejected notice.
	Reply string `json:"reply,omitempty"`
	// Duplicate is set when a notice with the same Key reached the same
	// content before: an idempotency failure on the sender's side.
	Duplicate bool `json:"duplicate,omitempty"`

	// E-mail.
	MessageID  string   `json:"message_id,omitempty"`
	From       string   `json:"from,omitempty"`
	Recipients []string `json:"recipients,omitempty"`
	Key        string   `json:"key,omitempty"` // the X-Takedown-Key header
	Subject    string   `json:"subject,omitempty"`

	// YouTube reportAbuse.
	ReasonID          string `json:"reason_id,omitempty"`
	SecondaryReasonID string `json:"secondary_reason_id,omitempty"`
	Comments          string `json:"comments,omitempty"`
	Language          string `json:"language,omitempty"`

	// Portal.
	Ticket string `json:"ticket,omitempty"`
}

// ContentState is what the simulator knows of one piece of content.
type ContentState struct {
	Platform  takedown.Platform `json:"platform"`
	ContentID string            `json:"content_id"`
	URL       string            `json:"url,omitempty"`
	Status    Status            `json:"status"`
	Countries []string          `json:"countries,omitempty"`
	// ChangesAt is when a pending removal, withholding or restoration takes effect.
	ChangesAt *time.Time `json:"changes_at,omitempty"`
	ChangesTo Status     `json:"changes_to,omitempty"`
	Notices   int        `json:"notices"`
	Requests  int        `json:"requests"`
}

// transition is a change of status scheduled by a notice. Statuses are
// derived from transitions and the clock when asked, never from timers, so
// that the saved state is all there is.
type transition struct {
	At        time.Time `json:"at"`
	Status    Status    `json:"status"`
	Countries []string  `json:"countries,omitempty"`
}

type contentRecord struct {
	Platform    takedown.Platform `json:"platform"`
	ID          string            `json:"content_id"`
	URL         string            `json:"url"`
	FirstSeen   time.Time         `json:"first_seen"`
	Requests    int               `json:"requests"`
	Transitions []transition      `json:"transitions,omitempty"`
}

// statusAt applies the transitions due by now over the initial status.
func (c *contentRecord) statusAt(now time.Time, b Behaviour) (Status, []string) {
	st := cmp.Or(b.Initial, StatusPresent)
	var countries []string
	if st == StatusWithheld {
		countries = b.countries()
	}
	for _, t := range c.Transitions {
		if t.At.After(now) {
			break
		}
		st, countries = t.Status, t.Countries
	}
	return st, countries
}

// pending returns the next transition after now, if any.
func (c *contentRecord) pending(now time.Time) *transition {
	for i := range c.Transitions {
		if c.Transitions[i].At.After(now) {
			return &c.Transitions[i]
		}
	}
	return nil
}

type quotaUsage struct {
	Day  string `json:"day"` // the America/Los_Angeles date the units were spent on
	Used int    `json:"used"`
}

type xWindow struct {
	Start time.Time `json:"start"`
	Used  int       `json:"used"`
}

const stateVersion = 1

// state is everything the simulator holds; it is saved whole after every change.
type state struct {
	Version    int                         `json:"version"`
	Seq        int64                       `json:"seq"`
	Contents   map[string]*contentRecord   `json:"contents"`
	Notices    []ReceivedNotice            `json:"notices"`
	Routes     map[string]int              `json:"routes"`
	Defaults   map[takedown.Platform]*slot `json:"defaults"`
	Behaviours map[string]*slot            `json:"behaviours"`
	Quota      quotaUsage                  `json:"youtube_quota"`
	XWindow    xWindow                     `json:"x_window"`
	// BlockingOrders are the orders the ISP gateway received (isp.go).
	BlockingOrders []BlockingOrder `json:"blocking_orders,omitempty"`
}

func newState() *state {
	return &state{
		Version:    stateVersion,
		Contents:   map[string]*contentRecord{},
		Routes:     map[string]int{},
		Defaults:   map[takedown.Platform]*slot{},
		Behaviours: map[string]*slot{},
	}
}

func contentKey(p takedown.Platform, id string) string { return string(p) + "/" + id }

func loadState(path string) (*state, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read simulator state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(data, st); err != nil {
		return nil, false, fmt.Errorf("read simulator state %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return nil, false, fmt.Errorf("read simulator state %s: version %d, want %d", path, st.Version, stateVersion)
	}
	// Maps absent from an older or hand-edited file must still be usable.
	if st.Contents == nil {
		st.Contents = map[string]*contentRecord{}
	}
	if st.Routes == nil {
		st.Routes = map[string]int{}
	}
	if st.Defaults == nil {
		st.Defaults = map[takedown.Platform]*slot{}
	}
	if st.Behaviours == nil {
		st.Behaviours = map[string]*slot{}
	}
	return st, true, nil
}

// writeAtomic replaces path with data through a rename, so that a process
// killed mid-write leaves the previous state, never half of one. No fsync: the
// state must survive a killed process, not a power cut.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write simulator state: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write simulator state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write simulator state: %w", err)
	}
	return nil
}

// saveLocked writes the state if a StatePath is configured. A failure is
// logged and does not fail the request: the simulator keeps serving from memory.
func (s *Simulator) saveLocked() {
	if s.cfg.StatePath == "" {
		return
	}
	data, err := json.MarshalIndent(s.st, "", "  ")
	if err == nil {
		err = writeAtomic(s.cfg.StatePath, data)
	}
	if err != nil {
		s.log.Error("save simulator state", "err", err)
	}
}

// recordLocked returns the content's record, creating it on first sight.
func (s *Simulator) recordLocked(c takedown.Content) *contentRecord {
	k := contentKey(c.Platform, c.ID)
	rec, ok := s.st.Contents[k]
	if !ok {
		rec = &contentRecord{Platform: c.Platform, ID: c.ID, URL: c.URL, FirstSeen: s.now()}
		s.st.Contents[k] = rec
	}
	return rec
}

// behaviourLocked is the effective behaviour for content: its own laid over
// its platform's default.
func (s *Simulator) behaviourLocked(p takedown.Platform, id string) Behaviour {
	var b Behaviour
	if d := s.st.Defaults[p]; d != nil {
		b = d.Behaviour
	}
	if id != "" {
		if o := s.st.Behaviours[contentKey(p, id)]; o != nil {
			b = b.over(o.Behaviour)
		}
	}
	return b
}

// statusLocked is the content's status now.
func (s *Simulator) statusLocked(c takedown.Content) (Status, []string) {
	b := s.behaviourLocked(c.Platform, c.ID)
	rec, ok := s.st.Contents[contentKey(c.Platform, c.ID)]
	if !ok {
		st := cmp.Or(b.Initial, StatusPresent)
		if st == StatusWithheld {
			return st, b.countries()
		}
		return st, nil
	}
	return rec.statusAt(s.now(), b)
}

func (s *Simulator) contentStateLocked(rec *contentRecord) ContentState {
	now := s.now()
	b := s.behaviourLocked(rec.Platform, rec.ID)
	st, countries := rec.statusAt(now, b)
	cs := ContentState{
		Platform:  rec.Platform,
		ContentID: rec.ID,
		URL:       rec.URL,
		Status:    st,
		Countries: countries,
		Requests:  rec.Requests,
	}
	if t := rec.pending(now); t != nil {
		at := t.At
		cs.ChangesAt, cs.ChangesTo = &at, t.Status
	}
	for _, n := range s.st.Notices {
		if n.Platform == rec.Platform && n.ContentID == rec.ID {
			cs.Notices++
		}
	}
	return cs
}

// noticeLocked files a notice for content (nil for an unidentified e-mail)
// and applies the platform's behaviour to it. Under OnNoticePortal only a
// notice whose Channel is the portal leads anywhere.
func (s *Simulator) noticeLocked(n ReceivedNotice, c *takedown.Content) ReceivedNotice {
	now := s.now()
	s.st.Seq++
	n.Seq = s.st.Seq
	n.ReceivedAt = now
	if c == nil {
		n.Platform, n.Outcome = Unidentified, OutcomeUnidentified
		s.st.Notices = append(s.st.Notices, n)
		s.log.Info("simulator notice", "platform", n.Platform, "channel", n.Channel, "outcome", n.Outcome)
		return n
	}
	n.Platform, n.ContentID = c.Platform, c.ID
	if n.Key != "" {
		n.Duplicate = slices.ContainsFunc(s.st.Notices, func(m ReceivedNotice) bool {
			return m.Key == n.Key && m.Platform == n.Platform && m.ContentID == n.ContentID
		})
	}
	rec := s.recordLocked(*c)
	b := s.behaviourLocked(c.Platform, c.ID)
	target := StatusRemoved
	switch cmp.Or(b.OnNotice, OnNoticeRemove) {
	case OnNoticeNever:
		n.Outcome = OutcomeNoAction
	case OnNoticeReject:
		n.Outcome, n.Reply = OutcomeRejected, rejectionReply(c.Platform)
	case OnNoticePortal:
		n.Outcome = OutcomeIgnored
		if n.Channel == takedown.ChannelPortal {
			n.Outcome = OutcomeAccepted
		}
	case OnNoticeWithhold:
		n.Outcome, target = OutcomeAccepted, StatusWithheld
	default:
		n.Outcome = OutcomeAccepted
	}
	if n.Outcome == OutcomeAccepted {
		s.scheduleLocked(rec, b, target, now)
	}
	s.st.Notices = append(s.st.Notices, n)
	s.log.Info("simulator notice", "platform", n.Platform, "channel", n.Channel, "outcome", n.Outcome, "key", n.Key)
	return n
}

// scheduleLocked plans the change a notice asks for, unless the content is
// already that way or a change is already under way: like a real platform,
// a second notice does not restart the clock.
func (s *Simulator) scheduleLocked(rec *contentRecord, b Behaviour, target Status, now time.Time) {
	if cur, _ := rec.statusAt(now, b); cur == target || rec.pending(now) != nil {
		return
	}
	at := now.Add(cmp.Or(time.Duration(b.RemoveAfter), s.cfg.RemoveAfter))
	t := transition{At: at, Status: target}
	if target == StatusWithheld {
		t.Countries = b.countries()
	}
	rec.Transitions = append(rec.Transitions, t)
	if b.RestoreAfter > 0 {
		rec.Transitions = append(rec.Transitions, transition{At: at.Add(time.Duration(b.RestoreAfter)), Status: StatusPresent})
	}
}

func rejectionReply(p takedown.Platform) string {
	return fmt.Sprintf("Thank you for your report. We reviewed the reported content against the %s policies and "+
		"the local law you cited, and we will not take action on it at this time.", platformName(p))
}

func platformName(p takedown.Platform) string {
	switch p {
	case takedown.YouTube:
		return "YouTube"
	case takedown.Telegram:
		return "Telegram"
	case takedown.X:
		return "X"
	case takedown.Meta:
		return "Meta"
	}
	return string(p)
}

// onNoticeLocked is what the content's platform does with a notice.
func (s *Simulator) onNoticeLocked(p takedown.Platform, id string) OnNotice {
	return s.behaviourLocked(p, id).OnNotice
}

// Reupload brings content back at once, as when the uploader posts it
// again: it is present until a notice removes it anew. Later scheduled
// changes are dropped.
func (s *Simulator) Reupload(p takedown.Platform, contentID string) error {
	c, err := identifyID(p, contentID)
	if err != nil {
		return fmt.Errorf("reupload: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.recordLocked(c)
	now := s.now()
	kept := rec.Transitions[:0]
	for _, t := range rec.Transitions {
		if !t.At.After(now) {
			kept = append(kept, t)
		}
	}
	rec.Transitions = append(kept, transition{At: now, Status: StatusPresent})
	s.saveLocked()
	return nil
}
