package acme_test

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/vetting"
)

// badCase is one request that must be refused with a problem document.
type badCase struct {
	name       string
	send       func(t *testing.T) *response
	wantType   string
	wantStatus int
	// detail, if set, must be contained in the problem's detail.
	detail string
	// unchanged checks that the request wrote nothing.
	unchanged func(t *testing.T)
}

// runBadCases runs each case and checks the problem document: type,
// "status" member equal to the HTTP status, a Replay-Nonce and the index
// Link on the error response, and that nothing changed.
func runBadCases(t *testing.T, cases []badCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.send(t)
			if r.problem == nil {
				t.Fatalf("got status %d with no problem document: %s", r.status, r.body)
			}
			if got := r.problemType(); got != tc.wantType {
				t.Errorf("problem type: got %q, want %q (detail %q)", got, tc.wantType, r.problem["detail"])
			}
			if got := r.status; got != tc.wantStatus {
				t.Errorf("HTTP status: got %d, want %d", got, tc.wantStatus)
			}
			if got := r.problemStatus(); got != r.status {
				t.Errorf("problem status member: got %d, want %d", got, r.status)
			}
			t.Logf("%d %s: %s", r.status, r.problem["type"], r.problem["detail"])
			d, _ := r.problem["detail"].(string)
			if d == "" || !strings.Contains(d, tc.detail) {
				t.Errorf("problem detail: got %q, want it to contain %q", d, tc.detail)
			}
			for _, prefix := range []string{"acme:", "store:", "vetting:", "validation:", "ca:"} {
				if strings.Contains(d, prefix) {
					t.Errorf("problem detail: got %q, want no internal error chain (%q)", d, prefix)
				}
			}
			if r.header.Get("Replay-Nonce") == "" {
				t.Errorf("error response has no Replay-Nonce")
			}
			if got := r.header.Get("Link"); !strings.Contains(got, `rel="index"`) {
				t.Errorf("Link: got %q, want rel=\"index\"", got)
			}
			if tc.unchanged != nil {
				tc.unchanged(t)
			}
		})
	}
}

// idOf returns the numeric id at the end of a resource URL.
func idOf(t testing.TB, url string) int64 {
	t.Helper()
	i := strings.LastIndexByte(url, '/')
	id, err := strconv.ParseInt(url[i+1:], 10, 64)
	if err != nil {
		t.Fatalf("no id in %q", url)
	}
	return id
}

// pathOf strips the environment's base URL.
func (e *testEnv) pathOf(url string) string { return strings.TrimPrefix(url, e.baseURL) }

// noAccountFor returns a check that no account exists for key.
func (e *testEnv) noAccountFor(key crypto.Signer) func(t *testing.T) {
	return func(t *testing.T) {
		tp, err := (&jose.JSONWebKey{Key: key.Public()}).Thumbprint(crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.store.GetAccountByThumbprint(context.Background(), b64(tp))
		if !errors.Is(err, acme.ErrNotFound) {
			t.Errorf("account for the refused key: got %v, %v; want acme.ErrNotFound", a, err)
		}
	}
}

// TestBadJWSAndAccountRequests sends broken JWS and newAccount requests.
func TestBadJWSAndAccountRequests(t *testing.T) { forEachBackend(t, testBadJWSAndAccountRequests) }

func testBadJWSAndAccountRequests(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	keyA := newECKey(t, elliptic.P256())
	credA := e.newEAB(t, e.contract)
	a := e.registerWith(t, keyA, credA)
	kidA := string(a.KID)
	acctPath := e.pathOf(kidA)
	update := mustJSON(t, map[string]any{"contact": []string{"mailto:changed@kakuin-test.example.com"}})
	contactUnchanged := func(t *testing.T) {
		got := e.accountOf(t, a).Contact
		if want := []string{"mailto:admin@kakuin-test.example.com"}; !slices.Equal(got, want) {
			t.Errorf("contact: got %v, want %v", got, want)
		}
	}
	ordersUnchanged := func(t *testing.T) {
		ids, err := e.store.ListOrderIDs(ctx, e.accountOf(t, a).ID, 0, 100)
		if err != nil || len(ids) != 0 {
			t.Errorf("orders of A: got %v (%v), want none", ids, err)
		}
	}

	keyD := newECKey(t, elliptic.P256())
	d := e.register(t, keyD)
	if err := d.DeactivateReg(ctx); err != nil {
		t.Fatalf("DeactivateReg: %v", err)
	}
	suspended := e.newContract(t)
	credSuspended := e.newEAB(t, suspended)
	e.setContractStatus(t, suspended.Code, vetting.ContractSuspended)

	newAcct := func(key crypto.Signer, eab json.RawMessage) []byte {
		p := map[string]any{"termsOfServiceAgreed": true, "contact": []string{"mailto:x@kakuin-test.example.com"}}
		if eab != nil {
			p["externalAccountBinding"] = eab
		}
		return mustJSON(t, p)
	}
	newAcctURL := e.baseURL + "/acme/new-account"

	var cases []badCase
	add := func(c badCase) { cases = append(cases, c) }

	add(badCase{name: "malformed JSON", wantType: "malformed", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.post(t, acctPath, []byte(`{"protected": "eyJhbGciOiJFUzI1NiJ9", "payload": `), "")
		}})
	add(badCase{name: "malformed JWS", wantType: "malformed", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.post(t, acctPath, []byte(`{"protected": "!!not base64!!", "payload": "", "signature": ""}`), "")
		}})
	add(badCase{name: "compact serialization", wantType: "malformed", wantStatus: 400, detail: "flattened", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			var m map[string]string
			json.Unmarshal(rawJWS{key: keyA, kid: kidA, nonce: e.nonce(t), url: e.baseURL + acctPath, payload: update}.encode(t), &m)
			return e.post(t, acctPath, []byte(m["protected"]+"."+m["payload"]+"."+m["signature"]), "")
		}})
	add(badCase{name: "general serialization", wantType: "malformed", wantStatus: 400, detail: "one signature", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			var m map[string]string
			json.Unmarshal(rawJWS{key: keyA, kid: kidA, nonce: e.nonce(t), url: e.baseURL + acctPath, payload: update}.encode(t), &m)
			body := mustJSON(t, map[string]any{"payload": m["payload"],
				"signatures": []map[string]string{{"protected": m["protected"], "signature": m["signature"]}}})
			return e.post(t, acctPath, body, "")
		}})
	add(badCase{name: "unprotected header", wantType: "malformed", wantStatus: 400, detail: "unprotected", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			var m map[string]any
			json.Unmarshal(rawJWS{key: keyA, kid: kidA, nonce: e.nonce(t), url: e.baseURL + acctPath, payload: update}.encode(t), &m)
			m["header"] = map[string]string{"kid": kidA}
			return e.post(t, acctPath, mustJSON(t, m), "")
		}})
	add(badCase{name: "wrong content type", wantType: "malformed", wantStatus: 415, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.post(t, acctPath, rawJWS{key: keyA, kid: kidA, nonce: e.nonce(t), url: e.baseURL + acctPath, payload: update}.encode(t), "application/json")
		}})
	add(badCase{name: "alg none", wantType: "badSignatureAlgorithm", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			r := e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, alg: "none", payload: update})
			if algs, _ := r.problem["algorithms"].([]any); !slices.Contains(algs, any("ES256")) {
				t.Errorf("algorithms: got %v, want a list with ES256", r.problem["algorithms"])
			}
			return r
		}})
	add(badCase{name: "HS256 on a normal request", wantType: "badSignatureAlgorithm", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, hmacKey: credA.HMACKey, payload: update})
		}})
	add(badCase{name: "alg not matching the key", wantType: "badSignatureAlgorithm", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, alg: "ES384", payload: update})
		}})
	add(badCase{name: "wrong signature", wantType: "malformed", wantStatus: 400, detail: "signature", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, badSig: true, payload: update})
		}})
	add(badCase{name: "missing nonce", wantType: "badNonce", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, omitNonce: true, payload: update})
		}})
	add(badCase{name: "reused nonce", wantType: "badNonce", wantStatus: 400, detail: "already used", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			n := e.nonce(t)
			if r := e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, nonce: n}); r.status != http.StatusOK {
				t.Fatalf("first use of the nonce: got status %d, want 200: %s", r.status, r.body)
			}
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, nonce: n, payload: update})
		}})
	add(badCase{name: "unknown nonce", wantType: "badNonce", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			fake := make([]byte, 36)
			rand.Read(fake)
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, nonce: b64(fake), payload: update})
		}})
	add(badCase{name: "expired nonce", wantType: "badNonce", wantStatus: 400, detail: "expired", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			n := e.nonce(t)
			e.offset.Store(int64(16 * time.Minute))
			defer e.offset.Store(0)
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, nonce: n, payload: update})
		}})
	add(badCase{name: "url mismatch", wantType: "unauthorized", wantStatus: 403, detail: "url", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, url: e.baseURL + "/acme/new-order", payload: update})
		}})
	add(badCase{name: "kid of a deactivated account", wantType: "unauthorized", wantStatus: 403, detail: "deactivated",
		send: func(t *testing.T) *response {
			return e.signedPost(t, e.pathOf(string(d.KID)), rawJWS{key: keyD, kid: string(d.KID), payload: update})
		},
		unchanged: func(t *testing.T) {
			if got := e.accountOf(t, d).Contact; slices.Contains(got, "mailto:changed@kakuin-test.example.com") {
				t.Errorf("contact of the deactivated account changed: %v", got)
			}
		}})
	add(badCase{name: "kid of an unknown account", wantType: "accountDoesNotExist", wantStatus: 400,
		send: func(t *testing.T) *response {
			return e.signedPost(t, "/acme/acct/999999", rawJWS{key: keyA, kid: e.baseURL + "/acme/acct/999999", payload: update})
		}})
	// The nonce is redeemed with the account lookup, but its verdict comes
	// last (RFC 8555 §6.5; Boulder's order): the other failures win.
	usedNonce := func(t *testing.T) string {
		n := e.nonce(t)
		if r := e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, nonce: n}); r.status != http.StatusOK {
			t.Fatalf("first use of the nonce: got status %d, want 200: %s", r.status, r.body)
		}
		return n
	}
	add(badCase{name: "kid of an unknown account with a used nonce", wantType: "accountDoesNotExist", wantStatus: 400,
		send: func(t *testing.T) *response {
			return e.signedPost(t, "/acme/acct/999999", rawJWS{key: keyA, kid: e.baseURL + "/acme/acct/999999", nonce: usedNonce(t), payload: update})
		}})
	add(badCase{name: "wrong signature with a used nonce", wantType: "malformed", wantStatus: 400, detail: "signature", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, badSig: true, nonce: usedNonce(t), payload: update})
		}})
	add(badCase{name: "url mismatch with a used nonce", wantType: "unauthorized", wantStatus: 403, detail: "url", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, url: e.baseURL + "/acme/new-order", nonce: usedNonce(t), payload: update})
		}})
	add(badCase{name: "nonce spent by a request refused for its url", wantType: "badNonce", wantStatus: 400, detail: "already used", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			n := e.nonce(t)
			if r := e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, url: e.baseURL + "/acme/new-order", nonce: n}); r.status != http.StatusForbidden {
				t.Fatalf("request with a wrong url: got status %d, want 403: %s", r.status, r.body)
			}
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, nonce: n, payload: update})
		}})
	add(badCase{name: "jwk on a kid-only endpoint", wantType: "malformed", wantStatus: 400, detail: "kid", unchanged: ordersUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, "/acme/new-order", rawJWS{key: keyA,
				payload: mustJSON(t, map[string]any{"identifiers": []acme.Identifier{{Type: "dns", Value: "jwk.kakuin-bad.example.com"}}})})
		}})
	add(badCase{name: "both jwk and kid", wantType: "malformed", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, withJWK: true, payload: update})
		}})
	add(badCase{name: "body over 64 KiB", wantType: "malformed", wantStatus: 413, detail: "65536", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			big := mustJSON(t, map[string]any{"contact": []string{"mailto:a@kakuin-test.example.com"}, "pad": strings.Repeat("x", 70<<10)})
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, payload: big})
		}})
	add(badCase{name: "payload field of the wrong type", wantType: "malformed", wantStatus: 400, detail: "contact", unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, payload: []byte(`{"contact": "mailto:changed@kakuin-test.example.com"}`)})
		}})
	add(badCase{name: "contact not mailto", wantType: "unsupportedContact", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, payload: []byte(`{"contact": ["tel:+81312345678"]}`)})
		}})
	add(badCase{name: "invalid contact", wantType: "invalidContact", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, payload: []byte(`{"contact": ["mailto:not an address"]}`)})
		}})
	add(badCase{name: "too many contacts", wantType: "invalidContact", wantStatus: 400, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			cs := []string{"mailto:a@x.example.com", "mailto:b@x.example.com", "mailto:c@x.example.com", "mailto:d@x.example.com", "mailto:e@x.example.com"}
			return e.signedPost(t, acctPath, rawJWS{key: keyA, kid: kidA, payload: mustJSON(t, map[string]any{"contact": cs})})
		}})
	add(badCase{name: "GET on a POST-as-GET resource", wantType: "malformed", wantStatus: 405, unchanged: contactUnchanged,
		send: func(t *testing.T) *response {
			req, _ := http.NewRequest(http.MethodGet, kidA, nil)
			return e.do(t, req)
		}})

	// newAccount.
	k1 := newECKey(t, elliptic.P256())
	add(badCase{name: "kid on newAccount", wantType: "malformed", wantStatus: 400, detail: "jwk", unchanged: e.noAccountFor(k1),
		send: func(t *testing.T) *response {
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k1, kid: kidA,
				payload: newAcct(k1, eabJWS(t, e.newEAB(t, e.contract).KeyID, credA.HMACKey, newAcctURL, k1.Public(), ""))})
		}})
	k2 := newECKey(t, elliptic.P256())
	add(badCase{name: "missing EAB", wantType: "externalAccountRequired", wantStatus: 400, unchanged: e.noAccountFor(k2),
		send: func(t *testing.T) *response {
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k2, payload: newAcct(k2, nil)})
		}})
	k3 := newECKey(t, elliptic.P256())
	add(badCase{name: "EAB unknown kid", wantType: "unauthorized", wantStatus: 403, detail: "unknown EAB key id", unchanged: e.noAccountFor(k3),
		send: func(t *testing.T) *response {
			eab := eabJWS(t, "kak_AAAAAAAAAAAAAAAAAAAAAA", credA.HMACKey, newAcctURL, k3.Public(), "")
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k3, payload: newAcct(k3, eab)})
		}})
	k4 := newECKey(t, elliptic.P256())
	add(badCase{name: "EAB wrong MAC", wantType: "unauthorized", wantStatus: 403, detail: "EAB MAC does not verify", unchanged: e.noAccountFor(k4),
		send: func(t *testing.T) *response {
			wrong := make([]byte, 32)
			rand.Read(wrong)
			eab := eabJWS(t, e.newEAB(t, e.contract).KeyID, wrong, newAcctURL, k4.Public(), "")
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k4, payload: newAcct(k4, eab)})
		}})
	k5 := newECKey(t, elliptic.P256())
	add(badCase{name: "EAB over-used credential", wantType: "unauthorized", wantStatus: 403, unchanged: e.noAccountFor(k5),
		detail: "EAB credential " + credA.KeyID + " already binds 1 account (the limit)",
		send: func(t *testing.T) *response {
			eab := eabJWS(t, credA.KeyID, credA.HMACKey, newAcctURL, k5.Public(), "")
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k5, payload: newAcct(k5, eab)})
		}})
	k6 := newECKey(t, elliptic.P256())
	add(badCase{name: "EAB of a suspended contract", wantType: "unauthorized", wantStatus: 403, unchanged: e.noAccountFor(k6),
		detail: "contract " + credSuspended.ContractCode + " is suspended",
		send: func(t *testing.T) *response {
			eab := eabJWS(t, credSuspended.KeyID, credSuspended.HMACKey, newAcctURL, k6.Public(), "")
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k6, payload: newAcct(k6, eab)})
		}})
	k11 := newECKey(t, elliptic.P256())
	add(badCase{name: "EAB revoked credential", wantType: "unauthorized", wantStatus: 403, unchanged: e.noAccountFor(k11),
		detail: "revoked",
		send: func(t *testing.T) *response {
			cred := e.newEAB(t, e.contract)
			if err := e.vet.RevokeEAB(ctx, cred.KeyID, "test"); err != nil {
				t.Fatalf("RevokeEAB: %v", err)
			}
			eab := eabJWS(t, cred.KeyID, cred.HMACKey, newAcctURL, k11.Public(), "")
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k11, payload: newAcct(k11, eab)})
		}})
	k7 := newECKey(t, elliptic.P256())
	add(badCase{name: "EAB not HS256", wantType: "malformed", wantStatus: 400, detail: "HS256", unchanged: e.noAccountFor(k7),
		send: func(t *testing.T) *response {
			cred := e.newEAB(t, e.contract)
			eab := eabJWS(t, cred.KeyID, cred.HMACKey, newAcctURL, k7.Public(), "HS512")
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k7, payload: newAcct(k7, eab)})
		}})
	k8 := newECKey(t, elliptic.P256())
	add(badCase{name: "EAB for another key", wantType: "malformed", wantStatus: 400, unchanged: e.noAccountFor(k8),
		send: func(t *testing.T) *response {
			cred := e.newEAB(t, e.contract)
			eab := eabJWS(t, cred.KeyID, cred.HMACKey, newAcctURL, newECKey(t, elliptic.P256()).Public(), "")
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k8, payload: newAcct(k8, eab)})
		}})
	k9 := newECKey(t, elliptic.P256())
	add(badCase{name: "terms of service not agreed", wantType: "malformed", wantStatus: 400, detail: "terms", unchanged: e.noAccountFor(k9),
		send: func(t *testing.T) *response {
			cred := e.newEAB(t, e.contract)
			p := mustJSON(t, map[string]any{"externalAccountBinding": eabJWS(t, cred.KeyID, cred.HMACKey, newAcctURL, k9.Public(), "")})
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k9, payload: p})
		}})
	k10 := newECKey(t, elliptic.P256())
	add(badCase{name: "onlyReturnExisting for an unknown key", wantType: "accountDoesNotExist", wantStatus: 400, unchanged: e.noAccountFor(k10),
		send: func(t *testing.T) *response {
			return e.signedPost(t, "/acme/new-account", rawJWS{key: k10, payload: []byte(`{"onlyReturnExisting": true}`)})
		}})
	rsa1024 := newRSAKey(t, 1024)
	add(badCase{name: "RSA-1024 account key", wantType: "badPublicKey", wantStatus: 400, unchanged: e.noAccountFor(rsa1024),
		send: func(t *testing.T) *response {
			cred := e.newEAB(t, e.contract)
			eab := eabJWS(t, cred.KeyID, cred.HMACKey, newAcctURL, rsa1024.Public(), "")
			return e.signedPost(t, "/acme/new-account", rawJWS{key: rsa1024, payload: newAcct(rsa1024, eab)})
		}})

	runBadCases(t, cases)
}
