package vetting

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// EAB credential parameters.
const (
	// EABKeyIDPrefix starts every kakuin EAB key id.
	EABKeyIDPrefix = "kak_"
	// eabKeyIDBytes random bytes follow the prefix, base64url-encoded.
	eabKeyIDBytes = 16
	// EABHMACKeySize is the HMAC-SHA256 key size in bytes.
	EABHMACKeySize = 32
	// maxKeyIDLen bounds key ids accepted from clients before any lookup.
	maxKeyIDLen = 64
)

// EncodeHMAC returns key as unpadded base64url, the form ACME clients take
// (certbot --eab-hmac-key, lego --hmac) and RFC 8555 §7.3.4 implies.
func EncodeHMAC(key []byte) string {
	return base64.RawURLEncoding.EncodeToString(key)
}

// CreateEAB creates an External Account Binding credential (RFC 8555
// §7.3.4) for an active contract: key id "kak_" + 16 random bytes base64url,
// and a 32-byte HMAC key. It is stored with an "eab.create" audit event,
// which never contains the key. The returned credential holds the key; show it to
// the operator once (EncodeHMAC) and never log it.
func (s *Service) CreateEAB(ctx context.Context, contractCode string, actor string) (*EABCredential, error) {
	ie := &inputErrors{record: "EAB credential"}
	checkActor(ie, actor)
	if err := ie.err(); err != nil {
		return nil, err
	}
	c, err := s.Contract(ctx, contractCode)
	if err != nil {
		return nil, err
	}
	if c.Status != ContractActive {
		return nil, errorf(ErrInactive, "contract %s is %s: reactivate it before creating EAB credentials", c.Code, c.Status)
	}
	e := &EABCredential{ContractCode: c.Code, Status: CredentialActive, CreatedAt: s.now()}
	ev, err := event(e.CreatedAt, "eab.create", actor, map[string]any{"contract_code": c.Code})
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if attempt == maxCodeAttempts {
			return nil, errTooManyAttempts
		}
		id := make([]byte, eabKeyIDBytes)
		key := make([]byte, EABHMACKeySize)
		if err := s.random(id); err != nil {
			return nil, err
		}
		if err := s.random(key); err != nil {
			return nil, err
		}
		e.KeyID = EABKeyIDPrefix + base64.RawURLEncoding.EncodeToString(id)
		e.HMACKey = key
		err = s.store.CreateEABCredential(ctx, e, ev)
		if errors.Is(err, ErrDuplicate) {
			continue
		}
		if err != nil {
			// The error of a store never contains the key; say which contract.
			return nil, fmt.Errorf("vetting: create EAB credential for contract %s: %w", c.Code, err)
		}
		return e, nil
	}
}

// RevokeEAB revokes an active EAB credential so that it binds no further
// ACME accounts, with an "eab.revoke" audit event. Errors wrap
// ErrNotFound (unknown key id) or ErrInactive (already revoked).
func (s *Service) RevokeEAB(ctx context.Context, kid, actor string) error {
	ie := &inputErrors{record: "EAB revocation"}
	if !plausibleKeyID(kid) {
		ie.add("kid", "must be an EAB key id starting with %q (got %s)", EABKeyIDPrefix, quote(kid))
	}
	checkActor(ie, actor)
	if err := ie.err(); err != nil {
		return err
	}
	e, err := s.store.GetEABCredential(ctx, kid)
	switch {
	case errors.Is(err, ErrNotFound):
		return &kindError{kind: ErrNotFound, cause: err, msg: fmt.Sprintf("vetting: unknown EAB key id %s", quote(kid))}
	case err != nil:
		return fmt.Errorf("vetting: get EAB credential %s: %w", kid, err)
	}
	at := s.now()
	ev, err := event(at, "eab.revoke", actor, map[string]any{"contract_code": e.ContractCode})
	if err != nil {
		return err
	}
	err = s.store.RevokeEABCredential(ctx, kid, at, ev)
	switch {
	case errors.Is(err, ErrInactive):
		return &kindError{kind: ErrInactive, cause: err, msg: fmt.Sprintf("vetting: EAB credential %s is already revoked", kid)}
	case errors.Is(err, ErrNotFound):
		return &kindError{kind: ErrNotFound, cause: err, msg: fmt.Sprintf("vetting: unknown EAB key id %s", quote(kid))}
	case err != nil:
		return fmt.Errorf("vetting: revoke EAB credential %s: %w", kid, err)
	}
	return nil
}

// EABCredential returns an active EAB credential and its active contract,
// for binding a new ACME account (RFC 8555 §7.3.4). Errors wrap ErrNotFound
// ("unknown EAB key id") or ErrInactive ("EAB credential revoked",
// "contract NNNNNNNNNN is suspended"). Part of acme.Vetting; the caller
// compares the MAC in constant time.
func (s *Service) EABCredential(ctx context.Context, kid string) (*EABCredential, *Contract, error) {
	if !plausibleKeyID(kid) {
		return nil, nil, errorf(ErrNotFound, "unknown EAB key id %s", quote(kid))
	}
	e, err := s.store.GetEABCredential(ctx, kid)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil, &kindError{kind: ErrNotFound, cause: err, msg: fmt.Sprintf("vetting: unknown EAB key id %s", quote(kid))}
	case err != nil:
		return nil, nil, fmt.Errorf("vetting: get EAB credential %s: %w", kid, err)
	}
	if e.Status != CredentialActive {
		return nil, nil, errorf(ErrInactive, "EAB credential %s revoked", kid)
	}
	c, err := s.store.GetContract(ctx, e.ContractCode)
	if err != nil {
		// A credential without its contract is a broken store, not a
		// client mistake: do not let it read as ErrNotFound.
		return nil, nil, fmt.Errorf("vetting: contract %s of EAB credential %s: %v", e.ContractCode, kid, err)
	}
	if c.Status != ContractActive {
		return nil, nil, errorf(ErrInactive, "contract %s is %s", c.Code, c.Status)
	}
	return e, c, nil
}

// plausibleKeyID reports whether kid could be a kakuin key id; anything
// else is refused before it reaches the store.
func plausibleKeyID(kid string) bool {
	if len(kid) > maxKeyIDLen || !strings.HasPrefix(kid, EABKeyIDPrefix) || len(kid) == len(EABKeyIDPrefix) {
		return false
	}
	for _, r := range kid[len(EABKeyIDPrefix):] {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// EABCredentials lists a contract's credentials, oldest first, without
// their HMAC keys (shown only when created). A malformed code wraps
// ErrInvalid, an unknown contract ErrNotFound.
func (s *Service) EABCredentials(ctx context.Context, contractCode string) ([]*EABCredential, error) {
	if _, err := s.Contract(ctx, contractCode); err != nil {
		return nil, err
	}
	creds, err := s.store.ListEABCredentials(ctx, contractCode)
	if err != nil {
		return nil, fmt.Errorf("vetting: EAB credentials of contract %s: %w", contractCode, err)
	}
	for _, c := range creds {
		c.HMACKey = nil
	}
	return creds, nil
}
