package acme_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kakuin/kakuin/ca"
)

// b64 is unpadded base64url.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// rawJWS describes one hand-built JWS, so tests can break any part of it.
type rawJWS struct {
	key crypto.Signer // signs (ES256/ES384/ES512/RS256 chosen from the key)
	// alg overrides the "alg" header (the signature is still made with key
	// unless hmacKey is set).
	alg string
	kid string // "kid" header; empty means "jwk" unless noJWK
	// noJWK omits "jwk" when kid is empty too; withJWK adds it next to kid.
	noJWK, withJWK bool
	nonce          string // "nonce" header; "" means a fresh one
	omitNonce      bool   // send no nonce at all
	url            string
	payload        []byte // nil: POST-as-GET (empty payload)
	hmacKey        []byte // sign with HS256 instead
	badSig         bool   // flip a bit of the signature
}

// jwkOf returns the public JWK of key.
func jwkOf(t testing.TB, pub crypto.PublicKey) json.RawMessage {
	t.Helper()
	b, err := (&jose.JSONWebKey{Key: pub}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// algFor returns the JWS algorithm and hash for key.
func algFor(pub crypto.PublicKey) (string, crypto.Hash) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RS256", crypto.SHA256
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
		case 384:
			return "ES384", crypto.SHA384
		case 521:
			return "ES512", crypto.SHA512
		}
	}
	return "ES256", crypto.SHA256
}

// encode returns the flattened JSON serialization.
func (j rawJWS) encode(t testing.TB) []byte {
	t.Helper()
	alg, hash := algFor(j.key.Public())
	if j.hmacKey != nil {
		alg = "HS256"
	}
	if j.alg != "" {
		alg = j.alg
	}
	h := map[string]any{"alg": alg, "url": j.url}
	if j.kid != "" {
		h["kid"] = j.kid
	}
	if (j.kid == "" && !j.noJWK) || j.withJWK {
		h["jwk"] = jwkOf(t, j.key.Public())
	}
	if j.nonce != "" {
		h["nonce"] = j.nonce
	}
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	protected := b64(hb)
	payload := b64(j.payload)
	input := []byte(protected + "." + payload)
	var sig []byte
	switch {
	case j.hmacKey != nil:
		m := hmac.New(sha256.New, j.hmacKey)
		m.Write(input)
		sig = m.Sum(nil)
	case alg == "none":
		sig = nil
	default:
		sig = signRaw(t, j.key, hash, input)
	}
	if j.badSig && len(sig) > 0 {
		sig[len(sig)/2] ^= 0x01
	}
	out, err := json.Marshal(map[string]string{"protected": protected, "payload": payload, "signature": b64(sig)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// signRaw signs input as JWS does: PKCS#1 v1.5 for RSA, r||s for ECDSA.
func signRaw(t testing.TB, key crypto.Signer, hash crypto.Hash, input []byte) []byte {
	t.Helper()
	h := hash.New()
	h.Write(input)
	digest := h.Sum(nil)
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, hash, digest)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			t.Fatal(err)
		}
		n := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*n)
		r.FillBytes(out[:n])
		s.FillBytes(out[n:])
		return out
	}
	t.Fatalf("unsupported key %T", key)
	return nil
}

// eabJWS builds an externalAccountBinding object (RFC 8555 §7.3.4) for
// accountKey, MAC'd with macKey; alg overrides HS256.
func eabJWS(t testing.TB, kid string, macKey []byte, url string, accountKey crypto.PublicKey, alg string) json.RawMessage {
	t.Helper()
	if alg == "" {
		alg = "HS256"
	}
	hb, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid, "url": url})
	protected := b64(hb)
	payload := b64(jwkOf(t, accountKey))
	m := hmac.New(sha256.New, macKey)
	m.Write([]byte(protected + "." + payload))
	out, _ := json.Marshal(map[string]string{"protected": protected, "payload": payload, "signature": b64(m.Sum(nil))})
	return out
}

// response is what a raw request returned.
type response struct {
	status  int
	header  http.Header
	body    []byte
	problem map[string]any
}

// problemType returns the problem's type without the ACME namespace.
func (r *response) problemType() string {
	s, _ := r.problem["type"].(string)
	const ns = "urn:ietf:params:acme:error:"
	if len(s) > len(ns) && s[:len(ns)] == ns {
		return s[len(ns):]
	}
	return s
}

// problemStatus returns the problem's "status" member (0 if absent).
func (r *response) problemStatus() int {
	f, _ := r.problem["status"].(float64)
	return int(f)
}

// nonce returns a fresh nonce from the server.
func (e *testEnv) nonce(t testing.TB) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, e.baseURL+"/acme/new-nonce", nil)
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	n := res.Header.Get("Replay-Nonce")
	if n == "" {
		t.Fatal("new-nonce: no Replay-Nonce")
	}
	return n
}

// post sends body to path with Content-Type contentType ("" means
// application/jose+json).
func (e *testEnv) post(t testing.TB, path string, body []byte, contentType string) *response {
	t.Helper()
	if contentType == "" {
		contentType = "application/jose+json"
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, e.baseURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return e.do(t, req)
}

// do sends req and reads the response; a problem document is decoded.
func (e *testEnv) do(t testing.TB, req *http.Request) *response {
	t.Helper()
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &response{status: res.StatusCode, header: res.Header, body: body}
	if res.Header.Get("Content-Type") == "application/problem+json" {
		if err := json.Unmarshal(body, &r.problem); err != nil {
			t.Fatalf("problem document is not JSON: %v: %s", err, body)
		}
	}
	return r
}

// signedPost signs j (filling nonce and url when empty) and posts it to
// path.
func (e *testEnv) signedPost(t testing.TB, path string, j rawJWS) *response {
	t.Helper()
	if j.url == "" {
		j.url = e.baseURL + path
	}
	if j.nonce == "" && !j.omitNonce {
		j.nonce = e.nonce(t)
	}
	return e.post(t, path, j.encode(t), "")
}

// mustJSON marshals v.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newCSR builds a CSR for names (the first as CN) with key.
func newCSR(t testing.TB, key crypto.Signer, names ...string) []byte {
	t.Helper()
	tmpl := &x509.CertificateRequest{DNSNames: names}
	if len(names) > 0 {
		tmpl.Subject = pkix.Name{CommonName: names[0]}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// newRSAKey returns an RSA key of bits.
func newRSAKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// caSerial formats the serial of c like ca.SerialHex.
func caSerial(c *x509.Certificate) string { return ca.SerialHex(c.SerialNumber) }
