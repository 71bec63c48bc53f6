package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/takedown-oss/takedown/internal/api"
	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/workflows"
)

// decisionSigner reads the private key with which serve signs decisions.
func decisionSigner(e *env) *workflows.Signer {
	k := e.Secret("TAKEDOWN_DECISION_KEY")
	if k == "" {
		e.Fail(errors.New("TAKEDOWN_DECISION_KEY is required (an Ed25519 seed of 32 bytes, base64 or hex; see takedown keygen): it signs every human decision"))
		return nil
	}
	seed, err := codec.ParseKey(k)
	if err != nil {
		e.Fail(fmt.Errorf("TAKEDOWN_DECISION_KEY: %w", err))
		return nil
	}
	s, err := workflows.NewSigner(ed25519.NewKeyFromSeed(seed), nil)
	if err != nil {
		e.Fail(fmt.Errorf("TAKEDOWN_DECISION_KEY: %w", err))
	}
	return s
}

// decisionPublicKeys reads the keys workers check decisions against:
// several, separated by commas, while the API's key is being rotated.
func decisionPublicKeys(e *env) []ed25519.PublicKey {
	v := e.Str("TAKEDOWN_DECISION_PUBLIC_KEYS", "")
	if v == "" {
		e.Fail(errors.New("TAKEDOWN_DECISION_PUBLIC_KEYS is required (the API's Ed25519 public key, base64 or hex; see takedown keygen): workers take only decisions the API signed"))
		return nil
	}
	var keys []ed25519.PublicKey
	for _, s := range strings.Split(v, ",") {
		k, err := codec.ParseKey(s)
		if err != nil {
			e.Fail(fmt.Errorf("TAKEDOWN_DECISION_PUBLIC_KEYS: %w", err))
			continue
		}
		keys = append(keys, ed25519.PublicKey(k))
	}
	return keys
}

// sessionConfig reads how long sign-ins last.
func sessionConfig(e *env) api.SessionConfig {
	return api.SessionConfig{
		Idle:     e.Duration("TAKEDOWN_SESSION_IDLE", 30*time.Minute),
		Absolute: e.Duration("TAKEDOWN_SESSION_ABSOLUTE", 12*time.Hour),
	}
}

// runKeygen prints a fresh set of keys for a deployment, as environment
// assignments.
func runKeygen(args []string, stdout, stderr io.Writer) error {
	if err := parseFlags("keygen", args, stderr); err != nil {
		return err
	}
	payload := make([]byte, codec.KeySize)
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(payload); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	if _, err := rand.Read(seed); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	b64 := base64.StdEncoding.EncodeToString
	fmt.Fprintf(stdout, "# every process of the deployment (serve, worker, auditors' tools)\nTAKEDOWN_PAYLOAD_KEY=%s\n", b64(payload))
	fmt.Fprintf(stdout, "# serve only: signs human decisions\nTAKEDOWN_DECISION_KEY=%s\n", b64(seed))
	fmt.Fprintf(stdout, "# worker: checks them (key id %s)\nTAKEDOWN_DECISION_PUBLIC_KEYS=%s\n", workflows.DecisionKeyID(pub), b64(pub))
	return nil
}

// oidcConfig reads the identity provider for sign-in, if one is set.
func oidcConfig(e *env) *api.OIDCConfig {
	issuer := e.Str("TAKEDOWN_OIDC_ISSUER", "")
	if issuer == "" {
		return nil
	}
	c := &api.OIDCConfig{
		Issuer:       issuer,
		ClientID:     e.Str("TAKEDOWN_OIDC_CLIENT_ID", ""),
		ClientSecret: e.Secret("TAKEDOWN_OIDC_CLIENT_SECRET"),
		RedirectURL:  e.Str("TAKEDOWN_OIDC_REDIRECT_URL", ""),
		NameClaim:    e.Str("TAKEDOWN_OIDC_NAME_CLAIM", "email"),
		RoleClaim:    e.Str("TAKEDOWN_OIDC_ROLE_CLAIM", "groups"),
		RolePrefix:   e.Str("TAKEDOWN_OIDC_ROLE_PREFIX", "takedown-"),
	}
	if c.ClientID == "" || c.RedirectURL == "" {
		e.Fail(errors.New("TAKEDOWN_OIDC_ISSUER is set: TAKEDOWN_OIDC_CLIENT_ID and TAKEDOWN_OIDC_REDIRECT_URL are required too"))
	}
	return c
}
