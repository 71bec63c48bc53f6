package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/takedown"
)

type signinData struct {
	Message string
	Next    string
	Token   string
}

func (a *App) signinPage(w http.ResponseWriter, r *http.Request, v *view) error {
	if v.User != nil {
		http.Redirect(w, r, homeOf(v.User.Role), http.StatusSeeOther)
		return nil
	}
	return a.renderSignin(w, v, http.StatusOK, "", r.URL.Query().Get("next"))
}

func (a *App) renderSignin(w http.ResponseWriter, v *view, status int, msg, next string) error {
	tok, err := api.SigninToken(w)
	if err != nil {
		return err
	}
	v.Title, v.Status = v.T("signin.title"), status
	v.Data = signinData{Message: msg, Next: next, Token: tok}
	a.render(w, v, "signin")
	return nil
}

// signin passes the form to the API's own sign-in, which checks the
// password, counts failures and starts the session; this page only words
// the outcome.
func (a *App) signin(w http.ResponseWriter, r *http.Request, v *view) error {
	next := r.PostFormValue("next")
	ck, err := r.Cookie(api.SigninCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf_token"))) != 1 {
		return a.renderSignin(w, v, http.StatusForbidden, v.T("signin.expired"), next)
	}
	form := url.Values{"csrf_token": {r.PostFormValue("csrf_token")}, "name": {r.PostFormValue("name")}, "password": {r.PostFormValue("password")}}
	rec, err := a.call(w, r, "", http.MethodPost, "/signin", []byte(form.Encode()), nil)
	var ae *apiError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusUnauthorized:
			return a.renderSignin(w, v, ae.Status, v.T("signin.wrong"), next)
		case http.StatusTooManyRequests:
			secs, _ := strconv.Atoi(rec.header.Get("Retry-After"))
			until := a.now().Add(time.Duration(secs) * time.Second)
			return a.renderSignin(w, v, ae.Status, v.T("signin.locked", v.When(until)), next)
		case http.StatusForbidden:
			return a.renderSignin(w, v, ae.Status, v.T("signin.disabled"), next)
		}
	}
	if err != nil {
		return err
	}
	if next == "" {
		next = "/app/"
	}
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
	return nil
}

func (a *App) signout(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := a.call(w, r, v.CSRF, http.MethodPost, "/signout", nil, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/signin", http.StatusSeeOther)
	return nil
}

func homeOf(r takedown.Role) string {
	switch r {
	case takedown.RoleStaff:
		return "/app/intake"
	case takedown.RoleSupervisor:
		return "/app/overdue"
	case takedown.RoleAuditor:
		return "/app/takedowns"
	case takedown.RoleAdmin:
		return "/app/users"
	}
	return "/app/signin"
}

func (a *App) home(w http.ResponseWriter, r *http.Request, v *view) error {
	http.Redirect(w, r, homeOf(v.User.Role), http.StatusSeeOther)
	return nil
}
