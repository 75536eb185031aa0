package acme

import (
	"context"
	"errors"
	"time"
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
	// ErrAlreadyRevoked: the certificate is already revoked.
	ErrAlreadyRevoked = errors.New("acme: certificate already revoked")
	// ErrConflict: a conditional state transition lost (the resource was not
	// in the expected state).
	ErrConflict = errors.New("acme: state conflict")
)

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
	// DeleteExpiredNonces forgets redeemed nonces whose expiry is before now.
	DeleteExpiredNonces(ctx context.Context, now time.Time) error

	// CreateAccount inserts a, binding it with the EAB credential in one
	// transaction: the credential must be active, its contract active, and
	// fewer than b.MaxAccounts accounts bound to it so far (else an error
	// wrapping ErrEABUnusable saying which). a.ContractCode is set from the
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
	// the DNS name whose status is in statuses and which expires after
	// notExpiredAt, or ErrNotFound.
	FindReusableAuthz(ctx context.Context, accountID int64, name string, statuses []string, notExpiredAt time.Time) (*Authorization, error)
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
	// StartChallenge moves a pending challenge to processing, if its
	// authorization is pending (ErrConflict otherwise).
	StartChallenge(ctx context.Context, challengeID int64) error
	// CompleteChallenge records the validation result: valid sets the
	// challenge valid (validated=at) and its authorization valid with the
	// new expiry authzExpires (at + Policy.AuthzReuse; required when
	// valid); otherwise the challenge and authorization become invalid,
	// problem (JSON) is stored on the challenge and authzExpires is
	// ignored. Only a processing challenge of a pending authorization is
	// changed (ErrConflict otherwise).
	CompleteChallenge(ctx context.Context, challengeID int64, valid bool, problem []byte, at, authzExpires time.Time) error

	// BeginFinalize moves the order from pending to processing (the caller
	// has checked all its authorizations are valid) and records at as
	// Order.FinalizeStarted; ErrConflict if the stored status was not
	// pending.
	BeginFinalize(ctx context.Context, orderID int64, at time.Time) error
	// FailOrder sets a processing order invalid with the problem (JSON).
	FailOrder(ctx context.Context, orderID int64, problem []byte) error
	// FailInterruptedOrders sets every processing order whose finalization
	// began before startedBefore invalid with the problem (JSON), in one
	// statement, and returns how many it changed.
	FailInterruptedOrders(ctx context.Context, startedBefore time.Time, problem []byte) (int64, error)
	// CompleteOrder stores the certificate and sets the processing order
	// valid with it, in one transaction, and appends an "issuance" audit
	// event.
	CompleteOrder(ctx context.Context, orderID int64, cert *Certificate) error

	GetCertificate(ctx context.Context, serial string) (*Certificate, error)
	// RevokeCertificate marks the certificate revoked with the RFC 5280
	// reason code and appends a "revocation" audit event naming actor;
	// ErrAlreadyRevoked if it already was.
	RevokeCertificate(ctx context.Context, serial string, reason int, at time.Time, actor string) error
}
