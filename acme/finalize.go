package acme

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/vetting"
)

// finalizeRequest is the finalize payload (RFC 8555 §7.4).
type finalizeRequest struct {
	CSR string `json:"csr"`
}

// finalize implements RFC 8555 §7.4 synchronously: the order must be
// ready; the CSR must be well signed, carry a key the CA certifies that is
// not the account key, and name exactly the order's DNS names; the
// contract's plan must still have room for the name set; then the order
// turns processing, CAA is checked again for every name (finalizeCAA), the
// certificate is signed with the subject taken from the contract's vetted
// organization (never from the CSR), stored, and the order turns valid in
// the same answer. A failure after the order became processing makes it
// invalid, with the caa or dns problem of a CAA refusal or else a
// serverInternal problem; it never goes back to ready.
func (s *Server) finalize(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sr, err := s.verifyPOST(w, r, kidOnly)
	if err != nil {
		return err
	}
	id, err := idParam(r, "order")
	if err != nil {
		return err
	}
	if sr.postAsGet() {
		return malformed("finalize needs a JSON object payload with a csr")
	}
	var req finalizeRequest
	if err := decodePayload(sr.payload, &req); err != nil {
		return err
	}
	acct := sr.account
	o, authzs, err := s.loadOrder(ctx, id, acct)
	if err != nil {
		return err
	}
	if st := EffectiveStatus(o, authzs, s.clock()); st != StatusReady {
		return newProblem(probOrderNotReady, "order is %s, not ready", st)
	}
	csr, err := s.checkCSR(ctx, req.CSR, o, sr.key)
	if err != nil {
		return err
	}
	contract, err := s.activeContract(ctx, acct)
	if err != nil {
		return err
	}
	// Again at finalize: another order may have taken the last slot, or
	// been the one reissue allowed, since this one was created.
	replaced, err := s.checkLifecycle(ctx, contract, o.Profile, o.Names, s.clock(), o.Replaces)
	if err != nil {
		return err
	}
	org, err := s.vetting.Organization(ctx, contract.OrganizationID)
	if err != nil {
		return internal(err)
	}
	if err := s.store.BeginFinalize(ctx, o.ID, s.clock()); err != nil {
		if errors.Is(err, ErrConflict) {
			return s.finalizeConflict(ctx, o.ID, acct)
		}
		return internal(err)
	}
	issueReq := ca.Request{
		Profile:   o.Profile,
		PublicKey: csr.PublicKey,
		Names:     issuanceNames(o),
		Subject: ca.Subject{
			Organization:        org.Name,
			Country:             org.Country,
			Province:            org.Province,
			Locality:            org.Locality,
			BusinessCategory:    org.BusinessCategory,
			JurisdictionCountry: org.Country, // registries at national level, as Japan's corporate numbers
			SerialNumber:        org.RegistrationNumber,
		},
	}
	// Signing and storing must not be abandoned half way if the client
	// goes away: the order is processing and has to end valid or invalid.
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), issuanceTimeout)
	defer cancel()
	if p := s.finalizeCAA(ictx, acct, authzs); p != nil {
		s.log.InfoContext(ctx, "acme CAA refused issuance", "account", acct.ID, "order", o.ID,
			"problem", p.Type, "detail", p.Detail)
		s.refuseIssuance(ctx, o.ID, p, "CAA: "+p.Detail)
		return p
	}
	start := time.Now()
	issued, err := s.issuer.Issue(ictx, issueReq)
	if err == nil {
		err = s.store.CompleteOrder(ictx, o.ID, &Certificate{
			Serial:    issued.Serial,
			IssuerID:  issued.IssuerID,
			AccountID: acct.ID,
			OrderID:   o.ID,
			DER:       issued.DER,
			ChainPEM:  issued.ChainPEM,
			NotBefore: issued.NotBefore,
			NotAfter:  issued.NotAfter,
			KeyHash:   issued.KeyHash,
			CRLShard:  issued.CRLShard,
			OCSP:      issued.OCSP,
		})
	}
	s.metrics.issuance(o.Profile, err == nil, time.Since(start))
	if err != nil {
		p := internal(fmt.Errorf("acme: finalize order %d: %w", o.ID, err))
		p.Detail = "certificate issuance failed; the order is invalid, create a new order"
		if lintErr := (*ca.LintError)(nil); errors.As(err, &lintErr) {
			// Never a silent issuance: the lints that refused it are
			// logged (by the wrapper, with the cause) and audited.
			s.refuseIssuance(ctx, o.ID, p, lintErr.Error())
			return p
		}
		s.failOrder(ctx, o.ID, p)
		return p
	}
	s.log.InfoContext(ctx, "acme certificate issued", "account", acct.ID, "order", o.ID,
		"serial", issued.Serial, "issuer", issued.IssuerID, "profile", o.Profile)
	s.revokeReplaced(ictx, o.ID, replaced)
	o.StoredStatus = StatusValid
	o.CertSerial = issued.Serial
	return s.writeOrder(w, http.StatusOK, o, authzs)
}

// failOrder makes the processing order invalid with p, even if the client
// has gone away; a failure is logged, and Server.Run fails the order as
// interrupted later.
func (s *Server) failOrder(ctx context.Context, orderID int64, p *problem) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
	defer cancel()
	if err := s.store.FailOrder(fctx, orderID, problemJSON(p)); err != nil {
		s.log.ErrorContext(ctx, "acme: fail order", "order", orderID, "err", err)
	}
}

// refuseIssuance fails the processing order with p, auditing the reason
// (Store.RefuseIssuance); a failure to record it is logged.
func (s *Server) refuseIssuance(ctx context.Context, orderID int64, p *problem, reason string) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
	defer cancel()
	if err := s.store.RefuseIssuance(fctx, orderID, problemJSON(p), reason); err != nil {
		s.log.ErrorContext(ctx, "acme: refuse issuance", "order", orderID, "reason", reason, "err", err)
	}
}

// revokeReplaced revokes, as superseded, the certificates a reissue
// replaced (vetting.CheckReissue), now that the new one is issued. A
// failure is logged: the new certificate stands, and the old ones can be
// revoked with kakuin revoke.
func (s *Server) revokeReplaced(ctx context.Context, orderID int64, serials []string) {
	for _, serial := range serials {
		err := s.revoker.Revoke(ctx, serial, reasonSuperseded, fmt.Sprintf("acme:reissue/order/%d", orderID))
		if err != nil && !errors.Is(err, ErrAlreadyRevoked) {
			s.log.ErrorContext(ctx, "acme: revoke the certificate a reissue replaced", "order", orderID, "serial", serial, "err", err)
			continue
		}
		s.log.InfoContext(ctx, "acme reissue: replaced certificate revoked", "order", orderID, "serial", serial)
	}
}

// reasonSuperseded is RFC 5280's CRLReason superseded.
const reasonSuperseded = 4

// finalizeConflict explains a BeginFinalize that refused the order: since
// it was read, a concurrent finalization began, an authorization changed
// (e.g. was deactivated) or expired, or the order expired. RFC 8555 §7.4:
// orderNotReady with the order's status now.
func (s *Server) finalizeConflict(ctx context.Context, orderID int64, acct *Account) error {
	o, authzs, err := s.loadOrder(ctx, orderID, acct)
	if err != nil {
		return err
	}
	st := EffectiveStatus(o, authzs, s.clock())
	if st == StatusReady { // it changed back and forth; the client may retry
		return newProblem(probOrderNotReady, "order changed while being finalized; try again")
	}
	return newProblem(probOrderNotReady, "order is %s, not ready", st)
}

// issuanceNames lists the order's names with the first requested
// identifier first (it becomes the CN), the rest in request order.
func issuanceNames(o *Order) []string {
	names := make([]string, 0, len(o.Names))
	for _, id := range o.Identifiers {
		n := strings.ToLower(strings.TrimSuffix(id.Value, "."))
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range o.Names { // defensive: anything not echoed
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// checkCSR decodes and checks the CSR (RFC 8555 §7.4): base64url DER, a
// valid self-signature, a public key ca.CheckPublicKey accepts, that is not
// the account key and not blocked after a keyCompromise revocation
// (badPublicKey), only DNS names, and exactly the order's names
// (subjectAltName dNSNames plus the CN if present). Failures are badCSR.
func (s *Server) checkCSR(ctx context.Context, b64 string, o *Order, accountKey *jose.JSONWebKey) (*x509.CertificateRequest, error) {
	if b64 == "" {
		return nil, malformed("finalize payload has no csr")
	}
	der, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(b64, "="))
	if err != nil {
		return nil, badCSR("csr is not base64url")
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, badCSR("CSR could not be parsed: %v", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, badCSR("CSR signature invalid")
	}
	if err := ca.CheckPublicKey(csr.PublicKey); err != nil {
		return nil, err // *ca.KeyError → badCSR with its reason
	}
	if sameKey(&jose.JSONWebKey{Key: csr.PublicKey}, accountKey) {
		return nil, badCSR("CSR must not use the account key")
	}
	blocked, err := s.store.IsKeyBlocked(ctx, ca.PublicKeyHash(csr.RawSubjectPublicKeyInfo))
	if err != nil {
		return nil, internal(err)
	}
	if blocked {
		return nil, newProblem(probBadPublicKey, "the CSR's public key was revoked for keyCompromise and is blocked; generate a new key")
	}
	if len(csr.IPAddresses) > 0 || len(csr.EmailAddresses) > 0 || len(csr.URIs) > 0 {
		return nil, badCSR("CSR may only contain DNS names")
	}
	if problems := vetting.CSRSubjectProblems(csr.RawSubject, o.Names); len(problems) > 0 {
		return nil, badCSR("CSR subject: %s (the certificate's subject comes from your vetted organization record; "+
			"fix or leave out these fields)", strings.Join(problems, "; "))
	}
	got := make([]string, 0, len(csr.DNSNames)+1)
	for _, n := range csr.DNSNames {
		got = append(got, strings.ToLower(strings.TrimSuffix(n, ".")))
	}
	if cn := csr.Subject.CommonName; cn != "" {
		got = append(got, strings.ToLower(strings.TrimSuffix(cn, ".")))
	}
	got = sortedNames(got)
	var missing, extra []string
	for _, n := range o.Names {
		if !slices.Contains(got, n) {
			missing = append(missing, n)
		}
	}
	for _, n := range got {
		if !slices.Contains(o.Names, n) {
			extra = append(extra, n)
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "missing "+strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			parts = append(parts, "not in the order "+truncate(strings.Join(extra, ", "), 512))
		}
		return nil, badCSR("CSR names do not match the order: %s", strings.Join(parts, "; "))
	}
	return csr, nil
}
