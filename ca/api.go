package ca

import (
	"context"
	"crypto"
	"errors"
	"time"
)

// Profile names. Each profile is issued by its own issuing CA because each
// carries exactly one reserved policy OID.
const (
	ProfileOV = "ov" // 2.23.140.1.2.2
	ProfileEV = "ev" // 2.23.140.1.1
)

// Issuer ids: the file stem under the CA directory and the name in AIA URLs.
const (
	IssuerRoot = "root"
	IssuerOV   = "ov"
	IssuerEV   = "ev"
)

// ErrSerialExists is returned by Store.ReserveSerial for a serial that was
// reserved before.
var ErrSerialExists = errors.New("ca: serial already reserved")

// Store records serial numbers before anything is signed with them, and
// the delegated OCSP responder certificates the Authority issues.
type Store interface {
	// ReserveSerial inserts the serial (lower-case hex) under a unique
	// constraint; ErrSerialExists if it is taken.
	ReserveSerial(ctx context.Context, serial string, issuerID string, at time.Time) error
	// RecordResponderCertificate records a delegated OCSP responder
	// certificate, whose serial was reserved, with an audit event.
	RecordResponderCertificate(ctx context.Context, c ResponderCertificate) error
}

// Subject is the vetted organization data that goes into a leaf's subject.
// It never comes from the CSR.
type Subject struct {
	Organization string
	Country      string // ISO 3166-1 alpha-2
	Province     string // ST
	Locality     string // L

	// EV only (EV Guidelines 7.1.4.2): the organization's category, the
	// jurisdiction of its registration (the country, for registries at
	// national level such as Japan's corporate numbers) and its
	// registration number.
	BusinessCategory    string // BusinessCategoryPrivate, ...
	JurisdictionCountry string
	SerialNumber        string
}

// EV business categories (EV Guidelines 7.1.4.2.3).
const (
	BusinessCategoryPrivate       = "Private Organization"
	BusinessCategoryGovernment    = "Government Entity"
	BusinessCategoryBusiness      = "Business Entity"
	BusinessCategoryNonCommercial = "Non-Commercial Entity"
)

// Request asks for one end-entity certificate.
type Request struct {
	Profile   string // ProfileOV or ProfileEV
	PublicKey crypto.PublicKey
	// Names are the order's DNS names; the first becomes the CN.
	Names   []string
	Subject Subject
}

// Issued is a signed certificate and what the caller stores with it.
type Issued struct {
	Serial    string // lower-case hex
	IssuerID  string
	DER       []byte
	ChainPEM  []byte // issuer certificate(s), PEM, without the leaf
	NotBefore time.Time
	NotAfter  time.Time
	KeyHash   string // hex SHA-256 of the SubjectPublicKeyInfo
	// CRLShard is the CRL partition the certificate's CRL distribution
	// point names (0 when there is none).
	CRLShard int
	// OCSP is the certificate's first OCSP response ("good"), nil when
	// OCSP is off.
	OCSP *OCSPResponse
}
