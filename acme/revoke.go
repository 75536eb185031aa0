package acme

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kakuin/kakuin/ca"
)

// allowedRevocationReasons are the RFC 5280 §5.3.1 reason codes a
// subscriber may request: unspecified, keyCompromise, affiliationChanged,
// superseded, cessationOfOperation (CA/B Forum BR §4.9.1.1, §7.2.2).
var allowedRevocationReasons = map[int]bool{0: true, 1: true, 3: true, 4: true, 5: true}

// revokeRequest is the revokeCert payload (RFC 8555 §7.6).
type revokeRequest struct {
	Certificate string `json:"certificate"`
	Reason      *int   `json:"reason"`
}

// revokeCert implements RFC 8555 §7.6. The request is signed either by the
// account that ordered the certificate (kid) or by the certificate's own
// key (jwk). Another account of the same contract is refused: only the
// ordering account may revoke with its account key.
func (s *Server) revokeCert(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sr, err := s.verifyPOST(w, r, kidOrJWK)
	if err != nil {
		return err
	}
	if sr.postAsGet() {
		return malformed("revokeCert needs a JSON object payload")
	}
	var req revokeRequest
	if err := decodePayload(sr.payload, &req); err != nil {
		return err
	}
	reason := 0
	if req.Reason != nil {
		reason = *req.Reason
	}
	if !allowedRevocationReasons[reason] {
		return newProblem(probBadRevocationReason, "reason %d is not allowed; use 0, 1, 3, 4 or 5", reason)
	}
	der, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(req.Certificate, "="))
	if err != nil || len(der) == 0 {
		return malformed("certificate must be the base64url DER of the certificate")
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return malformed("certificate could not be parsed")
	}
	c, err := s.store.GetCertificate(ctx, ca.SerialHex(leaf.SerialNumber))
	if errors.Is(err, ErrNotFound) || (err == nil && !bytes.Equal(c.DER, der)) {
		return malformed("certificate not issued by this CA").withStatus(http.StatusNotFound)
	}
	if err != nil {
		return internal(err)
	}
	var actor string
	if sr.account != nil {
		if c.AccountID != sr.account.ID {
			return unauthorized("only the account that ordered the certificate, or the certificate's key, may revoke it")
		}
		actor = "acme:account/" + strconv.FormatInt(sr.account.ID, 10)
	} else {
		if !sameKey(sr.key, &jose.JSONWebKey{Key: leaf.PublicKey}) {
			return unauthorized("the JWS key is not the certificate's key")
		}
		actor = "acme:certificate-key"
	}
	// A certificate revoked for another reason may be revoked again for
	// keyCompromise (the reason changes and the key is blocked).
	if c.RevokedAt != nil && (reason != ca.ReasonKeyCompromise || c.RevokedReason == ca.ReasonKeyCompromise) {
		return newProblem(probAlreadyRevoked, "certificate already revoked")
	}
	if err := s.revoker.Revoke(ctx, c.Serial, reason, actor); err != nil {
		return err // ErrAlreadyRevoked → alreadyRevoked (errorTable)
	}
	s.log.InfoContext(ctx, "acme certificate revoked", "serial", c.Serial, "reason", reason, "actor", actor)
	w.WriteHeader(http.StatusOK)
	return nil
}
