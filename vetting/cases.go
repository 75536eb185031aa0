package vetting

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Reuse periods of what an approval grants (REQUIREMENTS.md "Vetting").
const (
	// IdentityValidity is how long vetted organization identity data may
	// be reused (BR 4.2.1, EVG 11.14.3: 398 days).
	IdentityValidity = 398 * 24 * time.Hour
	// DomainApprovalValidity is how long an organization's approval to use
	// a domain lasts before it is vetted again.
	DomainApprovalValidity = 398 * 24 * time.Hour
	// MaxNote is the maximum length, in characters, of an evidence note or
	// a decision's reason.
	MaxNote = 2000
)

// Checklist items. What a case needs before it can be approved depends on
// its kind and level (Checklist).
const (
	ItemLegalExistence      = "legal-existence"      // registry extract or government source
	ItemRegistrationNumber  = "registration-number"  // the number, from that source
	ItemPhoneVerification   = "phone-verification"   // call to the registration contact at a directory number
	ItemDocuments           = "documents"            // documents received by post (when not in a directory)
	ItemApplicantCall       = "applicant-call"       // EV: the applicant confirmed the application
	ItemHRConfirmation      = "hr-confirmation"      // EV: HR confirmed the applicant's employment and title
	ItemSubscriberAgreement = "subscriber-agreement" // EV: the signed subscriber agreement
	ItemDomainOwner         = "domain-owner"         // who owns the domain, from the registrar
	ItemOwnerConsent        = "owner-consent"        // the owner's consent when it is another organization
	ItemContentReview       = "content-review"       // high-risk: the site and the request reviewed
)

// Checklist returns the evidence items a case of kind and level needs
// (required) and may also carry (optional).
func Checklist(kind, level string) (required, optional []string) {
	switch kind {
	case CaseIdentity:
		required = []string{ItemLegalExistence, ItemRegistrationNumber, ItemPhoneVerification}
		optional = []string{ItemDocuments}
		if level == ProfileEV {
			required = append(required, ItemApplicantCall, ItemHRConfirmation, ItemSubscriberAgreement)
		}
	case CaseDomain:
		required = []string{ItemDomainOwner}
		optional = []string{ItemOwnerConsent, ItemDocuments}
	case CaseHighRisk:
		required = []string{ItemContentReview}
	}
	return required, optional
}

// Case returns the case with its evidence and approvals.
func (s *Service) Case(ctx context.Context, id int64) (*Case, error) {
	if s.cases == nil {
		return nil, errNoCases
	}
	c, err := s.cases.GetCase(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(ErrNotFound, "case %d not found", id)
	}
	return c, err
}

// Cases returns up to limit cases with the status (CaseOpen, ...; "" for
// any), newest first.
func (s *Service) Cases(ctx context.Context, status string, limit int) ([]*Case, error) {
	if s.cases == nil {
		return nil, errNoCases
	}
	if status != "" && status != CaseOpen && status != CaseApproved && status != CaseRejected {
		return nil, errorf(ErrInvalid, "status must be open, approved or rejected (got %s)", quote(status))
	}
	return s.cases.ListCases(ctx, status, max(1, min(limit, 1000)))
}

// checkNote validates a free-text note or reason.
func checkNote(ie *inputErrors, field, v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		ie.add(field, "is required: say what was checked or decided, and against what")
	case !printable(strings.ReplaceAll(v, "\n", " ")):
		ie.add(field, "must be text without control characters")
	case utf8.RuneCountInString(v) > MaxNote:
		ie.add(field, "must be at most %d characters", MaxNote)
	}
	return v
}

// RecordEvidence records one checklist item on an open case, by an
// officer with at least the specialist role ("case.evidence" audit event).
func (s *Service) RecordEvidence(ctx context.Context, caseID int64, officer, item, note string) (*Evidence, error) {
	if err := checkOfficerName(officer); err != nil {
		return nil, err
	}
	c, err := s.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	ie := &inputErrors{record: "evidence"}
	required, optional := Checklist(c.Kind, c.Level)
	if !slices.Contains(required, item) && !slices.Contains(optional, item) {
		ie.add("item", "%s cases at level %s take %s (got %s)", c.Kind, c.Level,
			strings.Join(append(slices.Clone(required), optional...), ", "), quote(item))
	}
	note = checkNote(ie, "note", note)
	if err := ie.err(); err != nil {
		return nil, err
	}
	if _, err := s.officer(ctx, officer, RoleSpecialist, "record evidence"); err != nil {
		return nil, err
	}
	if item == ItemPhoneVerification && s.dir != nil {
		// The call must go to the number an independent directory lists,
		// never one the applicant gave: record which.
		listing, err := s.DirectoryListing(ctx, c.OrganizationID)
		if err != nil {
			return nil, err
		}
		note = fmt.Sprintf("called %s, listed by %s: %s", listing.Phone, listing.Source, note)
	}
	e := &Evidence{Item: item, Note: note, RecordedBy: officer, RecordedAt: s.now()}
	ev, err := event(e.RecordedAt, "case.evidence", OfficerActor(officer), map[string]any{"case": caseID, "item": item, "note": note})
	if err != nil {
		return nil, err
	}
	if err := s.cases.AddEvidence(ctx, caseID, e, ev); err != nil {
		return nil, decidedError(err, caseID, c)
	}
	return e, nil
}

// decidedError turns the store's ErrConflict for a decided case into a
// message that says so.
func decidedError(err error, id int64, c *Case) error {
	if errors.Is(err, ErrConflict) {
		return &kindError{kind: ErrConflict, cause: err, msg: fmt.Sprintf("vetting: case %d is already decided; nothing was changed", id)}
	}
	return fmt.Errorf("vetting: case %d (%s): %w", id, c.Kind, err)
}

// Approve records officer's approval of an open case. OV identity,
// domain and high-risk cases are decided by one approval; an EV identity
// case needs two approvals by different officers, the second being the
// final cross-correlation (EVG 11.13), and no officer who recorded its
// evidence may approve it (EVG 5.2.4 separation of duties). Every required
// checklist item must be recorded first. The final approval records the
// grant: the identity for IdentityValidity, or the domain for
// DomainApprovalValidity (ownerConsent names the owner's consent when
// another organization owns it). Refused attempts are audited.
func (s *Service) Approve(ctx context.Context, caseID int64, officer, note, ownerConsent string) (*Case, error) {
	if err := checkOfficerName(officer); err != nil {
		return nil, err
	}
	c, err := s.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if _, err := s.officer(ctx, officer, RoleApprover, "approve cases"); err != nil {
		return nil, s.refused(ctx, c, officer, "approve", err)
	}
	if c.Status != CaseOpen {
		return nil, errorf(ErrConflict, "case %d is already %s by %s; nothing was changed", caseID, c.Status, c.DecidedBy)
	}
	ie := &inputErrors{record: "approval"}
	note = strings.TrimSpace(note)
	if note != "" {
		note = checkNote(ie, "note", note)
	}
	ownerConsent = strings.TrimSpace(ownerConsent)
	if ownerConsent != "" && c.Kind != CaseDomain {
		ie.add("owner_consent", "applies to domain cases only")
	}
	if err := ie.err(); err != nil {
		return nil, err
	}
	required, _ := Checklist(c.Kind, c.Level)
	var missing []string
	for _, item := range required {
		if !slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return e.Item == item }) {
			missing = append(missing, item)
		}
	}
	missing = s.documentsForPhone(ctx, c, missing)
	if len(missing) > 0 {
		return nil, errorf(ErrInvalid, "case %d cannot be approved yet: evidence missing for %s (kakuin vet evidence)",
			caseID, strings.Join(missing, ", "))
	}
	ev := c.Kind == CaseIdentity && c.Level == ProfileEV
	if ev {
		org, err := s.Organization(ctx, c.OrganizationID)
		if err != nil {
			return nil, err
		}
		if org.RegistrationNumber == "" {
			return nil, errorf(ErrInvalid, "case %d cannot be approved: EV certificates carry the registration number "+
				"(serialNumber), and organization %d (%s) has none", caseID, org.ID, org.Name)
		}
		if slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return e.RecordedBy == officer }) {
			return nil, s.refused(ctx, c, officer, "approve", errorf(ErrForbidden,
				"officer %s recorded evidence on EV case %d and may not approve it (separation of duties): another approver must", officer, caseID))
		}
		if slices.ContainsFunc(c.Approvals, func(a Approval) bool { return a.Officer == officer }) {
			return nil, s.refused(ctx, c, officer, "approve", errorf(ErrForbidden,
				"officer %s already approved EV case %d: the final cross-correlation needs a second, different officer", officer, caseID))
		}
	}
	final := !ev || len(c.Approvals) >= 1
	now := s.now()
	g := Grant{Kind: c.Kind, OrganizationID: c.OrganizationID, Level: c.Level, Domain: c.Subject, OwnerConsent: ownerConsent, At: now}
	switch c.Kind {
	case CaseIdentity, CaseDomain:
		g.Expires = now.Add(grantValidity(c.Kind))
	default:
		g.Kind = ""
	}
	evt, err := event(now, "case.approve", OfficerActor(officer), map[string]any{"case": caseID, "kind": c.Kind,
		"organization_id": c.OrganizationID, "level": c.Level, "subject": c.Subject, "final": final, "note": note,
		"owner_consent": ownerConsent})
	if err != nil {
		return nil, err
	}
	err = s.cases.ApproveCase(ctx, caseID, Approval{Officer: officer, ApprovedAt: now}, final, note, g, evt)
	if errors.Is(err, ErrDuplicate) {
		return nil, errorf(ErrForbidden, "officer %s already approved case %d", officer, caseID)
	}
	if err != nil {
		return nil, decidedError(err, caseID, c)
	}
	return s.Case(ctx, caseID)
}

// Reject decides an open case against the request; reason is what the
// customer's ACME client will show, so it should say what to fix.
func (s *Service) Reject(ctx context.Context, caseID int64, officer, reason string) (*Case, error) {
	if err := checkOfficerName(officer); err != nil {
		return nil, err
	}
	c, err := s.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if _, err := s.officer(ctx, officer, RoleApprover, "reject cases"); err != nil {
		return nil, s.refused(ctx, c, officer, "reject", err)
	}
	if c.Status != CaseOpen {
		return nil, errorf(ErrConflict, "case %d is already %s by %s; nothing was changed", caseID, c.Status, c.DecidedBy)
	}
	ie := &inputErrors{record: "rejection"}
	reason = checkNote(ie, "reason", reason)
	if err := ie.err(); err != nil {
		return nil, err
	}
	now := s.now()
	evt, err := event(now, "case.reject", OfficerActor(officer), map[string]any{"case": caseID, "kind": c.Kind,
		"organization_id": c.OrganizationID, "level": c.Level, "subject": c.Subject, "reason": reason})
	if err != nil {
		return nil, err
	}
	if err := s.cases.RejectCase(ctx, caseID, officer, now, reason, evt); err != nil {
		return nil, decidedError(err, caseID, c)
	}
	return s.Case(ctx, caseID)
}

// refused audits an officer's refused attempt on a case ("case.refused")
// and returns why it was refused. The refusal stands even if the audit
// append fails; that failure is joined to it.
func (s *Service) refused(ctx context.Context, c *Case, officer, action string, why error) error {
	ev, err := event(s.now(), "case.refused", OfficerActor(officer), map[string]any{"case": c.ID, "action": action,
		"reason": strings.TrimPrefix(why.Error(), "vetting: ")})
	if err == nil {
		ev.Subject = fmt.Sprintf("case:%d", c.ID)
		err = s.store.AppendAudit(ctx, ev)
	}
	if err != nil {
		return errors.Join(why, fmt.Errorf("vetting: auditing the refusal: %w", err))
	}
	return why
}

// CaseInput is a case an officer opens ahead of any order: vetting an
// organization before its first certificate, or a domain it will use.
type CaseInput struct {
	Kind           string
	OrganizationID int64
	Level          string // identity cases; domain and high-risk cases use ProfileOV
	Subject        string // the registered domain, or the high-risk name
	Reason         string
}

// OpenCase opens a case for an officer with at least the specialist role,
// or returns the case already open for the same question (opened false).
func (s *Service) OpenCase(ctx context.Context, in CaseInput, officer string) (*Case, bool, error) {
	if s.cases == nil {
		return nil, false, errNoCases
	}
	if err := checkOfficerName(officer); err != nil {
		return nil, false, err
	}
	ie := &inputErrors{record: "case"}
	c := Case{Kind: in.Kind, OrganizationID: in.OrganizationID, Level: in.Level, Subject: strings.ToLower(strings.TrimSpace(in.Subject))}
	switch in.Kind {
	case CaseIdentity:
		if c.Level != ProfileOV && c.Level != ProfileEV {
			ie.add("level", "must be %s or %s for an identity case (got %s)", ProfileOV, ProfileEV, quote(in.Level))
		}
		if c.Subject != "" {
			ie.add("subject", "an identity case has none (got %s)", quote(in.Subject))
		}
	case CaseDomain, CaseHighRisk:
		if c.Level == "" {
			c.Level = ProfileOV
		}
		if c.Level != ProfileOV {
			ie.add("level", "domain and high-risk cases are level %s (got %s)", ProfileOV, quote(in.Level))
		}
		switch {
		case c.Subject == "" || !printable(c.Subject) || strings.ContainsAny(c.Subject, " /:@*"):
			ie.add("subject", "must be a DNS name (got %s)", quote(in.Subject))
		case in.Kind == CaseDomain && RegisteredDomain(c.Subject) != c.Subject:
			ie.add("subject", "must be the registered domain %s, not a name under it (got %s)", RegisteredDomain(c.Subject), quote(in.Subject))
		}
	default:
		ie.add("kind", "must be %s, %s or %s (got %s)", CaseIdentity, CaseDomain, CaseHighRisk, quote(in.Kind))
	}
	c.Reason = checkNote(ie, "reason", in.Reason)
	if err := ie.err(); err != nil {
		return nil, false, err
	}
	if _, err := s.officer(ctx, officer, RoleSpecialist, "open cases"); err != nil {
		return nil, false, err
	}
	if _, err := s.Organization(ctx, in.OrganizationID); err != nil {
		return nil, false, err
	}
	c.OpenedAt, c.OpenedBy = s.now(), OfficerActor(officer)
	return s.storeCase(ctx, c)
}

// storeCase opens c, or joins the case open for its question, with a
// "case.open" audit event by c.OpenedBy.
func (s *Service) storeCase(ctx context.Context, c Case) (*Case, bool, error) {
	ev, err := event(c.OpenedAt, "case.open", c.OpenedBy, map[string]any{"kind": c.Kind,
		"organization_id": c.OrganizationID, "level": c.Level, "subject": c.Subject, "reason": c.Reason})
	if err != nil {
		return nil, false, err
	}
	open, opened, err := s.cases.OpenCase(ctx, &c, ev)
	if err != nil {
		return nil, false, fmt.Errorf("vetting: opening a %s case: %w", c.Kind, err)
	}
	return open, opened, nil
}

// documentsForPhone drops phone-verification from the missing evidence of
// an identity case when the organization is not in the directory and its
// documents (a seal certificate) were recorded instead, as the FAQ allows.
func (s *Service) documentsForPhone(ctx context.Context, c *Case, missing []string) []string {
	if s.dir == nil || !slices.Contains(missing, ItemPhoneVerification) ||
		!slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return e.Item == ItemDocuments }) {
		return missing
	}
	if _, err := s.DirectoryListing(ctx, c.OrganizationID); !errors.Is(err, ErrNotListed) {
		return missing
	}
	return slices.DeleteFunc(missing, func(item string) bool { return item == ItemPhoneVerification })
}
