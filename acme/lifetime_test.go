package acme_test

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
)

// TestValidAuthzExpiry checks that a valid authorization expires
// Policy.AuthzReuse after its validation: its object says so, new orders
// reuse it long after the pending lifetime it was created with, and no
// longer once it is about to expire.
func TestValidAuthzExpiry(t *testing.T) {
	const reuse = 30 * 24 * time.Hour
	e := newEnv(t, envOptions{policy: acme.Policy{AuthzReuse: reuse}})
	ctx := context.Background()
	key := newECKey(t, elliptic.P256())
	c := e.register(t, key)
	const name = "expiry.kakuin-lifetime.example.com"
	first := e.authorize(t, c, acme.ChallengeHTTP01, name)
	authzURL := first.AuthzURLs[0]
	r := e.signedPost(t, e.pathOf(authzURL), rawJWS{key: key, kid: string(c.KID)})
	var az struct {
		Status     string
		Expires    time.Time
		Challenges []struct{ Validated time.Time }
	}
	if err := json.Unmarshal(r.body, &az); err != nil || r.status != http.StatusOK {
		t.Fatalf("authorization: got %d %s (%v)", r.status, r.body, err)
	}
	if az.Status != acme.StatusValid || len(az.Challenges) != 1 || az.Challenges[0].Validated.IsZero() {
		t.Fatalf("authorization: got %s, want valid with one validated challenge", r.body)
	}
	if want := az.Challenges[0].Validated.Add(reuse); !az.Expires.Equal(want) {
		t.Errorf("expires: got %v, want validated + AuthzReuse = %v", az.Expires, want)
	}

	tests := []struct {
		name       string
		offset     time.Duration
		wantReused bool
		wantStatus string
	}{
		{"after the pending lifetime", 8 * 24 * time.Hour, true, xacme.StatusReady},
		{"within an hour of expiry", reuse - 30*time.Minute, false, xacme.StatusPending},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.offset.Store(int64(tc.offset))
			o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(name))
			if err != nil {
				t.Fatalf("AuthorizeOrder: %v", err)
			}
			if got := o.AuthzURLs[0] == authzURL; got != tc.wantReused {
				t.Errorf("reused the valid authorization: got %v, want %v", got, tc.wantReused)
			}
			if o.Status != tc.wantStatus {
				t.Errorf("order status: got %q, want %q", o.Status, tc.wantStatus)
			}
		})
	}
	t.Run("after expiry", func(t *testing.T) {
		e.offset.Store(int64(reuse + time.Minute))
		az, err := c.GetAuthorization(ctx, authzURL)
		if err != nil {
			t.Fatal(err)
		}
		if az.Status != xacme.StatusExpired {
			t.Errorf("status: got %q, want expired", az.Status)
		}
	})
}

// TestTermsOfServiceAgreement checks that an account's agreement to the
// terms of service is stored with its time and the terms URL.
func TestTermsOfServiceAgreement(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := newECKey(t, elliptic.P256())
	before := e.now()
	c := e.register(t, key)
	after := e.now()
	a := e.accountOf(t, c)
	if a.TermsAgreedAt == nil || a.TermsAgreedAt.Before(before.Truncate(time.Microsecond)) || a.TermsAgreedAt.After(after) {
		t.Errorf("TermsAgreedAt: got %v, want between %v and %v", a.TermsAgreedAt, before, after)
	}
	if a.TermsOfService != testTOS {
		t.Errorf("TermsOfService: got %q, want %q", a.TermsOfService, testTOS)
	}
	r := e.signedPost(t, e.pathOf(string(c.KID)), rawJWS{key: key, kid: string(c.KID)})
	var v struct {
		TermsOfServiceAgreed bool `json:"termsOfServiceAgreed"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil || r.status != http.StatusOK {
		t.Fatalf("account: got %d %s (%v)", r.status, r.body, err)
	}
	if !v.TermsOfServiceAgreed {
		t.Errorf("termsOfServiceAgreed: got false, want true")
	}
}

// TestInterruptedIssuanceFails checks that Run fails an order left
// processing by a finalization that died, once it has been processing for
// longer than Policy.ProcessingTimeout, and leaves a younger one alone.
func TestInterruptedIssuanceFails(t *testing.T) {
	e := newEnv(t, envOptions{policy: acme.Policy{ProcessingTimeout: 5 * time.Minute}})
	ctx := context.Background()
	key := newECKey(t, elliptic.P256())
	c := e.register(t, key)
	// A finalization that died after BeginFinalize: the order is
	// processing and nothing will complete it.
	begin := func(name string) *xacme.Order {
		o := e.authorize(t, c, acme.ChallengeHTTP01, name)
		if err := e.store.BeginFinalize(ctx, idOf(t, o.URI), e.now()); err != nil {
			t.Fatalf("BeginFinalize: %v", err)
		}
		return o
	}
	stale := begin("stale.kakuin-interrupted.example.com")
	e.offset.Store(int64(6 * time.Minute))
	young := begin("young.kakuin-interrupted.example.com")

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.srv.Run(runCtx) }()
	// Run works once when it starts; wait for it to have failed the stale
	// order (bounded, so that a broken Run fails instead of hanging).
	deadline := time.Now().Add(20 * time.Second)
	for {
		o, err := e.store.GetOrder(ctx, idOf(t, stale.URI))
		if err != nil {
			t.Fatal(err)
		}
		if o.StoredStatus != acme.StatusProcessing {
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("stale order still processing after Run started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got %v, want context.Canceled", err)
	}

	orderJSON := func(t *testing.T, url string) (status string, problem map[string]any) {
		t.Helper()
		r := e.signedPost(t, e.pathOf(url), rawJWS{key: key, kid: string(c.KID)})
		var v struct {
			Status string         `json:"status"`
			Error  map[string]any `json:"error"`
		}
		if err := json.Unmarshal(r.body, &v); err != nil || r.status != http.StatusOK {
			t.Fatalf("order: got %d %s (%v)", r.status, r.body, err)
		}
		return v.Status, v.Error
	}
	t.Run("stale order", func(t *testing.T) {
		status, p := orderJSON(t, stale.URI)
		if status != acme.StatusInvalid {
			t.Errorf("status: got %q, want invalid", status)
		}
		if p["type"] != "urn:ietf:params:acme:error:serverInternal" || p["detail"] != "issuance was interrupted; create a new order" {
			t.Errorf("error: got %v, want serverInternal saying issuance was interrupted", p)
		}
	})
	t.Run("young order", func(t *testing.T) {
		if status, p := orderJSON(t, young.URI); status != acme.StatusProcessing || p != nil {
			t.Errorf("got status %q error %v, want processing without error", status, p)
		}
	})
}

// TestValidityCrossesScheduleDate issues through ACME on either side of
// 2027-03-15 with the environment's clock: the day before, the leaf gets
// the 200 days the BR allow then; from that day, at most 100 (ca.MaxValidity).
func TestValidityCrossesScheduleDate(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(t, nil)
	for _, tt := range []struct {
		at   time.Time
		days int
	}{
		{time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC), 200},
		{time.Date(2027, 3, 15, 0, 30, 0, 0, time.UTC), 100},
		{time.Date(2027, 3, 16, 12, 0, 0, 0, time.UTC), 100},
	} {
		e.offset.Store(int64(time.Until(tt.at)))
		name := "d" + tt.at.Format("20060102t1504") + ".kakuin-schedule.example.com"
		chain, _, _ := e.issue(t, c, acme.ChallengeHTTP01, name)
		leaf, err := x509.ParseCertificate(chain[0])
		if err != nil {
			t.Fatal(err)
		}
		validity := leaf.NotAfter.Add(time.Second).Sub(leaf.NotBefore)
		if want := time.Duration(tt.days) * 24 * time.Hour; validity != want || validity != ca.MaxValidity(leaf.NotBefore) {
			t.Errorf("issued at %v: validity %v (notBefore %v), want %d days inclusive", tt.at, validity, leaf.NotBefore, tt.days)
		}
		if leaf.NotBefore.Before(tt.at.Add(-time.Hour)) || leaf.NotBefore.After(e.now()) {
			t.Errorf("issued at %v: notBefore %v, want at most an hour before", tt.at, leaf.NotBefore)
		}
	}
}
