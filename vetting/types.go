package vetting

import (
	"context"
	"errors"
	"time"
)

// Errors returned by the Store and the Service (wrapped; use errors.Is).
var (
	ErrNotFound  = errors.New("vetting: not found")
	ErrDuplicate = errors.New("vetting: already exists")
	// ErrInvalid wraps every validation failure of operator input; the
	// message says what to fix.
	ErrInvalid = errors.New("vetting: invalid input")
	// ErrInactive: the credential is revoked or the contract is not active.
	ErrInactive = errors.New("vetting: not active")
	// ErrConflict: the record changed since it was read (a concurrent
	// change won), or is in a state that does not allow the change (a
	// decided case).
	ErrConflict = errors.New("vetting: state conflict")
	// ErrForbidden: the officer may not do this (role, separation of
	// duties, disabled account).
	ErrForbidden = errors.New("vetting: not allowed")
)

// Contract and credential statuses.
const (
	ContractActive    = "active"
	ContractSuspended = "suspended"
	ContractEnded     = "ended"

	CredentialActive  = "active"
	CredentialRevoked = "revoked"
)

// Plans.
const (
	PlanPerCertificate = "per-certificate"
	PlanMonthly        = "monthly"
)

// Organization is a vetted applicant organization. Its fields become the
// subject of every certificate issued under its contracts.
type Organization struct {
	ID       int64
	Name     string // legal name in English; the subject O
	NameJa   string // legal name in Japanese
	Country  string // ISO 3166-1 alpha-2, upper case
	Province string // prefecture / state
	Locality string // city
	// RegistrationNumber is the registering agency's number: for JP the
	// 13-digit corporate number. The EV subject's serialNumber.
	RegistrationNumber string
	// Phone is the main number, national form, digits only.
	Phone string
	// BusinessCategory is the EV business category: "Private
	// Organization" (the default), "Government Entity", "Business Entity"
	// or "Non-Commercial Entity".
	BusinessCategory string
	CreatedAt        time.Time
}

// BusinessCategories are the EV Guidelines' business categories.
var BusinessCategories = []string{"Private Organization", "Government Entity", "Business Entity", "Non-Commercial Entity"}

// Contact roles (REQUIREMENTS.md "Parties and records").
const (
	// RoleApplicant has authority in the organization; title recorded.
	RoleApplicant = "applicant"
	// RoleRegistration is the organization's person the CA talks to and
	// phone-verifies: no mobile numbers.
	RoleRegistration = "registration"
	RoleTechnical    = "technical"
	RoleBilling      = "billing"
)

// ContactRoles lists the roles in the order they are shown.
var ContactRoles = []string{RoleApplicant, RoleRegistration, RoleTechnical, RoleBilling}

// Contact is one person of an organization in one role, for a period: a
// change of contact closes the current one (ValidTo) and starts another.
type Contact struct {
	ID             int64
	OrganizationID int64
	Role           string
	Name           string
	Title          string
	Email          string
	Phone          string // national form, digits only
	ValidFrom      time.Time
	ValidTo        *time.Time // nil for the current contact
	ChangedBy      string     // the actor who entered it
}

// Contract binds an organization to a plan. Its 10-digit code identifies it
// in every interaction; the last digit is a check digit.
type Contract struct {
	Code           string
	OrganizationID int64
	Plan           string
	// Slots is the number of certificates the plan allows at once.
	Slots int
	// Profiles lists the certificate profiles (ov, ev) the contract allows;
	// the first is the default.
	Profiles  []string
	Status    string
	CreatedAt time.Time
	// Coupons is how many coupons were redeemed on the contract: each one
	// more license of a per-certificate plan.
	Coupons int
	// TermStart is when the contract's term began (its creation unless
	// set); TermEnd when it ends (exclusive), nil for an open-ended term.
	// Licenses are a name set's for the term; nothing is issued outside it.
	TermStart time.Time
	TermEnd   *time.Time
}

// InTerm reports whether at falls within the contract's term.
func (c *Contract) InTerm(at time.Time) bool {
	return !at.Before(c.TermStart) && (c.TermEnd == nil || at.Before(*c.TermEnd))
}

// Coupon is one license of a per-certificate plan, sold in a pack through
// a dealer, redeemed on a contract within a year of issue.
type Coupon struct {
	Number       string
	Pack         string
	DealerCode   string
	IssuedAt     time.Time
	ExpiresAt    time.Time
	ContractCode string     // "" until redeemed
	RedeemedAt   *time.Time // nil until redeemed
}

// EABCredential is an External Account Binding credential (RFC 8555 §7.3.4)
// of a contract.
type EABCredential struct {
	KeyID        string
	ContractCode string
	HMACKey      []byte
	Status       string
	CreatedAt    time.Time
	RevokedAt    *time.Time
}

// AuditEvent is one entry of the append-only audit log.
type AuditEvent struct {
	ID      int64
	At      time.Time
	Kind    string // e.g. "org.create", "contract.create", "contract.status", "eab.create", "eab.revoke", "issuance", "revocation"
	Actor   string // "cli", "acme:account/12", ...
	Subject string // what it is about: an id, a contract code, a serial
	Detail  []byte // JSON object
}

// Store persists the registration authority's records.
//
// Every method that changes a record takes the audit event describing the
// change and appends it in the same transaction, so that a record never
// exists without its event nor an event without its record. The event is
// required; the Store sets its Subject to the record's key (organization
// id, contract code, EAB key id), its At (when zero) and its ID. Its Detail
// must be a JSON object (nil stores {}), else ErrInvalid.
type Store interface {
	// CreateOrganization inserts o and sets o.ID.
	CreateOrganization(ctx context.Context, o *Organization, audit *AuditEvent) error
	GetOrganization(ctx context.Context, id int64) (*Organization, error)
	// SetContact makes c the current contact of its organization and role,
	// closing the previous one at c.ValidFrom, and sets c.ID; ErrNotFound
	// if the organization does not exist.
	SetContact(ctx context.Context, c *Contact, audit *AuditEvent) error
	// Contacts returns an organization's contacts: the current one of each
	// role, or with history every one, oldest first within a role.
	Contacts(ctx context.Context, orgID int64, history bool) ([]*Contact, error)
	// CreateContract inserts c; ErrDuplicate if the code is taken.
	CreateContract(ctx context.Context, c *Contract, audit *AuditEvent) error
	GetContract(ctx context.Context, code string) (*Contract, error)
	// SetContractTerm sets the contract's term (end nil: open-ended);
	// ErrNotFound if there is no such contract.
	SetContractTerm(ctx context.Context, code string, start time.Time, end *time.Time, audit *AuditEvent) error
	// SetContractStatus changes the status of the contract from from to to
	// (a contract status); ErrNotFound if there is no such contract,
	// ErrConflict if its status is no longer from.
	SetContractStatus(ctx context.Context, code, from, to string, audit *AuditEvent) error
	// CreateEABCredential inserts e; ErrDuplicate if the kid is taken.
	CreateEABCredential(ctx context.Context, e *EABCredential, audit *AuditEvent) error
	GetEABCredential(ctx context.Context, kid string) (*EABCredential, error)
	// CreateCoupons inserts a pack of coupons in one transaction with its
	// audit event (subject: the pack); ErrDuplicate if a number is taken.
	CreateCoupons(ctx context.Context, coupons []*Coupon, audit *AuditEvent) error
	// RedeemCoupon binds an unredeemed, unexpired coupon to the contract
	// at at; ErrNotFound if there is no such coupon, ErrConflict if it is
	// redeemed or expired (read it to say which).
	RedeemCoupon(ctx context.Context, number, contractCode string, at time.Time, audit *AuditEvent) error
	// GetCoupon returns the coupon, or ErrNotFound.
	GetCoupon(ctx context.Context, number string) (*Coupon, error)
	// ListEABCredentials returns the contract's credentials, oldest first,
	// without their HMAC keys.
	ListEABCredentials(ctx context.Context, contractCode string) ([]*EABCredential, error)
	// RevokeEABCredential sets an active credential revoked at the time;
	// ErrNotFound if there is none, ErrInactive if already revoked.
	RevokeEABCredential(ctx context.Context, kid string, at time.Time, audit *AuditEvent) error
	// AppendAudit appends an event that goes with no record of this Store;
	// sets e.ID.
	AppendAudit(ctx context.Context, e *AuditEvent) error
}
