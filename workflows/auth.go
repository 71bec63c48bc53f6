package workflows

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/internal/takedown"
)

var (
	staffRoles      = []takedown.Role{takedown.RoleStaff, takedown.RoleSupervisor}
	supervisorRoles = []takedown.Role{takedown.RoleSupervisor}
)

// Who made a decision is proved, not claimed. The API, which alone holds an
// Ed25519 private key, signs every decision it passes to a workflow: the
// workflow id, the update's name and id, and the decision's whole content,
// its actor (id, role, time) included. Workers hold only public keys. So
// someone who reaches the engine around the API — even with the payload
// key, which every worker has — cannot make a decision in anyone's name,
// nor move a signed decision onto another takedown or another update.
//
// Signatures are checked in validators, which the SDK does not run when it
// replays a history: a key change never breaks replay.

const (
	proofVersion = "v1"
	// proofMaxAge bounds how long a signed decision can be used: the API
	// waits for the workflow to take it within seconds, so an old proof is
	// one copied out of a history.
	proofMaxAge = 10 * time.Minute
	// proofMaxSkew allows for the API's clock being ahead of the engine's.
	proofMaxSkew = 2 * time.Minute
)

// trusted holds the public keys decisions are checked against. It is set
// once when a worker starts, before it polls; workflow code only reads it.
var trusted struct {
	mu   sync.RWMutex
	keys map[string]ed25519.PublicKey
}

// TrustDecisionKeys makes this process's workflows accept only decisions
// signed by one of keys (several, while a key is being rotated). Until it
// is called, validators check the actor's role alone, as tests of workflow
// logic need; `takedown worker` refuses to start without a key.
func TrustDecisionKeys(keys ...ed25519.PublicKey) error {
	trusted.mu.Lock()
	defer trusted.mu.Unlock()
	if trusted.keys == nil {
		trusted.keys = map[string]ed25519.PublicKey{}
	}
	for _, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("decision key: a public key has %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
		trusted.keys[DecisionKeyID(k)] = slices.Clone(k)
	}
	return nil
}

// untrustAll forgets every key, for tests.
func untrustAll() {
	trusted.mu.Lock()
	defer trusted.mu.Unlock()
	trusted.keys = nil
}

func trustedKey(id string) (ed25519.PublicKey, bool, bool) {
	trusted.mu.RLock()
	defer trusted.mu.RUnlock()
	k, ok := trusted.keys[id]
	return k, ok, len(trusted.keys) > 0
}

// DecisionKeyID names a public key without revealing anything about it.
func DecisionKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Signer signs decisions on behalf of the API's authenticated callers.
type Signer struct {
	key ed25519.PrivateKey
	id  string
	now func() time.Time
}

// NewSigner signs with key; now (default time.Now) stamps each decision.
func NewSigner(key ed25519.PrivateKey, now func() time.Time) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("decision key: a private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{key: key, id: DecisionKeyID(key.Public().(ed25519.PublicKey)), now: now}, nil
}

// Sign returns a copy of the decision arg (a struct with an Actor field
// named Actor) whose actor carries the time and a proof for the update
// name with id updateID on workflow workflowID.
func (s *Signer) Sign(workflowID, updateID, name string, arg any) (any, error) {
	v := reflect.ValueOf(arg)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("sign %s: %T is not a decision", name, arg)
	}
	cp := reflect.New(v.Type()).Elem()
	cp.Set(v)
	f := cp.FieldByName("Actor")
	if !f.IsValid() || f.Type() != reflect.TypeFor[Actor]() {
		return nil, fmt.Errorf("sign %s: %T has no Actor", name, arg)
	}
	a := f.Interface().(Actor)
	a.IssuedAt, a.Proof = s.now().UTC(), ""
	f.Set(reflect.ValueOf(a))
	body, err := canonical(cp.Interface())
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", name, err)
	}
	sig := ed25519.Sign(s.key, proofMessage(workflowID, name, updateID, body))
	a.Proof = proofVersion + "." + s.id + "." + base64.RawURLEncoding.EncodeToString(sig)
	f.Set(reflect.ValueOf(a))
	return cp.Interface(), nil
}

// proofMessage is what is signed. Each part is length-prefixed, so that no
// two different sets of parts give the same bytes.
func proofMessage(workflowID, update, updateID string, body []byte) []byte {
	var b []byte
	for _, p := range [][]byte{[]byte("takedown decision " + proofVersion), []byte(workflowID), []byte(update), []byte(updateID), body} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// canonical is the decision's JSON, as the engine carries it, with the
// proof left out and the keys of every object sorted: the API and the
// workflow compute it from the same value on both sides of the engine. A
// field added to a decision type must be omitempty (or omitzero), so that
// workers with the new code still verify decisions signed by an API
// without it, during a rolling upgrade.
//
// workflowcheck flags encoding/json for ranging over maps inside; its output
// does not depend on the order (object keys are sorted), so the calls are
// marked as checked.
func canonical(arg any) ([]byte, error) {
	raw, err := json.Marshal(arg) //workflowcheck:ignore
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var m map[string]any
	err = dec.Decode(&m) //workflowcheck:ignore
	if err != nil {
		return nil, err
	}
	actor, ok := m["actor"].(map[string]any)
	if !ok {
		return nil, errors.New("the decision has no actor")
	}
	delete(actor, "proof")
	return json.Marshal(m) //workflowcheck:ignore
}

// authorize is the workflow's own check of who made a decision: the update
// named update, carrying arg, made by a, needs one of roles. The API checks
// the role too; this check is for every other path into the engine.
func authorize(ctx workflow.Context, update string, a Actor, arg any, roles []takedown.Role, what string) error {
	if !slices.Contains(roles, a.Role) {
		return refuse("role %q may not %s", a.Role, what)
	}
	if err := verify(ctx, update, a, arg); err != nil {
		if ctx != nil {
			workflow.GetLogger(ctx).Warn("decision refused: not proved to come from the API", "update", update, "reason", err.Error())
		}
		return refuse("the decision is not signed by the takedown API (%v)", err)
	}
	return nil
}

func verify(ctx workflow.Context, update string, a Actor, arg any) error {
	version, rest, _ := strings.Cut(a.Proof, ".")
	kid, sig64, _ := strings.Cut(rest, ".")
	key, known, installed := trustedKey(kid)
	switch {
	case !installed:
		return nil // no key installed: role check only (see TrustDecisionKeys)
	case ctx == nil:
		return errors.New("no workflow context to check it against")
	case a.Proof == "":
		return errors.New("no proof")
	case version != proofVersion:
		return fmt.Errorf("unknown proof version %q", version)
	case !known:
		return fmt.Errorf("unknown signing key %q", kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(sig64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("malformed signature")
	}
	now := workflow.Now(ctx)
	if a.IssuedAt.Before(now.Add(-proofMaxAge)) || a.IssuedAt.After(now.Add(proofMaxSkew)) {
		return fmt.Errorf("signed at %s, too far from now", a.IssuedAt.UTC().Format(time.RFC3339))
	}
	info, err := currentUpdate(ctx)
	if err != nil {
		return err
	}
	if info.Name != update {
		return fmt.Errorf("checked as %s but sent as %s", update, info.Name)
	}
	body, err := canonical(arg)
	if err != nil {
		return err
	}
	msg := proofMessage(workflow.GetInfo(ctx).WorkflowExecution.ID, info.Name, info.ID, body)
	if !ed25519.Verify(key, msg, sig) {
		return errors.New("bad signature")
	}
	return nil
}

// currentUpdate is the update being validated. The SDK panics when the
// context has none, which only a misuse of authorize outside a validator
// would cause; it is refused rather than crashing the workflow task.
func currentUpdate(ctx workflow.Context) (info *workflow.UpdateInfo, err error) {
	defer func() {
		if recover() != nil {
			info, err = nil, errors.New("not in an update")
		}
	}()
	info = workflow.GetCurrentUpdateInfo(ctx)
	if info == nil {
		return nil, errors.New("not in an update")
	}
	return info, nil
}
