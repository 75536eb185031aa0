package acme_test

import (
	"context"
	"crypto/elliptic"
	"encoding/json"
	"path"
	"strings"
	"testing"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
)

// lintFailingIssuer refuses every certificate as ca.Authority does when
// a lint outside the allow-list fires.
type lintFailingIssuer struct{}

func (lintFailingIssuer) Issue(context.Context, ca.Request) (*ca.Issued, error) {
	return nil, &ca.LintError{Lints: []string{"e_forced_by_test (error): injected"}}
}

// TestLintRefusal: a certificate that fails lint before signing fails the
// order with serverInternal, nothing issued, and the lints are audited.
func TestLintRefusal(t *testing.T) {
	e := newEnv(t, envOptions{wrapIssuer: func(acme.Issuer) acme.Issuer { return lintFailingIssuer{} }})
	ctx := context.Background()
	c := e.register(t, nil)
	o := e.authorize(t, c, acme.ChallengeHTTP01, "lint.kakuin-refusal.example.com")
	_, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, newCSR(t, newECKey(t, elliptic.P256()), "lint.kakuin-refusal.example.com"), true)
	if err == nil {
		t.Fatal("finalize issued a certificate that failed lint")
	}
	// x/crypto/acme retries a 500, so the order tells the first answer.
	got, err := c.GetOrder(ctx, o.URI)
	if err != nil || got.Status != xacme.StatusInvalid || got.CertURL != "" {
		t.Fatalf("order: got %+v (%v), want invalid without a certificate", got, err)
	}
	if got.Error == nil || got.Error.ProblemType != errNS+"serverInternal" || strings.Contains(got.Error.Detail, "e_forced_by_test") {
		t.Errorf("order error: got %v, want serverInternal without the lint names", got.Error)
	}
	e.wantRefusalAudited(t, o.URI, "e_forced_by_test")
}

// wantRefusalAudited checks that the order at orderURL has exactly one
// "issuance_refused" audit event, by its account, whose reason contains
// want.
func (e *testEnv) wantRefusalAudited(t *testing.T, orderURL, want string) {
	t.Helper()
	evs, err := e.store.AuditEvents(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Kind != "issuance_refused" || ev.Subject != "order:"+path.Base(orderURL) {
			continue
		}
		n++
		var d struct{ Reason string }
		if err := json.Unmarshal(ev.Detail, &d); err != nil || !strings.Contains(d.Reason, want) || !strings.HasPrefix(ev.Actor, "acme:account/") {
			t.Errorf("issuance_refused event: actor %s, detail %s; want a reason containing %q", ev.Actor, ev.Detail, want)
		}
	}
	if n != 1 {
		t.Errorf("issuance_refused events for %s: got %d, want 1", orderURL, n)
	}
}
