package web

import (
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/takedown-oss/takedown/internal/store"
)

func (a *App) usersPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var body struct {
		Users []store.UserInfo `json:"users"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/users", nil, &body); err != nil {
		return err
	}
	v.Title, v.Data = v.T("users.title"), body.Users
	a.render(w, v, "users")
	return nil
}

func (a *App) setUser(w http.ResponseWriter, r *http.Request, v *view) error {
	action := r.PathValue("action")
	if action != "disable" && action != "enable" {
		return pageError(http.StatusNotFound, "error.not_found")
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodPost, "/api/v1/users/"+url.PathEscape(r.PathValue("name"))+"/"+action, nil, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/users", http.StatusSeeOther)
	return nil
}

type tokensData struct {
	Tokens []store.TokenInfo
}

func (a *App) tokensPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var body struct {
		Tokens []store.TokenInfo `json:"tokens"`
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodGet, "/api/v1/tokens", nil, &body); err != nil {
		return err
	}
	v.Title, v.Data = v.T("tokens.title"), tokensData{Tokens: body.Tokens}
	a.render(w, v, "tokens")
	return nil
}

func (a *App) revokeToken(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return pageError(http.StatusNotFound, "error.not_found")
	}
	if _, err := a.call(w, r, v.CSRF, http.MethodPost, "/api/v1/tokens/"+id.String()+"/revoke", nil, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/tokens", http.StatusSeeOther)
	return nil
}
