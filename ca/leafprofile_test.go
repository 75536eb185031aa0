package ca

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Extensions a leaf carries, besides those init_test.go names.
var (
	oidExtSAN   = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidExtCRLDP = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtAIA   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
)

// Reserved policy identifiers (BR §7.1.6.1).
var (
	oidPolicyReserved = asn1.ObjectIdentifier{2, 23, 140, 1}
	oidPolicyOV       = "2.23.140.1.2.2"
	oidPolicyEV       = "2.23.140.1.1"
	oidAnyPolicy      = "2.5.29.32.0"
)

// subjectAttr is one expected subject attribute: its type, ASN.1 string
// tag and value.
type subjectAttr struct {
	oid   asn1.ObjectIdentifier
	tag   int
	value string
}

// wantOVSubject is the BR §7.1.4.2 subject of ovRequest's organization
// (C, ST, L, O, CN; no postalCode or street, which kakuin does not record):
// C PrintableString, the others UTF8String.
func wantOVSubject(cn string) []subjectAttr {
	return []subjectAttr{
		{oidCountry, asn1.TagPrintableString, "JP"},
		{oidProvince, asn1.TagUTF8String, "Tokyo"},
		{oidLocality, asn1.TagUTF8String, "Chiyoda-ku"},
		{oidOrganization, asn1.TagUTF8String, "Example Kabushiki Kaisha"},
		{oidCommonName, asn1.TagUTF8String, cn},
	}
}

// wantEVSubject is the EV subject (EV Guidelines 7.1.4.2.3-5): the
// businessCategory (UTF8String), the jurisdictionCountryName and the
// registration number as serialNumber (both PrintableString) ahead of the
// BR attributes, which keep their order.
func wantEVSubject(cn string) []subjectAttr {
	return append([]subjectAttr{
		{oidBusinessCategory, asn1.TagUTF8String, BusinessCategoryPrivate},
		{oidJurisdictionCountry, asn1.TagPrintableString, "JP"},
		{oidSerialNumber, asn1.TagPrintableString, "7000012050002"},
	}, wantOVSubject(cn)...)
}

// evRequest is ovRequest for the EV profile with the EV subject fields.
func evRequest(pub crypto.PublicKey, names ...string) Request {
	req := ovRequest(pub, names...)
	req.Profile = ProfileEV
	req.Subject.BusinessCategory = BusinessCategoryPrivate
	req.Subject.JurisdictionCountry = "JP"
	req.Subject.SerialNumber = "7000012050002"
	return req
}

// leafWant is what checkLeaf expects of a leaf.
type leafWant struct {
	issuerID string // IssuerOV or IssuerEV
	policies []string
	subject  []subjectAttr
	names    []string
	pub      crypto.PublicKey
	sigAlg   x509.SignatureAlgorithm
	now      time.Time // the CA's clock at issuance
	days     int       // the validity, counted inclusively
	ocsp     bool      // the AIA names the OCSP responder
	crlShard int       // the CRL partition; -1 for no CRL DP
}

// checkLeaf checks a leaf field by field against the subscriber profile
// (BR §7.1.2.7, and for EV the EV Guidelines §7.1): issuer, policies,
// subject order and string types, SAN and CN, every extension with its
// criticality, validity and signature. The issuer is issuerCert.
func checkLeaf(t testing.TB, cert, issuerCert *x509.Certificate, w leafWant) {
	t.Helper()
	if cert.Version != 3 {
		t.Errorf("version: got %d, want 3", cert.Version)
	}
	if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() > 159 {
		t.Errorf("serial: got %x (%d bits), want positive and < 2^159", cert.SerialNumber, cert.SerialNumber.BitLen())
	}

	// Issuer and signature (BR §7.1.3.2: the issuer key's algorithm).
	if !bytes.Equal(cert.RawIssuer, issuerCert.RawSubject) {
		t.Errorf("issuer: got %v, want %v", cert.Issuer, issuerCert.Subject)
	}
	if cert.SignatureAlgorithm != w.sigAlg {
		t.Errorf("signature algorithm: got %v, want %v", cert.SignatureAlgorithm, w.sigAlg)
	}
	if err := cert.CheckSignatureFrom(issuerCert); err != nil {
		t.Errorf("signature by %s: %v", w.issuerID, err)
	}
	if pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(w.pub) {
		t.Errorf("public key: got %T, want the request's key", cert.PublicKey)
	}

	// Validity (BR §6.3.2, RFC 5280 §4.1.2.5: counted inclusively) and
	// notBefore: not in the future, backdated by at most an hour.
	if got, want := cert.NotAfter.Sub(cert.NotBefore)+time.Second, time.Duration(w.days)*24*time.Hour; got != want {
		t.Errorf("validity: got %v, want %d days inclusive", got, w.days)
	}
	if got := MaxValidity(w.now); got != time.Duration(w.days)*24*time.Hour {
		t.Errorf("MaxValidity(%v): got %v, want the %d days this leaf has", w.now, got, w.days)
	}
	if back := w.now.Sub(cert.NotBefore); back < 0 || back > time.Hour {
		t.Errorf("notBefore %v: backdated %v from the clock %v, want 0 to 1h", cert.NotBefore, back, w.now)
	}

	// Subject: one attribute per RDN in the expected order with the
	// expected string types; hence no OU and no emailAddress.
	checkSubject(t, cert.RawSubject, w.subject)
	if len(cert.Subject.OrganizationalUnit) != 0 {
		t.Errorf("subject OU: got %v, want none", cert.Subject.OrganizationalUnit)
	}

	// Names: the SAN lists the order's names; the CN is one of them.
	if !slices.Equal(cert.DNSNames, w.names) || len(cert.IPAddresses)+len(cert.EmailAddresses)+len(cert.URIs) != 0 {
		t.Errorf("SAN: got %v %v %v %v, want DNS names %v only", cert.DNSNames, cert.IPAddresses, cert.EmailAddresses, cert.URIs, w.names)
	}
	if !slices.Contains(cert.DNSNames, cert.Subject.CommonName) {
		t.Errorf("CN %q: want one of the SANs %v", cert.Subject.CommonName, cert.DNSNames)
	}

	// Extensions: exactly this set, with this criticality (BR §7.1.2.7.6;
	// no SKI, §7.1.2.7.6 makes it NOT RECOMMENDED).
	wantExt := map[string]bool{ // OID -> critical
		oidExtKeyUsage.String(): true, oidExtEKU.String(): false, oidExtBasicConstraints.String(): true,
		oidExtAKI.String(): false, oidExtSAN.String(): false, oidExtPolicies.String(): false, oidExtAIA.String(): false,
	}
	if w.crlShard >= 0 {
		wantExt[oidExtCRLDP.String()] = false
	}
	checkExtensions(t, cert, wantExt)

	// Key usage: digitalSignature, and keyEncipherment for RSA keys
	// (BR §7.1.2.7.11); EKU serverAuth only.
	wantKU := x509.KeyUsageDigitalSignature
	if _, ok := w.pub.(*rsa.PublicKey); ok {
		wantKU |= x509.KeyUsageKeyEncipherment
	}
	if cert.KeyUsage != wantKU {
		t.Errorf("key usage: got %v, want %v", cert.KeyUsage, wantKU)
	}
	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || len(cert.UnknownExtKeyUsage) != 0 {
		t.Errorf("EKU: got %v %v, want serverAuth only", cert.ExtKeyUsage, cert.UnknownExtKeyUsage)
	}
	if !cert.BasicConstraintsValid || cert.IsCA {
		t.Errorf("basic constraints: got valid=%v CA=%v, want CA:false", cert.BasicConstraintsValid, cert.IsCA)
	}

	// Certificate policies: exactly one reserved OID, the profile's; no
	// anyPolicy.
	var policies, reserved []string
	for _, p := range cert.PolicyIdentifiers {
		policies = append(policies, p.String())
		if len(p) >= len(oidPolicyReserved) && p[:len(oidPolicyReserved)].Equal(oidPolicyReserved) {
			reserved = append(reserved, p.String())
		}
	}
	if !slices.Equal(policies, w.policies) || len(reserved) != 1 || slices.Contains(policies, oidAnyPolicy) {
		t.Errorf("policies: got %v (reserved %v), want %v with exactly one reserved OID", policies, reserved, w.policies)
	}

	// AKI = the issuer's SKI; AIA caIssuers (and OCSP when on); CRL DP of
	// the leaf's partition.
	if len(cert.AuthorityKeyId) == 0 || !bytes.Equal(cert.AuthorityKeyId, issuerCert.SubjectKeyId) {
		t.Errorf("AKI: got %x, want the issuer's SKI %x", cert.AuthorityKeyId, issuerCert.SubjectKeyId)
	}
	if len(cert.SubjectKeyId) != 0 {
		t.Errorf("SKI: got %x, want none", cert.SubjectKeyId)
	}
	if got, want := cert.IssuingCertificateURL, []string{testBaseURL + "/ca/" + w.issuerID + ".der"}; !slices.Equal(got, want) {
		t.Errorf("AIA caIssuers: got %v, want %v", got, want)
	}
	var wantOCSP []string
	if w.ocsp {
		wantOCSP = []string{testBaseURL + "/ocsp"}
	}
	if !slices.Equal(cert.OCSPServer, wantOCSP) {
		t.Errorf("AIA OCSP: got %v, want %v", cert.OCSPServer, wantOCSP)
	}
	var wantCRL []string
	if w.crlShard >= 0 {
		wantCRL = []string{testBaseURL + "/crl/" + w.issuerID + "/" + strconv.Itoa(w.crlShard) + ".crl"}
	}
	if !slices.Equal(cert.CRLDistributionPoints, wantCRL) {
		t.Errorf("CRL DP: got %v, want %v", cert.CRLDistributionPoints, wantCRL)
	}
}

// checkSubject checks that the DER Name raw has one attribute per RDN,
// exactly want, in order, each with its ASN.1 string type.
func checkSubject(t testing.TB, raw []byte, want []subjectAttr) {
	t.Helper()
	rdns := parseRDNs(t, raw)
	if len(rdns) != len(want) {
		t.Errorf("subject: got %d RDNs, want %d", len(rdns), len(want))
	}
	for i := range min(len(rdns), len(want)) {
		w := want[i]
		if len(rdns[i]) != 1 {
			t.Errorf("RDN %d: got %d attributes, want 1", i, len(rdns[i]))
			continue
		}
		a := rdns[i][0]
		if !a.Type.Equal(w.oid) || a.Value.Tag != w.tag || a.Value.Class != asn1.ClassUniversal || string(a.Value.Bytes) != w.value {
			t.Errorf("RDN %d: got %v tag %d %q, want %v tag %d %q", i, a.Type, a.Value.Tag, a.Value.Bytes, w.oid, w.tag, w.value)
		}
	}
}

// checkExtensions checks that cert has exactly the extensions of want
// (OID string -> critical), each once and with that criticality.
func checkExtensions(t testing.TB, cert *x509.Certificate, want map[string]bool) {
	t.Helper()
	var got []string
	for _, e := range cert.Extensions {
		got = append(got, e.Id.String())
		critical, ok := want[e.Id.String()]
		switch {
		case !ok:
			t.Errorf("extension %v: unexpected", e.Id)
		case e.Critical != critical:
			t.Errorf("extension %v: critical %v, want %v", e.Id, e.Critical, critical)
		}
	}
	if len(got) != len(want) || len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
		t.Errorf("extensions: got %v, want each of %v once", got, want)
	}
}

// TestLeafProfile issues OV and EV leaves for RSA 2048 and ECDSA P-256
// keys from ECDSA P-384 and RSA 2048 hierarchies, at dates in each period
// of the validity schedule, and checks each field by field (checkLeaf)
// and with zlint (issue).
func TestLeafProfile(t *testing.T) {
	at2027 := time.Date(2027, time.March, 15, 0, 0, 0, 0, time.UTC)
	at2029 := time.Date(2029, time.March, 15, 9, 0, 0, 500, time.UTC)
	tests := []struct {
		name      string
		hierarchy string
		profile   string
		leaf      string // leafKey kind
		now       time.Time
		noOCSP    bool
		wantAlg   x509.SignatureAlgorithm
		wantDays  int
	}{
		{"OV/rsa2048", KeyECDSAP384, ProfileOV, "rsa2048", testNow, false, x509.ECDSAWithSHA384, 200},
		{"OV/p256", KeyECDSAP384, ProfileOV, "p256", testNow, false, x509.ECDSAWithSHA384, 200},
		{"EV/rsa2048", KeyECDSAP384, ProfileEV, "rsa2048", testNow, false, x509.ECDSAWithSHA384, 200},
		{"EV/p256", KeyECDSAP384, ProfileEV, "p256", testNow, false, x509.ECDSAWithSHA384, 200},
		{"OV/rsa2048 from an RSA CA", KeyRSA2048, ProfileOV, "rsa2048", testNow, false, x509.SHA256WithRSA, 200},
		{"OV/p256 from an RSA CA", KeyRSA2048, ProfileOV, "p256", testNow, false, x509.SHA256WithRSA, 200},
		{"EV/rsa2048 from an RSA CA", KeyRSA2048, ProfileEV, "rsa2048", testNow, false, x509.SHA256WithRSA, 200},
		{"EV/p256 from an RSA CA", KeyRSA2048, ProfileEV, "p256", testNow, false, x509.SHA256WithRSA, 200},
		{"OV/p256 without OCSP", KeyECDSAP384, ProfileOV, "p256", testNow, true, x509.ECDSAWithSHA384, 200},
		{"OV/p256 from 2027-03-15", KeyECDSAP384, ProfileOV, "p256", at2027, false, x509.ECDSAWithSHA384, 100},
		{"EV/rsa2048 from 2029-03-15", KeyECDSAP384, ProfileEV, "rsa2048", at2029, false, x509.ECDSAWithSHA384, 47},
	}
	// One key of each kind serves every row: RSA keys take a while.
	keys := map[string]crypto.Signer{"rsa2048": leafKey(t, "rsa2048"), "p256": leafKey(t, "p256")}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := loadCAWith(t, sharedCA(t, tt.hierarchy), func(o *Options) {
				o.Clock = func() time.Time { return tt.now }
				if tt.noOCSP {
					o.OCSPURL = ""
				}
			})
			key := keys[tt.leaf]
			names := []string{"www.example.com", "example.com", "shop.example.co.jp"}
			req, wantSubject, issuerID, policy := ovRequest(key.Public(), names...), wantOVSubject(names[0]), IssuerOV, oidPolicyOV
			if tt.profile == ProfileEV {
				req, wantSubject, issuerID, policy = evRequest(key.Public(), names...), wantEVSubject(names[0]), IssuerEV, oidPolicyEV
			}
			got, err := issue(t, a, req)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			cert, err := x509.ParseCertificate(got.DER)
			if err != nil {
				t.Fatal(err)
			}
			issuerCert, _ := a.IssuerCertificate(issuerID)
			checkLeaf(t, cert, issuerCert, leafWant{
				issuerID: issuerID, policies: []string{policy}, subject: wantSubject, names: names, pub: key.Public(),
				sigAlg: tt.wantAlg, now: tt.now, days: tt.wantDays, ocsp: !tt.noOCSP, crlShard: got.CRLShard,
			})
			if got.IssuerID != issuerID || !strings.HasPrefix(issuerCert.Subject.CommonName, "kakuin Dev "+strings.ToUpper(tt.profile)+" ") {
				t.Errorf("issuer: got %s (%s), want the %s issuing CA", got.IssuerID, issuerCert.Subject.CommonName, tt.profile)
			}
			if want := shardOf(cert.SerialNumber, testCRLShards); got.CRLShard != want {
				t.Errorf("CRL shard: got %d, want %d (serial mod %d)", got.CRLShard, want, testCRLShards)
			}
			roots := x509.NewCertPool()
			roots.AddCert(a.root)
			inter := x509.NewCertPool()
			inter.AddCert(issuerCert)
			for _, name := range names {
				if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter,
					CurrentTime: tt.now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
					t.Errorf("Verify(%s): %v", name, err)
				}
			}
		})
	}
}

// TestCheckLeafCatchesDeviations re-signs an issued leaf with one field
// changed at a time and expects checkLeaf to report it: a checker that
// cannot fail would prove nothing.
func TestCheckLeafCatchesDeviations(t *testing.T) {
	a, _ := loadCA(t, sharedCA(t, KeyECDSAP384))
	key := leafKey(t, "rsa2048")
	names := []string{"www.example.com", "example.com"}
	got, err := issue(t, a, evRequest(key.Public(), names...))
	if err != nil {
		t.Fatal(err)
	}
	iss := a.issuers[IssuerEV]
	want := leafWant{issuerID: IssuerEV, policies: []string{oidPolicyEV}, subject: wantEVSubject(names[0]), names: names,
		pub: key.Public(), sigAlg: x509.ECDSAWithSHA384, now: testNow, days: 200, ocsp: true, crlShard: got.CRLShard}
	// The issuer checkLeaf sees is the lint twin: the issuer's name and
	// key identifier with the throwaway key that re-signs.
	twin := &x509.Certificate{RawSubject: iss.cert.RawSubject, SubjectKeyId: iss.cert.SubjectKeyId,
		PublicKeyAlgorithm: iss.cert.PublicKeyAlgorithm, PublicKey: iss.lintSigner.Public()}
	resign := func(t *testing.T, change func(*x509.Certificate)) *x509.Certificate {
		tmpl, err := x509.ParseCertificate(got.DER)
		if err != nil {
			t.Fatal(err)
		}
		change(tmpl)
		der, err := x509.CreateCertificate(nil, tmpl, iss.lintParent, tmpl.PublicKey, iss.lintSigner)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	evSubject := func(attrs ...subjectAttr) []byte {
		var list []nameAttr
		for _, a := range attrs {
			list = append(list, nameAttr{a.oid, a.tag, a.value})
		}
		raw, err := rawName(list...)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	good := wantEVSubject(names[0])
	swapped := slices.Clone(good)
	swapped[4], swapped[5] = swapped[5], swapped[4] // L before ST
	utf8Serial := slices.Clone(good)
	utf8Serial[2].tag = asn1.TagUTF8String
	withOU := slices.Insert(slices.Clone(good), 7, subjectAttr{asn1.ObjectIdentifier{2, 5, 4, 11}, asn1.TagUTF8String, "Web"})
	tests := []struct {
		name   string
		change func(*x509.Certificate)
		want   string
	}{
		{"unchanged", func(*x509.Certificate) {}, ""},
		{"second policy", func(c *x509.Certificate) {
			c.Policies = append(c.Policies, policyOID(profiles[ProfileOV].policy))
		}, "exactly one reserved OID"},
		{"RDN order", func(c *x509.Certificate) { c.RawSubject = evSubject(swapped...) }, "RDN 4"},
		{"serialNumber as UTF8String", func(c *x509.Certificate) { c.RawSubject = evSubject(utf8Serial...) }, "RDN 2"},
		{"OU", func(c *x509.Certificate) { c.RawSubject = evSubject(withOU...) }, "subject OU"},
		{"clientAuth", func(c *x509.Certificate) { c.ExtKeyUsage = append(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) }, "EKU"},
		{"no keyEncipherment", func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }, "key usage"},
		{"SKI", func(c *x509.Certificate) { c.SubjectKeyId = []byte{1, 2, 3} }, "SKI"},
		{"a day longer", func(c *x509.Certificate) { c.NotAfter = c.NotAfter.Add(24 * time.Hour) }, "validity"},
		{"backdated two hours", func(c *x509.Certificate) {
			c.NotBefore, c.NotAfter = c.NotBefore.Add(-2*time.Hour), c.NotAfter.Add(-2*time.Hour)
		}, "backdated"},
		{"no OCSP", func(c *x509.Certificate) { c.OCSPServer = nil }, "AIA OCSP"},
		{"no CRL DP", func(c *x509.Certificate) { c.CRLDistributionPoints = nil }, "CRL DP"},
		{"CN not a SAN", func(c *x509.Certificate) { c.DNSNames = names[1:] }, "want one of the SANs"},
		{"CA:true", func(c *x509.Certificate) { c.IsCA = true }, "basic constraints"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := resign(t, tt.change)
			r := &errRecorder{TB: t}
			checkLeaf(r, cert, twin, want)
			switch {
			case tt.want == "" && len(r.errors) != 0:
				t.Errorf("got %q, want no report", r.errors)
			case tt.want != "" && !slices.ContainsFunc(r.errors, func(s string) bool { return strings.Contains(s, tt.want) }):
				t.Errorf("got %q, want a report about %q", r.errors, tt.want)
			}
		})
	}
}

// errRecorder is a testing.TB that records Errorf reports instead of
// failing, to test the checkers themselves.
type errRecorder struct {
	testing.TB
	errors []string
}

func (r *errRecorder) Helper() {}

func (r *errRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
