package vetting

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memStore is an in-memory Store for this package's tests. It copies
// records in and out, as a database does, so that aliasing bugs show. The
// real SQLite and PostgreSQL stores pass their own conformance suite.
type memStore struct {
	mu        sync.Mutex
	nextOrgID int64
	orgs      map[int64]Organization
	contracts map[string]Contract
	creds     map[string]EABCredential
	contacts  []Contact
	coupons   map[string]Coupon
	audit     []AuditEvent

	// failAudit, when set, makes every audit append fail, and with it the
	// change it describes.
	failAudit error
	// credLookups counts GetEABCredential calls.
	credLookups int
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{
		orgs:      map[int64]Organization{},
		contracts: map[string]Contract{},
		creds:     map[string]EABCredential{},
		coupons:   map[string]Coupon{},
	}
}

func (m *memStore) CreateOrganization(_ context.Context, o *Organization, audit *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkAudit(audit); err != nil {
		return err
	}
	m.nextOrgID++
	o.ID = m.nextOrgID
	m.orgs[o.ID] = *o
	m.appendAudit(audit, strconv.FormatInt(o.ID, 10))
	return nil
}

func (m *memStore) SetContact(_ context.Context, c *Contact, audit *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkAudit(audit); err != nil {
		return err
	}
	if _, ok := m.orgs[c.OrganizationID]; !ok {
		return fmt.Errorf("memstore: organization %d: %w", c.OrganizationID, ErrNotFound)
	}
	for i := range m.contacts {
		if old := &m.contacts[i]; old.OrganizationID == c.OrganizationID && old.Role == c.Role && old.ValidTo == nil {
			to := c.ValidFrom
			old.ValidTo = &to
		}
	}
	c.ID = int64(len(m.contacts) + 1)
	m.contacts = append(m.contacts, *c)
	m.appendAudit(audit, strconv.FormatInt(c.OrganizationID, 10))
	return nil
}

func (m *memStore) Contacts(_ context.Context, orgID int64, history bool) ([]*Contact, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Contact
	for _, c := range m.contacts {
		if c.OrganizationID == orgID && (history || c.ValidTo == nil) {
			out = append(out, &c)
		}
	}
	slices.SortStableFunc(out, func(a, b *Contact) int { return strings.Compare(a.Role, b.Role) })
	return out, nil
}

func (m *memStore) SetContractTerm(_ context.Context, code string, start time.Time, end *time.Time, audit *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkAudit(audit); err != nil {
		return err
	}
	c, ok := m.contracts[code]
	if !ok {
		return fmt.Errorf("memstore: contract %s: %w", code, ErrNotFound)
	}
	c.TermStart, c.TermEnd = start, end
	m.contracts[code] = c
	m.appendAudit(audit, code)
	return nil
}

func (m *memStore) CreateCoupons(_ context.Context, cs []*Coupon, audit *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkAudit(audit); err != nil {
		return err
	}
	for _, c := range cs {
		if _, ok := m.coupons[c.Number]; ok {
			return fmt.Errorf("memstore: coupon %s: %w", c.Number, ErrDuplicate)
		}
	}
	for _, c := range cs {
		m.coupons[c.Number] = *c
	}
	m.appendAudit(audit, cs[0].Pack)
	return nil
}

func (m *memStore) RedeemCoupon(_ context.Context, number, code string, at time.Time, audit *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkAudit(audit); err != nil {
		return err
	}
	c, ok := m.coupons[number]
	switch {
	case !ok:
		return fmt.Errorf("memstore: coupon %s: %w", number, ErrNotFound)
	case c.ContractCode != "" || !at.Before(c.ExpiresAt):
		return fmt.Errorf("memstore: coupon %s: %w", number, ErrConflict)
	}
	c.ContractCode, c.RedeemedAt = code, &at
	m.coupons[number] = c
	m.appendAudit(audit, number)
	return nil
}

func (m *memStore) GetCoupon(_ context.Context, number string) (*Coupon, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.coupons[number]
	if !ok {
		return nil, fmt.Errorf("memstore: coupon %s: %w", number, ErrNotFound)
	}
	return &c, nil
}

func (m *memStore) GetOrganization(_ context.Context, id int64) (*Organization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orgs[id]
	if !ok {
		return nil, fmt.Errorf("memstore: organization %d: %w", id, ErrNotFound)
	}
	return &o, nil
}

func (m *memStore) CreateContract(_ context.Context, c *Contract, audit *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.contracts[c.Code]; ok {
		return fmt.Errorf("memstore: contract %s: %w", c.Code, ErrDuplicate)
	}
	if err := m.checkAudit(audit); err != nil {
		return err
	}
	cc := *c
	cc.Profiles = slices.Clone(c.Profiles)
	m.contracts[c.Code] = cc
	m.appendAudit(audit, c.Code)
	return nil
}

func (m *memStore) GetContract(_ context.Context, code string) (*Contract, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.contracts[code]
	if !ok {
		return nil, fmt.Errorf("memstore: contract %s: %w", code, ErrNotFound)
	}
	c.Profiles = slices.Clone(c.Profiles)
	return &c, nil
}

func (m *memStore) SetContractStatus(_ context.Context, code, from, to string, audit *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.contracts[code]
	switch {
	case !ok:
		return fmt.Errorf("memstore: contract %s: %w", code, ErrNotFound)
	case c.Status != from:
		return fmt.Errorf("memstore: contract %s is %s: %w", code, c.Status, ErrConflict)
	}
	if err := m.checkAudit(audit); err != nil {
		return err
	}
	c.Status = to
	m.contracts[code] = c
	m.appendAudit(audit, code)
	return nil
}

// setContractStatus sets a contract's status behind the Service's back, as
// a concurrent process would.
func (m *memStore) setContractStatus(code, status string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.contracts[code]
	c.Status = status
	m.contracts[code] = c
}

func (m *memStore) CreateEABCredential(_ context.Context, e *EABCredential, audit *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.creds[e.KeyID]; ok {
		return fmt.Errorf("memstore: EAB credential %s: %w", e.KeyID, ErrDuplicate)
	}
	if err := m.checkAudit(audit); err != nil {
		return err
	}
	ee := *e
	ee.HMACKey = slices.Clone(e.HMACKey)
	m.creds[e.KeyID] = ee
	m.appendAudit(audit, e.KeyID)
	return nil
}

func (m *memStore) ListEABCredentials(_ context.Context, code string) ([]*EABCredential, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*EABCredential
	for _, c := range m.creds {
		if c.ContractCode == code {
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *EABCredential) int { return strings.Compare(a.KeyID, b.KeyID) })
	return out, nil
}

func (m *memStore) GetEABCredential(_ context.Context, kid string) (*EABCredential, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.credLookups++
	e, ok := m.creds[kid]
	if !ok {
		return nil, fmt.Errorf("memstore: EAB credential: %w", ErrNotFound)
	}
	e.HMACKey = slices.Clone(e.HMACKey)
	return &e, nil
}

func (m *memStore) RevokeEABCredential(_ context.Context, kid string, at time.Time, audit *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.creds[kid]
	switch {
	case !ok:
		return fmt.Errorf("memstore: EAB credential: %w", ErrNotFound)
	case e.Status != CredentialActive:
		return fmt.Errorf("memstore: EAB credential %s: %w", kid, ErrInactive)
	}
	if err := m.checkAudit(audit); err != nil {
		return err
	}
	e.Status = CredentialRevoked
	e.RevokedAt = &at
	m.creds[kid] = e
	m.appendAudit(audit, kid)
	return nil
}

func (m *memStore) AppendAudit(_ context.Context, e *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkAudit(e); err != nil {
		return err
	}
	m.appendAudit(e, e.Subject)
	return nil
}

// checkAudit refuses what the real stores refuse (and failAudit), so that
// the caller's change is not made either; m.mu is held.
func (m *memStore) checkAudit(e *AuditEvent) error {
	switch {
	case m.failAudit != nil:
		return m.failAudit
	case e == nil || e.Kind == "" || e.Actor == "":
		return fmt.Errorf("memstore: audit event missing or without kind and actor: %w", ErrInvalid)
	}
	return nil
}

// appendAudit appends a copy of e with the subject; m.mu is held.
func (m *memStore) appendAudit(e *AuditEvent, subject string) {
	e.ID, e.Subject = int64(len(m.audit)+1), subject
	ee := *e
	ee.Detail = slices.Clone(e.Detail)
	m.audit = append(m.audit, ee)
}

// events returns a copy of the audit log.
func (m *memStore) events() []AuditEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.audit)
}
