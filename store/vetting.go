package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// vettingInsertError maps an insert's constraint violations to the vetting
// errors.
func vettingInsertError(err error, what, parent string) error {
	switch {
	case errors.Is(err, errUnique):
		return fmt.Errorf("store: %s: %w", what, vetting.ErrDuplicate)
	case errors.Is(err, errForeignKey):
		return fmt.Errorf("store: %s: %s: %w", what, parent, vetting.ErrNotFound)
	case errors.Is(err, errCheck):
		return fmt.Errorf("store: %s: %w: %v", what, vetting.ErrInvalid, err)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// CreateOrganization inserts o and appends the audit event (subject: the
// new id) in one transaction. It sets o.ID (and o.CreatedAt when zero).
func (s *core) CreateOrganization(ctx context.Context, o *vetting.Organization, audit *vetting.AuditEvent) error {
	created := s.stamp(o.CreatedAt)
	var id int64
	err := s.inAuditedTx(ctx, audit, func(c conn) (string, error) {
		if o.BusinessCategory == "" {
			o.BusinessCategory = vetting.BusinessCategories[0]
		}
		err := c.queryRow(ctx, `INSERT INTO organizations (name, name_ja, country, province, locality, registration_number, phone,
				business_category, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			o.Name, o.NameJa, o.Country, o.Province, o.Locality, o.RegistrationNumber, o.Phone, o.BusinessCategory, created).Scan(&id)
		if err != nil {
			return "", vettingInsertError(err, "creating organization", "")
		}
		return strconv.FormatInt(id, 10), nil
	})
	if err != nil {
		return err
	}
	o.ID, o.CreatedAt = id, created
	return nil
}

// GetOrganization returns the organization, or vetting.ErrNotFound.
func (s *core) GetOrganization(ctx context.Context, id int64) (*vetting.Organization, error) {
	var o vetting.Organization
	err := s.db.reader().queryRow(ctx, `SELECT id, name, name_ja, country, province, locality, registration_number, phone,
			business_category, created_at
		FROM organizations WHERE id = $1`, id).
		Scan(&o.ID, &o.Name, &o.NameJa, &o.Country, &o.Province, &o.Locality, &o.RegistrationNumber, &o.Phone,
			&o.BusinessCategory, &o.CreatedAt)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("organization %d", id), vetting.ErrNotFound)
	}
	return &o, nil
}

// CreateContract inserts c and appends the audit event (subject: the
// code) in one transaction; vetting.ErrDuplicate if the code is taken,
// vetting.ErrNotFound if the organization does not exist. An empty status
// becomes active; c.CreatedAt is set when zero.
func (s *core) CreateContract(ctx context.Context, c *vetting.Contract, audit *vetting.AuditEvent) error {
	created := s.stamp(c.CreatedAt)
	status := c.Status
	if status == "" {
		status = vetting.ContractActive
	}
	err := s.inAuditedTx(ctx, audit, func(tx conn) (string, error) {
		_, err := tx.exec(ctx, `INSERT INTO contracts (code, organization_id, plan, slots, profiles, status, created_at, term_start, term_end)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			c.Code, c.OrganizationID, c.Plan, c.Slots, jsonText(c.Profiles), status, created, termStart(c, created), normPtr(c.TermEnd))
		if err != nil {
			return "", vettingInsertError(err, "creating contract "+c.Code, fmt.Sprintf("organization %d", c.OrganizationID))
		}
		return c.Code, nil
	})
	if err != nil {
		return err
	}
	c.Status, c.CreatedAt, c.TermStart, c.TermEnd = status, created, termStart(c, created), normPtr(c.TermEnd)
	return nil
}

// termStart is the term start stored for c: its TermStart, or its creation.
func termStart(c *vetting.Contract, created time.Time) time.Time {
	if c.TermStart.IsZero() {
		return created
	}
	return norm(c.TermStart)
}

// SetContractTerm sets the contract's term with its audit event (subject:
// the code).
func (s *core) SetContractTerm(ctx context.Context, code string, start time.Time, end *time.Time, audit *vetting.AuditEvent) error {
	return s.inAuditedTx(ctx, audit, func(tx conn) (string, error) {
		n, err := tx.exec(ctx, `UPDATE contracts SET term_start = $2, term_end = $3 WHERE code = $1`, code, norm(start), normPtr(end))
		if err != nil {
			return "", fmt.Errorf("store: setting the term of contract %s: %w", code, err)
		}
		if n == 0 {
			return "", fmt.Errorf("store: contract %s: %w", code, vetting.ErrNotFound)
		}
		return code, nil
	})
}

// GetContract returns the contract with the code, or vetting.ErrNotFound.
func (s *core) GetContract(ctx context.Context, code string) (*vetting.Contract, error) {
	var c vetting.Contract
	var profiles string
	var start *time.Time
	err := s.db.reader().queryRow(ctx, `SELECT code, organization_id, plan, slots, profiles, status, created_at,
			(SELECT count(*) FROM coupons WHERE contract_code = contracts.code), term_start, term_end
		FROM contracts WHERE code = $1`, code).
		Scan(&c.Code, &c.OrganizationID, &c.Plan, &c.Slots, &profiles, &c.Status, &c.CreatedAt, &c.Coupons, &start, &c.TermEnd)
	if err != nil {
		return nil, notFound(err, "contract "+code, vetting.ErrNotFound)
	}
	if c.Profiles, err = fromJSONText[string](profiles, "contract profiles"); err != nil {
		return nil, err
	}
	c.TermStart = c.CreatedAt
	if start != nil {
		c.TermStart = *start
	}
	return &c, nil
}

// CreateEABCredential inserts e (RFC 8555 §7.3.4) and appends the audit
// event (subject: the kid) in one transaction; vetting.ErrDuplicate if the
// kid is taken, vetting.ErrNotFound if the contract does not exist. An
// empty status becomes active; e.CreatedAt is set when zero.
func (s *core) CreateEABCredential(ctx context.Context, e *vetting.EABCredential, audit *vetting.AuditEvent) error {
	created := s.stamp(e.CreatedAt)
	status := e.Status
	if status == "" {
		status = vetting.CredentialActive
	}
	err := s.inAuditedTx(ctx, audit, func(c conn) (string, error) {
		_, err := c.exec(ctx, `INSERT INTO eab_credentials (key_id, contract_code, hmac_key, status, created_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			e.KeyID, e.ContractCode, nonNil(e.HMACKey), status, created, normPtr(e.RevokedAt))
		if err != nil {
			return "", vettingInsertError(err, fmt.Sprintf("creating eab credential %q", e.KeyID), "contract "+e.ContractCode)
		}
		return e.KeyID, nil
	})
	if err != nil {
		return err
	}
	e.Status, e.CreatedAt, e.RevokedAt = status, created, normPtr(e.RevokedAt)
	return nil
}

// GetEABCredential returns the credential with the kid, or
// vetting.ErrNotFound.
func (s *core) GetEABCredential(ctx context.Context, kid string) (*vetting.EABCredential, error) {
	var e vetting.EABCredential
	err := s.db.reader().queryRow(ctx, `SELECT key_id, contract_code, hmac_key, status, created_at, revoked_at
		FROM eab_credentials WHERE key_id = $1`, kid).
		Scan(&e.KeyID, &e.ContractCode, &e.HMACKey, &e.Status, &e.CreatedAt, &e.RevokedAt)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("eab credential %q", kid), vetting.ErrNotFound)
	}
	return &e, nil
}

// ListEABCredentials returns the contract's credentials, oldest first,
// without their HMAC keys.
func (s *core) ListEABCredentials(ctx context.Context, contractCode string) ([]*vetting.EABCredential, error) {
	return queryAll(ctx, s.db.reader(), "eab credentials", func(r row) (*vetting.EABCredential, error) {
		var e vetting.EABCredential
		return &e, r.Scan(&e.KeyID, &e.ContractCode, &e.Status, &e.CreatedAt, &e.RevokedAt)
	}, `SELECT key_id, contract_code, status, created_at, revoked_at FROM eab_credentials
		WHERE contract_code = $1 ORDER BY created_at, key_id`, contractCode)
}

// RevokeEABCredential sets an active credential revoked at at and appends
// the audit event (subject: the kid) in one transaction;
// vetting.ErrNotFound if there is none, vetting.ErrInactive if it is
// already revoked.
func (s *core) RevokeEABCredential(ctx context.Context, kid string, at time.Time, audit *vetting.AuditEvent) error {
	what := fmt.Sprintf("revoking eab credential %q", kid)
	err := s.inAuditedTx(ctx, audit, func(c conn) (string, error) {
		n, err := c.exec(ctx, `UPDATE eab_credentials SET status = 'revoked', revoked_at = $2 WHERE key_id = $1 AND status = 'active'`,
			kid, s.stamp(at))
		if err != nil {
			return "", fmt.Errorf("store: %s: %w", what, err)
		}
		if n == 0 {
			return "", missOrConflict(ctx, c, "eab_credentials", "key_id", kid, what, vetting.ErrNotFound, vetting.ErrInactive)
		}
		return kid, nil
	})
	if err != nil {
		return err
	}
	return nil
}

// SetContractStatus changes the contract's status from from to to and
// appends the audit event (subject: the code) in one transaction;
// vetting.ErrNotFound if there is no such contract, vetting.ErrConflict if
// its status is no longer from, vetting.ErrInvalid if to is not a contract
// status. Which changes are allowed is the caller's policy.
func (s *core) SetContractStatus(ctx context.Context, code, from, to string, audit *vetting.AuditEvent) error {
	what := fmt.Sprintf("setting status of contract %s to %q", code, to)
	err := s.inAuditedTx(ctx, audit, func(c conn) (string, error) {
		n, err := c.exec(ctx, `UPDATE contracts SET status = $3 WHERE code = $1 AND status = $2`, code, from, to)
		if errors.Is(err, errCheck) {
			return "", fmt.Errorf("store: %s: %w: %v", what, vetting.ErrInvalid, err)
		}
		if err != nil {
			return "", fmt.Errorf("store: %s: %w", what, err)
		}
		if n == 0 {
			return "", missOrConflict(ctx, c, "contracts", "code", code, what, vetting.ErrNotFound, vetting.ErrConflict)
		}
		return code, nil
	})
	if err != nil {
		return err
	}
	return nil
}
