package acme

import (
	"context"
	"encoding/json"
	"errors"

	jose "github.com/go-jose/go-jose/v4"
)

// eabAlgorithms: RFC 8555 §7.3.4 requires a MAC algorithm; kakuin's EAB
// credentials are HMAC-SHA256 keys.
var eabAlgorithms = []jose.SignatureAlgorithm{jose.HS256}

// verifyEAB checks the externalAccountBinding of a newAccount request (RFC
// 8555 §7.3.4) and returns the credential's key id: a flattened JWS with
// alg HS256, the credential kid and the newAccount URL in its protected
// header and no nonce, MAC'd with the credential's HMAC key (go-jose
// compares in constant time), whose payload is the same public key as the
// outer JWS's jwk.
func (s *Server) verifyEAB(ctx context.Context, raw json.RawMessage, accountKey *jose.JSONWebKey) (string, error) {
	jws, err := parseFlattenedJWS(raw, eabAlgorithms)
	if err != nil {
		var ua *errUnexpectedAlg
		if errors.As(err, &ua) {
			return "", malformed("externalAccountBinding must use alg HS256, not %q", ua.alg)
		}
		if p, ok := err.(*problem); ok {
			p.Detail = "externalAccountBinding: " + p.Detail
		}
		return "", err
	}
	hdr := jws.Signatures[0].Protected
	if hdr.KeyID == "" {
		return "", malformed("externalAccountBinding has no kid")
	}
	if hdr.Nonce != "" || hdr.JSONWebKey != nil {
		return "", malformed("externalAccountBinding must not contain a nonce or a jwk")
	}
	eabURL, err := headerURL(hdr)
	if err != nil {
		return "", err
	}
	cred, _, err := s.vetting.EABCredential(ctx, hdr.KeyID)
	if err != nil {
		// vetting.ErrNotFound: "unknown EAB key id"; vetting.ErrInactive:
		// unauthorized with vetting's message (errorTable).
		return "", err
	}
	payload, err := jws.Verify(cred.HMACKey)
	if err != nil {
		return "", unauthorized("EAB MAC does not verify")
	}
	if eabURL != s.baseURL+pathNewAccount {
		return "", malformed("externalAccountBinding url must be the newAccount URL %s", s.baseURL+pathNewAccount)
	}
	key, err := parseJWK(payload)
	if err != nil {
		return "", malformed("externalAccountBinding payload must be the account's public JWK")
	}
	if !sameKey(key, accountKey) {
		return "", malformed("externalAccountBinding payload is not the key that signed the request")
	}
	return hdr.KeyID, nil
}
