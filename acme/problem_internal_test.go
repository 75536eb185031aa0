package acme

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/acme/validation"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/vetting"
)

// reasonError is a domain error with a message written for clients, as
// vetting's errors may carry one.
type reasonError struct {
	kind   error
	reason string
}

func (e *reasonError) Error() string        { return "vetting: internal words: " + e.reason }
func (e *reasonError) ClientDetail() string { return e.reason }
func (e *reasonError) Unwrap() error        { return e.kind }

// TestToProblem pins the problem document of every row of errorTable: its
// type, status and the exact detail a client sees, which never repeats the
// error chain (package prefixes, sentinel texts).
func TestToProblem(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantType   string
		wantStatus int
		wantDetail string
	}{
		{"problem passes through", malformed("x"), probMalformed, 400, "x"},
		{"wrapped problem", fmt.Errorf("ctx: %w", unauthorized("y")), probUnauthorized, 403, "y"},
		{"not found", fmt.Errorf("store: order 7: %w", ErrNotFound), probMalformed, 404, "resource not found"},
		{"nonce used", fmt.Errorf("store: %w", ErrNonceUsed), probBadNonce, 400, "nonce already used"},
		{"EAB credential at its limit",
			fmt.Errorf("store: creating account: %w", &EABError{KeyID: "kak_x", Reason: "already binds 1 account (the limit)"}),
			probUnauthorized, 403, "EAB credential kak_x already binds 1 account (the limit)"},
		{"EAB credential revoked", fmt.Errorf("store: creating account: %w", &EABError{KeyID: "kak_y", Reason: "is revoked"}),
			probUnauthorized, 403, "EAB credential kak_y is revoked"},
		{"EAB unusable without a reason", fmt.Errorf("store: credential k revoked: %w", ErrEABUnusable), probUnauthorized, 403,
			"EAB credential unusable"},
		{"contract suspended with a client detail", fmt.Errorf("acme: eab: %w", &reasonError{vetting.ErrInactive, "contract 1 is suspended"}),
			probUnauthorized, 403, "contract 1 is suspended"},
		{"contract suspended", fmt.Errorf("vetting: contract 1 is suspended: %w", vetting.ErrInactive), probUnauthorized, 403,
			"EAB credential not active: it is revoked, or its contract is suspended or ended"},
		{"unknown EAB kid", fmt.Errorf("vetting: x: %w", vetting.ErrNotFound), probUnauthorized, 403, "unknown EAB key id"},
		{"already revoked", fmt.Errorf("store: %w", ErrAlreadyRevoked), probAlreadyRevoked, 400, "certificate already revoked"},
		{"duplicate", fmt.Errorf("store: account key: %w", ErrDuplicate), probConflict, 409, "resource already exists"},
		{"key error", fmt.Errorf("ca: %w", &ca.KeyError{Reason: "too small"}), probBadCSR, 400, "too small"},
		{"conflict", fmt.Errorf("store: %w", ErrConflict), probMalformed, 400, "the resource changed state concurrently; fetch it and retry"},
		{"anything else", errors.New("store: disk I/O error at /var/lib/kakuin"), probServerInternal, http.StatusInternalServerError, "internal server error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := toProblem(tc.err)
			if got, want := p.Type, errNS+tc.wantType; got != want {
				t.Errorf("type: got %q, want %q", got, want)
			}
			if p.Status != tc.wantStatus {
				t.Errorf("status: got %d, want %d", p.Status, tc.wantStatus)
			}
			if p.Detail != tc.wantDetail {
				t.Errorf("detail: got %q, want %q", p.Detail, tc.wantDetail)
			}
		})
	}
	// Every row of the table, with an error chain as the domain packages
	// build them, must send its own detail and none of the chain.
	for _, m := range errorTable {
		t.Run("row "+m.target.Error(), func(t *testing.T) {
			p := toProblem(fmt.Errorf("store: secret context /var/lib/kakuin: %w", m.target))
			for _, leak := range []string{"store:", "acme:", "vetting:", "/var/lib", m.target.Error()} {
				if strings.Contains(p.Detail, leak) {
					t.Errorf("detail %q: got %q in it, want no part of the error chain", p.Detail, leak)
				}
			}
		})
	}
}

// TestValidationProblem checks the problem stored on a failed challenge:
// the validation error's type and its client detail, without the
// "validation: " of its message.
func TestValidationProblem(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantType   string
		wantDetail string
	}{
		{"validation error", &validation.Error{Type: validation.ProblemConnection, Detail: "connection refused by 127.0.0.1:80"},
			"connection", "connection refused by 127.0.0.1:80"},
		{"wrapped validation error", fmt.Errorf("x: %w", &validation.Error{Type: validation.ProblemDNS, Detail: "no A or AAAA records for a.example"}),
			"dns", "no A or AAAA records for a.example"},
		{"other error", errors.New("validator internals: socket 12"), probIncorrectResponse, "the response did not satisfy the challenge"},
		{"deadline", fmt.Errorf("dial: %w", context.DeadlineExceeded), "connection", "validation timed out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := validationProblem(tc.err)
			if got, want := p.Type, errNS+tc.wantType; got != want {
				t.Errorf("type: got %q, want %q", got, want)
			}
			if p.Detail != tc.wantDetail {
				t.Errorf("detail: got %q, want %q", p.Detail, tc.wantDetail)
			}
		})
	}
}
