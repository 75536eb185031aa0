package acme

import (
	"context"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/vetting"
)

// Vetting is what the ACME server needs from the registration authority.
// *vetting.Service implements it.
type Vetting interface {
	// EABCredential returns an active credential and its active contract.
	// Errors wrap vetting.ErrNotFound (unknown kid) or vetting.ErrInactive
	// (revoked credential, suspended or ended contract) with a message that
	// says which.
	EABCredential(ctx context.Context, kid string) (*vetting.EABCredential, *vetting.Contract, error)
	Contract(ctx context.Context, code string) (*vetting.Contract, error)
	Organization(ctx context.Context, id int64) (*vetting.Organization, error)
	// Gate decides whether the organization may have a name at a profile
	// now, opening or joining the vetting cases it waits for.
	Gate(ctx context.Context, in vetting.GateInput) (*vetting.GateResult, error)
}

// Issuer signs end-entity certificates. *ca.Authority implements it.
type Issuer interface {
	Issue(ctx context.Context, req ca.Request) (*ca.Issued, error)
}

// Validator performs one challenge validation over the network (RFC 8555
// §8.3, §8.4, RFC 8737). *validation.Validator implements it.
//
// keyAuthorization is token || "." || base64url(JWK thumbprint). A failed
// validation returns an error; if the error has a method
// ProblemType() string returning an RFC 8555 error type suffix
// ("connection", "dns", "incorrectResponse", "tls", "unauthorized",
// "rejectedIdentifier", "caa"), that type is reported, else "serverInternal"
// is not: validation failures default to "incorrectResponse".
type Validator interface {
	Validate(ctx context.Context, challengeType, name, token, keyAuthorization string) error
	// CheckCAA checks the CAA records of name before issuance (RFC 8659,
	// with the accounturi and validationmethods parameters of RFC 8657).
	// name is a DNS identifier, "*.example.com" for a wildcard; identities
	// are the CA's issuer domain names (Meta.CAAIdentities); accountURI is
	// the requesting account's URL and method the challenge type that
	// validated name. It returns nil if issuance may proceed, else an
	// error with a ProblemType() ("caa" for a refusal, "dns" for a failed
	// lookup, which refuses too) and a ClientDetail().
	CheckCAA(ctx context.Context, name string, identities []string, accountURI, method string) error
}

// Revoker revokes a certificate and brings its status (OCSP response, CRL)
// up to date. *ocsp.Service implements it.
type Revoker interface {
	// Revoke revokes the certificate with the serial for the RFC 5280
	// reason, recording actor in the audit log. A keyCompromise
	// revocation also blocks the key and revokes every other unexpired
	// certificate with it. Errors wrap ErrAlreadyRevoked when it already
	// was revoked.
	Revoke(ctx context.Context, serial string, reason int, actor string) error
}
