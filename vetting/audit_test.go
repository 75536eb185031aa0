package vetting

import (
	"context"
	"errors"
	"testing"
)

// TestAuditFailureChangesNothing checks that every change the Service makes
// fails whole when its audit event cannot be stored: no record without its
// event.
func TestAuditFailureChangesNothing(t *testing.T) {
	type state struct {
		orgs, contracts, creds, events int
		status, credStatus             string
	}
	tests := []struct {
		name   string
		change func(ctx context.Context, s *Service, c *Contract, kid string) error
	}{
		{"create organization", func(ctx context.Context, s *Service, _ *Contract, _ string) error {
			_, err := s.CreateOrganization(ctx, goodOrg(), "cli")
			return err
		}},
		{"create contract", func(ctx context.Context, s *Service, c *Contract, _ string) error {
			_, err := s.CreateContract(ctx, ContractInput{OrganizationID: c.OrganizationID}, "cli")
			return err
		}},
		{"suspend contract", func(ctx context.Context, s *Service, c *Contract, _ string) error {
			return s.SetContractStatus(ctx, c.Code, ContractSuspended, "cli")
		}},
		{"create EAB credential", func(ctx context.Context, s *Service, c *Contract, _ string) error {
			_, err := s.CreateEAB(ctx, c.Code, "cli")
			return err
		}},
		{"revoke EAB credential", func(ctx context.Context, s *Service, _ *Contract, kid string) error {
			return s.RevokeEAB(ctx, kid, "cli")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, m := newTestService(t, 1)
			_, c := mustOrgContract(t, s, ContractInput{})
			e, err := s.CreateEAB(ctx, c.Code, "cli")
			if err != nil {
				t.Fatal(err)
			}
			snapshot := func() state {
				m.mu.Lock()
				defer m.mu.Unlock()
				return state{len(m.orgs), len(m.contracts), len(m.creds), len(m.audit),
					m.contracts[c.Code].Status, m.creds[e.KeyID].Status}
			}
			before := snapshot()
			m.failAudit = errors.New("disk full")
			err = tt.change(ctx, s, c, e.KeyID)
			if !errors.Is(err, m.failAudit) {
				t.Errorf("got error %v, want one wrapping %v", err, m.failAudit)
			}
			if after := snapshot(); after != before {
				t.Errorf("store after a failed audit append: got %+v, want %+v", after, before)
			}
		})
	}
}
