package workflows

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/takedown-oss/takedown/internal/codec"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// decisionsWorkflow takes decisions through validators that call authorize
// exactly as the takedown's do, and ends on a withdrawal.
func decisionsWorkflow(ctx workflow.Context) ([]string, error) {
	var taken []string
	done := false
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecideEscalation,
		func(ctx workflow.Context, v EscalationDecision) error {
			taken = append(taken, "decide:"+v.Reason)
			return nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, v EscalationDecision) error {
			return authorize(ctx, UpdateDecideEscalation, v.Actor, v, supervisorRoles, "decide an escalation")
		}}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateExtendDeadline,
		func(ctx workflow.Context, v Extension) error { taken = append(taken, "extend:"+v.Reason); return nil },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, v Extension) error {
			return authorize(ctx, UpdateExtendDeadline, v.Actor, v, supervisorRoles, "extend a deadline")
		}}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateWithdraw,
		func(ctx workflow.Context, v Withdrawal) error {
			taken = append(taken, "withdraw")
			done = true
			return nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, v Withdrawal) error {
			return authorize(ctx, UpdateWithdraw, v.Actor, v, staffRoles, "withdraw")
		}}); err != nil {
		return nil, err
	}
	if err := workflow.Await(ctx, func() bool { return done }); err != nil {
		return nil, err
	}
	return taken, nil
}

// plainSwitch seals like the codec, or, while plain is set, sends plain JSON
// as the temporal CLI does.
type plainSwitch struct {
	converter.DataConverter
	plain *atomic.Bool
}

func (d plainSwitch) ToPayloads(v ...any) (*commonpb.Payloads, error) {
	if d.plain.Load() {
		return converter.GetDefaultDataConverter().ToPayloads(v...)
	}
	return d.DataConverter.ToPayloads(v...)
}

func (d plainSwitch) ToPayload(v any) (*commonpb.Payload, error) {
	if d.plain.Load() {
		return converter.GetDefaultDataConverter().ToPayload(v)
	}
	return d.DataConverter.ToPayload(v)
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestForgedDecisionsAreRefused sends decisions straight to the engine, as
// someone who reaches the Temporal frontend around the API could, and
// checks that only the ones the API signed for this workflow, update and
// content are taken. The tests of this file change the process's trusted
// keys: they must not run in parallel with others.
func TestForgedDecisionsAreRefused(t *testing.T) {
	apiKey, strangerKey := newKey(t), newKey(t)
	if err := TrustDecisionKeys(apiKey.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(untrustAll)

	payloadKey := make([]byte, codec.KeySize)
	_, _ = rand.Read(payloadKey)
	cd, err := codec.New(payloadKey)
	if err != nil {
		t.Fatal(err)
	}
	var plain atomic.Bool
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{WorkflowPanicPolicy: worker.FailWorkflow})
	env.SetDataConverter(plainSwitch{DataConverter: cd.DataConverter(), plain: &plain})
	const wfID = "takedown-11111111-2222-3333-4444-555555555555"
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: wfID})
	env.RegisterWorkflow(decisionsWorkflow)

	now := func() time.Time { return env.Now() }
	api, _ := NewSigner(apiKey, now)
	stranger, _ := NewSigner(strangerKey, now)
	staleSigner, _ := NewSigner(apiKey, func() time.Time { return env.Now().Add(-11 * time.Minute) })
	sup := Actor{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000b"), Role: takedown.RoleSupervisor}
	aud := Actor{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000c"), Role: takedown.RoleAuditor}
	stf := Actor{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000a"), Role: takedown.RoleStaff}

	sign := func(sg *Signer, wf, updateID, name string, arg any) any {
		t.Helper()
		v, err := sg.Sign(wf, updateID, name, arg)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	type send struct {
		name     string
		update   string
		updateID string
		arg      func(updateID string) any
		plain    bool
		wantErr  string // "" accepts
	}
	approve := EscalationDecision{Actor: sup, Approve: true, Reason: "approved"}
	cases := []send{
		{name: "plain JSON, even correctly signed", update: UpdateDecideEscalation, plain: true,
			arg:     func(id string) any { return sign(api, wfID, id, UpdateDecideEscalation, approve) },
			wantErr: "not sealed"},
		{name: "sealed, claims to be a supervisor, no proof", update: UpdateDecideEscalation,
			arg: func(string) any { return approve }, wantErr: "no proof"},
		{name: "an auditor's signed decision with the role changed", update: UpdateDecideEscalation,
			arg: func(id string) any {
				d := sign(api, wfID, id, UpdateDecideEscalation, EscalationDecision{Actor: aud, Approve: true, Reason: "forged"}).(EscalationDecision)
				d.Actor.Role = takedown.RoleSupervisor
				return d
			}, wantErr: "bad signature"},
		{name: "a supervisor's signed refusal turned into an approval", update: UpdateDecideEscalation,
			arg: func(id string) any {
				d := sign(api, wfID, id, UpdateDecideEscalation, EscalationDecision{Actor: sup, Approve: false, Reason: "no"}).(EscalationDecision)
				d.Approve = true
				return d
			}, wantErr: "bad signature"},
		{name: "signed for another takedown", update: UpdateDecideEscalation,
			arg: func(id string) any {
				return sign(api, "takedown-99999999-2222-3333-4444-555555555555", id, UpdateDecideEscalation, approve)
			}, wantErr: "bad signature"},
		{name: "signed for another update id", update: UpdateDecideEscalation,
			arg:     func(string) any { return sign(api, wfID, uuid.NewString(), UpdateDecideEscalation, approve) },
			wantErr: "bad signature"},
		{name: "signed as another update", update: UpdateExtendDeadline,
			arg: func(id string) any {
				return sign(api, wfID, id, UpdateWithdraw, Extension{Actor: sup, Until: env.Now().Add(48 * time.Hour), Reason: "r"})
			}, wantErr: "bad signature"},
		{name: "signed by a key the workers do not trust", update: UpdateDecideEscalation,
			arg:     func(id string) any { return sign(stranger, wfID, id, UpdateDecideEscalation, approve) },
			wantErr: "unknown signing key"},
		{name: "signed eleven minutes ago", update: UpdateDecideEscalation,
			arg:     func(id string) any { return sign(staleSigner, wfID, id, UpdateDecideEscalation, approve) },
			wantErr: "too far from now"},
		{name: "a staff member signed as a supervisor would need", update: UpdateDecideEscalation,
			arg: func(id string) any {
				return sign(api, wfID, id, UpdateDecideEscalation, EscalationDecision{Actor: stf, Approve: true, Reason: "x"})
			}, wantErr: "may not decide"},
		{name: "the supervisor's own approval", update: UpdateDecideEscalation,
			arg: func(id string) any { return sign(api, wfID, id, UpdateDecideEscalation, approve) }},
		{name: "an extension, whose time survives the round trip", update: UpdateExtendDeadline,
			arg: func(id string) any {
				until := time.Date(2027, 1, 2, 3, 4, 5, 600, time.FixedZone("KST", 9*3600))
				return sign(api, wfID, id, UpdateExtendDeadline, Extension{Actor: sup, Until: until, Reason: "holiday"})
			}},
		{name: "staff withdraws", update: UpdateWithdraw,
			arg: func(id string) any {
				return sign(api, wfID, id, UpdateWithdraw, Withdrawal{Actor: stf, Reason: "duplicate"})
			}},
	}
	verdicts := map[string]string{}
	for i, c := range cases {
		env.RegisterDelayedCallback(func() {
			id := uuid.NewString()
			arg := c.arg(id)
			plain.Store(c.plain)
			defer plain.Store(false)
			env.UpdateWorkflow(c.update, id, &testsuite.TestUpdateCallback{
				OnAccept: func() { verdicts[c.name] = "" },
				OnReject: func(err error) { verdicts[c.name] = err.Error() },
			}, arg)
		}, time.Duration(i+1)*time.Minute)
	}
	env.ExecuteWorkflow(decisionsWorkflow)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	for _, c := range cases {
		got, ok := verdicts[c.name]
		switch {
		case !ok:
			t.Errorf("%s: no verdict", c.name)
		case c.wantErr == "" && got != "":
			t.Errorf("%s: refused: %s", c.name, got)
		case c.wantErr != "" && !strings.Contains(got, c.wantErr):
			t.Errorf("%s: verdict %q, want a refusal mentioning %q", c.name, got, c.wantErr)
		}
	}
	var taken []string
	if err := env.GetWorkflowResult(&taken); err != nil {
		t.Fatal(err)
	}
	if strings.Join(taken, ",") != "decide:approved,extend:holiday,withdraw" {
		t.Errorf("decisions taken = %v, want only the three signed ones", taken)
	}
}

func TestWithoutKeysTheRoleIsStillChecked(t *testing.T) {
	untrustAll()
	a := Actor{Role: takedown.RoleAuditor}
	if err := authorize(nil, UpdateWithdraw, a, Withdrawal{Actor: a}, staffRoles, "withdraw"); err == nil {
		t.Error("an auditor may withdraw")
	}
	s := Actor{Role: takedown.RoleStaff}
	if err := authorize(nil, UpdateWithdraw, s, Withdrawal{Actor: s}, staffRoles, "withdraw"); err != nil {
		t.Errorf("staff may not withdraw: %v", err)
	}
	// Once a key is trusted, a validator that cannot give its context
	// refuses rather than skipping the proof.
	k := newKey(t)
	_ = TrustDecisionKeys(k.Public().(ed25519.PublicKey))
	t.Cleanup(untrustAll)
	if err := authorize(nil, UpdateWithdraw, s, Withdrawal{Actor: s}, staffRoles, "withdraw"); err == nil {
		t.Error("a decision was taken unchecked")
	}
}

func TestSignerNeedsADecision(t *testing.T) {
	sg, err := NewSigner(newKey(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []any{"text", struct{ X int }{1}, nil} {
		if _, err := sg.Sign("wf", "u", "n", bad); err == nil {
			t.Errorf("Sign(%#v) succeeded", bad)
		}
	}
	w := Withdrawal{Actor: Actor{Role: takedown.RoleStaff}, Reason: "r"}
	v, err := sg.Sign("wf", "u", UpdateWithdraw, &w)
	if err != nil || v.(Withdrawal).Actor.Proof == "" || w.Actor.Proof != "" {
		t.Errorf("Sign(&w) = %+v, %v; the original must stay unsigned", v, err)
	}
	if _, err := NewSigner(ed25519.PrivateKey("short"), nil); err == nil {
		t.Error("short key accepted")
	}
}
