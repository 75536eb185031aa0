package ca

import (
	"errors"
	"strings"
)

// ErrAlreadyInitialized is returned by Init when the directory already
// holds any of the hierarchy's files; Init never overwrites a CA.
var ErrAlreadyInitialized = errors.New("ca: CA directory already initialized")

// ErrInvalidRequest is wrapped by every error Issue returns for a request
// that can never be signed as it stands (unknown profile, bad names or
// subject). Key problems are reported as *KeyError instead.
var ErrInvalidRequest = errors.New("ca: invalid issuance request")

// KeyError reports a public key the CA will not certify (BR §6.1.5, §6.1.6).
type KeyError struct {
	// Reason says what is wrong and what would be accepted.
	Reason string
}

// Error implements error.
func (e *KeyError) Error() string { return "ca: public key not accepted: " + e.Reason }

// LintError reports a certificate that failed pre-issuance linting (BR
// §4.3.1.2, zlint v3). Nothing was signed with the issuer's key; the serial
// stays reserved and is never reused.
type LintError struct {
	// Lints are the failing lint names, sorted, each followed by zlint's
	// details when it gave any ("e_name: details").
	Lints []string
}

// Error implements error.
func (e *LintError) Error() string {
	return "ca: certificate failed pre-issuance lint: " + strings.Join(e.Lints, "; ")
}
