package acme

import (
	"context"
	"errors"
	"time"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/vetting"
)

// Errors a Store returns. Implementations wrap them (errors.Is works).
var (
	// ErrNotFound: no such account, order, authorization, challenge or certificate.
	ErrNotFound = errors.New("acme: not found")
	// ErrDuplicate: a unique value (account key thumbprint) already exists.
	ErrDuplicate = errors.New("acme: already exists")
	// ErrNonceUsed: the nonce was already redeemed.
	ErrNonceUsed = errors.New("acme: nonce already used")
	// ErrEABUnusable: the EAB credential is revoked, unknown, its contract is
	// not active, or it already binds the maximum number of accounts. The
	// wrapping error says which.
	ErrEABUnusable = errors.New("acme: external account binding credential unusable")
	// ErrAlreadyRevoked: the certificate is already revoked. It is
	// ca.ErrAlreadyRevoked, which the revocation service returns.
	ErrAlreadyRevoked = ca.ErrAlreadyRevoked
	// ErrConflict: a conditional state transition lost (the resource was not
	// in the expected state).
	ErrConflict = errors.New("acme: state conflict")
)

// EABError is a Store's refusal to bind an account with an External
// Account Binding credential (RFC 8555 §7.3.4). It wraps ErrEABUnusable.
type EABError struct {
	// KeyID is the credential's kid, as the client sent it.
	KeyID string
	// Reason completes "EAB credential <kid> ..." for the ACME client, e.g.
	// "is revoked" or "already binds 1 account (the limit)"; it names
	// nothing the client may not know.
	Reason string
}

// Error implements error.
func (e *EABError) Error() string { return "acme: " + e.ClientDetail() }

// ClientDetail is the problem detail sent to the client.
func (e *EABError) ClientDetail() string { return "EAB credential " + e.KeyID + " " + e.Reason }

// Unwrap returns ErrEABUnusable.
func (e *EABError) Unwrap() error { return ErrEABUnusable }

// EABBinding says which credential a new account is bound with and how many
// accounts that credential may bind in total.
type EABBinding struct {
	KeyID       string
	MaxAccounts int
}

// Store persists ACME state. Every method is safe for concurrent use by
// several processes sharing one database.
type Store interface {
	// NonceKey returns the secret that authenticates nonces, shared by all
	// processes using this database; it is created on first use.
	NonceKey(ctx context.Context) ([]byte, error)
	// RedeemNonce records the nonce (by an opaque id) as used until expires.
	// It returns ErrNonceUsed if the id was already redeemed.
	RedeemNonce(ctx context.Context, id string, expires time.Time) error
	// RedeemNonceAndGetAccount does RedeemNonce and GetAccount together,
	// in one round trip where the database allows it: the work of every
	// kid-signed request (RFC 8555 §6.2, §6.5). The nonce is redeemed
	// whether or not the account exists; fresh is false if it had been
	// redeemed before, and with any error. err wraps ErrNotFound if there
	// is no such account.
	RedeemNonceAndGetAccount(ctx context.Context, nonceID string, expires time.Time, accountID int64) (acct *Account, fresh bool, err error)
	// DeleteExpiredNonces forgets redeemed nonces whose expiry is before now.
	DeleteExpiredNonces(ctx context.Context, now time.Time) error

	// CreateAccount inserts a, binding it with the EAB credential in one
	// transaction: the credential must be active, its contract active, and
	// fewer than b.MaxAccounts accounts bound to it so far (else an error
	// wrapping an *EABError saying which). a.ContractCode is set from the
	// credential. Sets a.ID. A duplicate key thumbprint is ErrDuplicate.
	// a.TermsAgreedAt and a.TermsOfService are stored as given.
	CreateAccount(ctx context.Context, a *Account, b EABBinding) error
	GetAccount(ctx context.Context, id int64) (*Account, error)
	GetAccountByThumbprint(ctx context.Context, thumbprint string) (*Account, error)
	// UpdateAccountContact replaces the contact list.
	UpdateAccountContact(ctx context.Context, id int64, contact []string) error
	// DeactivateAccount sets status deactivated (ErrConflict if not valid).
	DeactivateAccount(ctx context.Context, id int64) error
	// ChangeAccountKey replaces the key if oldThumbprint still matches
	// (ErrConflict otherwise); ErrDuplicate if the new key is in use.
	ChangeAccountKey(ctx context.Context, id int64, oldThumbprint string, newJWK []byte, newThumbprint string) error

	// FindReusableAuthz returns the newest authorization of the account for
	// the DNS name and profile whose status is in statuses and which
	// expires after notExpiredAt, or ErrNotFound.
	FindReusableAuthz(ctx context.Context, accountID int64, name, profile string, statuses []string, notExpiredAt time.Time) (*Authorization, error)
	// CreateOrder inserts o together with the new authorizations (and their
	// challenges) in newAuthzs, in one transaction; existing authorization
	// ids already in o.AuthzIDs are kept and the new ones appended in
	// order. Sets all ids.
	CreateOrder(ctx context.Context, o *Order, newAuthzs []*Authorization) error
	GetOrder(ctx context.Context, id int64) (*Order, error)
	// FindOrderByNames returns the newest order of the account whose Names
	// equal names, whose stored status is pending, and that expires after
	// now; or ErrNotFound.
	FindOrderByNames(ctx context.Context, accountID int64, names []string, now time.Time) (*Order, error)
	// ListOrderIDs returns up to limit order ids of the account, ascending,
	// greater than afterID.
	ListOrderIDs(ctx context.Context, accountID int64, afterID int64, limit int) ([]int64, error)
	// GetAuthorizations returns the authorizations with their challenges, in
	// the order of ids.
	GetAuthorizations(ctx context.Context, ids []int64) ([]*Authorization, error)
	GetAuthorization(ctx context.Context, id int64) (*Authorization, error)
	GetChallenge(ctx context.Context, id int64) (*Challenge, error)
	// DeactivateAuthorization sets a pending or valid authorization to
	// deactivated (ErrConflict otherwise).
	DeactivateAuthorization(ctx context.Context, id int64) error
	// StartChallenge moves a pending challenge to processing and records
	// at as its ValidationStarted, if its authorization is pending and no
	// other challenge of that authorization is processing or valid; the
	// check and the change are atomic, so of concurrent starts of one
	// authorization's challenges exactly one wins (ErrConflict for the
	// others, and whenever the conditions do not hold).
	StartChallenge(ctx context.Context, challengeID int64, at time.Time) error
	// CompleteChallenge records the validation result: valid sets the
	// challenge valid (validated=at) and its authorization valid with the
	// new expiry authzExpires (at + Policy.AuthzReuse; required when
	// valid); otherwise the challenge and authorization become invalid,
	// problem (JSON) is stored on the challenge and authzExpires is
	// ignored. Only a processing challenge of a pending authorization is
	// changed (ErrConflict otherwise). A hold on the challenge is cleared.
	CompleteChallenge(ctx context.Context, challengeID int64, valid bool, problem []byte, at, authzExpires time.Time) error

	// FailInterruptedChallenges sets every processing challenge whose
	// validation began before startedBefore invalid with the problem
	// (JSON), and its authorization, if still pending, invalid too, in one
	// transaction; it returns how many challenges it changed. Such a
	// challenge's validation was interrupted (its process died, or its
	// result could not be recorded).
	//
	// Held challenges are not interrupted: the sweep skips them.
	FailInterruptedChallenges(ctx context.Context, startedBefore time.Time, problem []byte) (int64, error)
	// HoldChallenge records that a processing challenge of a pending
	// authorization proved domain control and waits for the vetting gate:
	// hold (JSON) says what it waits for; HeldAt is set to at the first
	// time and kept when the hold is updated. ErrConflict if the challenge
	// is not processing or its authorization not pending.
	HoldChallenge(ctx context.Context, challengeID int64, hold []byte, at time.Time) error
	// HeldChallenges returns up to limit held challenges, longest held
	// first, after the challenge id afterID (0 for the start).
	HeldChallenges(ctx context.Context, afterID int64, limit int) ([]*HeldChallenge, error)

	// BeginFinalize moves the order from pending to processing and
	// records at as Order.FinalizeStarted, in one statement that also
	// requires the order unexpired at at and every one of its (at least
	// one) authorizations valid and unexpired at at (RFC 8555 §7.4: the
	// order is ready); ErrConflict otherwise.
	BeginFinalize(ctx context.Context, orderID int64, at time.Time) error
	// FailOrder sets a processing order invalid with the problem (JSON).
	FailOrder(ctx context.Context, orderID int64, problem []byte) error
	// RefuseIssuance is FailOrder for a check right before signing (a
	// lint failure, CAA), also appending an "issuance_refused" audit
	// event with the reason in the same transaction.
	RefuseIssuance(ctx context.Context, orderID int64, problem []byte, reason string) error
	// FailInterruptedOrders sets every processing order whose finalization
	// began before startedBefore invalid with the problem (JSON), in one
	// statement, and returns how many it changed.
	FailInterruptedOrders(ctx context.Context, startedBefore time.Time, problem []byte) (int64, error)
	// CompleteOrder stores the certificate (with its CRL partition and,
	// when cert.OCSP is set, its first OCSP response) and sets the
	// processing order valid with it, in one transaction, and appends an
	// "issuance" audit event.
	CompleteOrder(ctx context.Context, orderID int64, cert *Certificate) error

	GetCertificate(ctx context.Context, serial string) (*Certificate, error)
	// ContractCertificates returns every certificate the contract's
	// accounts were issued, with its order's names and profile, oldest
	// first: what plans, reissue rules and usage reports count.
	ContractCertificates(ctx context.Context, contractCode string) ([]vetting.IssuedCertificate, error)
	// IsKeyBlocked reports whether the public key with the hex SHA-256
	// SubjectPublicKeyInfo hash was blocked by a keyCompromise revocation.
	IsKeyBlocked(ctx context.Context, keyHash string) (bool, error)
	// RenewalWindow returns the ARI window an operator set for the
	// certificate with the serial, or nil when none was set.
	RenewalWindow(ctx context.Context, serial string) (*RenewalWindow, error)
}
