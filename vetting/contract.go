package vetting

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MaxSlots is the largest number of certificates one contract may allow.
const MaxSlots = 10000

// Profile names a contract may allow; the same names as ca.ProfileOV and
// ca.ProfileEV.
const (
	ProfileOV = "ov"
	ProfileEV = "ev"
)

// ContractInput is what an operator enters to create a contract.
type ContractInput struct {
	// OrganizationID is the contracting organization; it must exist.
	OrganizationID int64
	// Plan is PlanPerCertificate (default when empty) or PlanMonthly.
	Plan string
	// Slots is how many certificates the plan allows at once; 0 means 1.
	Slots int
	// Profiles lists the allowed certificate profiles, "ov" and/or "ev";
	// empty means ["ov"]. The first is the default profile.
	Profiles []string
	// TermEnd, when set, is when the contract's term ends (it starts at
	// creation); zero means open-ended.
	TermEnd time.Time
}

// CreateContract validates in, draws a fresh contract code (retrying if one
// is taken) and stores the contract as active with a "contract.create"
// audit event. Invalid input returns an *InputError; an unknown
// organization an error wrapping ErrNotFound.
func (s *Service) CreateContract(ctx context.Context, in ContractInput, actor string) (*Contract, error) {
	c, err := checkContract(in, actor)
	if err != nil {
		return nil, err
	}
	if _, err := s.Organization(ctx, c.OrganizationID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, &kindError{kind: ErrNotFound, cause: err,
				msg: fmt.Sprintf("vetting: invalid contract: organization_id: organization %d does not exist (create the organization first)", c.OrganizationID)}
		}
		return nil, err
	}
	c.Status = ContractActive
	c.CreatedAt = s.now()
	c.TermStart = c.CreatedAt
	if !in.TermEnd.IsZero() {
		if !in.TermEnd.After(c.CreatedAt) {
			return nil, errorf(ErrInvalid, "invalid contract: term_end: must be after the contract's creation (got %s)", in.TermEnd.Format(time.DateOnly))
		}
		end := in.TermEnd.UTC()
		c.TermEnd = &end
	}
	ev, err := event(c.CreatedAt, "contract.create", actor, map[string]any{
		"organization_id": c.OrganizationID, "plan": c.Plan,
		"slots": c.Slots, "profiles": c.Profiles, "status": c.Status, "term_end": c.TermEnd,
	})
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if attempt == maxCodeAttempts {
			return nil, errTooManyAttempts
		}
		if c.Code, err = s.newContractCode(); err != nil {
			return nil, err
		}
		err = s.store.CreateContract(ctx, c, ev)
		if errors.Is(err, ErrDuplicate) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("vetting: create contract for organization %d: %w", c.OrganizationID, err)
		}
		return c, nil
	}
}

// Contract returns the contract with the given code, whatever its status.
// A malformed code returns an error wrapping ErrInvalid (saying whether it
// is the length or the check digit), an unknown one ErrNotFound. Part of
// acme.Vetting.
func (s *Service) Contract(ctx context.Context, code string) (*Contract, error) {
	if err := ValidateContractCode(code); err != nil {
		return nil, err
	}
	c, err := s.store.GetContract(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return nil, &kindError{kind: ErrNotFound, cause: err, msg: fmt.Sprintf("vetting: contract %s not found", code)}
	}
	if err != nil {
		return nil, fmt.Errorf("vetting: get contract %s: %w", code, err)
	}
	return c, nil
}

// checkContract validates in and returns the contract with defaults
// applied (no code, status or time yet).
func checkContract(in ContractInput, actor string) (*Contract, error) {
	ie := &inputErrors{record: "contract"}
	c := &Contract{OrganizationID: in.OrganizationID, Plan: in.Plan, Slots: in.Slots}

	if c.OrganizationID <= 0 {
		ie.add("organization_id", "is required (a positive organization id, got %d)", in.OrganizationID)
	}
	switch c.Plan {
	case "":
		c.Plan = PlanPerCertificate
	case PlanPerCertificate, PlanMonthly:
	default:
		ie.add("plan", "must be %q or %q (got %s)", PlanPerCertificate, PlanMonthly, quote(in.Plan))
	}
	switch {
	case c.Slots == 0:
		c.Slots = 1
	case c.Slots < 0 || c.Slots > MaxSlots:
		ie.add("slots", "must be between 1 and %d (got %d)", MaxSlots, in.Slots)
	}
	switch {
	case len(in.Profiles) == 0:
		c.Profiles = []string{ProfileOV}
	case len(in.Profiles) > 2:
		ie.add("profiles", "must list at most %q and %q (got %d entries)", ProfileOV, ProfileEV, len(in.Profiles))
	default:
		seen := map[string]bool{}
		for _, p := range in.Profiles {
			switch {
			case p != ProfileOV && p != ProfileEV:
				ie.add("profiles", "unknown profile %s (allowed: %q, %q)", quote(p), ProfileOV, ProfileEV)
			case seen[p]:
				ie.add("profiles", "%q is listed twice", p)
			default:
				seen[p] = true
				c.Profiles = append(c.Profiles, p)
			}
		}
	}
	checkActor(ie, actor)
	if err := ie.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// SetContractTerm sets a contract's term: from start, until end (zero:
// open-ended), with a "contract.term" audit event; renewing a contract is
// setting its next term. Licenses are a name set's for the term.
func (s *Service) SetContractTerm(ctx context.Context, code string, start, end time.Time, actor string) (*Contract, error) {
	ie := &inputErrors{record: "contract term"}
	if start.IsZero() {
		ie.add("start", "is required")
	}
	if !end.IsZero() && !end.After(start) {
		ie.add("end", "must be after the start (%s), got %s", start.Format(time.DateOnly), end.Format(time.DateOnly))
	}
	checkActor(ie, actor)
	if err := ie.err(); err != nil {
		return nil, err
	}
	if _, err := s.Contract(ctx, code); err != nil {
		return nil, err
	}
	var endPtr *time.Time
	if !end.IsZero() {
		e := end.UTC()
		endPtr = &e
	}
	ev, err := event(s.now(), "contract.term", actor, map[string]any{"start": start.UTC(), "end": endPtr})
	if err != nil {
		return nil, err
	}
	if err := s.store.SetContractTerm(ctx, code, start.UTC(), endPtr, ev); err != nil {
		return nil, fmt.Errorf("vetting: set the term of contract %s: %w", code, err)
	}
	return s.Contract(ctx, code)
}
