package acme_test

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
)

func TestDirectoryAndNonce(t *testing.T) { forEachBackend(t, testDirectoryAndNonce) }

func testDirectoryAndNonce(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	req, _ := http.NewRequest(http.MethodGet, e.directoryURL(), nil)
	r := e.do(t, req)
	if r.status != http.StatusOK {
		t.Fatalf("directory: got status %d, want 200", r.status)
	}
	var dir struct {
		NewNonce, NewAccount, NewOrder, RevokeCert, KeyChange string
		Meta                                                  struct {
			TermsOfService          string
			Website                 string
			CAAIdentities           []string
			ExternalAccountRequired bool
		}
	}
	if err := json.Unmarshal(r.body, &dir); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{
		"newNonce": dir.NewNonce, "newAccount": dir.NewAccount, "newOrder": dir.NewOrder,
		"revokeCert": dir.RevokeCert, "keyChange": dir.KeyChange,
	} {
		if !strings.HasPrefix(got, e.baseURL+"/acme/") {
			t.Errorf("%s: got %q, want a URL under %s/acme/", name, got, e.baseURL)
		}
	}
	if got, want := dir.Meta.TermsOfService, testTOS; got != want {
		t.Errorf("meta.termsOfService: got %q, want %q", got, want)
	}
	if !dir.Meta.ExternalAccountRequired {
		t.Errorf("meta.externalAccountRequired: got false, want true")
	}
	if got, want := dir.Meta.CAAIdentities, []string{"kakuin.example.com"}; !slices.Equal(got, want) {
		t.Errorf("meta.caaIdentities: got %v, want %v", got, want)
	}

	tests := []struct {
		method string
		want   int
	}{
		{http.MethodHead, http.StatusOK},
		{http.MethodGet, http.StatusNoContent},
		{http.MethodPost, http.StatusMethodNotAllowed},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, dir.NewNonce, nil)
			r := e.do(t, req)
			if r.status != tc.want {
				t.Errorf("status: got %d, want %d", r.status, tc.want)
			}
			n := r.header.Get("Replay-Nonce")
			if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(n) || seen[n] {
				t.Errorf("Replay-Nonce: got %q, want a fresh base64url nonce", n)
			}
			seen[n] = true
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			if got := r.header.Get("Link"); !strings.Contains(got, `rel="index"`) {
				t.Errorf("Link: got %q, want rel=\"index\"", got)
			}
		})
	}
}

// TestAccountLifecycle covers existing-account lookup, contact update,
// key change (the old key is refused afterwards) and deactivation.
func TestAccountLifecycle(t *testing.T) { forEachBackend(t, testAccountLifecycle) }

func testAccountLifecycle(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	oldKey := newECKey(t, elliptic.P256())
	c := e.register(t, oldKey)

	t.Run("existing account", func(t *testing.T) {
		again := e.client(oldKey)
		_, err := again.Register(ctx, &xacme.Account{}, xacme.AcceptTOS)
		if !errors.Is(err, xacme.ErrAccountAlreadyExists) {
			t.Fatalf("Register with the same key: got %v, want ErrAccountAlreadyExists", err)
		}
		if again.KID != c.KID {
			t.Errorf("Location: got %q, want %q", again.KID, c.KID)
		}
	})
	t.Run("contact update", func(t *testing.T) {
		a, err := c.UpdateReg(ctx, &xacme.Account{Contact: []string{"mailto:new@kakuin-test.example.com"}})
		if err != nil {
			t.Fatalf("UpdateReg: %v", err)
		}
		if got, want := a.Contact, []string{"mailto:new@kakuin-test.example.com"}; !slices.Equal(got, want) {
			t.Errorf("contact: got %v, want %v", got, want)
		}
		if got := e.accountOf(t, c).Contact; !slices.Equal(got, a.Contact) {
			t.Errorf("stored contact: got %v, want %v", got, a.Contact)
		}
	})
	t.Run("key change", func(t *testing.T) {
		other := e.register(t, nil)
		err := c.AccountKeyRollover(ctx, other.Key)
		var ae *xacme.Error
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict || ae.Header.Get("Location") != string(other.KID) {
			t.Fatalf("rollover to another account's key: got %v, want 409 with Location %s", err, other.KID)
		}
		newKey := newECKey(t, elliptic.P256())
		if err := c.AccountKeyRollover(ctx, newKey); err != nil {
			t.Fatalf("AccountKeyRollover: %v", err)
		}
		if _, err := c.GetReg(ctx, ""); err != nil {
			t.Errorf("GetReg with the new key: %v", err)
		}
		r := e.signedPost(t, e.pathOf(string(c.KID)), rawJWS{key: oldKey, kid: string(c.KID)})
		if got, want := r.problemType(), "malformed"; got != want {
			t.Errorf("old key with kid: got %q, want %q", got, want)
		}
		if _, err := e.client(oldKey).GetReg(ctx, ""); !errors.Is(err, xacme.ErrNoAccount) {
			t.Errorf("old key lookup: got %v, want ErrNoAccount", err)
		}
	})
	t.Run("deactivation", func(t *testing.T) {
		if err := c.DeactivateReg(ctx); err != nil {
			t.Fatalf("DeactivateReg: %v", err)
		}
		if got := e.accountOf(t, c).Status; got != acme.StatusDeactivated {
			t.Errorf("stored status: got %q, want deactivated", got)
		}
		_, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("after.kakuin-acct.example.com"))
		var ae *xacme.Error
		if !errors.As(err, &ae) || ae.ProblemType != "urn:ietf:params:acme:error:unauthorized" {
			t.Errorf("newOrder after deactivation: got %v, want unauthorized", err)
		}
	})
}

// TestOrderAndAuthzReuse checks that a pending order is returned again for
// the same names, and that valid and pending authorizations are reused.
func TestOrderAndAuthzReuse(t *testing.T) { forEachBackend(t, testOrderAndAuthzReuse) }

func testOrderAndAuthzReuse(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	c := e.register(t, nil)

	o1, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.kakuin-reuse.example.com", "b.kakuin-reuse.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	o2, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("B.kakuin-reuse.example.com.", "a.kakuin-reuse.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if o2.URI != o1.URI {
		t.Errorf("same names: got order %s, want the existing %s", o2.URI, o1.URI)
	}
	o3, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.kakuin-reuse.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if o3.URI == o1.URI {
		t.Errorf("a subset of the names: got the same order, want a new one")
	}
	if !slices.Contains(o1.AuthzURLs, o3.AuthzURLs[0]) {
		t.Errorf("pending authorization for a: got %s, want one of %v", o3.AuthzURLs[0], o1.AuthzURLs)
	}
	if got, want := o3.Identifiers, []xacme.AuthzID{{Type: "dns", Value: "a.kakuin-reuse.example.com"}}; !slices.Equal(got, want) {
		t.Errorf("identifiers: got %v, want %v", got, want)
	}

	valid := e.authorize(t, c, acme.ChallengeHTTP01, "a.kakuin-reuse.example.com")
	o4, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.kakuin-reuse.example.com", "c.kakuin-reuse.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(o4.AuthzURLs, valid.AuthzURLs[0]) {
		t.Errorf("valid authorization for a: got %v, want it to contain %s", o4.AuthzURLs, valid.AuthzURLs[0])
	}
	if o4.Status != xacme.StatusPending {
		t.Errorf("order with one valid authorization: got %q, want pending", o4.Status)
	}
	if _, _, err := c.CreateOrderCert(ctx, valid.FinalizeURL, newCSR(t, newECKey(t, elliptic.P256()), "a.kakuin-reuse.example.com"), true); err != nil {
		t.Fatalf("finalize: %v", err)
	}
	o5, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.kakuin-reuse.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if o5.URI == valid.URI || o5.Status != xacme.StatusReady {
		t.Errorf("after issuance: got order %s status %q, want a new ready order", o5.URI, o5.Status)
	}
}

// TestOrdersListPagination pages through an account's orders.
func TestOrdersListPagination(t *testing.T) { forEachBackend(t, testOrdersListPagination) }

func testOrdersListPagination(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	acme.SetOrdersPageSize(e.srv, 2)
	ctx := context.Background()
	key := newECKey(t, elliptic.P256())
	c := e.register(t, key)
	var want []string
	for _, n := range []string{"1", "2", "3", "4", "5"} {
		o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("o"+n+".kakuin-list.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, o.URI)
	}
	var got []string
	pages := 0
	url := string(c.KID) + "/orders"
	for url != "" {
		pages++
		r := e.signedPost(t, e.pathOf(url), rawJWS{key: key, kid: string(c.KID)})
		if r.status != http.StatusOK {
			t.Fatalf("orders page: got %d: %s", r.status, r.body)
		}
		var page struct{ Orders []string }
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Orders...)
		url = ""
		for _, l := range r.header.Values("Link") {
			if m := regexp.MustCompile(`^<([^>]+)>;rel="next"$`).FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("orders: got %v, want %v", got, want)
	}
	if pages != 3 {
		t.Errorf("pages: got %d, want 3", pages)
	}
}

// TestRevocation revokes by the ordering account and by the certificate key.
func TestRevocation(t *testing.T) { forEachBackend(t, testRevocation) }

func testRevocation(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	c := e.register(t, nil)
	tests := []struct {
		name      string
		byCertKey bool
		reason    xacme.CRLReasonCode
	}{
		{"by account", false, xacme.CRLReasonSuperseded},
		{"by certificate key", true, xacme.CRLReasonKeyCompromise},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := []string{"acct", "key"}[i] + ".kakuin-revoke.example.com"
			o := e.authorize(t, c, acme.ChallengeHTTP01, name)
			certKey := newECKey(t, elliptic.P256())
			chain, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, newCSR(t, certKey, name), true)
			if err != nil {
				t.Fatal(err)
			}
			var signer = certKey
			if !tc.byCertKey {
				signer = nil
			}
			if signer == nil {
				err = c.RevokeCert(ctx, nil, chain[0], tc.reason)
			} else {
				err = c.RevokeCert(ctx, signer, chain[0], tc.reason)
			}
			if err != nil {
				t.Fatalf("RevokeCert: %v", err)
			}
			leaf, _ := x509.ParseCertificate(chain[0])
			stored, err := e.store.GetCertificate(ctx, caSerial(leaf))
			if err != nil {
				t.Fatal(err)
			}
			if stored.RevokedAt == nil || stored.RevokedReason != int(tc.reason) {
				t.Errorf("stored: got revoked %v reason %d, want revoked with reason %d", stored.RevokedAt, stored.RevokedReason, tc.reason)
			}
			if tc.reason != xacme.CRLReasonKeyCompromise {
				return
			}
			// A key revoked for keyCompromise is blocked for every later order.
			again := e.authorize(t, c, acme.ChallengeHTTP01, "again."+name)
			_, _, err = c.CreateOrderCert(ctx, again.FinalizeURL, newCSR(t, certKey, "again."+name), true)
			var ae *xacme.Error
			if !errors.As(err, &ae) || ae.ProblemType != "urn:ietf:params:acme:error:badPublicKey" || !strings.Contains(ae.Detail, "keyCompromise") {
				t.Errorf("finalize with the compromised key: got %v, want badPublicKey naming keyCompromise", err)
			}
		})
	}
}

// TestChallengeBehaviour checks a repeated POST to a valid challenge, the
// Link up and Retry-After headers, a failed validation and authorization
// deactivation.
func TestChallengeBehaviour(t *testing.T) { forEachBackend(t, testChallengeBehaviour) }

func testChallengeBehaviour(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	ctx := context.Background()
	key := newECKey(t, elliptic.P256())
	c := e.register(t, key)
	kid := string(c.KID)

	t.Run("repeated POST to a valid challenge", func(t *testing.T) {
		o := e.authorize(t, c, acme.ChallengeHTTP01, "valid.kakuin-chall.example.com")
		az, err := c.GetAuthorization(ctx, o.AuthzURLs[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := len(az.Challenges); got != 1 {
			t.Errorf("challenges of a valid authorization: got %d, want 1", got)
		}
		ch := az.Challenges[0]
		r := e.signedPost(t, e.pathOf(ch.URI), rawJWS{key: key, kid: kid, payload: []byte(`{}`)})
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `"status":"valid"`) {
			t.Errorf("repeated POST: got %d %s, want 200 valid", r.status, r.body)
		}
		if got, want := r.header.Values("Link"), `<`+o.AuthzURLs[0]+`>;rel="up"`; !slices.Contains(got, want) {
			t.Errorf("Link: got %v, want %s", got, want)
		}
	})
	t.Run("failed validation", func(t *testing.T) {
		o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("fail.kakuin-chall.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		az, err := c.GetAuthorization(ctx, o.AuthzURLs[0])
		if err != nil {
			t.Fatal(err)
		}
		var ch *xacme.Challenge
		for _, x := range az.Challenges {
			if x.Type == acme.ChallengeHTTP01 {
				ch = x
			}
		}
		e.http01.set(ch.Token, "wrong-key-authorization")
		r := e.signedPost(t, e.pathOf(ch.URI), rawJWS{key: key, kid: kid, payload: []byte(`{}`)})
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `"status":"processing"`) {
			t.Fatalf("start: got %d %s, want 200 processing", r.status, r.body)
		}
		if r.header.Get("Retry-After") == "" {
			t.Errorf("processing challenge has no Retry-After")
		}
		_, err = c.WaitAuthorization(ctx, o.AuthzURLs[0])
		var ae *xacme.AuthorizationError
		if !errors.As(err, &ae) {
			t.Fatalf("WaitAuthorization: got %v, want an AuthorizationError", err)
		}
		r = e.signedPost(t, e.pathOf(ch.URI), rawJWS{key: key, kid: kid})
		var failed struct {
			Status string
			Error  struct{ Type, Detail string }
		}
		if err := json.Unmarshal(r.body, &failed); err != nil {
			t.Fatalf("challenge: %v: %s", err, r.body)
		}
		wantErr := struct{ Type, Detail string }{"urn:ietf:params:acme:error:incorrectResponse",
			`key authorization mismatch: got "wrong-key-authorization"`}
		if failed.Status != acme.StatusInvalid || failed.Error != wantErr {
			t.Errorf("failed challenge: got %s %+v, want invalid with %+v", failed.Status, failed.Error, wantErr)
		}
		_, err = c.WaitOrder(ctx, o.URI)
		var oe *xacme.OrderError
		if !errors.As(err, &oe) || oe.Status != xacme.StatusInvalid {
			t.Errorf("WaitOrder: got %v, want an invalid order", err)
		}
		r = e.signedPost(t, e.pathOf(ch.URI), rawJWS{key: key, kid: kid, payload: []byte(`{}`)})
		if got := r.problemType(); got != "malformed" {
			t.Errorf("retry of an invalid challenge: got %q, want malformed", got)
		}
	})
	t.Run("authorization deactivation", func(t *testing.T) {
		o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("deact.kakuin-chall.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		r := e.signedPost(t, e.pathOf(o.AuthzURLs[0]), rawJWS{key: key, kid: kid})
		if r.header.Get("Retry-After") == "" {
			t.Errorf("pending authorization has no Retry-After")
		}
		if err := c.RevokeAuthorization(ctx, o.AuthzURLs[0]); err != nil {
			t.Fatalf("deactivate: %v", err)
		}
		az, err := c.GetAuthorization(ctx, o.AuthzURLs[0])
		if err != nil {
			t.Fatal(err)
		}
		if az.Status != acme.StatusDeactivated {
			t.Errorf("authorization: got %q, want deactivated", az.Status)
		}
		got, err := c.GetOrder(ctx, o.URI)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != xacme.StatusInvalid {
			t.Errorf("order: got %q, want invalid", got.Status)
		}
	})
}

// TestNoncesAcrossServers checks that two servers over one database
// accept each other's nonces exactly once.
func TestNoncesAcrossServers(t *testing.T) { forEachBackend(t, testNoncesAcrossServers) }

func testNoncesAcrossServers(t *testing.T, backend string) {
	e1 := newEnv(t, envOptions{backend: backend})
	e2 := newEnv(t, envOptions{shareWith: e1})
	key := newECKey(t, elliptic.P256())
	c := e1.register(t, key)
	path := e1.pathOf(string(c.KID))
	n := e1.nonce(t)
	r := e2.signedPost(t, path, rawJWS{key: key, kid: e2.baseURL + path, nonce: n})
	if r.status != http.StatusOK {
		t.Fatalf("server 2 with server 1's nonce: got %d %s, want 200", r.status, r.body)
	}
	r = e1.signedPost(t, path, rawJWS{key: key, kid: string(c.KID), nonce: n})
	if got := r.problemType(); got != "badNonce" {
		t.Errorf("server 1 reusing the nonce: got %q, want badNonce", got)
	}
}
