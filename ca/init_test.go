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

// extension returns the extension with the given OID, or nil.
func extension(c *x509.Certificate, oid asn1.ObjectIdentifier) *struct{ critical bool } {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return &struct{ critical bool }{e.Critical}
		}
	}
	return nil
}

var (
	oidExtKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtSKI              = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtAKI              = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtEKU              = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtPolicies         = asn1.ObjectIdentifier{2, 5, 29, 32}
)

func TestInitCertificates(t *testing.T) {
	for _, kt := range []string{KeyECDSAP384, KeyECDSAP256, KeyRSA2048} {
		t.Run(kt, func(t *testing.T) {
			a, _ := loadCA(t, sharedCA(t, kt))
			wantAlg := map[string]x509.SignatureAlgorithm{
				KeyECDSAP384: x509.ECDSAWithSHA384, KeyECDSAP256: x509.ECDSAWithSHA256, KeyRSA2048: x509.SHA256WithRSA,
			}[kt]
			root := a.root
			t.Run("root", func(t *testing.T) {
				if err := root.CheckSignatureFrom(root); err != nil {
					t.Errorf("self-signature: %v", err)
				}
				if got := keyTypeOf(root.PublicKey); got != kt {
					t.Errorf("key type: got %q, want %q", got, kt)
				}
				if root.SignatureAlgorithm != wantAlg {
					t.Errorf("signature algorithm: got %v, want %v", root.SignatureAlgorithm, wantAlg)
				}
				if got, want := root.KeyUsage, x509.KeyUsageCertSign|x509.KeyUsageCRLSign; got != want {
					t.Errorf("key usage: got %v, want %v", got, want)
				}
				if e := extension(root, oidExtKeyUsage); e == nil || !e.critical {
					t.Errorf("key usage extension: got %v, want critical", e)
				}
				if e := extension(root, oidExtBasicConstraints); e == nil || !e.critical || !root.IsCA || root.MaxPathLen != -1 {
					t.Errorf("basic constraints: got %v IsCA=%v MaxPathLen=%d, want critical CA without pathlen", e, root.IsCA, root.MaxPathLen)
				}
				if len(root.SubjectKeyId) == 0 {
					t.Error("root has no SKI")
				}
				if len(root.ExtKeyUsage) != 0 || len(root.Policies) != 0 {
					t.Errorf("root EKU/policies: got %v/%v, want none", root.ExtKeyUsage, root.Policies)
				}
				years := root.NotAfter.Sub(root.NotBefore).Hours() / 24 / 365
				if years < 24.9 || years > 25.01 {
					t.Errorf("root validity: got %.2f years, want about 25", years)
				}
				if got, want := root.Subject.String(), "CN=kakuin Dev Root CA,O=kakuin Dev,C=JP"; got != want {
					t.Errorf("subject: got %q, want %q", got, want)
				}
				assertZlintClean(t, root.Raw, nil)
			})
			for _, p := range issuerProfiles {
				t.Run(p, func(t *testing.T) {
					c, ok := a.IssuerCertificate(p)
					if !ok {
						t.Fatalf("IssuerCertificate(%q) missing", p)
					}
					checkIssuingCA(t, c, root, p, wantAlg)
				})
			}
		})
	}
}

func checkIssuingCA(t *testing.T, c, root *x509.Certificate, p string, wantAlg x509.SignatureAlgorithm) {
	t.Helper()
	if err := c.CheckSignatureFrom(root); err != nil {
		t.Errorf("signature by root: %v", err)
	}
	if c.SignatureAlgorithm != wantAlg {
		t.Errorf("signature algorithm: got %v, want %v", c.SignatureAlgorithm, wantAlg)
	}
	if !c.IsCA || c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("basic constraints: got IsCA=%v MaxPathLen=%d, want CA with pathlen 0", c.IsCA, c.MaxPathLen)
	}
	if e := extension(c, oidExtBasicConstraints); e == nil || !e.critical {
		t.Errorf("basic constraints extension: got %v, want critical", e)
	}
	if got, want := c.KeyUsage, x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign|x509.KeyUsageCRLSign; got != want {
		t.Errorf("key usage: got %v, want %v", got, want)
	}
	if e := extension(c, oidExtKeyUsage); e == nil || !e.critical {
		t.Errorf("key usage extension: got %v, want critical", e)
	}
	if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || len(c.UnknownExtKeyUsage) != 0 {
		t.Errorf("EKU: got %v %v, want serverAuth only", c.ExtKeyUsage, c.UnknownExtKeyUsage)
	}
	wantPolicy := policyOID(profiles[p].policy)
	if len(c.Policies) != 1 || !c.Policies[0].Equal(wantPolicy) {
		t.Errorf("policies: got %v, want [%v]", c.Policies, wantPolicy)
	}
	if got, want := c.IssuingCertificateURL, []string{testBaseURL + "/ca/root.der"}; !slices.Equal(got, want) {
		t.Errorf("AIA caIssuers: got %v, want %v", got, want)
	}
	if got, want := c.CRLDistributionPoints, []string{testBaseURL + "/crl/root.crl"}; !slices.Equal(got, want) {
		t.Errorf("CRL DP: got %v, want %v", got, want)
	}
	if !bytes.Equal(c.AuthorityKeyId, root.SubjectKeyId) || len(c.SubjectKeyId) == 0 {
		t.Errorf("AKI/SKI: got AKI %x SKI %x, want AKI %x and an SKI", c.AuthorityKeyId, c.SubjectKeyId, root.SubjectKeyId)
	}
	want := "CN=kakuin Dev " + strings.ToUpper(p) + " Issuing CA,O=kakuin Dev,C=JP"
	if got := c.Subject.String(); got != want {
		t.Errorf("subject: got %q, want %q", got, want)
	}
	assertRDNOrder(t, c.RawSubject, []asn1.ObjectIdentifier{oidCountry, oidOrganization, oidCommonName})
	days := c.NotAfter.Sub(c.NotBefore).Hours() / 24
	if days < 5*365 || days > 5*366 {
		t.Errorf("validity: got %.1f days, want about 5 years", days)
	}
	if !c.NotBefore.Equal(testNow.Truncate(time.Second)) {
		t.Errorf("notBefore: got %v, want %v", c.NotBefore, testNow.Truncate(time.Second))
	}
	assertZlintClean(t, c.Raw, nil)
}
