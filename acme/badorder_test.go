package acme_test

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"testing"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
)

// TestBadOrderRequests sends refused newOrder, finalize, cross-account and
// revocation requests.
func TestBadOrderRequests(t *testing.T) { forEachBackend(t, testBadOrderRequests) }

func testBadOrderRequests(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	keyA := newECKey(t, elliptic.P256())
	a := e.register(t, keyA)
	kidA := string(a.KID)
	acctA := e.accountOf(t, a)

	// A's pending order, A's ready order, B's valid order and certificate,
	// B's pending order.
	pending, err := a.AuthorizeOrder(ctx, xacme.DomainIDs("pending.kakuin-bad.example.com"))
	if err != nil {
		t.Fatalf("AuthorizeOrder: %v", err)
	}
	ready := e.authorize(t, a, acme.ChallengeHTTP01, "ready.kakuin-bad.example.com")
	keyB := newECKey(t, elliptic.P256())
	b := e.register(t, keyB)
	chainB, certURLB, orderB := e.issue(t, b, acme.ChallengeHTTP01, "b.kakuin-bad.example.com")
	authzB, err := b.GetAuthorization(ctx, orderB.AuthzURLs[0])
	if err != nil {
		t.Fatal(err)
	}
	pendingB, err := b.AuthorizeOrder(ctx, xacme.DomainIDs("b-pending.kakuin-bad.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	authzPendingB, err := b.GetAuthorization(ctx, pendingB.AuthzURLs[0])
	if err != nil {
		t.Fatal(err)
	}
	chB := authzPendingB.Challenges[0]
	// S is an account whose contract gets suspended after registration.
	keyS := newECKey(t, elliptic.P256())
	contractS := e.newContract(t)
	s := e.registerWith(t, keyS, e.newEAB(t, contractS))
	e.setContractStatus(t, contractS.Code, "suspended")
	acctS := e.accountOf(t, s)

	ordersOfA := func() int {
		ids, err := e.store.ListOrderIDs(ctx, acctA.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(ids)
	}
	nOrdersA := ordersOfA()
	noNewOrder := func(t *testing.T) {
		if got := ordersOfA(); got != nOrdersA {
			t.Errorf("orders of A: got %d, want %d", got, nOrdersA)
		}
	}
	orderStill := func(url, want string) func(t *testing.T) {
		return func(t *testing.T) {
			o, err := e.store.GetOrder(ctx, idOf(t, url))
			if err != nil {
				t.Fatal(err)
			}
			if o.StoredStatus != want {
				t.Errorf("order stored status: got %q, want %q", o.StoredStatus, want)
			}
		}
	}
	notRevoked := func(t *testing.T) {
		leaf, _ := x509.ParseCertificate(chainB[0])
		c, err := e.store.GetCertificate(ctx, serialOf(leaf))
		if err != nil {
			t.Fatal(err)
		}
		if c.RevokedAt != nil {
			t.Errorf("certificate revoked at %v, want not revoked", c.RevokedAt)
		}
	}
	newOrder := func(ids ...acme.Identifier) func(t *testing.T) *response {
		return func(t *testing.T) *response {
			return e.signedPost(t, "/acme/new-order", rawJWS{key: keyA, kid: kidA,
				payload: mustJSON(t, map[string]any{"identifiers": ids})})
		}
	}
	finalize := func(o *xacme.Order, csr []byte) func(t *testing.T) *response {
		return func(t *testing.T) *response {
			return e.signedPost(t, e.pathOf(o.FinalizeURL), rawJWS{key: keyA, kid: kidA,
				payload: mustJSON(t, map[string]string{"csr": b64(csr)})})
		}
	}
	asA := func(url string, payload []byte) func(t *testing.T) *response {
		return func(t *testing.T) *response {
			return e.signedPost(t, e.pathOf(url), rawJWS{key: keyA, kid: kidA, payload: payload})
		}
	}
	revoke := func(reason int, key any) func(t *testing.T) *response {
		return func(t *testing.T) *response {
			j := rawJWS{key: keyB, kid: string(b.KID)}
			if key == "A" {
				j = rawJWS{key: keyA, kid: kidA}
			}
			j.payload = mustJSON(t, map[string]any{"certificate": b64(chainB[0]), "reason": reason})
			return e.signedPost(t, "/acme/revoke-cert", j)
		}
	}
	dns := func(v string) acme.Identifier { return acme.Identifier{Type: "dns", Value: v} }

	cases := []badCase{
		{name: "wildcard identifier", send: newOrder(dns("*.kakuin-bad.example.com")),
			wantType: "rejectedIdentifier", wantStatus: 400, detail: "wildcard", unchanged: noNewOrder},
		{name: "IP identifier", send: newOrder(acme.Identifier{Type: "ip", Value: "192.0.2.1"}),
			wantType: "rejectedIdentifier", wantStatus: 400, detail: "IP", unchanged: noNewOrder},
		{name: "IP address as dns identifier", send: newOrder(dns("192.0.2.1")),
			wantType: "rejectedIdentifier", wantStatus: 400, unchanged: noNewOrder},
		{name: "U-label", send: newOrder(dns("bücher.kakuin-bad.example.com")),
			wantType: "rejectedIdentifier", wantStatus: 400, detail: "xn--bcher-kva", unchanged: noNewOrder},
		{name: "emoji A-label", send: newOrder(dns("xn--ls8h.kakuin-bad.example.com")),
			wantType: "rejectedIdentifier", wantStatus: 400, detail: "disallowed by IDNA2008", unchanged: noNewOrder},
		{name: "one bad name among good ones", send: newOrder(dns("ok.kakuin-bad.example.com"), dns("bad_name.kakuin-bad.example.com")),
			wantType: "rejectedIdentifier", wantStatus: 400, detail: "bad_name", unchanged: noNewOrder},
		{name: "notAfter requested", wantType: "malformed", wantStatus: 400, detail: "notAfter", unchanged: noNewOrder,
			send: func(t *testing.T) *response {
				return e.signedPost(t, "/acme/new-order", rawJWS{key: keyA, kid: kidA, payload: mustJSON(t, map[string]any{
					"identifiers": []acme.Identifier{dns("na.kakuin-bad.example.com")}, "notAfter": "2030-01-01T00:00:00Z"})})
			}},
		{name: "no identifiers", send: newOrder(), wantType: "malformed", wantStatus: 400, unchanged: noNewOrder},
		{name: "newOrder of a suspended contract", wantType: "unauthorized", wantStatus: 403, detail: "suspended",
			send: func(t *testing.T) *response {
				return e.signedPost(t, "/acme/new-order", rawJWS{key: keyS, kid: string(s.KID),
					payload: mustJSON(t, map[string]any{"identifiers": []acme.Identifier{dns("s.kakuin-bad.example.com")}})})
			},
			unchanged: func(t *testing.T) {
				if ids, err := e.store.ListOrderIDs(ctx, acctS.ID, 0, 10); err != nil || len(ids) != 0 {
					t.Errorf("orders of S: got %v (%v), want none", ids, err)
				}
			}},
		{name: "finalize before authorizations are valid", wantType: "orderNotReady", wantStatus: 403, detail: "pending",
			send:      finalize(pending, newCSR(t, newECKey(t, elliptic.P256()), "pending.kakuin-bad.example.com")),
			unchanged: orderStill(pending.URI, acme.StatusPending)},
		{name: "CSR with RSA-1024", wantType: "badCSR", wantStatus: 400, detail: "1024",
			send:      finalize(ready, newCSR(t, newRSAKey(t, 1024), "ready.kakuin-bad.example.com")),
			unchanged: orderStill(ready.URI, acme.StatusPending)},
		{name: "CSR with P-521", wantType: "badCSR", wantStatus: 400, detail: "P-521",
			send:      finalize(ready, newCSR(t, newECKey(t, elliptic.P521()), "ready.kakuin-bad.example.com")),
			unchanged: orderStill(ready.URI, acme.StatusPending)},
		{name: "CSR names mismatch", wantType: "badCSR", wantStatus: 400, detail: "other.kakuin-bad.example.com",
			send:      finalize(ready, newCSR(t, newECKey(t, elliptic.P256()), "ready.kakuin-bad.example.com", "other.kakuin-bad.example.com")),
			unchanged: orderStill(ready.URI, acme.StatusPending)},
		{name: "CSR with the account key", wantType: "badCSR", wantStatus: 400, detail: "account key",
			send:      finalize(ready, newCSR(t, keyA, "ready.kakuin-bad.example.com")),
			unchanged: orderStill(ready.URI, acme.StatusPending)},
		{name: "CSR with a bad signature", wantType: "badCSR", wantStatus: 400, detail: "signature",
			send: func(t *testing.T) *response {
				csr := newCSR(t, newECKey(t, elliptic.P256()), "ready.kakuin-bad.example.com")
				csr[len(csr)-3] ^= 0x01
				return finalize(ready, csr)(t)
			},
			unchanged: orderStill(ready.URI, acme.StatusPending)},
		{name: "A fetches B's account", send: asA(string(b.KID), nil), wantType: "unauthorized", wantStatus: 403},
		{name: "A fetches B's orders list", send: asA(string(b.KID)+"/orders", nil), wantType: "unauthorized", wantStatus: 403},
		{name: "A fetches B's order", send: asA(orderB.URI, nil), wantType: "unauthorized", wantStatus: 403},
		{name: "A fetches B's authorization", send: asA(authzB.URI, nil), wantType: "unauthorized", wantStatus: 403},
		{name: "A fetches B's challenge", send: asA(authzB.Challenges[0].URI, nil), wantType: "unauthorized", wantStatus: 403},
		{name: "A fetches B's certificate", send: asA(certURLB, nil), wantType: "unauthorized", wantStatus: 403},
		{name: "A starts B's challenge", send: asA(chB.URI, []byte(`{}`)), wantType: "unauthorized", wantStatus: 403,
			unchanged: func(t *testing.T) {
				ch, err := e.store.GetChallenge(ctx, idOf(t, chB.URI))
				if err != nil {
					t.Fatal(err)
				}
				if ch.Status != acme.StatusPending {
					t.Errorf("B's challenge: got status %q, want pending", ch.Status)
				}
			}},
		{name: "A deactivates B's authorization", send: asA(authzPendingB.URI, []byte(`{"status":"deactivated"}`)),
			wantType: "unauthorized", wantStatus: 403,
			unchanged: func(t *testing.T) {
				az, err := e.store.GetAuthorization(ctx, idOf(t, authzPendingB.URI))
				if err != nil {
					t.Fatal(err)
				}
				if az.Status != acme.StatusPending {
					t.Errorf("B's authorization: got status %q, want pending", az.Status)
				}
			}},
		{name: "A finalizes B's order", send: func(t *testing.T) *response {
			return e.signedPost(t, e.pathOf(pendingB.FinalizeURL), rawJWS{key: keyA, kid: kidA,
				payload: mustJSON(t, map[string]string{"csr": b64(newCSR(t, newECKey(t, elliptic.P256()), "b-pending.kakuin-bad.example.com"))})})
		}, wantType: "unauthorized", wantStatus: 403, unchanged: orderStill(pendingB.URI, acme.StatusPending)},
		{name: "A revokes B's certificate (same contract)", send: revoke(1, "A"), wantType: "unauthorized", wantStatus: 403, unchanged: notRevoked},
		{name: "revocation reason 2", send: revoke(2, nil), wantType: "badRevocationReason", wantStatus: 400, unchanged: notRevoked},
		{name: "revocation reason 6", send: revoke(6, nil), wantType: "badRevocationReason", wantStatus: 400, unchanged: notRevoked},
		{name: "revoke a certificate of another CA", wantType: "malformed", wantStatus: 404, detail: "not issued by this CA", unchanged: notRevoked,
			send: func(t *testing.T) *response {
				return e.signedPost(t, "/acme/revoke-cert", rawJWS{key: keyB, kid: string(b.KID),
					payload: mustJSON(t, map[string]any{"certificate": b64(e.ts.Certificate().Raw)})})
			}},
		{name: "double revoke", wantType: "alreadyRevoked", wantStatus: 400,
			send: func(t *testing.T) *response {
				if r := revoke(4, nil)(t); r.status != 200 {
					t.Fatalf("first revocation: got status %d, want 200: %s", r.status, r.body)
				}
				return revoke(4, nil)(t)
			}},
	}
	runBadCases(t, cases)
}

// serialOf is the serial of c as the store keys it.
func serialOf(c *x509.Certificate) string {
	return caSerial(c)
}
