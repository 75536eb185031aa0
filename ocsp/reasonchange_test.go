package ocsp_test

import (
	"context"
	"crypto"
	"errors"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/kakuin/kakuin/ca"
)

// TestRevokeChangesReasonToKeyCompromise: a certificate revoked as
// superseded whose key is later reported compromised is revoked again for
// keyCompromise; its revocation time stays, its OCSP response and CRL
// entry change reason, its key is blocked and its sibling revoked. Other
// second revocations stay refused.
func TestRevokeChangesReasonToKeyCompromise(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	first := e.issue(t, nil)
	sibling := e.issue(t, first.key)

	must(t, e.service.Revoke(ctx, first.Serial, ca.ReasonSuperseded, "test"))
	at, _ := e.revokedAt(t, first)
	e.advance(time.Hour)
	for _, reason := range []int{ca.ReasonSuperseded, ca.ReasonCessationOfOperation} {
		if err := e.service.Revoke(ctx, first.Serial, reason, "test"); !errors.Is(err, ca.ErrAlreadyRevoked) {
			t.Errorf("second revocation as %s: got %v, want ErrAlreadyRevoked", ca.ReasonName(reason), err)
		}
	}
	if blocked, _ := e.store.IsKeyBlocked(ctx, first.KeyHash); blocked {
		t.Fatalf("key blocked after a superseded revocation")
	}

	must(t, e.service.Revoke(ctx, first.Serial, ca.ReasonKeyCompromise, "test"))
	gotAt, reason := e.revokedAt(t, first)
	if gotAt == nil || !gotAt.Equal(*at) || reason != ca.ReasonKeyCompromise {
		t.Errorf("after keyCompromise: got revoked %v reason %d, want %v (unchanged) and keyCompromise", gotAt, reason, at)
	}
	r := e.stored(t, first, crypto.SHA1)
	if r.Status != xocsp.Revoked || r.RevocationReason != ca.ReasonKeyCompromise || !r.RevokedAt.Equal(*at) {
		t.Errorf("OCSP: got status %d reason %d at %v, want revoked keyCompromise at %v", r.Status, r.RevocationReason, r.RevokedAt, at)
	}
	if blocked, err := e.store.IsKeyBlocked(ctx, first.KeyHash); err != nil || !blocked {
		t.Errorf("IsKeyBlocked: got %v, %v; want true", blocked, err)
	}
	if _, reason := e.revokedAt(t, sibling); reason != ca.ReasonKeyCompromise {
		t.Errorf("sibling: got reason %d, want keyCompromise", reason)
	}
	if err := e.service.Revoke(ctx, first.Serial, ca.ReasonKeyCompromise, "test"); !errors.Is(err, ca.ErrAlreadyRevoked) {
		t.Errorf("keyCompromise twice: got %v, want ErrAlreadyRevoked", err)
	}

	must(t, e.service.UpdateCRLs(ctx))
	crls := e.storedCRLs(t)
	for ref, c := range crls {
		if ref.IssuerID != first.IssuerID || ref.Shard != first.CRLShard {
			continue
		}
		entry := crlEntry(e.parseCRL(t, ref.IssuerID, c.DER), first.cert.SerialNumber)
		if entry == nil || entry.ReasonCode != ca.ReasonKeyCompromise || !entry.RevocationTime.Equal(*at) {
			t.Errorf("CRL entry: got %+v, want keyCompromise at %v", entry, at)
		}
	}
}
