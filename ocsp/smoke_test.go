package ocsp_test

import (
	"bytes"
	"context"
	"crypto"
	"io"
	"net/http"
	"testing"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/kakuin/kakuin/ca"
)

// post sends an OCSP request for c by POST and returns the parsed,
// verified response.
func (e *testEnv) post(t *testing.T, c *issued, hash crypto.Hash) *xocsp.Response {
	t.Helper()
	req, err := xocsp.CreateRequest(c.cert, c.issuer, &xocsp.RequestOptions{Hash: hash})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.server.URL+"/ocsp", "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r, err := xocsp.ParseResponseForCert(body, c.cert, c.issuer)
	if err != nil {
		t.Fatalf("ParseResponseForCert: %v (HTTP %d, %x)", err, resp.StatusCode, body)
	}
	return r
}

func TestGoodThenRevoked(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.issue(t, nil)
	if r := e.post(t, c, crypto.SHA1); r.Status != xocsp.Good {
		t.Fatalf("fresh certificate: got status %d, want good", r.Status)
	}
	must(t, e.service.Revoke(context.Background(), c.Serial, ca.ReasonKeyCompromise, "test"))
	// The cache is dropped by Responder.Run's poll; without it running,
	// turn to SHA-256, which was not cached.
	r := e.post(t, c, crypto.SHA256)
	if r.Status != xocsp.Revoked || r.RevocationReason != ca.ReasonKeyCompromise {
		t.Errorf("revoked certificate: got status %d reason %d, want revoked keyCompromise", r.Status, r.RevocationReason)
	}
}
