package api

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/takedown-oss/takedown/internal/store"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// OIDCConfig lets people sign in through their organisation's identity
// provider (OpenID Connect, authorization code flow with PKCE).
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's /signin/oidc/callback as the provider
	// knows it.
	RedirectURL string
	// NameClaim names the account (default "email"). RoleClaim (default
	// "groups", a string or a list) must hold exactly one of RolePrefix
	// (default "takedown-") followed by a role: "takedown-supervisor".
	NameClaim  string
	RoleClaim  string
	RolePrefix string
}

// OIDC is a configured identity provider.
type OIDC struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewOIDC discovers the provider's endpoints and keys.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: issuer, client id and redirect URL are required")
	}
	cfg.NameClaim = cmp.Or(cfg.NameClaim, "email")
	cfg.RoleClaim = cmp.Or(cfg.RoleClaim, "groups")
	cfg.RolePrefix = cmp.Or(cfg.RolePrefix, "takedown-")
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", cfg.Issuer, err)
	}
	return &OIDC{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile", "groups"},
		},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

// oidcCookie keeps the state, nonce and PKCE verifier of one sign-in
// between the redirect to the provider and its return.
const oidcCookie = "__Host-takedown-oidc"

func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return errorf(http.StatusNotFound, "not_found", "sign-in through an identity provider is not configured")
	}
	state, err1 := store.NewToken()
	nonce, err2 := store.NewToken()
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	verifier := oauth2.GenerateVerifier()
	setCookie(w, oidcCookie, state+"."+nonce+"."+verifier, 10*time.Minute)
	http.Redirect(w, r, s.oidc.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
	return nil
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return errorf(http.StatusNotFound, "not_found", "sign-in through an identity provider is not configured")
	}
	refuse := func(status int, msg, reason string) error {
		s.auditSignin(r, "signin.failed", "", "", "oidc: "+reason)
		return s.renderSignin(w, status, signinView{Message: msg})
	}
	ck, err := r.Cookie(oidcCookie)
	parts := strings.Split(func() string {
		if err != nil {
			return ""
		}
		return ck.Value
	}(), ".")
	q := r.URL.Query()
	if len(parts) != 3 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q.Get("state"))) != 1 {
		return refuse(http.StatusForbidden, "The sign-in expired or did not start here. Please try again.", "state mismatch")
	}
	clearCookie(w, oidcCookie)
	if e := q.Get("error"); e != "" {
		return refuse(http.StatusUnauthorized, "The identity provider did not sign you in.", "provider error")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	tok, err := s.oidc.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(parts[2]))
	if err != nil {
		return refuse(http.StatusUnauthorized, "The identity provider did not sign you in.", "code exchange failed")
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := s.oidc.verifier.Verify(ctx, raw)
	if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(parts[1])) != 1 {
		return refuse(http.StatusUnauthorized, "The identity provider's answer could not be verified.", "id token invalid")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return refuse(http.StatusUnauthorized, "The identity provider's answer could not be read.", "claims unreadable")
	}
	name, _ := claims[s.oidc.cfg.NameClaim].(string)
	role, err := s.oidc.role(claims)
	if name == "" || err != nil {
		return refuse(http.StatusForbidden, "Your organisation has not given you a role in this system.", fmt.Sprintf("no role for %q", name))
	}
	u, err := s.store.ProvisionUser(r.Context(), "oidc", name, role)
	var ce *store.CredentialError
	if errors.As(err, &ce) {
		return refuse(http.StatusForbidden, "This account is disabled. Ask an administrator.", "disabled")
	}
	if err != nil {
		return err
	}
	secret, ss, err := s.store.StartSession(r.Context(), u, "oidc", s.sessions.Absolute)
	if err != nil {
		return err
	}
	setCookie(w, sessionCookie, secret, s.sessions.Absolute)
	return s.renderSignin(w, http.StatusOK, signinView{User: &ss.User, SessionCSRF: ss.CSRF})
}

// role maps the role claim to exactly one role.
func (o *OIDC) role(claims map[string]any) (takedown.Role, error) {
	var values []string
	switch v := claims[o.cfg.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	var roles []takedown.Role
	for _, v := range values {
		if r, ok := strings.CutPrefix(v, o.cfg.RolePrefix); ok && takedown.Role(r).Valid() && !slices.Contains(roles, takedown.Role(r)) {
			roles = append(roles, takedown.Role(r))
		}
	}
	if len(roles) != 1 {
		return "", fmt.Errorf("claim %s gives %d roles, want exactly one", o.cfg.RoleClaim, len(roles))
	}
	return roles[0], nil
}
