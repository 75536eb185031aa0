package acme_test

import (
	"context"
	"crypto/elliptic"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/vetting"
)

// holdEnv is an environment whose gate holds what officers have not
// approved, with Server.Run re-checking holds every 50 ms.
func holdEnv(t *testing.T, backend string) *testEnv {
	e := newEnv(t, envOptions{backend: backend, hold: true, policy: acme.Policy{
		HoldRecheck: 50 * time.Millisecond, HoldRetryAfter: 2 * time.Second, HoldContact: "vetting@kakuin.example.com"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.srv.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// authzObject is an authorization as the server sends it, with kakuin's
// "hold" member.
type authzObject struct {
	Status string `json:"status"`
	Hold   *struct {
		Reason  string  `json:"reason"`
		Cases   []int64 `json:"cases"`
		Contact string  `json:"contact"`
	} `json:"hold"`
	Challenges []struct {
		Type   string          `json:"type"`
		Status string          `json:"status"`
		Error  json.RawMessage `json:"error"`
	} `json:"challenges"`
}

// getAuthz fetches the authorization at url as c's account, raw, so that
// the non-standard member and the headers can be checked.
func (e *testEnv) getAuthz(t *testing.T, c *xacme.Client, url string) (*authzObject, *response) {
	t.Helper()
	r := e.signedPost(t, strings.TrimPrefix(url, e.baseURL), rawJWS{key: c.Key, kid: string(c.KID), url: url})
	if r.status != 200 {
		t.Fatalf("POST-as-GET %s: status %d: %s", url, r.status, r.body)
	}
	var a authzObject
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatal(err)
	}
	return &a, r
}

// order orders names and answers the http-01 challenge of each pending
// authorization.
func (e *testEnv) order(t *testing.T, c *xacme.Client, names ...string) *xacme.Order {
	t.Helper()
	ctx := context.Background()
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(names...))
	if err != nil {
		t.Fatalf("AuthorizeOrder: %v", err)
	}
	for _, u := range o.AuthzURLs {
		a, err := c.GetAuthorization(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range a.Challenges {
			if ch.Type == acme.ChallengeHTTP01 && ch.Status == acme.StatusPending {
				e.fulfil(t, c, ch, a.Identifier.Value)
				if _, err := c.Accept(ctx, ch); err != nil {
					t.Fatalf("Accept: %v", err)
				}
			}
		}
	}
	return o
}

// startHeld orders names, answers their challenges and waits until every
// authorization is held.
func (e *testEnv) startHeld(t *testing.T, c *xacme.Client, names ...string) *xacme.Order {
	t.Helper()
	o := e.order(t, c, names...)
	for _, u := range o.AuthzURLs {
		e.waitAuthz(t, c, u, func(a *authzObject) bool { return a.Hold != nil })
	}
	return o
}

// problemOf returns the problem of the authorization's invalid challenge.
func problemOf(a *authzObject) (p struct{ Type, Detail string }) {
	for _, ch := range a.Challenges {
		if ch.Status == acme.StatusInvalid {
			json.Unmarshal(ch.Error, &p)
		}
	}
	return p
}

// waitAuthz polls the authorization until ok, for at most 10 s.
func (e *testEnv) waitAuthz(t *testing.T, c *xacme.Client, url string, ok func(*authzObject) bool) *authzObject {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, _ := e.getAuthz(t, c, url)
		if ok(a) {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("authorization %s: still %+v after 10 s", url, a)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// approveOpenCases works every open case as officers would (vetCase's
// checklist and approvals).
func (e *testEnv) approveOpenCases(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	open, err := e.vet.Cases(ctx, vetting.CaseOpen, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range open {
		if _, err := vetCase(ctx, e.vet, vetting.CaseInput{Kind: c.Kind, OrganizationID: c.OrganizationID, Level: c.Level,
			Subject: c.Subject, Reason: c.Reason}); err != nil {
			t.Fatalf("vetting case %d: %v", c.ID, err)
		}
	}
}

func TestVettingHold(t *testing.T) { forEachBackend(t, testVettingHold) }

// testVettingHold is the hold as certbot and lego live it: domain control
// proven, the authorization held with the "hold" member, the client's
// repeated POST to the challenge answered 200, its re-run reusing the held
// authorization; after approval the authorization turns valid and the
// order issues; a renewal while the approvals are fresh needs no one.
func testVettingHold(t *testing.T, backend string) {
	e := holdEnv(t, backend)
	ctx := context.Background()
	c := e.register(t, nil)
	names := []string{"www.hold.example.jp", "hold.example.jp"}
	o := e.startHeld(t, c, names...)

	a, r := e.getAuthz(t, c, o.AuthzURLs[0])
	if a.Status != acme.StatusPending || a.Hold == nil || len(a.Hold.Cases) != 2 ||
		!strings.Contains(a.Hold.Reason, "OV identity of Kakuin Test K.K.") || !strings.Contains(a.Hold.Reason, "use of example.jp") ||
		a.Hold.Contact != "vetting@kakuin.example.com" {
		t.Fatalf("held authorization: got %+v (hold %+v), want pending, held on an identity and a domain case", a, a.Hold)
	}
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("held authorization Retry-After: got %q, want 2 (Policy.HoldRetryAfter)", got)
	}
	second, _ := e.getAuthz(t, c, o.AuthzURLs[1])
	if second.Hold == nil || !slices.Equal(second.Hold.Cases, a.Hold.Cases) {
		t.Errorf("second name of the same domain: got hold %+v, want the same cases %v", second.Hold, a.Hold.Cases)
	}

	// The client polls the challenge again: 200, processing.
	authz, err := c.GetAuthorization(ctx, o.AuthzURLs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range authz.Challenges {
		if ch.Type != acme.ChallengeHTTP01 {
			continue
		}
		got, err := c.Accept(ctx, ch)
		if err != nil || got.Status != acme.StatusProcessing {
			t.Fatalf("repeated POST to a held challenge: got %+v, %v; want 200 processing", got, err)
		}
	}

	// The client gives up and runs again: a new order reuses the held
	// authorizations.
	again, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(names...))
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != acme.StatusPending || !slices.Equal(sortedCopy(again.AuthzURLs), sortedCopy(o.AuthzURLs)) {
		t.Errorf("re-run: got order %s with %v, want the held authorizations %v", again.Status, again.AuthzURLs, o.AuthzURLs)
	}
	if n := len(openCases(t, e)); n != 2 {
		t.Errorf("open cases after the re-run: got %d, want the same 2", n)
	}

	e.approveOpenCases(t)
	for _, u := range o.AuthzURLs {
		e.waitAuthz(t, c, u, func(a *authzObject) bool { return a.Status == acme.StatusValid })
	}
	valid, _ := e.getAuthz(t, c, o.AuthzURLs[0])
	if valid.Hold != nil {
		t.Errorf("released authorization still shows a hold: %+v", valid.Hold)
	}
	if _, err := c.WaitOrder(ctx, again.URI); err != nil {
		t.Fatalf("WaitOrder after approval: %v", err)
	}
	if _, _, err := c.CreateOrderCert(ctx, again.FinalizeURL, newCSR(t, newECKey(t, elliptic.P256()), names...), true); err != nil {
		t.Fatalf("finalize after approval: %v", err)
	}

	// Renewal: a new order for the same names is ready at once.
	renewal, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(names...))
	if err != nil || renewal.Status != acme.StatusReady {
		t.Fatalf("renewal: got %+v, %v; want ready without a challenge", renewal, err)
	}
	if open := openCases(t, e); len(open) != 0 {
		t.Errorf("renewal opened %d cases, want none: %+v", len(open), *open[0])
	}
}

func TestVettingReject(t *testing.T) { forEachBackend(t, testVettingReject) }

// testVettingReject: an officer rejects the domain; the held authorization
// turns invalid with the officer's reason, and a new order for the domain
// is refused with it.
func testVettingReject(t *testing.T, backend string) {
	e := holdEnv(t, backend)
	ctx := context.Background()
	c := e.register(t, nil)
	o := e.startHeld(t, c, "shop.rejected.example.jp")
	var domainCase int64
	for _, cs := range openCases(t, e) {
		if cs.Kind == vetting.CaseDomain {
			domainCase = cs.ID
		}
	}
	const reason = "example.jp belongs to another company; send its written consent to vetting@kakuin.example.com"
	if _, err := e.vet.Reject(ctx, domainCase, testApprover, reason); err != nil {
		t.Fatal(err)
	}
	invalid := func(a *authzObject) bool { return a.Status == acme.StatusInvalid }
	a := e.waitAuthz(t, c, o.AuthzURLs[0], invalid)
	if p := problemOf(a); p.Type != "urn:ietf:params:acme:error:rejectedIdentifier" || !strings.Contains(p.Detail, reason) {
		t.Errorf("rejected authorization's problem: got %+v, want rejectedIdentifier with the officer's reason", p)
	}
	// The client runs again: domain control is proven anew and the
	// rejection stands, without a new case.
	again := e.order(t, c, "shop.rejected.example.jp")
	a = e.waitAuthz(t, c, again.AuthzURLs[0], invalid)
	if p := problemOf(a); !strings.Contains(p.Detail, reason) {
		t.Errorf("re-run after the rejection: got %+v, want the officer's reason", p)
	}
	for _, cs := range openCases(t, e) {
		if cs.Kind == vetting.CaseDomain {
			t.Errorf("the re-run opened domain case %d after the rejection", cs.ID)
		}
	}
}

// TestVettingHoldSurvivesSweep checks that a held challenge is not failed
// as interrupted however long it waits.
func TestVettingHoldSurvivesSweep(t *testing.T) {
	e := holdEnv(t, "")
	c := e.register(t, nil)
	o := e.startHeld(t, c, "slow.example.jp")
	n, err := e.store.FailInterruptedChallenges(context.Background(), time.Now().Add(time.Hour), []byte(`{}`))
	if err != nil || n != 0 {
		t.Fatalf("sweep: got %d, %v; want no held challenge failed", n, err)
	}
	if a, _ := e.getAuthz(t, c, o.AuthzURLs[0]); a.Status != acme.StatusPending || a.Hold == nil {
		t.Errorf("after the sweep: got %+v, want still held", a)
	}
}

func openCases(t *testing.T, e *testEnv) []*vetting.Case {
	t.Helper()
	cs, err := e.vet.Cases(context.Background(), vetting.CaseOpen, 100)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
