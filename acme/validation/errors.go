package validation

import "fmt"

// RFC 8555 §6.7 error types (the suffix after
// "urn:ietf:params:acme:error:") a validation failure is reported as.
const (
	ProblemConnection         = "connection"
	ProblemDNS                = "dns"
	ProblemIncorrectResponse  = "incorrectResponse"
	ProblemTLS                = "tls"
	ProblemUnauthorized       = "unauthorized"
	ProblemRejectedIdentifier = "rejectedIdentifier"
	ProblemMalformed          = "malformed"
)

// Error is a failed validation. Its Detail is written for the ACME client and
// never contains secrets.
type Error struct {
	// Type is the RFC 8555 §6.7 error type suffix, e.g. "connection".
	Type string
	// Detail says what went wrong, e.g. "no A or AAAA records for
	// example.com".
	Detail string
	// err is the underlying cause, if any (e.g. context.Canceled).
	err error
}

// Error implements error. It is "validation: " and the Detail; the type is
// left to ProblemType so that the message reads well as a problem detail.
func (e *Error) Error() string {
	return "validation: " + e.Detail
}

// ClientDetail returns e.Detail: the problem detail the ACME server sends
// (RFC 8555 §6.7), without the "validation: " of Error.
func (e *Error) ClientDetail() string {
	return e.Detail
}

// ProblemType returns the RFC 8555 error type suffix of e; the ACME server
// uses it for the challenge's error (RFC 8555 §7.1.5).
func (e *Error) ProblemType() string {
	return e.Type
}

// Unwrap returns the underlying cause, so that errors.Is(err,
// context.Canceled) works.
func (e *Error) Unwrap() error {
	return e.err
}

// problem returns an *Error with a formatted detail.
func problem(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Detail: fmt.Sprintf(format, args...)}
}

// problemCause returns an *Error with a formatted detail wrapping cause.
func problemCause(cause error, typ, format string, args ...any) *Error {
	return &Error{Type: typ, Detail: fmt.Sprintf(format, args...), err: cause}
}

// truncate shortens s to at most n bytes for use in a detail.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
