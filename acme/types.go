package acme

import (
	"time"

	"github.com/kakuin/kakuin/ca"
)

// Status values of ACME resources (RFC 8555 §7.1.6).
const (
	StatusPending     = "pending"
	StatusReady       = "ready"
	StatusProcessing  = "processing"
	StatusValid       = "valid"
	StatusInvalid     = "invalid"
	StatusDeactivated = "deactivated"
	StatusExpired     = "expired"
	StatusRevoked     = "revoked"
)

// Challenge types kakuin validates (RFC 8555 §8.3, §8.4; RFC 8737).
const (
	ChallengeHTTP01    = "http-01"
	ChallengeDNS01     = "dns-01"
	ChallengeTLSALPN01 = "tls-alpn-01"
)

// Identifier is an ACME identifier (RFC 8555 §9.7.7). kakuin accepts only
// type "dns".
type Identifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Account is an ACME account (RFC 8555 §7.1.2) bound by External Account
// Binding to one contract.
type Account struct {
	ID      int64
	Status  string // valid, deactivated, revoked
	Contact []string
	// KeyJWK is the account's public key as a JSON Web Key.
	KeyJWK []byte
	// KeyThumbprint is the base64url RFC 7638 SHA-256 thumbprint of the key;
	// unique among all accounts.
	KeyThumbprint string
	// ContractCode is the 10-digit contract the account is bound to.
	ContractCode string
	// EABKeyID is the kid of the External Account Binding credential used.
	EABKeyID string
	// TermsAgreedAt is when the account agreed to the terms of service
	// (RFC 8555 §7.3 termsOfServiceAgreed); nil if it never did.
	TermsAgreedAt *time.Time
	// TermsOfService is the terms-of-service URL the directory named when
	// the account agreed ("" if it named none).
	TermsOfService string
	CreatedAt      time.Time
}

// Order is an ACME order (RFC 8555 §7.1.3).
//
// Status is stored only once the order leaves the authorization phase
// (processing, valid, or invalid after a failed finalization); while
// StoredStatus is pending, the effective status is derived from the
// authorizations by EffectiveStatus.
type Order struct {
	ID        int64
	AccountID int64
	// StoredStatus is pending, processing, valid or invalid.
	StoredStatus string
	// Identifiers are echoed exactly as requested.
	Identifiers []Identifier
	// Names is the sorted, de-duplicated, normalised set of DNS names; the
	// key used to find an existing order for the same names.
	Names     []string
	Profile   string
	AuthzIDs  []int64
	NotBefore *time.Time
	NotAfter  *time.Time
	Expires   time.Time
	// Error is a problem document (JSON) when the order became invalid.
	Error []byte
	// CertSerial is the hex serial of the issued certificate, once valid.
	CertSerial string
	// Replaces is the serial of the certificate the order replaces (RFC
	// 9773 §5), "" for none.
	Replaces string
	// FinalizeStarted is when finalization began (the order became
	// processing); nil before. An order processing for longer than
	// Policy.ProcessingTimeout was interrupted, and Server.Run fails it.
	FinalizeStarted *time.Time
	CreatedAt       time.Time
}

// Authorization is an ACME authorization (RFC 8555 §7.1.4) for one DNS name.
type Authorization struct {
	ID         int64
	AccountID  int64
	Identifier Identifier
	// Status is pending, valid, invalid, deactivated or revoked; expired is
	// derived from Expires at read time.
	Status string
	// Expires is, while pending, the end of the order lifetime it was
	// created with; once valid, the validation time plus Policy.AuthzReuse
	// (set by Store.CompleteChallenge).
	Expires time.Time
	// Profile is the certificate profile (ov, ev) of the order that created
	// it: the vetting gate decides an authorization for that profile, and
	// only orders of the same profile reuse it.
	Profile    string
	Challenges []Challenge
	CreatedAt  time.Time
}

// Challenge is an ACME challenge (RFC 8555 §7.1.5, §8).
type Challenge struct {
	ID        int64
	AuthzID   int64
	Type      string
	Token     string
	Status    string // pending, processing, valid, invalid
	Validated *time.Time
	// ValidationStarted is when the current validation attempt began (the
	// challenge became processing; Store.StartChallenge); nil before. A
	// challenge processing for longer than Policy.ValidationTimeout plus a
	// margin was interrupted, and Server.Run fails it.
	ValidationStarted *time.Time
	// Error is a problem document (JSON) when validation failed.
	Error []byte
	// Hold, set while the challenge is held by the vetting gate (domain
	// control proven at HeldAt, officers deciding), is the JSON object
	// {"reason": ..., "cases": [...]} shown on the authorization.
	Hold   []byte
	HeldAt *time.Time
}

// HeldChallenge is a challenge the vetting gate holds, with what is needed
// to ask the gate again.
type HeldChallenge struct {
	ChallengeID  int64
	AuthzID      int64
	AccountID    int64
	ContractCode string
	Name         string // the authorization's DNS name
	Profile      string
	HeldAt       time.Time
	Hold         []byte
}

// Certificate is an issued certificate as the ACME server knows it.
type Certificate struct {
	Serial    string // lower-case hex, no leading zeros beyond what the DER integer has
	IssuerID  string
	AccountID int64
	OrderID   int64
	DER       []byte
	// ChainPEM is the issuer chain (without the leaf) to append on download.
	ChainPEM  []byte
	NotBefore time.Time
	NotAfter  time.Time
	// KeyHash is the hex SHA-256 of the certificate's SubjectPublicKeyInfo.
	KeyHash       string
	RevokedAt     *time.Time
	RevokedReason int
	CreatedAt     time.Time
	// CRLShard is the CRL partition the certificate names.
	CRLShard int
	// OCSP is the first OCSP response, stored with the certificate; nil
	// when OCSP is off. Not read back by GetCertificate.
	OCSP *ca.OCSPResponse
}
