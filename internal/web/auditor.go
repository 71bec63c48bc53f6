package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

type searchData struct {
	Q, Status, Platform string
	Statuses            []takedown.Status
	Platforms           []takedown.Platform
	Takedowns           []takedown.Takedown
}

// searchPage finds takedowns: by id, or by status and platform.
func (a *App) searchPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := searchData{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Platform: q.Get("platform"),
		Statuses: takedown.Statuses, Platforms: allPlatforms}
	if d.Q != "" {
		id, err := uuid.Parse(d.Q)
		if err != nil {
			return &pageErr{Status: http.StatusBadRequest, Key: "error.invalid", Detail: v.T("search.bad_id")}
		}
		http.Redirect(w, r, "/app/takedowns/"+id.String(), http.StatusSeeOther)
		return nil
	}
	f := url.Values{"limit": {"50"}}
	if d.Status != "" {
		f.Set("status", d.Status)
	}
	if d.Platform != "" {
		f.Set("platform", d.Platform)
	}
	var body struct {
		Takedowns []takedown.Takedown `json:"takedowns"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/takedowns?"+f.Encode(), nil, &body); err != nil {
		return err
	}
	d.Takedowns = body.Takedowns
	v.Title, v.Data = v.T("search.title"), d
	a.render(w, v, "search")
	return nil
}

// historyEvent is one event of the engine's history, as much of it as a
// reader needs.
type historyEvent struct {
	ID   string `json:"eventId"`
	Time string `json:"eventTime"`
	Type string `json:"eventType"`
}

type historyData struct {
	TD      takedown.Takedown
	History []historyEvent
	Replay  *replayVerdict
}

type replayVerdict struct {
	Events        int    `json:"events"`
	Deterministic bool   `json:"deterministic"`
	Error         string `json:"error"`
}

func (a *App) history(w http.ResponseWriter, r *http.Request, v *view) (*historyData, error) {
	td, err := a.getTakedown(w, r, v)
	if err != nil {
		return nil, err
	}
	rec, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/takedowns/"+td.ID.String()+"/history", nil, nil)
	if err != nil {
		return nil, err
	}
	var h struct {
		Events []historyEvent `json:"events"`
	}
	if err := json.Unmarshal(rec.body.Bytes(), &h); err != nil {
		return nil, err
	}
	return &historyData{TD: td, History: h.Events}, nil
}

// historyPage shows the engine's history beside the events the takedown's
// record projects from it.
func (a *App) historyPage(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := a.history(w, r, v)
	if err != nil {
		return err
	}
	v.Title, v.Data = v.T("history.title", reference(d.TD.ID)), d
	a.render(w, v, "history")
	return nil
}

// replay runs the replay check through the API and shows its verdict.
func (a *App) replay(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := a.history(w, r, v)
	if err != nil {
		return err
	}
	var rv replayVerdict
	if _, err := a.call(w, r, v.CSRF, http.MethodPost, "/api/v1/takedowns/"+d.TD.ID.String()+"/replay", nil, &rv); err != nil {
		return err
	}
	d.Replay = &rv
	v.Title, v.Data = v.T("history.title", reference(d.TD.ID)), d
	a.render(w, v, "history")
	return nil
}

type auditData struct {
	Subject, Actor string
	Entries        []store.AuditRecord
}

// auditPage is the audit trail, by subject (through the API's filter) and
// by actor (id or role, among the entries read).
func (a *App) auditPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := auditData{Subject: strings.TrimSpace(q.Get("subject")), Actor: strings.TrimSpace(q.Get("actor"))}
	f := url.Values{"limit": {"1000"}}
	if d.Subject != "" {
		f.Set("subject_id", d.Subject)
	}
	var body struct {
		Entries []store.AuditRecord `json:"entries"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/audit?"+f.Encode(), nil, &body); err != nil {
		return err
	}
	for _, e := range body.Entries {
		if d.Actor == "" || e.ActorRole == d.Actor || e.ActorID != nil && e.ActorID.String() == d.Actor {
			d.Entries = append(d.Entries, e)
		}
	}
	v.Title, v.Data = v.T("audit.title"), d
	a.render(w, v, "audit")
	return nil
}
