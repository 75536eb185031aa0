package vetting

import (
	"context"
	"time"
)

// Officer roles, each allowed what the one before it is and more (least
// privilege: a specialist cannot decide, an approver cannot add officers).
const (
	// RoleSpecialist records evidence on cases.
	RoleSpecialist = "specialist"
	// RoleApprover also approves and rejects cases.
	RoleApprover = "approver"
	// RoleAdmin also manages officers.
	RoleAdmin = "admin"
)

// Officer statuses.
const (
	OfficerActive   = "active"
	OfficerDisabled = "disabled"
)

// Officer is a member of the CA's vetting staff.
type Officer struct {
	ID        int64
	Name      string // login name, e.g. "tanaka"; the audit actor is "officer:" + Name
	Role      string
	Status    string
	CreatedAt time.Time
}

// Case kinds: what a case decides.
const (
	// CaseIdentity decides an organization's identity at a level.
	CaseIdentity = "identity"
	// CaseDomain decides whether the organization may use a registered
	// domain (Subject).
	CaseDomain = "domain"
	// CaseHighRisk decides a name on the high-risk list (Subject) for the
	// organization.
	CaseHighRisk = "high-risk"
)

// Case statuses.
const (
	CaseOpen     = "open"
	CaseApproved = "approved"
	CaseRejected = "rejected"
)

// Case is one question for the vetting staff. At most one case per
// question (Kind, OrganizationID, Level, Subject) is open at a time.
type Case struct {
	ID             int64
	Kind           string
	OrganizationID int64
	Level          string // ProfileOV or ProfileEV
	Subject        string // the domain or name; "" for identity
	Status         string
	Reason         string // why it was opened
	OpenedAt       time.Time
	OpenedBy       string
	DecidedAt      *time.Time
	DecidedBy      string
	// DecisionNote is the deciding officer's reason; on rejection it is
	// the detail the ACME client sees.
	DecisionNote string
	Evidence     []Evidence
	Approvals    []Approval
}

// Evidence is one checklist item an officer recorded on a case.
type Evidence struct {
	ID         int64
	Item       string
	Note       string
	RecordedBy string // officer name
	RecordedAt time.Time
}

// Approval is one officer's approval of a case.
type Approval struct {
	Officer    string
	ApprovedAt time.Time
}

// Grant is what a case's final approval records: the organization's
// identity at a level, or a domain approval.
type Grant struct {
	Kind           string // CaseIdentity or CaseDomain; "" grants nothing (high-risk)
	OrganizationID int64
	Level          string
	Domain         string
	OwnerConsent   string
	At             time.Time
	Expires        time.Time
}

// Identity is an organization's vetted identity at a level.
type Identity struct {
	OrganizationID int64
	Level          string
	CaseID         int64
	VettedAt       time.Time
	ExpiresAt      time.Time
}

// DomainApproval says the organization may use a registered domain.
type DomainApproval struct {
	OrganizationID int64
	Domain         string
	CaseID         int64
	OwnerConsent   string
	ApprovedAt     time.Time
	ExpiresAt      time.Time
}

// CaseStore persists officers, cases and what approvals grant. Every
// change takes its audit event, appended in the same transaction.
type CaseStore interface {
	// CreateOfficer inserts o and sets o.ID; ErrDuplicate if the name is
	// taken.
	CreateOfficer(ctx context.Context, o *Officer, audit *AuditEvent) error
	// GetOfficer returns the officer named name, or ErrNotFound.
	GetOfficer(ctx context.Context, name string) (*Officer, error)
	ListOfficers(ctx context.Context) ([]*Officer, error)
	// SetOfficerStatus sets the officer's status; ErrNotFound if there is
	// no such officer.
	SetOfficerStatus(ctx context.Context, name, status string, audit *AuditEvent) error
	// OpenCase inserts c as open unless a case for the same question is
	// open, which it returns instead (opened false) without using audit.
	OpenCase(ctx context.Context, c *Case, audit *AuditEvent) (open *Case, opened bool, err error)
	// GetCase returns the case with its evidence and approvals, or
	// ErrNotFound.
	GetCase(ctx context.Context, id int64) (*Case, error)
	// ListCases returns up to limit cases with the status ("" for any),
	// newest first, without evidence and approvals.
	ListCases(ctx context.Context, status string, limit int) ([]*Case, error)
	// LatestCase returns the newest case for the question, or ErrNotFound.
	LatestCase(ctx context.Context, kind string, orgID int64, level, subject string) (*Case, error)
	// AddEvidence appends e to an open case and sets e.ID; ErrConflict if
	// the case is decided, ErrNotFound if there is none.
	AddEvidence(ctx context.Context, caseID int64, e *Evidence, audit *AuditEvent) error
	// ApproveCase records a's approval of an open case (ErrDuplicate if
	// that officer already approved it, ErrConflict if it is decided);
	// with final, the case turns approved and the grant is recorded.
	ApproveCase(ctx context.Context, caseID int64, a Approval, final bool, note string, grant Grant, audit *AuditEvent) error
	// RejectCase turns an open case rejected with the note; ErrConflict if
	// it is decided.
	RejectCase(ctx context.Context, caseID int64, officer string, at time.Time, note string, audit *AuditEvent) error
	// OrgIdentity returns the organization's identity at level, or
	// ErrNotFound.
	OrgIdentity(ctx context.Context, orgID int64, level string) (*Identity, error)
	// DomainApproval returns the approval of domain for the organization,
	// or ErrNotFound.
	DomainApproval(ctx context.Context, orgID int64, domain string) (*DomainApproval, error)
}
