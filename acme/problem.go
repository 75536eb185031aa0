package acme

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/vetting"
)

// errNS prefixes every ACME error type (RFC 8555 §6.7).
const errNS = "urn:ietf:params:acme:error:"

// RFC 8555 §6.7 error types kakuin sends, without the namespace.
const (
	probAccountDoesNotExist     = "accountDoesNotExist"
	probAlreadyRevoked          = "alreadyRevoked"
	probBadCSR                  = "badCSR"
	probBadNonce                = "badNonce"
	probBadPublicKey            = "badPublicKey"
	probBadRevocationReason     = "badRevocationReason"
	probBadSignatureAlgorithm   = "badSignatureAlgorithm"
	probConflict                = "conflict"
	probExternalAccountRequired = "externalAccountRequired"
	probIncorrectResponse       = "incorrectResponse"
	probInvalidContact          = "invalidContact"
	probMalformed               = "malformed"
	probOrderNotReady           = "orderNotReady"
	probRejectedIdentifier      = "rejectedIdentifier"
	// probInvalidProfile: the newOrder's profile is unknown or not allowed
	// (draft-ietf-acme-profiles §6).
	probInvalidProfile        = "invalidProfile"
	probServerInternal        = "serverInternal"
	probUnauthorized          = "unauthorized"
	probUnsupportedContact    = "unsupportedContact"
	probUnsupportedIdentifier = "unsupportedIdentifier"
)

// problemStatus is the HTTP status of each problem type, following Boulder
// (web/probs.go) and Pebble: 403 for authorization failures, 400 for the
// rest of the client errors. Types not listed are 400.
var problemStatus = map[string]int{
	probUnauthorized:   http.StatusForbidden,
	probOrderNotReady:  http.StatusForbidden,
	"caa":              http.StatusForbidden,
	probServerInternal: http.StatusInternalServerError,
	probConflict:       http.StatusConflict,
}

// statusOf returns the HTTP status for an error type suffix.
func statusOf(typ string) int {
	if s, ok := problemStatus[typ]; ok {
		return s
	}
	return http.StatusBadRequest
}

// problem is an RFC 8555 §6.7 problem document. It is also the error every
// handler returns for a client-visible failure.
type problem struct {
	Type        string      `json:"type"`
	Detail      string      `json:"detail"`
	Status      int         `json:"status"`
	Identifier  *Identifier `json:"identifier,omitempty"`
	Subproblems []*problem  `json:"subproblems,omitempty"`
	// Algorithms lists the acceptable JWS algorithms in a
	// badSignatureAlgorithm problem (RFC 8555 §6.2).
	Algorithms []string `json:"algorithms,omitempty"`

	// location, if set, is sent as the Location header (409 on key change).
	location string
	// allow, if set, is sent as the Allow header (405).
	allow string
	// cause is the internal error behind a serverInternal problem; logged,
	// never sent.
	cause error
	// refusal is the domain error (errorTable) behind a client error;
	// logged at Info for operators, never sent.
	refusal error
}

// Error implements error.
func (p *problem) Error() string { return p.Type + ": " + p.Detail }

// newProblem builds a problem of type typ (suffix) with its default status.
func newProblem(typ, format string, args ...any) *problem {
	return &problem{Type: errNS + typ, Detail: fmt.Sprintf(format, args...), Status: statusOf(typ)}
}

// withStatus overrides the HTTP status.
func (p *problem) withStatus(status int) *problem {
	p.Status = status
	return p
}

// malformed is the catch-all problem for a request that is not acceptable.
func malformed(format string, args ...any) *problem {
	return newProblem(probMalformed, format, args...)
}

// unauthorized refuses a request the requester may not make (403, as
// Boulder does).
func unauthorized(format string, args ...any) *problem {
	return newProblem(probUnauthorized, format, args...)
}

// badCSR refuses a finalize CSR.
func badCSR(format string, args ...any) *problem {
	return newProblem(probBadCSR, format, args...)
}

// notFound is the problem for a resource id that does not exist.
func notFound(what string) *problem {
	return malformed("%s not found", what).withStatus(http.StatusNotFound)
}

// notYours is the one answer for any resource of another account (same text
// for every kind of resource, so it leaks nothing about the owner).
func notYours(what string) *problem {
	return unauthorized("this %s is not accessible to the requesting account", what)
}

// internal wraps an unexpected error: logged with its cause, sent as a bare
// serverInternal problem.
func internal(cause error) *problem {
	p := newProblem(probServerInternal, "internal server error")
	p.cause = cause
	return p
}

// clientDetailer is implemented by the errors of the Store, the Vetting
// service and the Validator that carry a message written for the ACME
// client (*EABError, validation's *Error): toProblem sends that message and
// nothing else of the error chain.
type clientDetailer interface {
	// ClientDetail is the problem detail: what went wrong, naming only what
	// the client sent or may know.
	ClientDetail() string
}

// errorMapping is one row of errorTable.
type errorMapping struct {
	target error
	typ    string
	// status overrides the type's HTTP status when not zero.
	status int
	// detail is sent unless the error has a ClientDetail; never the
	// error's own message, which may carry internal context.
	detail string
}

// errorTable turns the Go errors of store, vetting and ca into problem
// documents: the one place where domain errors meet RFC 8555 (STYLE.md
// "problems only at the edge"). Anything not matched is serverInternal and
// its detail is only logged. A *ca.KeyError (CheckPublicKey) is badCSR with
// its Reason. Handlers that give an error a more specific
// meaning in context (ErrConflict at finalize is orderNotReady) check it
// before returning.
var errorTable = []errorMapping{
	{target: ErrNotFound, typ: probMalformed, status: http.StatusNotFound, detail: "resource not found"},
	{target: ErrNonceUsed, typ: probBadNonce, detail: "nonce already used"},
	// *EABError says which credential and why.
	{target: ErrEABUnusable, typ: probUnauthorized, detail: "EAB credential unusable"},
	// vetting.Service.EABCredential: a revoked credential, or a suspended
	// or ended contract.
	{target: vetting.ErrInactive, typ: probUnauthorized,
		detail: "EAB credential not active: it is revoked, or its contract is suspended or ended"},
	{target: vetting.ErrNotFound, typ: probUnauthorized, detail: "unknown EAB key id"},
	{target: ErrAlreadyRevoked, typ: probAlreadyRevoked, detail: "certificate already revoked"},
	{target: ErrDuplicate, typ: probConflict, detail: "resource already exists"},
	{target: ErrConflict, typ: probMalformed, detail: "the resource changed state concurrently; fetch it and retry"},
}

// toProblem maps any error a handler returns to the problem to send.
func toProblem(err error) *problem {
	var p *problem
	if errors.As(err, &p) {
		return p
	}
	var ke *ca.KeyError
	if errors.As(err, &ke) {
		return badCSR("%s", ke.Reason)
	}
	for _, m := range errorTable {
		if errors.Is(err, m.target) {
			d := m.detail
			var cd clientDetailer
			if errors.As(err, &cd) {
				d = cd.ClientDetail()
			}
			p := newProblem(m.typ, "%s", d)
			p.refusal = err
			if m.status != 0 {
				p.Status = m.status
			}
			return p
		}
	}
	return internal(err)
}

// problemJSON marshals p for storage on a challenge or an order.
func problemJSON(p *problem) []byte {
	b, err := json.Marshal(p)
	if err != nil { // cannot happen: plain strings and ints
		return []byte(`{"type":"` + errNS + probServerInternal + `","detail":"internal server error","status":500}`)
	}
	return b
}
