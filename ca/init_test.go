package ca

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/linttest"
)

func TestInitWritesFilesWithModes(t *testing.T) {
	dir := initCA(t, KeyECDSAP256)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("dir mode: got %04o, want 0700", got)
	}
	for _, name := range caFiles {
		t.Run(name, func(t *testing.T) {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			want := os.FileMode(0o644)
			if strings.HasSuffix(name, ".key") {
				want = 0o600
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("mode: got %04o, want %04o", got, want)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(caFiles) {
		t.Errorf("files in dir: got %d, want %d (temporary files left?)", len(entries), len(caFiles))
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	tests := []struct {
		name    string
		present []string // files present before Init
	}{
		{"full hierarchy", caFiles},
		{"only ov.key", []string{"ov.key"}},
		{"only root.pem", []string{"root.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.present {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("keep me"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Init(InitOptions{Dir: dir, BaseURL: testBaseURL, Clock: testClock})
			if !errors.Is(err, ErrAlreadyInitialized) {
				t.Fatalf("got %v, want ErrAlreadyInitialized", err)
			}
			for _, f := range tt.present {
				if data, _ := os.ReadFile(filepath.Join(dir, f)); string(data) != "keep me" {
					t.Errorf("%s: got %q, want it untouched", f, data)
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != len(tt.present) {
				t.Errorf("files after refused Init: got %d, want %d", len(entries), len(tt.present))
			}
		})
	}
	t.Run("second Init", func(t *testing.T) {
		dir := initCA(t, KeyECDSAP256)
		before, _ := os.ReadFile(filepath.Join(dir, "ov.key"))
		err := Init(InitOptions{Dir: dir, KeyType: KeyECDSAP256, BaseURL: testBaseURL})
		if !errors.Is(err, ErrAlreadyInitialized) {
			t.Fatalf("got %v, want ErrAlreadyInitialized", err)
		}
		if after, _ := os.ReadFile(filepath.Join(dir, "ov.key")); !bytes.Equal(before, after) {
			t.Error("ov.key changed by a refused Init")
		}
	})
}

func TestInitRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts InitOptions
		want string
	}{
		{"bad key type", InitOptions{KeyType: "ed25519", BaseURL: testBaseURL},
			"allowed: ecdsa-p384, ecdsa-p256, rsa-2048, rsa-3072, rsa-4096"},
		{"rsa-1024", InitOptions{KeyType: "rsa-1024", BaseURL: testBaseURL}, `unknown key type "rsa-1024"`},
		{"https base URL", InitOptions{BaseURL: "https://ca.example.com"}, "plain http://"},
		{"no base URL", InitOptions{}, "plain http://"},
		{"lower-case country", InitOptions{BaseURL: testBaseURL, Country: "jp"}, "ISO 3166-1"},
		{"three-letter country", InitOptions{BaseURL: testBaseURL, Country: "JPN"}, "ISO 3166-1"},
		{"long organization", InitOptions{BaseURL: testBaseURL, Organization: strings.Repeat("o", 60)}, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ca")
			tt.opts.Dir = dir
			err := Init(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("dir after failed Init: got %v, want it absent", err)
			}
		})
	}
}

// Certificate extensions the profile checks name.
var (
	oidExtKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtSKI              = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtAKI              = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtEKU              = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtPolicies         = asn1.ObjectIdentifier{2, 5, 29, 32}
)

// TestInitCertificates checks the hierarchy Init (`kakuin init`) creates,
// for every key type it supports: the root (BR §7.1.2.1) and the OV and EV
// issuing CAs (BR §7.1.2.10, TLS subordinate CA: serverAuth-only EKU, one
// reserved policy OID, keyCertSign and cRLSign), field by field and with
// zlint. The large RSA key types take a second or two each to generate;
// they get fresh directories and run in parallel.
func TestInitCertificates(t *testing.T) {
	wantAlgs := map[string]x509.SignatureAlgorithm{
		KeyECDSAP384: x509.ECDSAWithSHA384, KeyECDSAP256: x509.ECDSAWithSHA256,
		KeyRSA2048: x509.SHA256WithRSA, KeyRSA3072: x509.SHA256WithRSA, KeyRSA4096: x509.SHA256WithRSA,
	}
	for _, kt := range keyTypes {
		t.Run(kt, func(t *testing.T) {
			wantAlg, ok := wantAlgs[kt]
			if !ok {
				t.Fatalf("no expected signature algorithm for key type %s", kt)
			}
			var dir string
			switch kt {
			case KeyRSA3072, KeyRSA4096:
				t.Parallel()
				dir = initCA(t, kt)
			default:
				dir = sharedCA(t, kt)
			}
			a, _ := loadCA(t, dir)
			t.Run("root", func(t *testing.T) { checkRootCA(t, a.root, kt, wantAlg) })
			for _, p := range issuerProfiles {
				t.Run(p, func(t *testing.T) {
					c, ok := a.IssuerCertificate(p)
					if !ok {
						t.Fatalf("IssuerCertificate(%q) missing", p)
					}
					checkIssuingCA(t, c, a.root, p, kt, wantAlg)
				})
			}
		})
	}
}

// wantCASubject is the subject of Init's CAs with the default options: C
// (PrintableString), O and CN (UTF8String), BR §7.1.2.10.2.
func wantCASubject(cn string) []subjectAttr {
	return []subjectAttr{
		{oidCountry, asn1.TagPrintableString, "JP"},
		{oidOrganization, asn1.TagUTF8String, "kakuin Dev"},
		{oidCommonName, asn1.TagUTF8String, cn},
	}
}

// checkCAKey checks a CA certificate's key type, serial, version and
// notBefore (Init's clock, not backdated).
func checkCAKey(t *testing.T, c *x509.Certificate, kt string, wantAlg x509.SignatureAlgorithm) {
	t.Helper()
	if got := keyTypeOf(c.PublicKey); got != kt {
		t.Errorf("key type: got %q, want %q", got, kt)
	}
	if c.SignatureAlgorithm != wantAlg {
		t.Errorf("signature algorithm: got %v, want %v", c.SignatureAlgorithm, wantAlg)
	}
	if c.Version != 3 || c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 159 {
		t.Errorf("version %d, serial %x: want 3 and a positive serial < 2^159", c.Version, c.SerialNumber)
	}
	if !c.NotBefore.Equal(testNow.Truncate(time.Second)) {
		t.Errorf("notBefore: got %v, want %v", c.NotBefore, testNow.Truncate(time.Second))
	}
}

// checkRootCA checks the root CA certificate (BR §7.1.2.1).
func checkRootCA(t *testing.T, root *x509.Certificate, kt string, wantAlg x509.SignatureAlgorithm) {
	t.Helper()
	checkCAKey(t, root, kt, wantAlg)
	if err := root.CheckSignatureFrom(root); err != nil || !bytes.Equal(root.RawIssuer, root.RawSubject) {
		t.Errorf("self-signature: %v, issuer %v; want self-signed", err, root.Issuer)
	}
	checkSubject(t, root.RawSubject, wantCASubject("kakuin Dev Root CA"))
	// keyUsage and basicConstraints critical, SKI; no AKI, EKU or
	// certificatePolicies (BR §7.1.2.1.2 NOT RECOMMENDED / MUST NOT).
	checkExtensions(t, root, map[string]bool{
		oidExtKeyUsage.String(): true, oidExtBasicConstraints.String(): true, oidExtSKI.String(): false,
	})
	if got, want := root.KeyUsage, x509.KeyUsageCertSign|x509.KeyUsageCRLSign; got != want {
		t.Errorf("key usage: got %v, want keyCertSign|cRLSign (%v)", got, want)
	}
	if !root.BasicConstraintsValid || !root.IsCA || root.MaxPathLen != -1 {
		t.Errorf("basic constraints: got IsCA=%v MaxPathLen=%d, want CA without pathlen", root.IsCA, root.MaxPathLen)
	}
	if len(root.SubjectKeyId) != 20 {
		t.Errorf("SKI: got %x, want 20 bytes (RFC 7093 §2 method 1)", root.SubjectKeyId)
	}
	// BR §7.1.2.1.1: 2922 to 9132 days, counted inclusively.
	if days := (root.NotAfter.Sub(root.NotBefore) + time.Second).Hours() / 24; days < 2922 || days > 9132 {
		t.Errorf("validity: got %.2f days, want 2922 to 9132", days)
	}
	linttest.Certificate(t, root.Raw)
}

// checkIssuingCA checks an issuing CA certificate against the TLS
// subordinate CA profile (BR §7.1.2.10).
func checkIssuingCA(t *testing.T, c, root *x509.Certificate, p, kt string, wantAlg x509.SignatureAlgorithm) {
	t.Helper()
	checkCAKey(t, c, kt, wantAlg)
	if err := c.CheckSignatureFrom(root); err != nil || !bytes.Equal(c.RawIssuer, root.RawSubject) {
		t.Errorf("signature by root: %v, issuer %v", err, c.Issuer)
	}
	checkSubject(t, c.RawSubject, wantCASubject("kakuin Dev "+strings.ToUpper(p)+" Issuing CA"))
	checkExtensions(t, c, map[string]bool{
		oidExtKeyUsage.String(): true, oidExtBasicConstraints.String(): true, oidExtSKI.String(): false,
		oidExtAKI.String(): false, oidExtEKU.String(): false, oidExtPolicies.String(): false,
		oidExtAIA.String(): false, oidExtCRLDP.String(): false,
	})
	if !c.BasicConstraintsValid || !c.IsCA || c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("basic constraints: got IsCA=%v MaxPathLen=%d, want CA with pathlen 0", c.IsCA, c.MaxPathLen)
	}
	// keyCertSign and cRLSign; digitalSignature too, which BR
	// §7.1.2.10.7 allows, so the CA can sign OCSP responses itself.
	if got, want := c.KeyUsage, x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign|x509.KeyUsageCRLSign; got != want {
		t.Errorf("key usage: got %v, want %v", got, want)
	}
	if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || len(c.UnknownExtKeyUsage) != 0 {
		t.Errorf("EKU: got %v %v, want serverAuth only", c.ExtKeyUsage, c.UnknownExtKeyUsage)
	}
	want := map[string]string{ProfileOV: oidPolicyOV, ProfileEV: oidPolicyEV}[p]
	var got []string
	for _, oid := range c.PolicyIdentifiers {
		got = append(got, oid.String())
	}
	if !slices.Equal(got, []string{want}) || len(c.Policies) != 1 || !c.Policies[0].Equal(policyOID(profiles[p].policy)) {
		t.Errorf("policies: got %v, want exactly [%s]", got, want)
	}
	if got, want := c.IssuingCertificateURL, []string{testBaseURL + "/ca/root.der"}; !slices.Equal(got, want) || len(c.OCSPServer) != 0 {
		t.Errorf("AIA: got caIssuers %v OCSP %v, want %v and no OCSP", got, c.OCSPServer, want)
	}
	if got, want := c.CRLDistributionPoints, []string{testBaseURL + "/crl/root.crl"}; !slices.Equal(got, want) {
		t.Errorf("CRL DP: got %v, want %v", got, want)
	}
	if !bytes.Equal(c.AuthorityKeyId, root.SubjectKeyId) || len(c.SubjectKeyId) != 20 || bytes.Equal(c.SubjectKeyId, root.SubjectKeyId) {
		t.Errorf("AKI/SKI: got AKI %x SKI %x, want AKI %x and an SKI of its own", c.AuthorityKeyId, c.SubjectKeyId, root.SubjectKeyId)
	}
	if got := c.NotAfter.Sub(c.NotBefore) + time.Second; got != issuerValidity {
		t.Errorf("validity: got %v, want %v", got, issuerValidity)
	}
	if c.NotAfter.After(root.NotAfter) {
		t.Errorf("notAfter %v: after the root's %v", c.NotAfter, root.NotAfter)
	}
	linttest.Certificate(t, c.Raw)
}
