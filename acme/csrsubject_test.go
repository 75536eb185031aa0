package acme_test

import (
	"context"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"

	xacme "golang.org/x/crypto/acme"
)

// attr is one subject attribute with its ASN.1 string tag.
type attr struct {
	oid asn1.ObjectIdentifier
	tag int
	v   string
}

func utf8(oid asn1.ObjectIdentifier, v string) attr { return attr{oid, asn1.TagUTF8String, v} }

var (
	csrC     = asn1.ObjectIdentifier{2, 5, 4, 6}
	csrST    = asn1.ObjectIdentifier{2, 5, 4, 8}
	csrL     = asn1.ObjectIdentifier{2, 5, 4, 7}
	csrO     = asn1.ObjectIdentifier{2, 5, 4, 10}
	csrOU    = asn1.ObjectIdentifier{2, 5, 4, 11}
	csrCN    = asn1.ObjectIdentifier{2, 5, 4, 3}
	csrEmail = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// csrWithSubject is a CSR for names whose subject is attrs, in order.
func csrWithSubject(t *testing.T, names []string, attrs ...attr) []byte {
	t.Helper()
	var seq pkix.RDNSequence
	for _, a := range attrs {
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{Type: a.oid, Value: asn1.RawValue{Tag: a.tag, Bytes: []byte(a.v)}}})
	}
	raw, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{RawSubject: raw, DNSNames: names},
		newECKey(t, elliptic.P256()))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestCSRSubjectRules feeds the service's CSR subject rules through ACME
// finalize: each violation is badCSR naming the field and what is wrong;
// OU and emailAddress are accepted (and dropped from the certificate).
func TestCSRSubjectRules(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(t, nil)
	name := "www.csr.example.jp"
	good := []attr{{csrC, asn1.TagPrintableString, "JP"}, utf8(csrST, "Tokyo-to"), utf8(csrL, "Chiyoda-ku"), utf8(csrO, "Example KK"), utf8(csrCN, name)}
	with := func(i int, a attr) []attr {
		out := append([]attr(nil), good...)
		out[i] = a
		return out
	}
	tests := []struct {
		name  string
		attrs []attr
		want  string // "" accepted
	}{
		{"conforming", good, ""},
		{"OU and emailAddress are dropped", append(append([]attr(nil), good...), utf8(csrOU, "IT"), attr{csrEmail, asn1.TagIA5String, "a@example.jp"}), ""},
		{"C of three letters", with(0, attr{csrC, asn1.TagPrintableString, "JPN"}), "C: must be the 2-letter ISO code"},
		{"C as UTF8String", with(0, utf8(csrC, "JP")), "C: must be a PrintableString"},
		{"ST with a block number", with(1, utf8(csrST, "Tokyo 1-5-1")), "ST: must name only the prefecture"},
		{"L with a street", with(2, utf8(csrL, "Shibuya-ku, jingumae 1-5-1")), "L: must name only the city"},
		{"O with &", with(3, utf8(csrO, "Smith & Sons")), "O: write 'and' instead of '&'"},
		{"O of spaces", with(3, utf8(csrO, "   ")), "O:"},
		{"O over 64 characters", with(3, utf8(csrO, strings.Repeat("A", 65))), "O: must be at most 64 characters"},
		{"O with a disallowed character", with(3, utf8(csrO, "Example_KK")), "O:"},
		{"CN with a scheme", with(4, utf8(csrCN, "https://"+name)), "CN: must be the server name only, without a scheme"},
		{"CN with a port", with(4, utf8(csrCN, name+":443")), "CN: must be the server name only, without a port"},
		{"CN with a path", with(4, utf8(csrCN, name+"/index.html")), "CN: must be the server name only, without a path"},
		{"CN an IP address", with(4, utf8(csrCN, "192.0.2.1")), "CN: must be a server name, not an IP address"},
		{"CN with a wildcard", with(4, utf8(csrCN, "*.csr.example.jp")), "CN: must not contain the wildcard characters"},
		{"CN not one of the order's names", with(4, utf8(csrCN, "other.example.jp")), "CN: must be one of the order's names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := e.authorize(t, c, "http-01", name)
			_, _, err := c.CreateOrderCert(context.Background(), o.FinalizeURL, csrWithSubject(t, []string{name}, tt.attrs...), true)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want the certificate", err)
				}
				return
			}
			var ae *xacme.Error
			if !errors.As(err, &ae) || ae.ProblemType != "urn:ietf:params:acme:error:badCSR" || !strings.Contains(ae.Detail, tt.want) {
				t.Fatalf("got %v, want badCSR containing %q", err, tt.want)
			}
		})
	}
}
