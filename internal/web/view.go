package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// view is what every page template gets: the person, their language and
// time zone, and the page's own data.
type view struct {
	Lang  string
	User  *takedown.User
	CSRF  string
	Path  string
	Title string
	// Status is set by pages that answer with more than 200.
	Status int
	Data   any

	msgs map[string]string
	zone *time.Location
	w    http.ResponseWriter
}

// T looks up a message in the person's language; {1}, {2}… are replaced by
// args.
func (v *view) T(key string, args ...any) string {
	s, ok := v.msgs[key]
	if !ok {
		// A kind the catalog does not know yet (a new event) is still
		// shown, in its own words, rather than as a key.
		_, rest, _ := strings.Cut(key, ".")
		s = strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(rest, "EVENT_TYPE_")), "_", " ")
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, fmt.Sprintf("{%d}", i+1), fmt.Sprint(a))
	}
	return s
}

// When shows a time in the person's zone.
func (v *view) When(t any) string {
	var tt time.Time
	switch x := t.(type) {
	case time.Time:
		tt = x
	case *time.Time:
		if x == nil {
			return "—"
		}
		tt = *x
	default:
		return ""
	}
	if tt.IsZero() {
		return "—"
	}
	return tt.In(v.zone).Format("2006-01-02 15:04 MST")
}

// NewKey is a fresh idempotency key for one decision form: submitting the
// form twice (a double click, a retry) decides once.
func (v *view) NewKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Zone names the zone dates are shown in.
func (v *view) Zone() string { return v.zone.String() }

// Is reports whether the person has one of the roles.
func (v *view) Is(roles ...string) bool {
	if v.User == nil {
		return false
	}
	for _, r := range roles {
		if string(v.User.Role) == r {
			return true
		}
	}
	return false
}

// pageErr is what the person is shown when a page fails: a status and a
// message from the catalog, and optionally the API's own words.
type pageErr struct {
	Status int
	Key    string
	Detail string
}

func (e *pageErr) Error() string { return fmt.Sprintf("page %d %s %s", e.Status, e.Key, e.Detail) }

func pageError(status int, key string) error { return &pageErr{Status: status, Key: key} }

type pageHandler func(w http.ResponseWriter, r *http.Request, v *view) error

// maxForm leaves room for one evidence file and the form around it.
const maxForm = api.MaxEvidence + 1<<20

// wrap signs the person in through the API, checks the page's roles, the
// form's CSRF token, and renders a failure in one place.
func (a *App) wrap(roles []takedown.Role, h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
		lang := a.language(r)
		v := &view{Lang: lang, Path: r.URL.Path, msgs: a.cat[lang], zone: a.zoneOf(r), w: w}
		err := a.authorize(w, r, v, roles)
		if err == nil {
			err = h(w, r, v)
		}
		if err != nil {
			a.fail(w, r, v, err)
		}
	})
}

func (a *App) authorize(w http.ResponseWriter, r *http.Request, v *view, roles []takedown.Role) error {
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return pageError(http.StatusBadRequest, "error.bad_form")
		}
	}
	if roles == nil {
		// Pages open to anyone still say who is signed in, if anyone.
		if _, err := r.Cookie(sessionCookieName); err == nil {
			if u, csrf, err := a.me(w, r); err == nil {
				v.User, v.CSRF = &u, csrf
			}
		}
		return nil
	}
	u, csrf, err := a.me(w, r)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/app/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return errHandled
		}
		return pageError(http.StatusUnauthorized, "error.signed_out")
	}
	if err != nil {
		return err
	}
	v.User, v.CSRF = &u, csrf
	if r.Method == http.MethodPost && (csrf == "" || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf_token")), []byte(csrf)) != 1) {
		return pageError(http.StatusForbidden, "error.csrf")
	}
	if !allowed(roles, u.Role) {
		return pageError(http.StatusForbidden, "error.forbidden")
	}
	return nil
}

// errHandled says the handler has already answered (a redirect).
var errHandled = errors.New("handled")

// sessionCookieName is the API's session cookie: its presence says whether
// to ask the API who is signed in on public pages.
const sessionCookieName = "__Host-takedown-session"

func (a *App) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	if errors.Is(err, errHandled) {
		return
	}
	pe := &pageErr{}
	var ae *apiError
	switch {
	case errors.As(err, &pe):
	case errors.As(err, &ae):
		pe = apiPageErr(ae)
	default:
		pe = &pageErr{Status: http.StatusInternalServerError, Key: "error.internal"}
	}
	if pe.Status >= 500 {
		a.logger.Error("page failed", "method", r.Method, "path", r.URL.Path, "status", pe.Status, "err", err.Error())
	} else {
		a.logger.Info("page refused", "method", r.Method, "path", r.URL.Path, "status", pe.Status, "key", pe.Key)
	}
	v.Title = v.T("error.title")
	v.Status = pe.Status
	v.Data = pe
	a.render(w, v, "error")
}

// apiPageErr turns the API's refusal into what the person reads: the
// catalog's words for the code, and the API's message as detail.
func apiPageErr(ae *apiError) *pageErr {
	switch ae.Status {
	case http.StatusUnauthorized:
		return &pageErr{Status: ae.Status, Key: "error.signed_out"}
	case http.StatusForbidden:
		if ae.Code == "csrf" || ae.Code == "cross_origin" {
			return &pageErr{Status: ae.Status, Key: "error.csrf"}
		}
		return &pageErr{Status: ae.Status, Key: "error.forbidden"}
	case http.StatusNotFound:
		return &pageErr{Status: ae.Status, Key: "error.not_found"}
	case http.StatusConflict:
		return &pageErr{Status: ae.Status, Key: "error.refused", Detail: ae.Message}
	case http.StatusServiceUnavailable:
		return &pageErr{Status: ae.Status, Key: "error.unavailable"}
	}
	if ae.Status >= 500 {
		return &pageErr{Status: ae.Status, Key: "error.internal"}
	}
	return &pageErr{Status: ae.Status, Key: "error.invalid", Detail: ae.Message}
}

func (a *App) render(w http.ResponseWriter, v *view, page string) {
	t, ok := a.pages.byName[page]
	if !ok {
		a.logger.Error("no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		a.logger.Error("render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(max(v.Status, http.StatusOK))
	_, _ = w.Write([]byte(b.String()))
}

// renderPart renders one template of a page alone: the parts htmx swaps in.
func (a *App) renderPart(w http.ResponseWriter, v *view, page, part string) {
	var b strings.Builder
	if err := a.pages.byName[page].ExecuteTemplate(&b, part, v); err != nil {
		a.logger.Error("render part", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

type pages struct{ byName map[string]*template.Template }
