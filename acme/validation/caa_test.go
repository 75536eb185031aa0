package validation

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/internal/testdns"
)

const (
	testCAAIdentity = "ca.example"
	testAccountURI  = "https://ca.example/acme/acct/1"
)

// issue returns a non-critical issue property with value.
func issue(value string) testdns.CAA { return testdns.CAA{Tag: "issue", Value: value} }

// issuewild returns a non-critical issuewild property with value.
func issuewild(value string) testdns.CAA { return testdns.CAA{Tag: "issuewild", Value: value} }

func TestCheckCAA(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(s *testdns.Server)
		ident      string
		method     string // default http-01
		wantType   string
		wantDetail string
	}{
		// No Relevant RRset.
		{
			name:  "no CAA anywhere, every level NXDOMAIN",
			setup: func(s *testdns.Server) {},
			ident: "www.example.test",
		},
		{
			name:  "no CAA anywhere, names exist",
			setup: func(s *testdns.Server) { s.SetA("www.example.test", "192.0.2.1"); s.SetA("example.test", "192.0.2.1") },
			ident: "www.example.test",
		},
		{
			name: "only iodef",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", testdns.CAA{Tag: "iodef", Value: "mailto:x@example.test"})
			},
			ident: "example.test",
		},

		// issue.
		{
			name:  "issue names this CA",
			setup: func(s *testdns.Server) { s.SetCAA("example.test", issue(testCAAIdentity)) },
			ident: "example.test",
		},
		{
			name:  "issuer domain name compared case-insensitively, tag too",
			setup: func(s *testdns.Server) { s.SetCAA("example.test", testdns.CAA{Tag: "ISSUE", Value: "CA.Example"}) },
			ident: "Example.TEST.",
		},
		{
			name:       "issue names another CA",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("other-ca.example")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: `CAA record for example.test prevents issuance: issue "other-ca.example" does not name ca.example`,
		},
		{
			name:  "authorizations are additive",
			setup: func(s *testdns.Server) { s.SetCAA("example.test", issue("other-ca.example"), issue(testCAAIdentity)) },
			ident: "example.test",
		},
		{
			name:       "empty issuer forbids every CA",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue(";")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: `issue ";" forbids issuance by any CA`,
		},
		{
			name:  "empty issuer beside this CA",
			setup: func(s *testdns.Server) { s.SetCAA("example.test", issue(";"), issue(testCAAIdentity)) },
			ident: "example.test",
		},
		{
			name: "whitespace around the parts",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue(" \tca.example ; accounturi = "+testAccountURI+" ;validationmethods=http-01 "))
			},
			ident: "example.test",
		},
		{
			name:  "semicolon without parameters",
			setup: func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example;")) },
			ident: "example.test",
		},
		{
			name:  "unknown parameter ignored",
			setup: func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; policy=ev; foo-bar=a=b")) },
			ident: "example.test",
		},
		{
			name: "more properties than the detail shows",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("a.example"), issue("b.example"), issue("c.example"), issue("d.example"),
					issue("e.example"), issue("f.example"), issue("g.example"))
			},
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: `issue "e.example" does not name ca.example; and 2 more`,
		},

		// Malformed values refuse.
		{
			name:       "malformed value",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("%%%%%")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: `issue "%%%%%" is malformed, which forbids issuance (RFC 8659 §4.2)`,
		},
		{
			name:       "issuer with a trailing dot",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example.")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is malformed",
		},
		{
			name:       "two issuer names",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example other.example")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is malformed",
		},
		{
			name:       "parameter without a value",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; accounturi")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is malformed",
		},
		{
			name:       "semicolon after the last parameter",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; policy=ev;")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is malformed",
		},
		{
			name:       "space inside a parameter value",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; accounturi=a b")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is malformed",
		},
		{
			name:       "bad parameter tag",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; -x=1")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is malformed",
		},

		// Critical flag.
		{
			name: "unknown critical property",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue(testCAAIdentity), testdns.CAA{Flag: 128, Tag: "tbs", Value: "x"})
			},
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: `CAA record for example.test prevents issuance: critical property "tbs" is not understood`,
		},
		{
			name:       "unknown critical property without any issue",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", testdns.CAA{Flag: 129, Tag: "future", Value: "x"}) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: `critical property "future"`,
		},
		{
			name: "unknown non-critical property",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue(testCAAIdentity), testdns.CAA{Flag: 1, Tag: "tbs", Value: "x"})
			},
			ident: "example.test",
		},
		{
			name: "critical known properties",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", testdns.CAA{Flag: 128, Tag: "issue", Value: testCAAIdentity}, testdns.CAA{Flag: 128, Tag: "iodef", Value: "mailto:x@example.test"})
			},
			ident: "example.test",
		},

		// Tree climbing (RFC 8659 §3).
		{
			name:       "record at a grandparent applies",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("other-ca.example")) },
			ident:      "www.sub.example.test",
			wantType:   ProblemCAA,
			wantDetail: `CAA record for example.test prevents issuance for www.sub.example.test: issue "other-ca.example" does not name ca.example`,
		},
		{
			name:       "record at the top-level domain applies",
			setup:      func(s *testdns.Server) { s.SetCAA("test", issue(";")) },
			ident:      "www.example.test",
			wantType:   ProblemCAA,
			wantDetail: "CAA record for test prevents issuance for www.example.test",
		},
		{
			name: "closest record wins: allowing child",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("other-ca.example"))
				s.SetCAA("www.example.test", issue(testCAAIdentity))
			},
			ident: "www.example.test",
		},
		{
			name: "closest record wins: refusing child",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue(testCAAIdentity))
				s.SetCAA("www.example.test", issue("other-ca.example"))
			},
			ident:      "www.example.test",
			wantType:   ProblemCAA,
			wantDetail: "CAA record for www.example.test prevents issuance:",
		},
		{
			name: "child with only issuewild stops the climb",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue(";"))
				s.SetCAA("www.example.test", issuewild(";"))
			},
			ident: "www.example.test",
		},

		// issuewild (RFC 8659 §4.3).
		{
			name: "wildcard: issuewild names this CA, issue another",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("other-ca.example"), issuewild(testCAAIdentity))
			},
			ident: "*.example.test",
		},
		{
			name: "wildcard: issuewild names another CA, issue this one",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue(testCAAIdentity), issuewild("other-ca.example"))
			},
			ident:      "*.example.test",
			wantType:   ProblemCAA,
			wantDetail: `CAA record for example.test prevents issuance for *.example.test: issuewild "other-ca.example" does not name ca.example`,
		},
		{
			name:       "wildcard: issuewild forbids",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue(testCAAIdentity), issuewild(";")) },
			ident:      "*.example.test",
			wantType:   ProblemCAA,
			wantDetail: `issuewild ";" forbids issuance by any CA`,
		},
		{
			name:       "wildcard without issuewild: issue applies",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("other-ca.example")) },
			ident:      "*.example.test",
			wantType:   ProblemCAA,
			wantDetail: `issue "other-ca.example" does not name ca.example`,
		},
		{
			name: "non-wildcard ignores issuewild",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue(testCAAIdentity), issuewild("other-ca.example"))
			},
			ident: "example.test",
		},
		{
			name:  "non-wildcard with only issuewild is unrestricted",
			setup: func(s *testdns.Server) { s.SetCAA("example.test", issuewild(";")) },
			ident: "example.test",
		},

		// accounturi (RFC 8657 §3).
		{
			name:  "accounturi of this account",
			setup: func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; accounturi="+testAccountURI)) },
			ident: "example.test",
		},
		{
			name: "accounturi of another account",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("ca.example; accounturi=https://ca.example/acme/acct/2"))
			},
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: `issue "ca.example; accounturi=https://ca.example/acme/acct/2" is limited to another ACME account`,
		},
		{
			name: "accounturi differs only in case",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("ca.example; accounturi=HTTPS://ca.example/acme/acct/1"))
			},
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is limited to another ACME account",
		},
		{
			name: "accounturi tag in another case still restricts",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("ca.example; AccountURI=https://ca.example/acme/acct/2"))
			},
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is limited to another ACME account",
		},
		{
			name: "two different accounturi parameters are unsatisfiable",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("ca.example; accounturi="+testAccountURI+"; accounturi=https://ca.example/acme/acct/2"))
			},
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is limited to another ACME account",
		},
		{
			name:       "empty accounturi",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; accounturi=")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "is limited to another ACME account",
		},
		{
			name: "another account's property beside this account's",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("ca.example; accounturi=https://ca.example/acme/acct/2"), issue("ca.example; accounturi="+testAccountURI))
			},
			ident: "example.test",
		},

		// validationmethods (RFC 8657 §4).
		{
			name: "validationmethods lists the method",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("ca.example; validationmethods=dns-01,http-01"))
			},
			ident: "example.test",
		},
		{
			name:       "validationmethods without the method",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; validationmethods=dns-01")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: `issue "ca.example; validationmethods=dns-01" does not allow validation by http-01`,
		},
		{
			name:   "validationmethods with dns-01",
			setup:  func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; validationmethods=dns-01")) },
			ident:  "*.example.test",
			method: ChallengeDNS01,
		},
		{
			name:       "validationmethods empty",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; validationmethods=")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "does not allow validation by http-01",
		},
		{
			name:       "validationmethods method in another case",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; validationmethods=HTTP-01")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "does not allow validation by http-01",
		},
		{
			name: "validationmethods with an empty label",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("ca.example; validationmethods=dns-01,,http-01"))
			},
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "has a malformed validationmethods parameter",
		},
		{
			name:       "validationmethods with a bad character",
			setup:      func(s *testdns.Server) { s.SetCAA("example.test", issue("ca.example; validationmethods=http_01")) },
			ident:      "example.test",
			wantType:   ProblemCAA,
			wantDetail: "has a malformed validationmethods parameter",
		},
		{
			name: "accounturi and validationmethods together",
			setup: func(s *testdns.Server) {
				s.SetCAA("example.test", issue("ca.example; accounturi="+testAccountURI+"; validationmethods=http-01"))
			},
			ident: "example.test",
		},

		// Lookup failures refuse.
		{
			name:       "SERVFAIL at the name",
			setup:      func(s *testdns.Server) { s.SetServFail("example.test", true) },
			ident:      "example.test",
			wantType:   ProblemDNS,
			wantDetail: "CAA lookup for example.test failed, so issuance is refused: DNS problem: SERVFAIL looking up CAA for example.test",
		},
		{
			name: "SERVFAIL at a parent reached by the climb",
			setup: func(s *testdns.Server) {
				s.SetA("www.example.test", "192.0.2.1")
				s.SetServFail("example.test", true)
			},
			ident:      "*.www.example.test",
			wantType:   ProblemDNS,
			wantDetail: "CAA lookup for *.www.example.test failed, so issuance is refused: DNS problem: SERVFAIL looking up CAA for example.test",
		},
		{
			name: "SERVFAIL above the Relevant RRset is never asked",
			setup: func(s *testdns.Server) {
				s.SetCAA("www.example.test", issue(testCAAIdentity))
				s.SetServFail("example.test", true)
			},
			ident: "www.example.test",
		},

		// Bad input.
		{
			name:       "IP address",
			setup:      func(s *testdns.Server) {},
			ident:      "192.0.2.1",
			wantType:   ProblemRejectedIdentifier,
			wantDetail: "is an IP address",
		},
		{
			name:       "invalid name",
			setup:      func(s *testdns.Server) {},
			ident:      "exa mple.test",
			wantType:   ProblemRejectedIdentifier,
			wantDetail: "invalid DNS name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dns := testdns.StartT(t)
			tt.setup(dns)
			v := newValidator(t, dns, Options{})
			method := tt.method
			if method == "" {
				method = ChallengeHTTP01
			}
			err := v.CheckCAA(t.Context(), tt.ident, []string{testCAAIdentity}, testAccountURI, method)
			checkProblem(t, err, tt.wantType, tt.wantDetail)
		})
	}
}

func TestCheckCAAIdentities(t *testing.T) {
	tests := []struct {
		name       string
		identities []string
		wantType   string
		wantDetail string
	}{
		{"second identity matches", []string{"other.example", testCAAIdentity}, "", ""},
		{"none matches", []string{"a.example", "b.example"}, ProblemCAA, `does not name a.example or b.example`},
		{"none configured", nil, ProblemCAA, "names a CA, and this CA has no CAA identities configured"},
	}
	dns := testdns.StartT(t)
	dns.SetCAA("example.test", issue(testCAAIdentity))
	v := newValidator(t, dns, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.CheckCAA(t.Context(), "example.test", tt.identities, testAccountURI, ChallengeHTTP01)
			checkProblem(t, err, tt.wantType, tt.wantDetail)
		})
	}
	t.Run("no CAA needs no identity", func(t *testing.T) {
		err := v.CheckCAA(t.Context(), "other.test", nil, testAccountURI, ChallengeHTTP01)
		checkProblem(t, err, "", "")
	})
}

func TestCheckCAAResolverFailures(t *testing.T) {
	// A UDP port nothing listens on: the kernel answers "port unreachable".
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	closed := pc.LocalAddr().String()
	pc.Close()

	t.Run("resolver unreachable", func(t *testing.T) {
		v, err := New(Options{Resolver: closed})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		err = v.CheckCAA(t.Context(), "example.test", []string{testCAAIdentity}, testAccountURI, ChallengeHTTP01)
		checkProblem(t, err, ProblemDNS, "CAA lookup for example.test failed, so issuance is refused: DNS problem: networking error looking up CAA for example.test")
	})
	t.Run("context already canceled", func(t *testing.T) {
		dns := testdns.StartT(t)
		v := newValidator(t, dns, Options{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := v.CheckCAA(ctx, "example.test", []string{testCAAIdentity}, testAccountURI, ChallengeHTTP01)
		checkProblem(t, err, ProblemDNS, "canceled looking up CAA for example.test")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errors.Is(err, context.Canceled): got false, want true (err %v)", err)
		}
	})
}

func TestParseIssueValue(t *testing.T) {
	tests := []struct {
		value      string
		wantOK     bool
		wantIssuer string
		wantParams []caaParam
	}{
		{"ca.example", true, "ca.example", nil},
		{"", true, "", nil},
		{";", true, "", nil},
		{"  ;  ", true, "", nil},
		{"Ca-1.Example", true, "Ca-1.Example", nil},
		{"ca.example; a=1", true, "ca.example", []caaParam{{"a", "1"}}},
		{"ca.example;a = 1 ;\tb=x=y", true, "ca.example", []caaParam{{"a", "1"}, {"b", "x=y"}}},
		{"; a=1", true, "", []caaParam{{"a", "1"}}},
		{"ca.example; a=", true, "ca.example", []caaParam{{"a", ""}}},
		{"ca.example; a-b=1", true, "ca.example", []caaParam{{"a-b", "1"}}},
		{"ca.example; a=1;", false, "", nil},
		{"ca.example;; a=1", false, "", nil},
		{"ca.example; =1", false, "", nil},
		{"ca.example; a b=1", false, "", nil},
		{"ca.example; a_b=1", false, "", nil},
		{"ca.example; a=1 2", false, "", nil},
		{"ca.example; a=é", false, "", nil},
		{"ca..example", false, "", nil},
		{"-ca.example", false, "", nil},
		{"ca_1.example", false, "", nil},
		{"ca.example.", false, "", nil},
		{".ca.example", false, "", nil},
		{"ca.example a=1", false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, ok := parseIssueValue(tt.value)
			if ok != tt.wantOK {
				t.Fatalf("ok: got %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if got.issuer != tt.wantIssuer {
				t.Errorf("issuer: got %q, want %q", got.issuer, tt.wantIssuer)
			}
			if !slices.Equal(got.params, tt.wantParams) {
				t.Errorf("params: got %q, want %q", got.params, tt.wantParams)
			}
		})
	}
}

func TestParseValidationMethods(t *testing.T) {
	tests := []struct {
		value  string
		want   []string
		wantOK bool
	}{
		{"http-01", []string{"http-01"}, true},
		{"dns-01,http-01,tls-alpn-01", []string{"dns-01", "http-01", "tls-alpn-01"}, true},
		{"", nil, true},
		{"dns-01,", nil, false},
		{",dns-01", nil, false},
		{"dns-01, http-01", nil, false},
		{"dns.01", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, ok := parseValidationMethods(tt.value)
			if ok != tt.wantOK || !slices.Equal(got, tt.want) {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestCheckCAATruncatesValues checks that a long property value is
// shortened in the detail.
func TestCheckCAATruncatesValues(t *testing.T) {
	dns := testdns.StartT(t)
	long := "other.example; x=" + strings.Repeat("a", 300)
	dns.SetCAA("example.test", issue(long))
	v := newValidator(t, dns, Options{})
	err := v.CheckCAA(t.Context(), "example.test", []string{testCAAIdentity}, testAccountURI, ChallengeHTTP01)
	checkProblem(t, err, ProblemCAA, `..." does not name ca.example`)
	if strings.Contains(err.Error(), strings.Repeat("a", 200)) {
		t.Errorf("detail: got the whole value, want it truncated (%d bytes)", len(err.Error()))
	}
}
