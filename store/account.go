package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/vetting"
)

const accountColumns = `id, status, contact, key_jwk, key_thumbprint, contract_code, eab_key_id, terms_agreed_at, terms_of_service, created_at`

func scanAccount(r row) (*acme.Account, error) {
	var a acme.Account
	var contact string
	if err := r.Scan(&a.ID, &a.Status, &contact, &a.KeyJWK, &a.KeyThumbprint, &a.ContractCode, &a.EABKeyID,
		&a.TermsAgreedAt, &a.TermsOfService, &a.CreatedAt); err != nil {
		return nil, err
	}
	var err error
	a.Contact, err = fromJSONText[string](contact, "account contact")
	return &a, err
}

// CreateAccount inserts a bound to the EAB credential b.KeyID (RFC 8555
// §7.3.4) in one transaction: the credential must be active, its contract
// active, and fewer than b.MaxAccounts (at least 1) accounts bound to it.
// On PostgreSQL the credential row is locked first, so concurrent creations
// cannot both take its last slot; SQLite write transactions are exclusive.
// The terms-of-service agreement (a.TermsAgreedAt, a.TermsOfService) is
// stored as given. It sets a.ID, a.ContractCode, a.EABKeyID, and a.Status
// ("valid") and a.CreatedAt when empty.
func (s *core) CreateAccount(ctx context.Context, a *acme.Account, b acme.EABBinding) error {
	maxAccounts := max(b.MaxAccounts, 1)
	status := a.Status
	if status == "" {
		status = acme.StatusValid
	}
	created := s.stamp(a.CreatedAt)
	var id int64
	var contract string
	err := s.db.inTx(ctx, func(c conn) error {
		var credStatus, contractStatus string
		err := c.queryRow(ctx, `SELECT e.status, e.contract_code, k.status
			FROM eab_credentials e JOIN contracts k ON k.code = e.contract_code
			WHERE e.key_id = $1 FOR UPDATE OF e`, b.KeyID).Scan(&credStatus, &contract, &contractStatus)
		switch {
		case errors.Is(err, errNoRows):
			return eabRefused(b.KeyID, "is unknown")
		case err != nil:
			return fmt.Errorf("store: creating account: %w", err)
		case credStatus != vetting.CredentialActive:
			return eabRefused(b.KeyID, "is revoked")
		case contractStatus != vetting.ContractActive:
			return eabRefused(b.KeyID, "belongs to a contract that is "+contractStatus)
		}
		var bound int
		if err := c.queryRow(ctx, `SELECT count(*) FROM accounts WHERE eab_key_id = $1`, b.KeyID).Scan(&bound); err != nil {
			return fmt.Errorf("store: creating account: %w", err)
		}
		if bound >= maxAccounts {
			return eabRefused(b.KeyID, fmt.Sprintf("already binds %s (the limit)", plural(bound, "account")))
		}
		err = c.queryRow(ctx, `INSERT INTO accounts (status, contact, key_jwk, key_thumbprint, contract_code, eab_key_id,
			terms_agreed_at, terms_of_service, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			status, jsonText(a.Contact), a.KeyJWK, a.KeyThumbprint, contract, b.KeyID,
			normPtr(a.TermsAgreedAt), a.TermsOfService, created).Scan(&id)
		if errors.Is(err, errUnique) {
			return fmt.Errorf("store: account key: %w", acme.ErrDuplicate)
		}
		if err != nil {
			return fmt.Errorf("store: creating account: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.ID, a.Status, a.ContractCode, a.EABKeyID, a.CreatedAt = id, status, contract, b.KeyID, created
	a.TermsAgreedAt = normPtr(a.TermsAgreedAt)
	return nil
}

// GetAccount returns the account with id, or acme.ErrNotFound.
func (s *core) GetAccount(ctx context.Context, id int64) (*acme.Account, error) {
	a, err := scanAccount(s.db.reader().queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("account %d", id), acme.ErrNotFound)
	}
	return a, nil
}

// GetAccountByThumbprint returns the account whose key has the RFC 7638
// thumbprint, or acme.ErrNotFound.
func (s *core) GetAccountByThumbprint(ctx context.Context, thumbprint string) (*acme.Account, error) {
	a, err := scanAccount(s.db.reader().queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE key_thumbprint = $1`, thumbprint))
	if err != nil {
		return nil, notFound(err, "account by key", acme.ErrNotFound)
	}
	return a, nil
}

// UpdateAccountContact replaces the account's contact URLs (RFC 8555
// §7.3.2).
func (s *core) UpdateAccountContact(ctx context.Context, id int64, contact []string) error {
	n, err := s.db.writer().exec(ctx, `UPDATE accounts SET contact = $2 WHERE id = $1`, id, jsonText(contact))
	if err != nil {
		return fmt.Errorf("store: updating account %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: account %d: %w", id, acme.ErrNotFound)
	}
	return nil
}

// DeactivateAccount sets a valid account deactivated (RFC 8555 §7.3.6);
// acme.ErrConflict if it is not valid.
func (s *core) DeactivateAccount(ctx context.Context, id int64) error {
	c := s.db.writer()
	n, err := c.exec(ctx, `UPDATE accounts SET status = 'deactivated' WHERE id = $1 AND status = 'valid'`, id)
	if err != nil {
		return fmt.Errorf("store: deactivating account %d: %w", id, err)
	}
	if n == 0 {
		return missOrConflict(ctx, c, "accounts", "id", id, fmt.Sprintf("deactivating account %d", id), acme.ErrNotFound, acme.ErrConflict)
	}
	return nil
}

// ChangeAccountKey replaces the account key (RFC 8555 §7.3.5) if its
// thumbprint is still oldThumbprint (acme.ErrConflict otherwise);
// acme.ErrDuplicate if another account has the new key.
func (s *core) ChangeAccountKey(ctx context.Context, id int64, oldThumbprint string, newJWK []byte, newThumbprint string) error {
	c := s.db.writer()
	n, err := c.exec(ctx, `UPDATE accounts SET key_jwk = $3, key_thumbprint = $4 WHERE id = $1 AND key_thumbprint = $2`,
		id, oldThumbprint, newJWK, newThumbprint)
	if errors.Is(err, errUnique) {
		return fmt.Errorf("store: changing key of account %d: %w", id, acme.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: changing key of account %d: %w", id, err)
	}
	if n == 0 {
		return missOrConflict(ctx, c, "accounts", "id", id, fmt.Sprintf("changing key of account %d", id), acme.ErrNotFound, acme.ErrConflict)
	}
	return nil
}

// eabRefused is CreateAccount's refusal of the credential kid for the
// reason (see acme.EABError).
func eabRefused(kid, reason string) error {
	return fmt.Errorf("store: creating account: %w", &acme.EABError{KeyID: kid, Reason: reason})
}

// plural returns "1 account", "2 accounts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
