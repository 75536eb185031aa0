package acme_test

import (
	"context"
	"crypto/x509"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/acme"
)

// TestIssuance runs the whole flow with x/crypto/acme for each challenge
// type: register with EAB, order, validate, finalize, download.
func TestIssuance(t *testing.T) { forEachBackend(t, testIssuance) }

func testIssuance(t *testing.T, backend string) {
	e := newEnv(t, envOptions{backend: backend})
	tests := []struct {
		name  string
		typ   string
		names []string
	}{
		{"http-01", acme.ChallengeHTTP01, []string{"www.kakuin-http.example.com", "kakuin-http.example.com"}},
		{"dns-01", acme.ChallengeDNS01, []string{"dns.kakuin-dns.example.com"}},
		{"tls-alpn-01", acme.ChallengeTLSALPN01, []string{"alpn.kakuin-alpn.example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := e.register(t, nil)
			chain, certURL, _ := e.issue(t, c, tc.typ, tc.names...)
			if got, want := len(chain), 2; got != want {
				t.Fatalf("chain length: got %d, want %d", got, want)
			}
			leaf, err := x509.ParseCertificate(chain[0])
			if err != nil {
				t.Fatal(err)
			}
			if got, want := leaf.Subject.CommonName, tc.names[0]; got != want {
				t.Errorf("CN: got %q, want %q", got, want)
			}
			if got, want := leaf.Subject.Organization, []string{"Kakuin Test K.K."}; !slices.Equal(got, want) {
				t.Errorf("O: got %v, want %v", got, want)
			}
			gotNames := slices.Sorted(slices.Values(leaf.DNSNames))
			wantNames := slices.Sorted(slices.Values(tc.names))
			if !slices.Equal(gotNames, wantNames) {
				t.Errorf("SANs: got %v, want %v", gotNames, wantNames)
			}
			again, err := c.FetchCert(context.Background(), certURL, true)
			if err != nil {
				t.Fatalf("FetchCert: %v", err)
			}
			if got, want := len(again), len(chain); got != want {
				t.Errorf("fetched chain length: got %d, want %d", got, want)
			}
			r := e.signedPost(t, e.pathOf(certURL), rawJWS{key: c.Key, kid: string(c.KID)})
			if got, want := r.header.Get("Content-Type"), "application/pem-certificate-chain"; got != want {
				t.Errorf("Content-Type: got %q, want %q", got, want)
			}
			if got, want := r.header.Values("Link"), `<`+e.baseURL+`/ca/ov.der>;rel="up"`; !slices.Contains(got, want) {
				t.Errorf("Link: got %v, want %s", got, want)
			}
			if got := strings.Count(string(r.body), "-----BEGIN CERTIFICATE-----"); got != 2 {
				t.Errorf("PEM certificates: got %d, want 2", got)
			}
			req, _ := http.NewRequest(http.MethodGet, certURL, nil)
			if got := e.do(t, req); got.status != http.StatusMethodNotAllowed || got.problemType() != "malformed" {
				t.Errorf("GET certificate: got %d %q, want 405 malformed", got.status, got.problemType())
			}
		})
	}
}
