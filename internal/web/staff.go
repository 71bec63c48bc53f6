package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// maxLines caps one pasted batch: each line is one API call.
const maxLines = 200

var categories = []takedown.Category{"ncii", "deepfake_sexual", "csam", "sextortion", "other_illegal"}

type intakeLine struct {
	N int
	// CSV is set for a row of an uploaded file; N is then its row.
	CSV     bool
	URL     string
	Outcome string // created, duplicate, invalid
	Detail  string
	Item    takedown.Item
	// Existing is the item already reported for a duplicate.
	Existing string
}

type intakeData struct {
	Text       string
	Category   string
	Categories []takedown.Category
	Lines      []intakeLine
	Created    int
	Message    string
}

func (a *App) intakePage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.Title = v.T("intake.title")
	v.Data = intakeData{Categories: categories, Category: "ncii"}
	a.render(w, v, "intake")
	return nil
}

// intake files every pasted line as an item through the API, which parses
// and normalizes the URL and refuses a duplicate: each line's outcome is
// shown beside it.
func (a *App) intake(w http.ResponseWriter, r *http.Request, v *view) error {
	d := intakeData{Text: r.PostFormValue("urls"), Category: r.PostFormValue("category"), Categories: categories}
	v.Title = v.T("intake.title")
	v.Data = &d
	lines := strings.Split(strings.ReplaceAll(d.Text, "\r\n", "\n"), "\n")
	var todo []intakeLine
	for i, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			todo = append(todo, intakeLine{N: i + 1, URL: l})
		}
	}
	rows, err := csvRows(r)
	if err != nil {
		d.Message = v.T("intake.bad_csv")
	}
	todo = append(todo, rows...)
	switch {
	case d.Message != "":
	case len(todo) == 0:
		d.Message = v.T("intake.empty")
	case len(todo) > maxLines:
		d.Message = v.T("intake.too_many", maxLines)
	case !takedown.Category(d.Category).Valid():
		d.Message = v.T("intake.bad_category")
	}
	if d.Message != "" {
		v.Status = http.StatusUnprocessableEntity
		a.render(w, v, "intake")
		return nil
	}
	for _, l := range todo {
		var it takedown.Item
		_, err := a.call(w, r, v.CSRF, http.MethodPost, "/api/v1/items", map[string]string{"url": l.URL, "category": d.Category}, &it)
		var ae *apiError
		switch {
		case err == nil:
			l.Outcome, l.Item = "created", it
			d.Created++
		case errors.As(err, &ae) && ae.Code == "duplicate_item":
			l.Outcome = "duplicate"
			if f := strings.Fields(ae.Message); len(f) > 0 {
				if id, err := uuid.Parse(f[len(f)-1]); err == nil {
					l.Existing = id.String()
				}
			}
		case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
			l.Outcome, l.Detail = "invalid", ae.Message
		default:
			return err
		}
		d.Lines = append(d.Lines, l)
	}
	if d.Created < len(d.Lines) {
		v.Status = http.StatusUnprocessableEntity
	}
	a.render(w, v, "intake")
	return nil
}

type queueData struct {
	Items   []takedown.Item
	Results []confirmResult
}

type confirmResult struct {
	ItemID     string     `json:"item_id"`
	Outcome    string     `json:"outcome"`
	TakedownID *uuid.UUID `json:"takedown_id"`
}

func (a *App) queuePage(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := a.queue(w, r, v)
	if err != nil {
		return err
	}
	v.Title, v.Data = v.T("queue.title"), d
	a.render(w, v, "queue")
	return nil
}

func (a *App) queue(w http.ResponseWriter, r *http.Request, v *view) (*queueData, error) {
	var body struct {
		Items []takedown.Item `json:"items"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/items?status=pending_review&limit=200", nil, &body); err != nil {
		return nil, err
	}
	return &queueData{Items: body.Items}, nil
}

// confirm confirms the chosen items in one batch call; each starts its
// takedown, or says it already had one.
func (a *App) confirm(w http.ResponseWriter, r *http.Request, v *view) error {
	ids := r.PostForm["item_id"]
	if len(ids) == 0 {
		return pageError(http.StatusUnprocessableEntity, "queue.none_chosen")
	}
	var body struct {
		Results []confirmResult `json:"results"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodPost, "/api/v1/items/confirm", map[string]any{"item_ids": ids}, &body); err != nil {
		return err
	}
	d, err := a.queue(w, r, v)
	if err != nil {
		return err
	}
	d.Results = body.Results
	v.Title, v.Data = v.T("queue.title"), d
	a.render(w, v, "queue")
	return nil
}

type takedownData struct {
	TD         takedown.Takedown
	Events     []takedown.Event
	Done       string
	ReplyKinds []string
	Evidence   []store.Evidence
	// Accepted is where the workflow said the takedown stands once it took
	// the decision; Repeat that the same decision had been taken before.
	Accepted takedown.Status
	Repeat   bool
}

var replyKinds = []string{"portal_submitted", "clarification_requested", "rejected", "action_claimed", "other"}

func (a *App) getTakedown(w http.ResponseWriter, r *http.Request, v *view) (takedown.Takedown, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return takedown.Takedown{}, pageError(http.StatusNotFound, "error.not_found")
	}
	var td takedown.Takedown
	_, err = a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/takedowns/"+id.String(), nil, &td)
	return td, err
}

// takedownPage shows one takedown and its timeline, newest last, with the
// forms the person's role may use in the takedown's present state.
func (a *App) takedownPage(w http.ResponseWriter, r *http.Request, v *view) error {
	td, err := a.getTakedown(w, r, v)
	if err != nil {
		return err
	}
	var ev struct {
		Evidence []store.Evidence `json:"evidence"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/items/"+td.ItemID.String()+"/evidence", nil, &ev); err != nil {
		return err
	}
	v.Title = v.T("takedown.title", reference(td.ID))
	q := r.URL.Query()
	v.Data = takedownData{TD: td, Events: td.Events, Done: q.Get("done"), ReplyKinds: replyKinds, Evidence: ev.Evidence,
		Accepted: takedown.Status(q.Get("status")), Repeat: q.Get("repeat") == "1"}
	a.render(w, v, "takedown")
	return nil
}

// decide passes one decision to the API and, once it is accepted, shows
// the takedown again with what was done.
func (a *App) decide(w http.ResponseWriter, r *http.Request, v *view, action string, body any) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return pageError(http.StatusNotFound, "error.not_found")
	}
	var acc struct {
		Status takedown.Status `json:"status"`
		Repeat bool            `json:"repeat"`
	}
	key := r.PostFormValue("idempotency_key")
	if _, err := a.callKey(w, r, v.CSRF, key, http.MethodPost, "/api/v1/takedowns/"+id.String()+"/"+action, body, &acc); err != nil {
		return err
	}
	q := url.Values{"done": {action}, "status": {string(acc.Status)}}
	if acc.Repeat {
		q.Set("repeat", "1")
	}
	http.Redirect(w, r, "/app/takedowns/"+id.String()+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

func (a *App) recordReply(w http.ResponseWriter, r *http.Request, v *view) error {
	return a.decide(w, r, v, "replies", map[string]string{
		"kind": r.PostFormValue("kind"), "ticket": r.PostFormValue("ticket"), "note": r.PostFormValue("note"),
	})
}

func (a *App) answerClarification(w http.ResponseWriter, r *http.Request, v *view) error {
	return a.decide(w, r, v, "information", map[string]string{"text": r.PostFormValue("text")})
}

// csvRows reads the uploaded CSV file, if any: the URL is the first cell
// of each row; a first row that says "url" is a header.
func csvRows(r *http.Request) ([]intakeLine, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["csv"]) == 0 {
		return nil, nil
	}
	fh := r.MultipartForm.File["csv"][0]
	if fh.Size == 0 {
		return nil, nil
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open the uploaded CSV: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	var out []intakeLine
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the uploaded CSV: %w", err)
		}
		u := strings.TrimSpace(rec[0])
		if u == "" || n == 1 && strings.EqualFold(u, "url") {
			continue
		}
		out = append(out, intakeLine{N: n, CSV: true, URL: u})
	}
}
