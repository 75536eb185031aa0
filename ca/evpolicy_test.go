package ca

import (
	"crypto/x509"
	"encoding/asn1"
	"slices"
	"strings"
	"testing"
)

// TestEVPolicyOID: with the CA's own EV policy configured, EV leaves carry
// 2.23.140.1.1 then that OID (still one reserved OID, zlint-clean through
// issue), OV leaves only theirs; bad OIDs are refused by name.
func TestEVPolicyOID(t *testing.T) {
	dir := sharedCA(t, KeyECDSAP384)
	a, _ := loadCAWith(t, dir, func(o *Options) { o.EVPolicyOID = "1.3.6.1.4.1.99999.1.1" })
	for _, tt := range []struct {
		req  Request
		want []asn1.ObjectIdentifier
	}{
		{evRequest(leafKey(t, "p256").Public(), "ev.example.jp"), []asn1.ObjectIdentifier{{2, 23, 140, 1, 1}, {1, 3, 6, 1, 4, 1, 99999, 1, 1}}},
		{ovRequest(leafKey(t, "p256").Public(), "ov.example.jp"), []asn1.ObjectIdentifier{{2, 23, 140, 1, 2, 2}}},
	} {
		got, err := issue(t, a, tt.req)
		if err != nil {
			t.Fatalf("Issue %s: %v", tt.req.Profile, err)
		}
		leaf, err := x509.ParseCertificate(got.DER)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(leaf.PolicyIdentifiers, tt.want, asn1.ObjectIdentifier.Equal) {
			t.Errorf("%s policies: got %v, want %v", tt.req.Profile, leaf.PolicyIdentifiers, tt.want)
		}
	}

	for _, tt := range []struct{ oid, want string }{
		{"2.23.140.1.1", "reserved arc 2.23.140"},
		{"2.23.140.99", "reserved arc 2.23.140"},
		{"1.3", "at least three arcs"},
		{"3.1.2", "not a valid object identifier"},
		{"1.40.2", "not a valid object identifier"},
		{"1.3.06.1", "dotted decimal"},
		{"1.3..6", "dotted decimal"},
		{"1.3.6.-1", "dotted decimal"},
		{"ev", "dotted decimal"},
	} {
		if _, err := ParseEVPolicyOID(tt.oid); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseEVPolicyOID(%q): got %v, want an error saying %q", tt.oid, err, tt.want)
		}
		_, err := Load(Options{Dir: dir, Store: newMemStore(t), BaseURL: "http://ca.example.com", CRLShards: 1, EVPolicyOID: tt.oid})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load with EVPolicyOID %q: got %v, want an error saying %q", tt.oid, err, tt.want)
		}
	}
}
