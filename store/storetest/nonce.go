package storetest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/store"
)

func testNonces(t *testing.T, b store.Backend) {
	t.Run("redeem", func(t *testing.T) {
		tests := []struct {
			name string
			id   string
			want error
		}{
			{"first use", "nonce-a", nil},
			{"reuse", "nonce-a", acme.ErrNonceUsed},
			{"another nonce", "nonce-b", nil},
			{"reuse of the other", "nonce-b", acme.ErrNonceUsed},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantErr(t, "RedeemNonce("+tt.id+")", b.RedeemNonce(ctx(t), tt.id, t0.Add(time.Hour)), tt.want)
			})
		}
	})
	t.Run("expiry", func(t *testing.T) {
		wantErr(t, "RedeemNonce(old)", b.RedeemNonce(ctx(t), "old", t0), nil)
		wantErr(t, "RedeemNonce(young)", b.RedeemNonce(ctx(t), "young", t0.Add(time.Hour)), nil)
		wantErr(t, "DeleteExpiredNonces", b.DeleteExpiredNonces(ctx(t), t0.Add(time.Second)), nil)
		// A forgotten nonce can be recorded again; a kept one cannot.
		wantErr(t, "RedeemNonce(old) after expiry", b.RedeemNonce(ctx(t), "old", t0.Add(time.Hour)), nil)
		wantErr(t, "RedeemNonce(young) before expiry", b.RedeemNonce(ctx(t), "young", t0.Add(time.Hour)), acme.ErrNonceUsed)
		// Expiry is exclusive: a nonce expiring exactly at now is kept.
		wantErr(t, "DeleteExpiredNonces at expiry", b.DeleteExpiredNonces(ctx(t), t0.Add(time.Hour)), nil)
		wantErr(t, "RedeemNonce(young) at expiry", b.RedeemNonce(ctx(t), "young", t0.Add(time.Hour)), acme.ErrNonceUsed)
	})
	t.Run("redeem and get account", func(t *testing.T) {
		acct := account(t, b)
		tests := []struct {
			name      string
			id        string
			account   int64
			wantFresh bool
			wantErr   error
		}{
			{"fresh nonce", "combined-a", acct.ID, true, nil},
			{"reused nonce", "combined-a", acct.ID, false, nil},
			{"nonce of RedeemNonce", "nonce-b", acct.ID, false, nil},
			{"unknown account", "combined-b", 1_000_000, false, acme.ErrNotFound},
			// The nonce of the request for an unknown account was spent.
			{"nonce spent on an unknown account", "combined-b", acct.ID, false, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, fresh, err := b.RedeemNonceAndGetAccount(ctx(t), tt.id, t0.Add(time.Hour), tt.account)
				wantErr(t, "RedeemNonceAndGetAccount", err, tt.wantErr)
				equal(t, "fresh", fresh, tt.wantFresh)
				if tt.wantErr != nil {
					if got != nil {
						t.Errorf("account: got %+v, want nil", got)
					}
					return
				}
				want, err := b.GetAccount(ctx(t), tt.account)
				wantErr(t, "GetAccount", err, nil)
				equal(t, "account", got, want)
			})
		}
		wantErr(t, "RedeemNonce after RedeemNonceAndGetAccount", b.RedeemNonce(ctx(t), "combined-a", t0.Add(time.Hour)), acme.ErrNonceUsed)
	})
	t.Run("concurrent", func(t *testing.T) {
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = b.RedeemNonce(ctx(t), "raced", t0.Add(time.Hour)) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, acme.ErrNonceUsed):
				t.Errorf("RedeemNonce: got error %v, want nil or %v", err, acme.ErrNonceUsed)
			}
		}
		if ok != 1 {
			t.Errorf("concurrent RedeemNonce of one id: got %d successes, want 1", ok)
		}
	})
}

func testNonceKey(t *testing.T, b store.Backend) {
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = b.NonceKey(ctx(t)) })
	}
	wg.Wait()
	for i := range n {
		wantErr(t, "NonceKey", errs[i], nil)
		if len(keys[i]) != 32 {
			t.Fatalf("NonceKey: got %d bytes, want 32", len(keys[i]))
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("concurrent NonceKey: got %x and %x, want one key", keys[i], keys[0])
		}
	}
	if bytes.Equal(keys[0], make([]byte, 32)) {
		t.Errorf("NonceKey: got all zero bytes, want a random key")
	}
	keys[0][0] ^= 0xff // the caller's copy is its own
	again, err := b.NonceKey(ctx(t))
	wantErr(t, "NonceKey again", err, nil)
	if !bytes.Equal(again, keys[1]) {
		t.Errorf("NonceKey again: got %x, want %x", again, keys[1])
	}
}
