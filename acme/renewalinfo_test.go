package acme_test

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
)

// renewalInfo is a parsed renewalInfo response (RFC 9773 §4.2).
type renewalInfo struct {
	SuggestedWindow struct{ Start, End time.Time }
	ExplanationURL  string
	retryAfter      string
}

// getRenewalInfo fetches the renewalInfo of the ARI identifier and checks
// that the answer is a well-formed 200.
func (e *testEnv) getRenewalInfo(t *testing.T, id string) renewalInfo {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.baseURL+"/acme/renewal-info/"+id, nil)
	r := e.do(t, req)
	if r.status != http.StatusOK {
		t.Fatalf("renewalInfo %s: got %d %s, want 200", id, r.status, r.body)
	}
	var ri renewalInfo
	if err := json.Unmarshal(r.body, &ri); err != nil {
		t.Fatalf("renewalInfo body %s: %v", r.body, err)
	}
	if !ri.SuggestedWindow.Start.Before(ri.SuggestedWindow.End) {
		t.Errorf("window %v – %v: start is not before end (RFC 9773 §4.2)", ri.SuggestedWindow.Start, ri.SuggestedWindow.End)
	}
	ri.retryAfter = r.header.Get("Retry-After")
	return ri
}

// TestRenewalInfo checks ARI (RFC 9773): the directory's renewalInfo, the
// default window in the last third of the validity, a window an operator
// pulls forward, an immediate window for revoked certificates and blocked
// keys, Retry-After, and the errors for bad identifiers.
func TestRenewalInfo(t *testing.T) { forEachBackend(t, testRenewalInfo) }

func testRenewalInfo(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend, policy: acme.Policy{RenewalInfoRetryAfter: 90 * time.Minute}})
	ctx := context.Background()

	req, _ := http.NewRequest(http.MethodGet, e.directoryURL(), nil)
	var dir struct{ RenewalInfo string }
	if err := json.Unmarshal(e.do(t, req).body, &dir); err != nil || dir.RenewalInfo != e.baseURL+"/acme/renewal-info" {
		t.Fatalf("directory renewalInfo: got %q (%v), want %s/acme/renewal-info", dir.RenewalInfo, err, e.baseURL)
	}

	c := e.register(t, nil)
	chain, _, _ := e.issue(t, c, acme.ChallengeHTTP01, "ari.kakuin-test.example.com")
	leaf, _ := x509.ParseCertificate(chain[0])
	id := ariID(t, chain[0])

	t.Run("default window", func(t *testing.T) {
		ri := e.getRenewalInfo(t, id)
		validity := leaf.NotAfter.Add(time.Second).Sub(leaf.NotBefore)
		wantStart := leaf.NotBefore.Add(validity - validity/3)
		if d := ri.SuggestedWindow.Start.Sub(wantStart); d < -time.Second || d > time.Second {
			t.Errorf("start %v, want the last third of the validity, from %v", ri.SuggestedWindow.Start, wantStart)
		}
		if end, latest := ri.SuggestedWindow.End, leaf.NotAfter.Add(-validity/6); end.After(latest.Add(time.Second)) {
			t.Errorf("end %v, want at least a sixth of the validity left (by %v)", end, latest)
		}
		if ri.retryAfter != "5400" {
			t.Errorf("Retry-After %q, want 5400 (Policy.RenewalInfoRetryAfter)", ri.retryAfter)
		}
		if ri.ExplanationURL != "" {
			t.Errorf("explanationURL %q, want none", ri.ExplanationURL)
		}
	})

	t.Run("pulled forward", func(t *testing.T) {
		now := e.now()
		win := acme.RenewalWindow{Start: now, End: now.Add(24 * time.Hour), ExplanationURL: "https://kakuin.example.com/incidents/1"}
		got, err := e.store.PullRenewalForward(ctx, acme.RenewalSelection{Serials: []string{caSerial(leaf)}}, win, now, "operator:test")
		if err != nil || len(got) != 1 {
			t.Fatalf("PullRenewalForward: %v %v", got, err)
		}
		ri := e.getRenewalInfo(t, id)
		if !ri.SuggestedWindow.Start.Equal(now.Truncate(time.Second)) || ri.ExplanationURL != win.ExplanationURL {
			t.Errorf("got %v – %v %q, want the operator's window from %v with its explanation", ri.SuggestedWindow.Start,
				ri.SuggestedWindow.End, ri.ExplanationURL, now)
		}
	})

	t.Run("revoked or blocked key", func(t *testing.T) {
		blockedKey := newECKey(t, elliptic.P256())
		var ids []string
		for _, name := range []string{"one.ari-revoked.example.com", "two.ari-revoked.example.com"} {
			o := e.authorize(t, c, acme.ChallengeHTTP01, name)
			ch, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, newCSR(t, blockedKey, name), true)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ariID(t, ch[0]))
			if len(ids) == 1 {
				if err := c.RevokeCert(ctx, nil, ch[0], xacme.CRLReasonSuperseded); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Revoked for superseded: renew now. Then the other certificate's
		// key is blocked by a keyCompromise revocation of a third.
		if ri := e.getRenewalInfo(t, ids[0]); !ri.SuggestedWindow.End.Before(e.now()) {
			t.Errorf("revoked: window ends %v, want in the past", ri.SuggestedWindow.End)
		}
		if ri := e.getRenewalInfo(t, ids[1]); !ri.SuggestedWindow.End.After(e.now()) {
			t.Fatalf("before keyCompromise: window ends %v, want in the future", ri.SuggestedWindow.End)
		}
		o := e.authorize(t, c, acme.ChallengeHTTP01, "three.ari-revoked.example.com")
		ch, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, newCSR(t, blockedKey, "three.ari-revoked.example.com"), true)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.RevokeCert(ctx, blockedKey, ch[0], xacme.CRLReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		if ri := e.getRenewalInfo(t, ids[1]); !ri.SuggestedWindow.End.Before(e.now()) {
			t.Errorf("key compromised: window ends %v, want in the past", ri.SuggestedWindow.End)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		aki, _, _ := strings.Cut(id, ".")
		otherAKI := base64.RawURLEncoding.EncodeToString([]byte("another issuer's key id"))
		_, serial, _ := strings.Cut(id, ".")
		for _, tt := range []struct {
			name, method, path string
			status             int
			problem            string
		}{
			{"not an identifier", http.MethodGet, "/acme/renewal-info/not-an-id", 400, "malformed"},
			{"bad base64", http.MethodGet, "/acme/renewal-info/" + aki + ".!!", 400, "malformed"},
			{"serial too long", http.MethodGet, "/acme/renewal-info/" + aki + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 22)), 400, "malformed"},
			{"unknown serial", http.MethodGet, "/acme/renewal-info/" + aki + ".AQID", 404, "malformed"},
			{"another issuer", http.MethodGet, "/acme/renewal-info/" + otherAKI + "." + serial, 404, "malformed"},
			{"no identifier", http.MethodGet, "/acme/renewal-info/", 404, "malformed"},
			{"POST", http.MethodPost, "/acme/renewal-info/" + id, 405, "malformed"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(tt.method, e.baseURL+tt.path, nil)
				r := e.do(t, req)
				if r.status != tt.status || r.problemType() != tt.problem {
					t.Errorf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.problem)
				}
				if tt.status == 405 && r.header.Get("Allow") != http.MethodGet {
					t.Errorf("Allow %q, want GET", r.header.Get("Allow"))
				}
			})
		}
	})
}

// TestSuggestedWindow checks the default window against whole-day
// validities: it starts with the last third and leaves a sixth.
func TestSuggestedWindow(t *testing.T) {
	nb := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for _, days := range []int{200, 100, 47} {
		na := nb.AddDate(0, 0, days).Add(-time.Second)
		w := acme.SuggestedWindow(nb, na)
		validity := time.Duration(days) * 24 * time.Hour
		if want := nb.Add(validity * 2 / 3); !w.Start.Equal(want) {
			t.Errorf("%d days: start %v, want %v", days, w.Start, want)
		}
		if want := nb.Add(validity * 5 / 6); !w.End.Equal(want) {
			t.Errorf("%d days: end %v, want %v", days, w.End, want)
		}
	}
}
