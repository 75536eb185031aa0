package vetting

import (
	"context"
	"fmt"
	"slices"
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
	audit     []AuditEvent

	// failAudit, when set, is returned by AppendAudit.
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
	}
}

func (m *memStore) CreateOrganization(_ context.Context, o *Organization) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextOrgID++
	o.ID = m.nextOrgID
	m.orgs[o.ID] = *o
	return nil
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

func (m *memStore) CreateContract(_ context.Context, c *Contract) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.contracts[c.Code]; ok {
		return fmt.Errorf("memstore: contract %s: %w", c.Code, ErrDuplicate)
	}
	cc := *c
	cc.Profiles = slices.Clone(c.Profiles)
	m.contracts[c.Code] = cc
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

// setContractStatus stands in for the SetContractStatus the Store does not
// have yet.
func (m *memStore) setContractStatus(code, status string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.contracts[code]
	c.Status = status
	m.contracts[code] = c
}

func (m *memStore) CreateEABCredential(_ context.Context, e *EABCredential) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.creds[e.KeyID]; ok {
		return fmt.Errorf("memstore: EAB credential %s: %w", e.KeyID, ErrDuplicate)
	}
	ee := *e
	ee.HMACKey = slices.Clone(e.HMACKey)
	m.creds[e.KeyID] = ee
	return nil
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

func (m *memStore) RevokeEABCredential(_ context.Context, kid string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.creds[kid]
	switch {
	case !ok:
		return fmt.Errorf("memstore: EAB credential: %w", ErrNotFound)
	case e.Status != CredentialActive:
		return fmt.Errorf("memstore: EAB credential %s: %w", kid, ErrInactive)
	}
	e.Status = CredentialRevoked
	e.RevokedAt = &at
	m.creds[kid] = e
	return nil
}

func (m *memStore) AppendAudit(_ context.Context, e *AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAudit != nil {
		return m.failAudit
	}
	e.ID = int64(len(m.audit) + 1)
	ee := *e
	ee.Detail = slices.Clone(e.Detail)
	m.audit = append(m.audit, ee)
	return nil
}

// events returns a copy of the audit log.
func (m *memStore) events() []AuditEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.audit)
}
