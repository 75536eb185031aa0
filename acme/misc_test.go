package acme_test

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/vetting"
)

// TestWildcardIssuance issues a wildcard certificate through dns-01 when
// the policy allows wildcards.
func TestWildcardIssuance(t *testing.T) {
	e := newEnv(t, envOptions{policy: acme.Policy{AllowWildcards: true}})
	ctx := context.Background()
	c := e.register(t, nil)
	names := []string{"*.kakuin-wild.example.com", "kakuin-wild.example.com"}
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(names...))
	if err != nil {
		t.Fatal(err)
	}
	var wildcards int
	for _, u := range o.AuthzURLs {
		az, err := c.GetAuthorization(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := az.Identifier.Value, "kakuin-wild.example.com"; got != want {
			t.Errorf("authorization identifier: got %q, want %q", got, want)
		}
		if az.Wildcard {
			wildcards++
			if len(az.Challenges) != 1 || az.Challenges[0].Type != acme.ChallengeDNS01 {
				t.Errorf("wildcard authorization challenges: got %d (first %q), want only dns-01", len(az.Challenges), az.Challenges[0].Type)
			}
		}
	}
	if wildcards != 1 {
		t.Errorf("wildcard authorizations: got %d, want 1", wildcards)
	}
	chain, _, _ := e.issue(t, c, acme.ChallengeDNS01, names...)
	if len(chain) == 0 {
		t.Fatal("no certificate")
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMetricsAndLogs checks the Prometheus metrics and that the request
// log has one line per request and never an EAB HMAC key.
func TestMetricsAndLogs(t *testing.T) {
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	e := newEnv(t, envOptions{registry: reg, logs: logs})
	cred := e.newEAB(t, e.contract)
	c := e.registerWith(t, newECKey(t, elliptic.P256()), cred)
	e.issue(t, c, acme.ChallengeHTTP01, "metrics.kakuin-misc.example.com")
	// The validation goroutine records its metric after the challenge
	// turned valid; Shutdown waits for it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]int{}
	validHTTP := 0.0
	for _, mf := range mfs {
		series[mf.GetName()] = len(mf.GetMetric())
		if mf.GetName() != "kakuin_acme_validations_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["type"] == "http-01" && labels["result"] == "valid" {
				validHTTP += m.GetCounter().GetValue()
			}
		}
	}
	for _, name := range []string{"kakuin_acme_requests_total", "kakuin_acme_issuance_duration_seconds", "kakuin_acme_validations_total"} {
		if series[name] == 0 {
			t.Errorf("metric %s: got no series, want some", name)
		}
	}
	if validHTTP != 1 {
		t.Errorf("validations{type=http-01,result=valid}: got %v, want 1", validHTTP)
	}
	out := logs.String()
	if strings.Contains(out, vetting.EncodeHMAC(cred.HMACKey)) {
		t.Errorf("log contains the EAB HMAC key")
	}
	for _, want := range []string{`route=/acme/new-account status=201`, `route=/acme/order/{id}/finalize status=200`, "account="} {
		if !strings.Contains(out, want) {
			t.Errorf("log: want a line with %q", want)
		}
	}
}

// TestNewOptions checks that New refuses incomplete options.
func TestNewOptions(t *testing.T) {
	e := newEnv(t, envOptions{})
	valid := func() acme.Options {
		return acme.Options{Store: e.store, Vetting: e.vet, Issuer: e.authority, Revoker: e.status, Validator: noValidator{}, BaseURL: "https://acme.example.com"}
	}
	tests := []struct {
		name   string
		mutate func(*acme.Options)
		ok     bool
	}{
		{"valid", func(*acme.Options) {}, true},
		{"valid with port", func(o *acme.Options) { o.BaseURL = "https://acme.example.com:8443" }, true},
		{"no store", func(o *acme.Options) { o.Store = nil }, false},
		{"no vetting", func(o *acme.Options) { o.Vetting = nil }, false},
		{"no issuer", func(o *acme.Options) { o.Issuer = nil }, false},
		{"no revoker", func(o *acme.Options) { o.Revoker = nil }, false},
		{"no validator", func(o *acme.Options) { o.Validator = nil }, false},
		{"trailing slash", func(o *acme.Options) { o.BaseURL = "https://acme.example.com/" }, false},
		{"path", func(o *acme.Options) { o.BaseURL = "https://acme.example.com/acme" }, false},
		{"no scheme", func(o *acme.Options) { o.BaseURL = "acme.example.com" }, false},
		{"negative policy", func(o *acme.Options) { o.Policy.MaxNames = -1 }, false},
		{"processing timeout of a minute", func(o *acme.Options) { o.Policy.ProcessingTimeout = time.Minute }, true},
		{"processing timeout shorter than issuance", func(o *acme.Options) { o.Policy.ProcessingTimeout = 10 * time.Second }, false},
		{"negative processing timeout", func(o *acme.Options) { o.Policy.ProcessingTimeout = -time.Minute }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			tc.mutate(&o)
			_, err := acme.New(o)
			if (err == nil) != tc.ok {
				t.Errorf("New: got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// noValidator stands in only where no validation runs (option checks).
type noValidator struct{}

func (noValidator) Validate(context.Context, string, string, string, string) error { return nil }

func (noValidator) CheckCAA(context.Context, string, []string, string, string) error { return nil }

// TestShutdownCancelsValidations checks that Shutdown with an expired
// context cancels an in-flight validation, which is recorded as a
// serverInternal failure, and that no new validation starts afterwards.
func TestShutdownCancelsValidations(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	key := newECKey(t, elliptic.P256())
	c := e.register(t, key)
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("slow.kakuin-misc.example.com", "late.kakuin-misc.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	httpChallenge := func(authzURL string) *xacme.Challenge {
		az, err := c.GetAuthorization(ctx, authzURL)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range az.Challenges {
			if ch.Type == acme.ChallengeHTTP01 {
				return ch
			}
		}
		t.Fatal("no http-01 challenge")
		return nil
	}
	slow, late := httpChallenge(o.AuthzURLs[0]), httpChallenge(o.AuthzURLs[1])
	e.http01.set(slow.Token, blockResponse)
	if _, err := c.Accept(ctx, slow); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := e.srv.Shutdown(cancelled); err != context.Canceled {
		t.Errorf("Shutdown: got %v, want context.Canceled", err)
	}
	ch, err := e.store.GetChallenge(ctx, idOf(t, slow.URI))
	if err != nil {
		t.Fatal(err)
	}
	if ch.Status != acme.StatusInvalid || !strings.Contains(string(ch.Error), "serverInternal") {
		t.Errorf("interrupted challenge: got %q %s, want invalid with serverInternal", ch.Status, ch.Error)
	}
	r := e.signedPost(t, e.pathOf(late.URI), rawJWS{key: key, kid: string(c.KID), payload: []byte(`{}`)})
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("challenge after Shutdown: got %d %s, want 503", r.status, r.body)
	}
	ch, err = e.store.GetChallenge(ctx, idOf(t, late.URI))
	if err != nil || ch.Status != acme.StatusPending {
		t.Errorf("challenge refused after Shutdown: got %v (%v), want pending", ch.Status, err)
	}
}
