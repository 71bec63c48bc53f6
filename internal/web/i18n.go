package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// catalogs holds every message in each language, by key.
type catalogs map[string]map[string]string

// Languages the application speaks; the first is the default when the
// browser asks for neither.
var (
	languages = []string{"ko", "en"}
	matcher   = language.NewMatcher([]language.Tag{language.Korean, language.English})
)

func loadCatalogs(fsys fs.FS) (catalogs, error) {
	c := catalogs{}
	for _, l := range languages {
		b, err := fs.ReadFile(fsys, "messages/"+l+".json")
		if err != nil {
			return nil, fmt.Errorf("read message catalog %s: %w", l, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("parse message catalog %s: %w", l, err)
		}
		c[l] = m
	}
	for k := range c["en"] {
		if _, ok := c["ko"][k]; !ok {
			return nil, fmt.Errorf("message %q has no Korean text", k)
		}
	}
	for k := range c["ko"] {
		if _, ok := c["en"][k]; !ok {
			return nil, fmt.Errorf("message %q has no English text", k)
		}
	}
	return c, nil
}

const langCookie = "takedown-lang"
const zoneCookie = "takedown-zone"

// language is the person's choice if they made one, else the browser's.
func (a *App) language(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil {
		for _, l := range languages {
			if ck.Value == l {
				return l
			}
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, _ := matcher.Match(tags...)
	return languages[i]
}

func (a *App) zoneOf(r *http.Request) *time.Location {
	if ck, err := r.Cookie(zoneCookie); err == nil && ck.Value != "" {
		if z, err := time.LoadLocation(ck.Value); err == nil {
			return z
		}
	}
	return a.zone
}

// setLanguage stores the person's language (and time zone, if given) in
// a cookie and sends them back where they were.
func (a *App) setLanguage(w http.ResponseWriter, r *http.Request, v *view) error {
	l := r.PostFormValue("lang")
	ok := false
	for _, x := range languages {
		ok = ok || x == l
	}
	if !ok {
		return pageError(http.StatusBadRequest, "error.bad_form")
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
	if z := r.PostFormValue("zone"); z != "" {
		if _, err := time.LoadLocation(z); err != nil {
			return pageError(http.StatusBadRequest, "error.bad_form")
		}
		http.SetCookie(w, &http.Cookie{Name: zoneCookie, Value: z, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
	}
	http.Redirect(w, r, localPath(r.PostFormValue("back")), http.StatusSeeOther)
	return nil
}

// localPath keeps a redirect on this site's application.
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/app/") || strings.HasPrefix(p, "//") || strings.Contains(u.Path, "..") {
		return "/app/"
	}
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}

func (a *App) funcs() template.FuncMap {
	return template.FuncMap{
		"add":   func(a, b int) int { return a + b },
		"lower": strings.ToLower,
		"ref":   func(id uuid.UUID) string { return takedown.Reference(id) },
		"list":  func(s ...string) []string { return s },
		"dict2": func(v *view, td takedown.Takedown) decideArgs { return decideArgs{V: v, TD: td} },
	}
}

// parsePages parses the layout with each page: one template set per page,
// so that each defines its own "content".
func parsePages(fsys fs.FS, funcs template.FuncMap) (*pages, error) {
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(fsys, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", base, err)
		}
		p.byName[base] = t
	}
	return p, nil
}

// decideArgs is what the approve/refuse form needs: the page and the
// takedown it decides.
type decideArgs struct {
	V  *view
	TD takedown.Takedown
}
