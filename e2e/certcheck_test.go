package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/linttest"
)

var (
	oidPolicyOV  = asn1.ObjectIdentifier{2, 23, 140, 1, 2, 2}
	oidCountry   = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidProvince  = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidLocality  = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidOrg       = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidCN        = asn1.ObjectIdentifier{2, 5, 4, 3}
	wantRDNOrder = []asn1.ObjectIdentifier{oidCountry, oidProvince, oidLocality, oidOrg, oidCN}
)

// readPEMCerts reads every CERTIFICATE block of a PEM file of certificates
// kakuin's CA made (a chain a client obtained, or the CA's own root and
// issuing CA certificates) and lints each (lintIssued).
func readPEMCerts(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		lintIssued(t, c)
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		t.Fatalf("%s: no certificate", path)
	}
	return certs
}

// lintIssued lints a certificate kakuin's ACME CA issued with the test
// suite's linter (internal/linttest): a CA certificate as it is, a leaf as
// a subscriber certificate of a development CA, since every process the
// suite obtains certificates from runs `kakuin serve --dev`, whose CA
// publishes its AIA and CRL URLs on 127.0.0.1.
func lintIssued(t *testing.T, c *x509.Certificate) {
	t.Helper()
	if c.IsCA {
		linttest.Certificate(t, c.Raw)
		return
	}
	linttest.Certificate(t, c.Raw, linttest.Subscriber, linttest.Dev)
}

// keyKind names a leaf key for checks: "ec256", "ec384" or "rsa2048".
type keyKind string

// checkLeaf verifies a chain file (leaf first, then the issuer) the way a
// relying party would (openssl verify and crypto/x509 against kakuin's
// root), lints the chain and the root (zlint, through readPEMCerts) and
// checks the leaf field by field against the OV profile.
func (k *kakuin) checkLeaf(t *testing.T, chainFile string, names []string, kind keyKind) *x509.Certificate {
	t.Helper()
	certs := readPEMCerts(t, chainFile)
	if len(certs) < 2 {
		t.Fatalf("%s: got %d certificates, want leaf and issuer", chainFile, len(certs))
	}
	leaf, issuer := certs[0], certs[1]
	readPEMCerts(t, k.rootPEM) // lints the root

	// openssl, as users check it.
	untrusted := writePEM(t, issuer)
	leafFile := writePEM(t, leaf)
	out, err := exec.Command("openssl", "verify", "-CAfile", k.rootPEM, "-untrusted", untrusted, "-purpose", "sslserver", leafFile).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}

	inter := x509.NewCertPool()
	inter.AddCert(issuer)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: k.roots, Intermediates: inter, DNSName: names[0]}); err != nil {
		t.Errorf("crypto/x509 verify: %v", err)
	}

	// The BR maximum on the day, counted inclusively (ca.MaxValidity's
	// table: 200 days until 2027-03-15, then 100, then 47).
	if got, want := leaf.NotAfter.Sub(leaf.NotBefore)+time.Second, ca.MaxValidity(leaf.NotBefore); got != want {
		t.Errorf("validity: got %v, want %v (the maximum on the day, inclusive)", got, want)
	}
	if !slices.EqualFunc(leaf.PolicyIdentifiers, []asn1.ObjectIdentifier{oidPolicyOV}, asn1.ObjectIdentifier.Equal) {
		t.Errorf("policies: got %v, want [%v]", leaf.PolicyIdentifiers, oidPolicyOV)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || len(leaf.UnknownExtKeyUsage) != 0 {
		t.Errorf("EKU: got %v %v, want serverAuth only", leaf.ExtKeyUsage, leaf.UnknownExtKeyUsage)
	}
	if got, want := sortedCopy(leaf.DNSNames), sortedCopy(names); !slices.Equal(got, want) {
		t.Errorf("SAN: got %v, want %v", got, want)
	}
	if leaf.Subject.CommonName != names[0] {
		t.Errorf("CN: got %q, want %q", leaf.Subject.CommonName, names[0])
	}
	var order []asn1.ObjectIdentifier
	for _, atv := range leaf.Subject.Names {
		order = append(order, atv.Type)
	}
	if !slices.EqualFunc(order, wantRDNOrder, asn1.ObjectIdentifier.Equal) {
		t.Errorf("subject attribute order: got %v, want %v", order, wantRDNOrder)
	}
	s := leaf.Subject
	if len(s.Organization) != 1 || s.Organization[0] != org.Name ||
		len(s.Country) != 1 || s.Country[0] != org.Country ||
		len(s.Province) != 1 || s.Province[0] != org.Province ||
		len(s.Locality) != 1 || s.Locality[0] != org.Locality {
		t.Errorf("subject: got %v, want O=%s C=%s ST=%s L=%s from the organization record", s, org.Name, org.Country, org.Province, org.Locality)
	}
	if len(s.OrganizationalUnit) != 0 {
		t.Errorf("subject has OU %v", s.OrganizationalUnit)
	}
	wantKU := x509.KeyUsageDigitalSignature
	switch kind {
	case "ec256", "ec384":
		pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
		curve := map[keyKind]elliptic.Curve{"ec256": elliptic.P256(), "ec384": elliptic.P384()}[kind]
		if !ok || pub.Curve != curve {
			t.Errorf("key: got %T, want ECDSA %s", leaf.PublicKey, kind)
		}
	case "rsa2048":
		pub, ok := leaf.PublicKey.(*rsa.PublicKey)
		if !ok || pub.N.BitLen() != 2048 {
			t.Errorf("key: got %T, want RSA 2048", leaf.PublicKey)
		}
		wantKU |= x509.KeyUsageKeyEncipherment
	}
	if leaf.KeyUsage != wantKU {
		t.Errorf("key usage: got %v, want %v", leaf.KeyUsage, wantKU)
	}
	if len(leaf.AuthorityKeyId) == 0 || string(leaf.AuthorityKeyId) != string(issuer.SubjectKeyId) {
		t.Errorf("AKI %x does not match issuer SKI %x", leaf.AuthorityKeyId, issuer.SubjectKeyId)
	}
	if len(leaf.IssuingCertificateURL) != 1 {
		t.Errorf("AIA caIssuers: got %v, want one URL", leaf.IssuingCertificateURL)
	}
	return leaf
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// writePEM writes one certificate to a temp file and returns its path.
func writePEM(t *testing.T, c *x509.Certificate) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "cert-*.pem")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}
