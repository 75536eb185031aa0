package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func TestParseCSR(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"www.example.jp"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	tampered := append([]byte(nil), der...)
	tampered[len(tampered)-5] ^= 0xff // inside the signature
	tests := []struct {
		name    string
		in      []byte
		wantErr string // "" means success
	}{
		{"PEM CERTIFICATE REQUEST", pemOf("CERTIFICATE REQUEST", der), ""},
		{"PEM NEW CERTIFICATE REQUEST", pemOf("NEW CERTIFICATE REQUEST", der), ""},
		{"PEM with text around it", append(append([]byte("Subject: ...\n"), pemOf("CERTIFICATE REQUEST", der)...), "trailer\n"...), ""},
		{"DER", der, ""},
		{"empty", nil, "CSR is empty"},
		{"certificate PEM", pemOf("CERTIFICATE", der), `PEM block is "CERTIFICATE"`},
		{"two CSRs", append(pemOf("CERTIFICATE REQUEST", der), pemOf("CERTIFICATE REQUEST", der)...), "more than one PEM block"},
		{"garbage", []byte("hello"), "not a CSR"},
		{"truncated DER", der[:len(der)/2], "CSR does not parse"},
		{"bad signature", pemOf("CERTIFICATE REQUEST", tampered), "CSR signature is invalid"},
		{"oversized", append([]byte{0x30}, make([]byte, maxCSRSize)...), "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csr, err := ParseCSR(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				if got := csr.DNSNames; len(got) != 1 || got[0] != "www.example.jp" {
					t.Errorf("names: got %v, want [www.example.jp]", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("got %v, want an ErrInvalidRequest containing %q", err, tt.wantErr)
			}
		})
	}
}
