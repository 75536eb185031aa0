package acme

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	jose "github.com/go-jose/go-jose/v4"
)

// accountJSON is the account object (RFC 8555 §7.1.2).
type accountJSON struct {
	Status               string   `json:"status"`
	Contact              []string `json:"contact,omitempty"`
	TermsOfServiceAgreed bool     `json:"termsOfServiceAgreed,omitempty"`
	Orders               string   `json:"orders"`
}

// accountView renders a; termsOfServiceAgreed says whether the account
// agreed to the terms of service when it was created (RFC 8555 §7.1.2).
func (s *Server) accountView(a *Account) accountJSON {
	return accountJSON{
		Status:               a.Status,
		Contact:              a.Contact,
		TermsOfServiceAgreed: a.TermsAgreedAt != nil,
		Orders:               s.ordersURL(a.ID),
	}
}

// writeAccount sends a with its Location.
func (s *Server) writeAccount(w http.ResponseWriter, status int, a *Account) error {
	w.Header().Set("Location", s.accountURL(a.ID))
	return writeJSON(w, status, s.accountView(a))
}

// newAccountRequest is the newAccount payload (RFC 8555 §7.3).
type newAccountRequest struct {
	Contact                []string        `json:"contact"`
	TermsOfServiceAgreed   bool            `json:"termsOfServiceAgreed"`
	OnlyReturnExisting     bool            `json:"onlyReturnExisting"`
	ExternalAccountBinding json.RawMessage `json:"externalAccountBinding"`
}

// newAccount implements RFC 8555 §7.3. The key in "jwk" identifies the
// account: an existing one is returned (200 + Location) without looking at
// the rest of the request; onlyReturnExisting (§7.3.1) stops there; a new
// account needs terms-of-service agreement when the directory has terms,
// valid contacts, and an External Account Binding (§7.3.4) whose
// credential it is bound to (201 + Location). An agreement is stored with
// its time and the terms URL agreed to, for audit.
func (s *Server) newAccount(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sr, err := s.verifyPOST(w, r, jwkOnly)
	if err != nil {
		return err
	}
	if sr.postAsGet() {
		return malformed("newAccount needs a JSON object payload")
	}
	var req newAccountRequest
	if err := decodePayload(sr.payload, &req); err != nil {
		return err
	}
	tp, err := thumbprint(sr.key)
	if err != nil {
		return newProblem(probBadPublicKey, "cannot compute the key thumbprint")
	}
	if existing, err := s.existingAccount(ctx, tp); err != nil || existing != nil {
		if err != nil {
			return err
		}
		return s.writeAccount(w, http.StatusOK, existing)
	}
	if req.OnlyReturnExisting {
		return newProblem(probAccountDoesNotExist, "no account exists for this key")
	}
	if s.meta.TermsOfService != "" && !req.TermsOfServiceAgreed {
		return malformed("you must agree to the terms of service (%s)", s.meta.TermsOfService)
	}
	if err := validateContacts(req.Contact); err != nil {
		return err
	}
	if len(req.ExternalAccountBinding) == 0 || string(req.ExternalAccountBinding) == "null" {
		return newProblem(probExternalAccountRequired, "this CA requires an External Account Binding (RFC 8555 §7.3.4); ask your contract's EAB key id and HMAC key")
	}
	kid, err := s.verifyEAB(ctx, req.ExternalAccountBinding, sr.key)
	if err != nil {
		return err
	}
	keyJSON, err := publicJWKJSON(sr.key)
	if err != nil {
		return internal(err)
	}
	acct := &Account{
		Status:        StatusValid,
		Contact:       req.Contact,
		KeyJWK:        keyJSON,
		KeyThumbprint: tp,
		EABKeyID:      kid,
	}
	if req.TermsOfServiceAgreed {
		at := s.clock()
		acct.TermsAgreedAt, acct.TermsOfService = &at, s.meta.TermsOfService
	}
	err = s.store.CreateAccount(ctx, acct, EABBinding{KeyID: kid, MaxAccounts: s.policy.EABMaxAccounts})
	if errors.Is(err, ErrDuplicate) {
		// Another request registered the same key meanwhile.
		existing, err := s.existingAccount(ctx, tp)
		if err != nil || existing == nil {
			return internal(errors.Join(errors.New("acme: account vanished after duplicate"), err))
		}
		return s.writeAccount(w, http.StatusOK, existing)
	}
	if err != nil {
		return err
	}
	infoFrom(ctx).accountID = acct.ID
	s.log.InfoContext(ctx, "acme account created", "account", acct.ID, "eab_kid", kid, "contract", acct.ContractCode)
	return s.writeAccount(w, http.StatusCreated, acct)
}

// existingAccount returns the account with the key thumbprint, nil if
// none, or unauthorized if it is deactivated (RFC 8555 §7.3.6).
func (s *Server) existingAccount(ctx context.Context, tp string) (*Account, error) {
	a, err := s.store.GetAccountByThumbprint(ctx, tp)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal(err)
	}
	infoFrom(ctx).accountID = a.ID
	if a.Status != StatusValid {
		return nil, unauthorized("account is %s", a.Status)
	}
	return a, nil
}

// publicJWKJSON is the canonical JSON of the public key.
func publicJWKJSON(k *jose.JSONWebKey) ([]byte, error) {
	pub := k.Public()
	return pub.MarshalJSON()
}

// accountUpdateRequest is the payload of a POST to an account (RFC 8555
// §7.3.2, §7.3.6).
type accountUpdateRequest struct {
	Contact *[]string `json:"contact"`
	Status  string    `json:"status"`
}

// account implements POST-as-GET of the account (RFC 8555 §7.3.3 note),
// contact update (§7.3.2) and deactivation (§7.3.6).
func (s *Server) account(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sr, err := s.verifyPOST(w, r, kidOnly)
	if err != nil {
		return err
	}
	if chi.URLParam(r, "id") != strconv.FormatInt(sr.account.ID, 10) {
		return notYours("account")
	}
	acct := sr.account
	if sr.postAsGet() {
		return s.writeAccount(w, http.StatusOK, acct)
	}
	var req accountUpdateRequest
	if err := decodePayload(sr.payload, &req); err != nil {
		return err
	}
	switch req.Status {
	case "", StatusValid:
	case StatusDeactivated:
		if err := s.store.DeactivateAccount(ctx, acct.ID); err != nil {
			return err
		}
		acct.Status = StatusDeactivated
		s.log.InfoContext(ctx, "acme account deactivated", "account", acct.ID)
		return s.writeAccount(w, http.StatusOK, acct)
	default:
		return malformed("account status can only be changed to %q", StatusDeactivated)
	}
	if req.Contact != nil {
		if err := validateContacts(*req.Contact); err != nil {
			return err
		}
		if err := s.store.UpdateAccountContact(ctx, acct.ID, *req.Contact); err != nil {
			return err
		}
		acct.Contact = *req.Contact
	}
	return s.writeAccount(w, http.StatusOK, acct)
}
