package acme

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckDNSName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means valid
	}{
		{"simple", "www.example.com", ""},
		{"digits and hyphens", "a-1.b2.example.com", ""},
		{"valid A-label", "xn--bcher-kva.example.com", ""},
		{"63-character label", strings.Repeat("a", 63) + ".example.com", ""},
		{"empty", "", "empty"},
		{"one label", "localhost", "two labels"},
		{"empty label", "a..example.com", "empty label"},
		{"64-character label", strings.Repeat("a", 64) + ".example.com", "63"},
		{"too long", strings.Repeat("a.", 127) + "com", "253"},
		{"leading hyphen", "-a.example.com", "hyphen"},
		{"trailing hyphen", "a-.example.com", "hyphen"},
		{"underscore", "a_b.example.com", "character"},
		{"numeric TLD", "example.123", "numeric"},
		{"U-label", "bücher.example.com", "xn--bcher-kva.example.com"},
		{"invalid A-label", "xn--99999999.example.com", "A-label"},
		{"empty A-label", "xn--.example.com", "hyphen"},
		{"non-canonical A-label", "xn--a.example.com", "A-label"},
		{"reserved R-LDH label", "ab--cd.example.com", "A-label"},
		{"emoji A-label", "xn--ls8h.example.com", "disallowed"},
		{"emoji U-label (no A-label hint)", "💩.example.com", "non-ASCII"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkDNSName(tc.in)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("checkDNSName(%q): got %v, want nil", tc.in, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("checkDNSName(%q): got %v, want an error containing %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestCheckIdentifiers(t *testing.T) {
	dns := func(v string) Identifier { return Identifier{Type: "dns", Value: v} }
	tests := []struct {
		name      string
		policy    Policy
		in        []Identifier
		wantNames []string
		wantEcho  []Identifier
		wantType  string
		wantSubs  int
	}{
		{name: "normalised and deduplicated",
			in:        []Identifier{dns("WWW.Example.com."), dns("www.example.com"), dns("example.com")},
			wantNames: []string{"www.example.com", "example.com"},
			wantEcho:  []Identifier{dns("WWW.Example.com."), dns("example.com")}},
		{name: "wildcard refused by default", in: []Identifier{dns("*.example.com")},
			wantType: "rejectedIdentifier", wantSubs: 1},
		{name: "wildcard allowed by policy", policy: Policy{AllowWildcards: true},
			in: []Identifier{dns("*.example.com")}, wantNames: []string{"*.example.com"}, wantEcho: []Identifier{dns("*.example.com")}},
		{name: "wildcard not leftmost", policy: Policy{AllowWildcards: true}, in: []Identifier{dns("a.*.example.com")},
			wantType: "rejectedIdentifier", wantSubs: 1},
		{name: "ip type", in: []Identifier{{Type: "ip", Value: "192.0.2.1"}}, wantType: "rejectedIdentifier", wantSubs: 1},
		{name: "IPv6 as dns", in: []Identifier{dns("2001:db8::1")}, wantType: "rejectedIdentifier", wantSubs: 1},
		{name: "unknown type", in: []Identifier{{Type: "email", Value: "a@example.com"}}, wantType: "unsupportedIdentifier", wantSubs: 1},
		{name: "mixed subproblems", in: []Identifier{{Type: "email", Value: "a@example.com"}, dns("bad_name.example.com"), dns("ok.example.com")},
			wantType: "rejectedIdentifier", wantSubs: 2},
		{name: "too many", policy: Policy{MaxNames: 2}, in: []Identifier{dns("a.example.com"), dns("b.example.com"), dns("c.example.com")},
			wantType: "rejectedIdentifier"},
		{name: "none", in: nil, wantType: "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := withDefaults(tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			s := &Server{policy: p}
			got, err := s.checkIdentifiers(tc.in)
			if tc.wantType != "" {
				prob, ok := err.(*problem)
				if !ok {
					t.Fatalf("got %v, %v; want a %s problem", got, err, tc.wantType)
				}
				if prob.Type != errNS+tc.wantType {
					t.Errorf("type: got %q, want %q", prob.Type, errNS+tc.wantType)
				}
				if len(prob.Subproblems) != tc.wantSubs {
					t.Errorf("subproblems: got %d, want %d", len(prob.Subproblems), tc.wantSubs)
				}
				for _, sp := range prob.Subproblems {
					if sp.Identifier == nil || sp.Status == 0 {
						t.Errorf("subproblem %+v: want an identifier and a status", sp)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !slices.Equal(got.names, tc.wantNames) {
				t.Errorf("names: got %v, want %v", got.names, tc.wantNames)
			}
			if !slices.Equal(got.echo, tc.wantEcho) {
				t.Errorf("echo: got %v, want %v", got.echo, tc.wantEcho)
			}
		})
	}
}

func TestValidateContacts(t *testing.T) {
	tests := []struct {
		name     string
		in       []string
		wantType string // "" means valid
	}{
		{"none", nil, ""},
		{"one", []string{"mailto:admin@example.com"}, ""},
		{"upper-case scheme", []string{"MAILTO:admin@example.com"}, ""},
		{"four", []string{"mailto:a@example.com", "mailto:b@example.com", "mailto:c@example.com", "mailto:d@example.com"}, ""},
		{"five", []string{"mailto:a@example.com", "mailto:b@example.com", "mailto:c@example.com", "mailto:d@example.com", "mailto:e@example.com"}, probInvalidContact},
		{"tel", []string{"tel:+81312345678"}, probUnsupportedContact},
		{"no scheme", []string{"admin@example.com"}, probUnsupportedContact},
		{"header fields", []string{"mailto:admin@example.com?subject=hi"}, probInvalidContact},
		{"two addresses", []string{"mailto:a@example.com,b@example.com"}, probInvalidContact},
		{"display name", []string{"mailto:Admin <admin@example.com>"}, probInvalidContact},
		{"bad domain", []string{"mailto:admin@example_com"}, probInvalidContact},
		{"single-label domain", []string{"mailto:admin@localhost"}, probInvalidContact},
		{"too long", []string{"mailto:" + strings.Repeat("a", 250) + "@example.com"}, probInvalidContact},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validateContacts(tc.in)
			if tc.wantType == "" {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			p, ok := err.(*problem)
			if !ok || p.Type != errNS+tc.wantType {
				t.Errorf("got %v, want a %s problem", err, tc.wantType)
			}
		})
	}
}

func TestEffectiveStatus(t *testing.T) {
	now := mustTime(t, "2030-01-01T00:00:00Z")
	later, earlier := now.Add(1e12), now.Add(-1e12)
	az := func(status string, exp int) *Authorization {
		e := later
		if exp < 0 {
			e = earlier
		}
		return &Authorization{Status: status, Expires: e}
	}
	tests := []struct {
		name   string
		stored string
		exp    int
		authzs []*Authorization
		want   string
	}{
		{"all valid", StatusPending, 1, []*Authorization{az(StatusValid, 1), az(StatusValid, 1)}, StatusReady},
		{"one pending", StatusPending, 1, []*Authorization{az(StatusValid, 1), az(StatusPending, 1)}, StatusPending},
		{"one invalid", StatusPending, 1, []*Authorization{az(StatusInvalid, 1), az(StatusPending, 1)}, StatusInvalid},
		{"one deactivated", StatusPending, 1, []*Authorization{az(StatusDeactivated, 1)}, StatusInvalid},
		{"one revoked", StatusPending, 1, []*Authorization{az(StatusRevoked, 1)}, StatusInvalid},
		{"authz expired", StatusPending, 1, []*Authorization{az(StatusValid, -1)}, StatusInvalid},
		{"order expired", StatusPending, -1, []*Authorization{az(StatusValid, 1)}, StatusInvalid},
		{"processing", StatusProcessing, 1, []*Authorization{az(StatusValid, 1)}, StatusProcessing},
		{"valid stays valid after expiry", StatusValid, -1, []*Authorization{az(StatusValid, -1)}, StatusValid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &Order{StoredStatus: tc.stored, Expires: later}
			if tc.exp < 0 {
				o.Expires = earlier
			}
			if got := EffectiveStatus(o, tc.authzs, now); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCheckALabel checks A-labels against IDNA2008 for registration (RFC
// 5891, 5892, 5893), including code points the x/net/idna Registration
// profile alone accepts.
func TestCheckALabel(t *testing.T) {
	tests := []struct {
		name    string
		label   string
		wantErr string // substring; "" means valid
	}{
		{"German", "xn--bcher-kva", ""},                                       // bücher
		{"Japanese katakana", "xn--eckwd4c7c", ""},                            // ドメイン
		{"sharp s (exception PVALID)", "xn--zca", ""},                         // ß
		{"ideographic zero (exception)", "xn--w6j", ""},                       // 〇
		{"Catalan middle dot", "xn--ll-0ea", ""},                              // l·l
		{"katakana middle dot with Han", "xn--vekv70gs3pnfb5j", ""},           // 日本・東京
		{"Greek keraia before Greek", "xn--wva4j", ""},                        // ͵α
		{"Arabic-Indic digits", "xn--ngb6id", ""},                             // ب٠١
		{"extended Arabic-Indic digits", "xn--ngb61bd", ""},                   // ب۱۲
		{"emoji", "xn--ls8h", "disallowed"},                                   // 💩
		{"dingbat heart", "xn--i-7iq", "disallowed"},                          // i❤
		{"musical symbol", "xn--md1h", "disallowed"},                          // 𝄞
		{"old Hangul jamo", "xn--ypd", "disallowed"},                          // ᄀ
		{"Arabic tatweel (exception DISALLOWED)", "xn--ngba5e", "disallowed"}, // بـب
		{"combining mark for symbols", "xn--4ca854n", "disallowed"},           // ä⃐
		{"middle dot not between l", "xn--ab-0ea", "context"},                 // a·b
		{"katakana middle dot without kana or Han", "xn--ab-3n4a", "context"}, // a・b
		{"Greek keraia at the end", "xn--wva3j", "context"},                   // α͵
		{"Hebrew geresh after Latin", "xn--a-0jc", "A-label"},                 // a׳
		{"mixed Arabic-Indic digits", "xn--ngb6i1r", "A-label"},               // ب٠۱
		{"leading combining mark", "xn--a-wbb", "A-label"},                    // ́a
		{"compatibility ligature", "xn--x-sy8h", "A-label"},                   // ﬁx
		{"upper case U-label", "xn--wca", "A-label"},                          // Ü
		{"zero width non-joiner out of context", "xn--ab-j1t", "A-label"},     // a<ZWNJ>b
		{"not Punycode", "xn--99999999", "A-label"},
		{"non-canonical encoding", "xn--a", "A-label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkALabel(tc.label)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("checkALabel(%q): got %v, want nil", tc.label, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("checkALabel(%q): got %v, want an error containing %q", tc.label, err, tc.wantErr)
			}
		})
	}
}
