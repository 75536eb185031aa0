package bench

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// maxEABKeyLen bounds the decoded EAB MAC key.
const maxEABKeyLen = 1024

// signJWS returns the flattened JSON serialization (RFC 7515 §7.2.2) of an
// ACME request body (RFC 8555 §6.2): payload signed ES256 with key, the
// protected header carrying nonce, url and either kid (the account URL) or,
// when kid is "", the public key as jwk (newAccount, §7.3). A nil payload is
// sent as "" (POST-as-GET, §6.3).
func signJWS(key *ecdsa.PrivateKey, kid, nonce, url string, payload []byte) ([]byte, error) {
	opts := &jose.SignerOptions{}
	opts.WithHeader("nonce", nonce).WithHeader("url", url)
	if kid == "" {
		opts.EmbedJWK = true
	} else {
		opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("bench: signer: %w", err)
	}
	if payload == nil {
		payload = []byte{}
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return nil, fmt.Errorf("bench: sign: %w", err)
	}
	return []byte(jws.FullSerialize()), nil
}

// eabJWS returns the externalAccountBinding member of a newAccount request
// (RFC 8555 §7.3.4): a flattened JWS whose payload is the account's public
// JWK, MAC'd HS256 under hmacKey, with kid (the EAB key identifier) and url
// (the newAccount URL) in the protected header and no nonce.
func eabJWS(accountKey *ecdsa.PrivateKey, keyID string, hmacKey []byte, url string) (json.RawMessage, error) {
	if keyID == "" {
		return nil, errors.New("bench: EAB key ID is empty")
	}
	jwk, err := json.Marshal(jose.JSONWebKey{Key: accountKey.Public()})
	if err != nil {
		return nil, fmt.Errorf("bench: account JWK: %w", err)
	}
	opts := &jose.SignerOptions{}
	opts.WithHeader("kid", keyID).WithHeader("url", url)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: hmacKey}, opts)
	if err != nil {
		return nil, fmt.Errorf("bench: EAB signer: %w", err)
	}
	jws, err := signer.Sign(jwk)
	if err != nil {
		return nil, fmt.Errorf("bench: EAB sign: %w", err)
	}
	return json.RawMessage(jws.FullSerialize()), nil
}

// decodeEABKey decodes an EAB MAC key as CAs hand it out: base64url, with
// or without padding (RFC 8555 §7.3.4 leaves the transport to the CA).
func decodeEABKey(s string) ([]byte, error) {
	key, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
	if err != nil {
		return nil, fmt.Errorf("bench: EAB HMAC key is not base64url: %w", err)
	}
	if len(key) == 0 || len(key) > maxEABKeyLen {
		return nil, fmt.Errorf("bench: EAB HMAC key length %d outside 1..%d bytes", len(key), maxEABKeyLen)
	}
	return key, nil
}
