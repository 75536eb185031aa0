package acme_test

import (
	"context"
	"crypto/elliptic"
	"errors"
	"net/http"
	"strings"
	"testing"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/acme/validation"
	"github.com/kakuin/kakuin/internal/testdns"
)

var _ acme.Validator = (*validation.Validator)(nil)

const errNS = "urn:ietf:params:acme:error:"

// caaProp returns a non-critical CAA property.
func caaProp(tag, value string) testdns.CAA { return testdns.CAA{Tag: tag, Value: value} }

// setCAA replaces the CAA records of name, which keeps resolving to
// 127.0.0.1 (testdns answers the default A record only for names without
// records of their own).
func (e *testEnv) setCAA(name string, records ...testdns.CAA) {
	e.dns.SetA(name, "127.0.0.1")
	e.dns.SetCAA(name, records...)
}

// TestCAAAtValidation checks CAA when a challenge is met: a refusal makes
// the challenge and its authorization invalid with the caa problem, a
// failed lookup with the dns problem.
func TestCAAAtValidation(t *testing.T) {
	e := newEnv(t, envOptions{policy: acme.Policy{AllowWildcards: true}})
	other := e.register(t, nil)
	tests := []struct {
		name       string
		records    map[string][]testdns.CAA // owner → records
		servfail   string
		typ        string
		ident      string
		wantType   string
		wantDetail string
	}{
		{
			name:       "issue names another CA",
			records:    map[string][]testdns.CAA{"other-ca.kakuin-caa.example.com": {caaProp("issue", "other-ca.example")}},
			typ:        acme.ChallengeHTTP01,
			ident:      "other-ca.kakuin-caa.example.com",
			wantType:   "caa",
			wantDetail: `CAA record for other-ca.kakuin-caa.example.com prevents issuance: issue "other-ca.example" does not name kakuin.example.com`,
		},
		{
			name: "accounturi of another account",
			records: map[string][]testdns.CAA{"acct.kakuin-caa.example.com": {
				caaProp("issue", "kakuin.example.com; accounturi="+string(other.KID)),
			}},
			typ:        acme.ChallengeHTTP01,
			ident:      "acct.kakuin-caa.example.com",
			wantType:   "caa",
			wantDetail: "is limited to another ACME account",
		},
		{
			name: "validationmethods=dns-01 refuses http-01",
			records: map[string][]testdns.CAA{"methods.kakuin-caa.example.com": {
				caaProp("issue", "kakuin.example.com; validationmethods=dns-01"),
			}},
			typ:        acme.ChallengeHTTP01,
			ident:      "methods.kakuin-caa.example.com",
			wantType:   "caa",
			wantDetail: `issue "kakuin.example.com; validationmethods=dns-01" does not allow validation by http-01`,
		},
		{
			name:       "validationmethods=http-01 refuses tls-alpn-01",
			records:    map[string][]testdns.CAA{"alpn.kakuin-caa.example.com": {caaProp("issue", "kakuin.example.com; validationmethods=http-01")}},
			typ:        acme.ChallengeTLSALPN01,
			ident:      "alpn.kakuin-caa.example.com",
			wantType:   "caa",
			wantDetail: "does not allow validation by tls-alpn-01",
		},
		{
			name:       "record at a parent domain applies",
			records:    map[string][]testdns.CAA{"kakuin-caaparent.example.com": {caaProp("issue", ";")}},
			typ:        acme.ChallengeDNS01,
			ident:      "www.kakuin-caaparent.example.com",
			wantType:   "caa",
			wantDetail: `CAA record for kakuin-caaparent.example.com prevents issuance for www.kakuin-caaparent.example.com: issue ";" forbids issuance by any CA`,
		},
		{
			name:       "unknown critical property",
			records:    map[string][]testdns.CAA{"critical.kakuin-caa.example.com": {{Flag: 128, Tag: "tbs", Value: "x"}}},
			typ:        acme.ChallengeHTTP01,
			ident:      "critical.kakuin-caa.example.com",
			wantType:   "caa",
			wantDetail: `critical property "tbs" is not understood`,
		},
		{
			name: "issuewild for a wildcard",
			records: map[string][]testdns.CAA{"kakuin-caawild.example.com": {
				caaProp("issue", "kakuin.example.com"), caaProp("issuewild", "other-ca.example"),
			}},
			typ:        acme.ChallengeDNS01,
			ident:      "*.kakuin-caawild.example.com",
			wantType:   "caa",
			wantDetail: `CAA record for kakuin-caawild.example.com prevents issuance for *.kakuin-caawild.example.com: issuewild "other-ca.example" does not name kakuin.example.com`,
		},
		{
			name:       "SERVFAIL on the way up",
			servfail:   "kakuin-caaservfail.example.com",
			typ:        acme.ChallengeHTTP01,
			ident:      "www.kakuin-caaservfail.example.com",
			wantType:   "dns",
			wantDetail: "CAA lookup for www.kakuin-caaservfail.example.com failed, so issuance is refused: DNS problem: SERVFAIL looking up CAA for kakuin-caaservfail.example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for owner, recs := range tt.records {
				e.setCAA(owner, recs...)
			}
			if tt.servfail != "" {
				e.dns.SetServFail(tt.servfail, true)
				t.Cleanup(func() { e.dns.SetServFail(tt.servfail, false) })
			}
			c := e.register(t, nil)
			o, p := e.tryAuthorize(t, c, tt.typ, tt.ident)
			if p == nil {
				t.Fatalf("authorization: got valid, want invalid with %s", tt.wantType)
			}
			if got, want := p.ProblemType, errNS+tt.wantType; got != want {
				t.Errorf("problem type: got %q (%s), want %q", got, p.Detail, want)
			}
			if !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("detail: got %q, want it to contain %q", p.Detail, tt.wantDetail)
			}
			az, err := c.GetAuthorization(context.Background(), o.AuthzURLs[0])
			if err != nil {
				t.Fatal(err)
			}
			if az.Status != acme.StatusInvalid {
				t.Errorf("authorization: got %q, want invalid", az.Status)
			}
		})
	}
}

// TestCAAPermits issues when CAA allows it: records naming this CA for
// this account and method, records a wildcard ignores, and no records.
func TestCAAPermits(t *testing.T) {
	e := newEnv(t, envOptions{policy: acme.Policy{AllowWildcards: true}})
	c := e.register(t, nil)
	acct := string(c.KID)
	tests := []struct {
		name    string
		records map[string][]testdns.CAA
		typ     string
		names   []string
	}{
		{
			name: "issue with this account and http-01",
			records: map[string][]testdns.CAA{"kakuin-caaok.example.com": {
				caaProp("issue", "other-ca.example"),
				caaProp("issue", "kakuin.example.com; accounturi="+acct+"; validationmethods=http-01"),
			}},
			typ:   acme.ChallengeHTTP01,
			names: []string{"kakuin-caaok.example.com", "www.kakuin-caaok.example.com"},
		},
		{
			name: "issuewild for a wildcard, issue for its base",
			records: map[string][]testdns.CAA{"kakuin-caaokwild.example.com": {
				caaProp("issue", "kakuin.example.com; validationmethods=dns-01"),
				caaProp("issuewild", "Kakuin.Example.COM; accounturi="+acct),
				{Flag: 128, Tag: "iodef", Value: "mailto:caa@kakuin-caaokwild.example.com"},
			}},
			typ:   acme.ChallengeDNS01,
			names: []string{"*.kakuin-caaokwild.example.com", "kakuin-caaokwild.example.com"},
		},
		{
			name: "issuewild alone leaves other names unrestricted",
			records: map[string][]testdns.CAA{"kakuin-caaonlywild.example.com": {
				caaProp("issuewild", ";"),
			}},
			typ:   acme.ChallengeTLSALPN01,
			names: []string{"kakuin-caaonlywild.example.com"},
		},
		{
			name:  "no CAA records",
			typ:   acme.ChallengeHTTP01,
			names: []string{"kakuin-nocaa.example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for owner, recs := range tt.records {
				e.setCAA(owner, recs...)
			}
			chain, _, _ := e.issue(t, c, tt.typ, tt.names...)
			if len(chain) == 0 {
				t.Fatal("no certificate")
			}
		})
	}
}

// TestCAAAtFinalize checks CAA again at finalize: a change since
// validation fails the order with its problem, and nothing is issued.
func TestCAAAtFinalize(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name       string
		typ        string
		names      []string
		change     func(t *testing.T)
		wantType   string
		wantStatus int
		wantDetail string
	}{
		{
			name:  "record added after validation",
			typ:   acme.ChallengeHTTP01,
			names: []string{"kakuin-late.example.com", "www.kakuin-late.example.com"},
			change: func(t *testing.T) {
				e.setCAA("www.kakuin-late.example.com", caaProp("issue", "other-ca.example"))
			},
			wantType:   "caa",
			wantStatus: http.StatusForbidden,
			wantDetail: `CAA record for www.kakuin-late.example.com prevents issuance: issue "other-ca.example" does not name kakuin.example.com`,
		},
		{
			name:  "method of the validating challenge",
			typ:   acme.ChallengeHTTP01,
			names: []string{"kakuin-latemethod.example.com"},
			change: func(t *testing.T) {
				e.setCAA("kakuin-latemethod.example.com", caaProp("issue", "kakuin.example.com; validationmethods=dns-01"))
			},
			wantType:   "caa",
			wantStatus: http.StatusForbidden,
			wantDetail: "does not allow validation by http-01",
		},
		{
			name:  "SERVFAIL at finalize",
			typ:   acme.ChallengeDNS01,
			names: []string{"www.kakuin-lateservfail.example.com"},
			change: func(t *testing.T) {
				e.dns.SetServFail("kakuin-lateservfail.example.com", true)
				t.Cleanup(func() { e.dns.SetServFail("kakuin-lateservfail.example.com", false) })
			},
			wantType:   "dns",
			wantStatus: http.StatusBadRequest,
			wantDetail: "CAA lookup for www.kakuin-lateservfail.example.com failed, so issuance is refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c := e.register(t, nil)
			o := e.authorize(t, c, tt.typ, tt.names...)
			tt.change(t)
			_, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, newCSR(t, newECKey(t, elliptic.P256()), tt.names...), true)
			var ae *xacme.Error
			if !errors.As(err, &ae) {
				t.Fatalf("CreateOrderCert: got %v, want a problem", err)
			}
			if ae.ProblemType != errNS+tt.wantType || ae.StatusCode != tt.wantStatus || !strings.Contains(ae.Detail, tt.wantDetail) {
				t.Errorf("finalize: got %d %s %q, want %d %s containing %q", ae.StatusCode, ae.ProblemType, ae.Detail,
					tt.wantStatus, errNS+tt.wantType, tt.wantDetail)
			}
			got, err := c.GetOrder(ctx, o.URI)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != xacme.StatusInvalid || got.CertURL != "" {
				t.Errorf("order: got %s with certificate %q, want invalid without one", got.Status, got.CertURL)
			}
			if got.Error == nil || got.Error.ProblemType != errNS+tt.wantType {
				t.Errorf("order error: got %v, want %s", got.Error, tt.wantType)
			}
			e.wantRefusalAudited(t, o.URI, "CAA: ")
		})
	}
}
