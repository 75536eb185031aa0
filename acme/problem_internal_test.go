package acme

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/vetting"
)

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
		{"EAB unusable", fmt.Errorf("store: credential k revoked: %w", ErrEABUnusable), probUnauthorized, 403,
			"store: credential k revoked: acme: external account binding credential unusable"},
		{"contract suspended", fmt.Errorf("vetting: contract 1 is suspended: %w", vetting.ErrInactive), probUnauthorized, 403,
			"vetting: contract 1 is suspended: vetting: not active"},
		{"unknown EAB kid", fmt.Errorf("vetting: x: %w", vetting.ErrNotFound), probUnauthorized, 403, "unknown EAB key id"},
		{"already revoked", fmt.Errorf("store: %w", ErrAlreadyRevoked), probAlreadyRevoked, 400, "certificate already revoked"},
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
}
