package acme

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// signatureAlgorithms is the JWS "alg" allowlist (RFC 8555 §6.2: no "none",
// no MAC algorithms on requests).
var signatureAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// Account key size limits for RSA.
const (
	minAccountRSABits = 2048
	maxAccountRSABits = 8192
)

// keyMode says which key reference an endpoint accepts (RFC 8555 §6.2).
type keyMode int

const (
	// kidOnly: an existing account's URL in "kid" (every endpoint but two).
	kidOnly keyMode = iota
	// jwkOnly: the key itself in "jwk" (newAccount).
	jwkOnly
	// kidOrJWK: either (revokeCert, §7.6).
	kidOrJWK
)

// signedRequest is a POST whose JWS has been fully verified: signature,
// key, algorithm, url and nonce.
type signedRequest struct {
	payload []byte
	// key is the key that signed: the account's key in kid form.
	key *jose.JSONWebKey
	// account is the requesting account (kid form only).
	account *Account
	// url is the JWS "url" header, equal to the request URL.
	url string
}

// postAsGet reports whether the payload is empty (RFC 8555 §6.3).
func (sr *signedRequest) postAsGet() bool { return len(sr.payload) == 0 }

// errUnexpectedAlg reports a JWS alg outside the allowlist in use.
type errUnexpectedAlg struct{ alg string }

// Error implements error.
func (e *errUnexpectedAlg) Error() string {
	return fmt.Sprintf("acme: JWS algorithm %q not allowed", e.alg)
}

// verifyPOST authenticates an ACME POST (RFC 8555 §6.2–§6.5) in the manner
// of Boulder's wfe2/verify.go, and reports the first failure in this order:
// media type, size limit, flattened JSON serialization with one signature
// and no unprotected header, algorithm allowlist, exactly one of jwk/kid as
// mode allows, the account of a kid (accountDoesNotExist), the key fit for
// the algorithm, the signature, the account's status, the url header and
// finally the nonce (badNonce).
//
// A jwk request's nonce is redeemed last, so that a request refused
// earlier does not burn it. A kid request's nonce is redeemed together
// with loading the account (Store.RedeemNonceAndGetAccount, one database
// round trip instead of two), so it is spent even if the request is then
// refused; the nonce error is still reported last. Every response carries
// a fresh nonce, so a client never runs out.
func (s *Server) verifyPOST(w http.ResponseWriter, r *http.Request, mode keyMode) (*signedRequest, error) {
	ctx := r.Context()
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/jose+json" {
		return nil, malformed("Content-Type must be application/jose+json").withStatus(http.StatusUnsupportedMediaType)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, malformed("request body larger than the limit of %d bytes", maxBodyBytes).
				withStatus(http.StatusRequestEntityTooLarge)
		}
		return nil, malformed("reading request body: %v", err)
	}
	jws, err := parseFlattenedJWS(body, signatureAlgorithms)
	if err != nil {
		var ua *errUnexpectedAlg
		if errors.As(err, &ua) {
			p := newProblem(probBadSignatureAlgorithm, "JWS algorithm %q is not allowed; use one of %s",
				ua.alg, strings.Join(algNames(), ", "))
			p.Algorithms = algNames()
			return nil, p
		}
		return nil, err
	}
	hdr := jws.Signatures[0].Protected
	if err := checkExtensions(hdr); err != nil {
		return nil, err
	}
	jwsURL, err := headerURL(hdr)
	if err != nil {
		return nil, err
	}
	hasKID, hasJWK := hdr.KeyID != "", hdr.JSONWebKey != nil
	switch {
	case hasKID == hasJWK:
		return nil, malformed("JWS protected header must contain exactly one of \"jwk\" and \"kid\"")
	case mode == kidOnly && hasJWK:
		return nil, malformed("this resource requires a \"kid\" (account URL), not a \"jwk\"")
	case mode == jwkOnly && hasKID:
		return nil, malformed("newAccount requires a \"jwk\", not a \"kid\"")
	}

	sr := &signedRequest{url: jwsURL}
	var nonceErr error
	if hasJWK {
		sr.key = hdr.JSONWebKey
	} else {
		sr.account, sr.key, nonceErr, err = s.lookupKID(ctx, hdr.KeyID, hdr.Nonce)
		if err != nil {
			return nil, err
		}
	}
	if err := checkKeyForAlg(sr.key, hdr.Algorithm); err != nil {
		return nil, err
	}
	sr.payload, err = jws.Verify(sr.key)
	if err != nil {
		return nil, malformed("JWS signature does not verify")
	}
	if sr.account != nil {
		infoFrom(ctx).accountID = sr.account.ID
		if sr.account.Status != StatusValid {
			return nil, unauthorized("account is %s", sr.account.Status)
		}
	}
	if want := s.requestURL(r); jwsURL != want {
		return nil, unauthorized("JWS url %q does not match the request URL %q", jwsURL, want)
	}
	if hasJWK {
		nonceErr = s.nonces.redeem(ctx, hdr.Nonce)
	}
	if nonceErr != nil {
		return nil, nonceErr
	}
	return sr, nil
}

// requestURL is the absolute URL the client must have put in "url".
func (s *Server) requestURL(r *http.Request) string {
	u := s.baseURL + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

// lookupKID returns the account named by kid and its key, redeeming nonce
// in the same store call if it passes the checks that need no store. The
// nonce's verdict comes back as nonceErr (a badNonce problem, or nil if it
// was fresh), for the caller to report after its other checks; err is
// accountDoesNotExist or an internal problem.
func (s *Server) lookupKID(ctx context.Context, kid, nonce string) (acct *Account, key *jose.JSONWebKey, nonceErr, err error) {
	id, ok := s.accountIDFromURL(kid)
	if !ok {
		return nil, nil, nil, newProblem(probAccountDoesNotExist, "kid %q is not an account URL of this server", truncate(kid, 128))
	}
	nonceID, expires, nonceErr := s.nonces.check(ctx, nonce)
	if nonceErr == nil {
		var fresh bool
		acct, fresh, err = s.store.RedeemNonceAndGetAccount(ctx, nonceID, expires, id)
		if !fresh {
			nonceErr = errNonceUsed()
		}
	} else {
		acct, err = s.store.GetAccount(ctx, id)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil, newProblem(probAccountDoesNotExist, "no account for kid %q", truncate(kid, 128))
	}
	if err != nil {
		return nil, nil, nil, internal(err)
	}
	key, err = parseJWK(acct.KeyJWK)
	if err != nil {
		return nil, nil, nil, internal(fmt.Errorf("acme: account %d key: %w", acct.ID, err))
	}
	return acct, key, nonceErr, nil
}

// parseFlattenedJWS parses body as a JWS in the flattened JSON
// serialization (RFC 7515 §7.2.2) with exactly one signature and no
// unprotected header, whose alg is in algs (else *errUnexpectedAlg).
func parseFlattenedJWS(body []byte, algs []jose.SignatureAlgorithm) (*jose.JSONWebSignature, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, malformed("request body must be a JWS in the flattened JSON serialization")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, malformed("request body is not valid JSON: %v", err)
	}
	if _, ok := raw["signatures"]; ok {
		return nil, malformed("JWS must use the flattened JSON serialization with one signature")
	}
	if _, ok := raw["header"]; ok {
		return nil, malformed("JWS must not have an unprotected header")
	}
	for _, f := range []string{"protected", "payload", "signature"} {
		if _, ok := raw[f]; !ok {
			return nil, malformed("JWS has no %q member", f)
		}
	}
	var protected string
	if err := json.Unmarshal(raw["protected"], &protected); err != nil {
		return nil, malformed("JWS \"protected\" must be a string")
	}
	hb, err := base64.RawURLEncoding.DecodeString(protected)
	if err != nil {
		return nil, malformed("JWS protected header is not base64url")
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, malformed("JWS protected header is not a JSON object")
	}
	if !algAllowed(h.Alg, algs) {
		return nil, &errUnexpectedAlg{alg: h.Alg}
	}
	jws, err := jose.ParseSignedJSON(string(trimmed), algs)
	if err != nil {
		return nil, malformed("JWS could not be parsed: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, malformed("JWS must have exactly one signature")
	}
	return jws, nil
}

// algAllowed reports whether alg is one of algs.
func algAllowed(alg string, algs []jose.SignatureAlgorithm) bool {
	for _, a := range algs {
		if string(a) == alg {
			return true
		}
	}
	return false
}

// algNames lists signatureAlgorithms as strings.
func algNames() []string {
	out := make([]string, len(signatureAlgorithms))
	for i, a := range signatureAlgorithms {
		out[i] = string(a)
	}
	return out
}

// checkExtensions refuses JWS extensions ACME does not use: "crit" (RFC
// 7515 §4.1.11) and the unencoded payload option "b64" (RFC 7797).
func checkExtensions(h jose.Header) error {
	for _, name := range []jose.HeaderKey{"crit", "b64"} {
		if _, ok := h.ExtraHeaders[name]; ok {
			return malformed("JWS header %q is not supported", name)
		}
	}
	return nil
}

// headerURL returns the "url" protected header (RFC 8555 §6.4).
func headerURL(h jose.Header) (string, error) {
	v, ok := h.ExtraHeaders["url"]
	if !ok {
		return "", malformed("JWS protected header has no \"url\"")
	}
	u, ok := v.(string)
	if !ok || u == "" {
		return "", malformed("JWS \"url\" header must be a non-empty string")
	}
	return u, nil
}

// checkKeyForAlg enforces key/algorithm consistency (RS256 needs RSA,
// ES256 P-256, ES384 P-384, ES512 P-521, EdDSA Ed25519) and the account
// key policy (RSA of 2048 to 8192 bits).
func checkKeyForAlg(k *jose.JSONWebKey, alg string) error {
	if k == nil || !k.Valid() || !k.IsPublic() {
		return newProblem(probBadPublicKey, "JWS key is not a valid public key")
	}
	var want jose.SignatureAlgorithm
	switch key := k.Key.(type) {
	case *rsa.PublicKey:
		if bits := key.N.BitLen(); bits < minAccountRSABits || bits > maxAccountRSABits {
			return newProblem(probBadPublicKey, "RSA key of %d bits not accepted; use %d to %d bits",
				bits, minAccountRSABits, maxAccountRSABits)
		}
		want = jose.RS256
	case *ecdsa.PublicKey:
		switch key.Curve {
		case elliptic.P256():
			want = jose.ES256
		case elliptic.P384():
			want = jose.ES384
		case elliptic.P521():
			want = jose.ES512
		default:
			return newProblem(probBadPublicKey, "ECDSA curve not accepted; use P-256, P-384 or P-521")
		}
	case ed25519.PublicKey:
		want = jose.EdDSA
	default:
		return newProblem(probBadPublicKey, "key type %T not accepted", k.Key)
	}
	if alg != string(want) {
		p := newProblem(probBadSignatureAlgorithm, "JWS algorithm %q does not match the key; use %s", alg, want)
		p.Algorithms = algNames()
		return p
	}
	return nil
}

// parseJWK decodes a public JSON Web Key.
func parseJWK(b []byte) (*jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	if !k.Valid() || !k.IsPublic() {
		return nil, errors.New("acme: not a valid public JWK")
	}
	return &k, nil
}

// thumbprint is the base64url SHA-256 JWK thumbprint (RFC 7638).
func thumbprint(k *jose.JSONWebKey) (string, error) {
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// sameKey reports whether a and b are the same public key (canonical
// comparison through their RFC 7638 thumbprints, not their bytes).
func sameKey(a, b *jose.JSONWebKey) bool {
	ta, err1 := thumbprint(a)
	tb, err2 := thumbprint(b)
	return err1 == nil && err2 == nil && ta == tb
}

// decodePayload decodes a JSON object payload into v: unknown fields are
// ignored (RFC 8555 §7.1) but wrong types and trailing data are malformed.
func decodePayload(payload []byte, v any) error {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return malformed("JWS payload must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return malformed("payload field %q has the wrong type: %s expected", te.Field, te.Type)
		}
		return malformed("JWS payload is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed("JWS payload has data after the JSON object")
	}
	return nil
}
