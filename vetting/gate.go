package vetting

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// RevetAhead is how long before vetted data ages out the gate opens a
// re-vetting case, so that renewals do not stall (the FAQ re-checks by
// phone 30 days before expiry).
const RevetAhead = 30 * 24 * time.Hour

// GateInput is one name of an order whose domain control was just proven.
type GateInput struct {
	OrganizationID int64
	// Profile is the order's profile, ProfileOV or ProfileEV: the identity
	// level the organization must be vetted at.
	Profile string
	// Name is the DNS name (without "*.").
	Name string
}

// GateResult is the vetting gate's answer. Neither Held nor Rejected: the
// name may be issued to the organization now.
type GateResult struct {
	// Held: officers must first decide Cases; Reason says what is awaited.
	Held bool
	// Rejected: an officer refused; Reason is the officer's reason and
	// RejectedKind the kind of the rejected case (CaseIdentity, ...).
	Rejected     bool
	RejectedKind string
	Reason       string
	Cases        []int64
}

// Gate decides whether an organization may have a name at a profile
// (DESIGN.md "VETTING GATE"): its identity must be vetted at the
// profile's level and fresh, the name's registered domain approved for it,
// and a name on the high-risk list approved by an officer. For each
// question without such an answer it joins the open case or opens one
// (actor "acme"); a question whose latest case was rejected rejects. When
// vetted data is within RevetAhead of ageing out it opens the re-vetting
// case ahead of time and still lets the name through.
func (s *Service) Gate(ctx context.Context, in GateInput) (*GateResult, error) {
	if s.cases == nil {
		return nil, errNoCases
	}
	if in.Profile != ProfileOV && in.Profile != ProfileEV {
		return nil, errorf(ErrInvalid, "profile must be %s or %s (got %s)", ProfileOV, ProfileEV, quote(in.Profile))
	}
	o, err := s.Organization(ctx, in.OrganizationID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	res := &GateResult{}
	var reasons []string
	ask := func(c Case) error {
		open, err := s.question(ctx, res, c)
		if err == nil && open != nil {
			reasons = append(reasons, fmt.Sprintf("%s (case %d, open since %s)", c.Reason, open.ID, open.OpenedAt.Format(time.DateOnly)))
		}
		return err
	}

	levelName := strings.ToUpper(in.Profile)
	id, err := s.cases.OrgIdentity(ctx, o.ID, in.Profile)
	switch {
	case err == nil && now.Before(id.ExpiresAt):
		if id.ExpiresAt.Sub(now) < RevetAhead {
			s.openAhead(ctx, Case{Kind: CaseIdentity, OrganizationID: o.ID, Level: in.Profile,
				Reason: fmt.Sprintf("%s identity data expires on %s: re-vetting ahead of renewals", levelName, id.ExpiresAt.Format(time.DateOnly))})
		}
	case err == nil || errors.Is(err, ErrNotFound):
		reason := fmt.Sprintf("%s identity of %s not yet vetted", levelName, o.Name)
		if err == nil {
			reason = fmt.Sprintf("%s identity data of %s expired on %s", levelName, o.Name, id.ExpiresAt.Format(time.DateOnly))
		}
		if err := ask(Case{Kind: CaseIdentity, OrganizationID: o.ID, Level: in.Profile, Reason: reason}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("vetting: gate: %w", err)
	}

	domain := RegisteredDomain(in.Name)
	da, err := s.cases.DomainApproval(ctx, o.ID, domain)
	switch {
	case err == nil && now.Before(da.ExpiresAt):
		if da.ExpiresAt.Sub(now) < RevetAhead {
			s.openAhead(ctx, Case{Kind: CaseDomain, OrganizationID: o.ID, Level: ProfileOV, Subject: domain,
				Reason: fmt.Sprintf("approval of %s expires on %s: re-vetting ahead of renewals", domain, da.ExpiresAt.Format(time.DateOnly))})
		}
	case err == nil || errors.Is(err, ErrNotFound):
		if err := ask(Case{Kind: CaseDomain, OrganizationID: o.ID, Level: ProfileOV, Subject: domain,
			Reason: fmt.Sprintf("use of %s by %s not yet approved", domain, o.Name)}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("vetting: gate: %w", err)
	}

	if s.isHighRisk(in.Name) {
		latest, err := s.cases.LatestCase(ctx, CaseHighRisk, o.ID, ProfileOV, in.Name)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("vetting: gate: %w", err)
		}
		if latest == nil || latest.Status != CaseApproved {
			if err := ask(Case{Kind: CaseHighRisk, OrganizationID: o.ID, Level: ProfileOV, Subject: in.Name,
				Reason: in.Name + " is on the high-risk list and needs an officer's review"}); err != nil {
				return nil, err
			}
		}
	}
	res.Held = !res.Rejected && len(res.Cases) > 0
	if res.Held {
		res.Reason = "awaiting the CA's vetting staff: " + strings.Join(reasons, "; ")
	}
	return res, nil
}

// question settles one question for res: its latest case open holds on
// it, rejected rejects with the officer's reason, and none (or an approval
// that has aged out) opens a case to hold on. It returns the case held on,
// or nil.
func (s *Service) question(ctx context.Context, res *GateResult, c Case) (*Case, error) {
	latest, err := s.cases.LatestCase(ctx, c.Kind, c.OrganizationID, c.Level, c.Subject)
	switch {
	case err == nil && latest.Status == CaseOpen:
		res.Cases = append(res.Cases, latest.ID)
		return latest, nil
	case err == nil && latest.Status == CaseApproved && latest.DecidedAt != nil && s.now().Before(latest.DecidedAt.Add(grantValidity(c.Kind))):
		// Approved after the caller read the grant: nothing to wait for.
		return nil, nil
	case err == nil && latest.Status == CaseRejected:
		if !res.Rejected {
			res.Rejected, res.RejectedKind, res.Reason = true, latest.Kind, latest.DecisionNote
		}
		res.Cases = append(res.Cases, latest.ID)
		return nil, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("vetting: gate: %w", err)
	}
	open, err := s.openCase(ctx, c)
	if err != nil {
		return nil, err
	}
	res.Cases = append(res.Cases, open.ID)
	return open, nil
}

// grantValidity is how long what an approved case of kind grants lasts.
func grantValidity(kind string) time.Duration {
	if kind == CaseIdentity {
		return IdentityValidity
	}
	return DomainApprovalValidity
}

// openCase opens c (or joins the case open for its question) on behalf of
// the ACME server, with a "case.open" audit event.
func (s *Service) openCase(ctx context.Context, c Case) (*Case, error) {
	c.OpenedAt, c.OpenedBy = s.now(), "acme"
	open, _, err := s.storeCase(ctx, c)
	return open, err
}

// openAhead opens a re-vetting case unless one is open; a failure does not
// hold the order (the data is still fresh) and shows again next time.
func (s *Service) openAhead(ctx context.Context, c Case) {
	latest, err := s.cases.LatestCase(ctx, c.Kind, c.OrganizationID, c.Level, c.Subject)
	if err == nil && latest.Status == CaseOpen {
		return
	}
	s.openCase(ctx, c) // a failure is retried by the next order
}

// RegisteredDomain returns the domain an organization registers for name:
// its public suffix plus one label ("www.shop.example.co.jp" →
// "example.co.jp"), or name itself when it has none.
func RegisteredDomain(name string) string {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if d, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		return d
	}
	return name
}

// isHighRisk reports whether name is on the high-risk list: equal to an
// entry, under an entry "*.domain", or matching an entry with "*" (any
// characters, dots included).
func (s *Service) isHighRisk(name string) bool {
	name = strings.ToLower(name)
	for _, p := range s.highRisk {
		p = strings.ToLower(p)
		if rest, ok := strings.CutPrefix(p, "*."); ok && !strings.Contains(rest, "*") {
			if strings.HasSuffix(name, "."+rest) {
				return true
			}
			continue
		}
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
