package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func newTestKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestSignJWS(t *testing.T) {
	key := newTestKey(t)
	tests := []struct {
		name    string
		kid     string
		payload []byte
		// wantPayload is what the verified JWS must carry.
		wantPayload string
	}{
		{name: "newAccount with jwk", payload: []byte(`{"termsOfServiceAgreed":true}`), wantPayload: `{"termsOfServiceAgreed":true}`},
		{name: "request with kid", kid: "https://ca.test/acme/acct/1", payload: []byte(`{}`), wantPayload: `{}`},
		{name: "POST-as-GET", kid: "https://ca.test/acme/acct/1", payload: nil, wantPayload: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const nonce, url = "nonce-1", "https://ca.test/acme/new-order"
			body, err := signJWS(key, tt.kid, nonce, url, tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			// RFC 8555 §6.2: flattened JSON serialization, payload always present.
			var flat map[string]json.RawMessage
			if err := json.Unmarshal(body, &flat); err != nil {
				t.Fatal(err)
			}
			for _, member := range []string{"protected", "payload", "signature"} {
				if _, ok := flat[member]; !ok {
					t.Errorf("member %q missing from %s", member, body)
				}
			}
			if _, ok := flat["signatures"]; ok {
				t.Errorf("got general serialization %s, want flattened", body)
			}
			jws, err := jose.ParseSigned(string(body), []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatal(err)
			}
			got, err := jws.Verify(&key.PublicKey)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if string(got) != tt.wantPayload {
				t.Errorf("payload: got %q, want %q", got, tt.wantPayload)
			}
			h := jws.Signatures[0].Protected
			if h.Nonce != nonce {
				t.Errorf("nonce: got %q, want %q", h.Nonce, nonce)
			}
			if h.ExtraHeaders["url"] != url {
				t.Errorf("url: got %v, want %q", h.ExtraHeaders["url"], url)
			}
			if h.KeyID != tt.kid {
				t.Errorf("kid: got %q, want %q", h.KeyID, tt.kid)
			}
			if gotJWK := h.JSONWebKey != nil; gotJWK != (tt.kid == "") {
				t.Errorf("jwk present: got %v, want %v", gotJWK, tt.kid == "")
			}
			if h.JSONWebKey != nil && !key.PublicKey.Equal(h.JSONWebKey.Key) {
				t.Errorf("jwk: got %v, want the account key", h.JSONWebKey.Key)
			}
			if _, err := jws.Verify(&newTestKey(t).PublicKey); err == nil {
				t.Errorf("verify with another key: got nil error, want one")
			}
		})
	}
}

func TestEABJWS(t *testing.T) {
	accountKey := newTestKey(t)
	macKey := []byte("0123456789abcdef0123456789abcdef")
	const kid, url = "eab-kid-1", "https://ca.test/acme/new-account"
	tests := []struct {
		name    string
		kid     string
		macKey  []byte
		wantErr bool
	}{
		{name: "valid", kid: kid, macKey: macKey},
		{name: "empty key ID", kid: "", macKey: macKey, wantErr: true},
		{name: "empty MAC key", kid: kid, macKey: nil, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := eabJWS(accountKey, tt.kid, tt.macKey, url)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			// RFC 8555 §7.3.4: HS256 over the account JWK, kid and url, no nonce.
			jws, err := jose.ParseSigned(string(raw), []jose.SignatureAlgorithm{jose.HS256})
			if err != nil {
				t.Fatal(err)
			}
			payload, err := jws.Verify(macKey)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			var jwk jose.JSONWebKey
			if err := jwk.UnmarshalJSON(payload); err != nil {
				t.Fatal(err)
			}
			if !accountKey.PublicKey.Equal(jwk.Key) {
				t.Errorf("payload: got key %v, want the account's public key", jwk.Key)
			}
			if !jwk.IsPublic() {
				t.Errorf("payload JWK is not public")
			}
			h := jws.Signatures[0].Protected
			if h.KeyID != tt.kid || h.ExtraHeaders["url"] != url || h.Nonce != "" {
				t.Errorf("header: got kid %q url %v nonce %q, want %q %q \"\"", h.KeyID, h.ExtraHeaders["url"], h.Nonce, tt.kid, url)
			}
			if _, err := jws.Verify([]byte("another key, 32 bytes long......")); err == nil {
				t.Errorf("verify with another MAC key: got nil error, want one")
			}
		})
	}
}

func TestDecodeEABKey(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef\xff\xfe")
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr bool
	}{
		{name: "unpadded", in: base64.RawURLEncoding.EncodeToString(key), want: key},
		{name: "padded", in: base64.URLEncoding.EncodeToString(key), want: key},
		{name: "surrounding space", in: " " + base64.RawURLEncoding.EncodeToString(key) + "\n", want: key},
		{name: "standard alphabet", in: base64.StdEncoding.EncodeToString(key), wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "too long", in: base64.RawURLEncoding.EncodeToString(make([]byte, maxEABKeyLen+1)), wantErr: true},
		{name: "not base64", in: "not base64!", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEABKey(tt.in)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tt.wantErr)
			}
			if string(got) != string(tt.want) {
				t.Errorf("got %x, want %x", got, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "bench: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}
