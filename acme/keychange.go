package acme

import (
	"encoding/json"
	"errors"
	"net/http"
)

// keyChangeRequest is the inner payload of a key change (RFC 8555 §7.3.5).
type keyChangeRequest struct {
	Account string          `json:"account"`
	OldKey  json.RawMessage `json:"oldKey"`
}

// keyChange implements RFC 8555 §7.3.5. The outer JWS is signed by the
// account's current key (kid); its payload is an inner flattened JWS signed
// by the new key, with the new key in "jwk", no nonce and the same url,
// whose payload names the account and its old key. A new key already used
// by another account is 409 conflict with that account's Location.
func (s *Server) keyChange(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sr, err := s.verifyPOST(w, r, kidOnly)
	if err != nil {
		return err
	}
	if sr.postAsGet() {
		return malformed("keyChange needs an inner JWS as payload")
	}
	inner, err := parseFlattenedJWS(sr.payload, signatureAlgorithms)
	if err != nil {
		var ua *errUnexpectedAlg
		if errors.As(err, &ua) {
			p := newProblem(probBadSignatureAlgorithm, "inner JWS algorithm %q is not allowed", ua.alg)
			p.Algorithms = algNames()
			return p
		}
		if p, ok := err.(*problem); ok {
			p.Detail = "inner JWS: " + p.Detail
		}
		return err
	}
	hdr := inner.Signatures[0].Protected
	if err := checkExtensions(hdr); err != nil {
		return err
	}
	switch {
	case hdr.JSONWebKey == nil || hdr.KeyID != "":
		return malformed("inner JWS must carry the new key in \"jwk\" and no \"kid\"")
	case hdr.Nonce != "":
		return malformed("inner JWS must not have a nonce")
	}
	innerURL, err := headerURL(hdr)
	if err != nil {
		return err
	}
	if innerURL != sr.url {
		return malformed("inner JWS url must equal the outer url")
	}
	newKey := hdr.JSONWebKey
	if err := checkKeyForAlg(newKey, hdr.Algorithm); err != nil {
		return err
	}
	payload, err := inner.Verify(newKey)
	if err != nil {
		return malformed("inner JWS signature does not verify")
	}
	var req keyChangeRequest
	if err := decodePayload(payload, &req); err != nil {
		return err
	}
	acct := sr.account
	if req.Account != s.accountURL(acct.ID) {
		return unauthorized("inner JWS account does not match the outer kid")
	}
	oldKey, err := parseJWK(req.OldKey)
	if err != nil || !sameKey(oldKey, sr.key) {
		return unauthorized("inner JWS oldKey is not the account's current key")
	}
	if sameKey(newKey, sr.key) {
		return malformed("the new key is the account's current key")
	}
	newTP, err := thumbprint(newKey)
	if err != nil {
		return newProblem(probBadPublicKey, "cannot compute the new key's thumbprint")
	}
	newJSON, err := publicJWKJSON(newKey)
	if err != nil {
		return internal(err)
	}
	err = s.store.ChangeAccountKey(ctx, acct.ID, acct.KeyThumbprint, newJSON, newTP)
	switch {
	case errors.Is(err, ErrDuplicate):
		p := newProblem(probConflict, "the new key is already in use by another account")
		if other, gerr := s.store.GetAccountByThumbprint(ctx, newTP); gerr == nil {
			p.location = s.accountURL(other.ID)
		}
		return p
	case errors.Is(err, ErrConflict):
		return newProblem(probConflict, "the account key changed concurrently; retry")
	case err != nil:
		return internal(err)
	}
	s.log.InfoContext(ctx, "acme account key changed", "account", acct.ID)
	return s.writeAccount(w, http.StatusOK, acct)
}
