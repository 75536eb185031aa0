package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCSR writes a CSR for names (and CN) signed by key as PEM with the
// given block type and returns its path.
func writeCSR(t *testing.T, key crypto.Signer, pemType, cn string, names ...string) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn}, DNSNames: names}, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "req.csr")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCSRCheck checks `kakuin csr check`: both PEM headers are accepted,
// and a key or names finalize would refuse is reported (exit 1) with the
// reason, also as JSON.
func TestCSRCheck(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	tests := []struct {
		name       string
		path       string
		extra      []string
		wantCode   int
		wantOK     bool
		wantStdout string // substring of the JSON output
		wantErr    string // substring of stderr
	}{
		{name: "CERTIFICATE REQUEST", path: writeCSR(t, p256, "CERTIFICATE REQUEST", "www.example.jp", "www.example.jp", "example.jp"),
			wantOK: true, wantStdout: `"names":["example.jp","www.example.jp"]`},
		{name: "NEW CERTIFICATE REQUEST", path: writeCSR(t, p256, "NEW CERTIFICATE REQUEST", "", "www.example.jp"),
			wantOK: true, wantStdout: `"key":"ECDSA P-256"`},
		{name: "names as expected", path: writeCSR(t, p256, "CERTIFICATE REQUEST", "", "a.example.jp", "b.example.jp"),
			extra: []string{"--names", "B.example.jp,a.example.jp."}, wantOK: true},
		{name: "names differ", path: writeCSR(t, p256, "CERTIFICATE REQUEST", "c.example.jp", "a.example.jp"),
			extra: []string{"--names", "a.example.jp,b.example.jp"}, wantCode: 1,
			wantErr: "missing [b.example.jp], extra [c.example.jp]"},
		{name: "P-521 key", path: writeCSR(t, p521, "CERTIFICATE REQUEST", "", "www.example.jp"), wantCode: 1,
			wantErr: "P-521"},
		{name: "RSA 1024 key", path: writeCSR(t, rsa1024, "CERTIFICATE REQUEST", "", "www.example.jp"), wantCode: 1,
			wantStdout: `"ok":false`, wantErr: "kakuin would refuse this CSR"},
		{name: "no names", path: writeCSR(t, p256, "CERTIFICATE REQUEST", ""), wantCode: 1, wantErr: "no DNS name"},
		{name: "not a CSR", path: func() string {
			p := filepath.Join(t.TempDir(), "x.pem")
			os.WriteFile(p, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
			return p
		}(), wantCode: 1, wantErr: `PEM block is "CERTIFICATE"`},
		{name: "no standard input", path: "-", wantCode: 1, wantErr: "no standard input"},
		{name: "missing file", path: filepath.Join(t.TempDir(), "none.csr"), wantCode: 1, wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"csr", "check", tt.path, "--json"}, tt.extra...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit code: got %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if r.stdout != "" {
				obj := oneJSON(t, r.stdout)
				if got := obj["ok"]; got != tt.wantOK {
					t.Errorf("ok: got %v, want %v", got, tt.wantOK)
				}
			}
			if !strings.Contains(r.stdout, tt.wantStdout) {
				t.Errorf("stdout: got %q, want it to contain %q", r.stdout, tt.wantStdout)
			}
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr: got %q, want it to contain %q", r.stderr, tt.wantErr)
			}
		})
	}
}
