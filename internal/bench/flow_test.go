package bench

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

// testCert returns a PEM certificate for names and key, self-signed by
// signer.
func testCert(t *testing.T, key *ecdsa.PrivateKey, signer *ecdsa.PrivateKey, names ...string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bench test"},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		DNSNames:     names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestCheckChain(t *testing.T) {
	key, other := newTestKey(t), newTestKey(t)
	names := []string{"a.example.jp", "b.example.jp"}
	leaf := testCert(t, key, other, names...)
	issuer := testCert(t, other, other)
	tests := []struct {
		name    string
		chain   []byte
		wantErr string // "" for success
	}{
		{name: "leaf and issuer", chain: append(append([]byte{}, leaf...), issuer...)},
		{name: "leaf alone", chain: leaf},
		{name: "empty", chain: nil, wantErr: "no certificate"},
		{name: "not PEM", chain: []byte("<html>oops</html>"), wantErr: "no certificate"},
		{name: "wrong key", chain: testCert(t, other, other, names...), wantErr: "CSR's key"},
		{name: "missing name", chain: testCert(t, key, other, names[0]), wantErr: "lacks b.example.jp"},
		{name: "private key block", chain: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}}), wantErr: "unexpected PEM block"},
		{name: "bad DER", chain: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), wantErr: "chain:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkChain(tt.chain, &key.PublicKey, names)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestToProblem(t *testing.T) {
	tests := []struct {
		name string
		resp response
		want problem
	}{
		{
			name: "problem document",
			resp: response{status: 400, body: []byte(`{"type":"urn:ietf:params:acme:error:badNonce","detail":"stale","status":400}`)},
			want: problem{Type: badNonceType, Detail: "stale", Status: 400},
		},
		{
			name: "status from the response wins",
			resp: response{status: 403, body: []byte(`{"type":"urn:ietf:params:acme:error:unauthorized","status":400}`)},
			want: problem{Type: "urn:ietf:params:acme:error:unauthorized", Status: 403},
		},
		{
			name: "not a problem document",
			resp: response{status: http.StatusBadGateway, body: []byte("bad gateway")},
			want: problem{Type: "(no problem document)", Detail: "bad gateway", Status: 502},
		},
		{
			name: "long body truncated",
			resp: response{status: 500, body: []byte(strings.Repeat("x", 300))},
			want: problem{Type: "(no problem document)", Detail: strings.Repeat("x", 200) + "…", Status: 500},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toProblem(&tt.resp); *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}
