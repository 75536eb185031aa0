package acme

import (
	"context"
	"encoding/base64"
	"errors"
	"sync"
	"testing"
	"time"
)

// memNonceStore is the nonce part of a Store, for unit tests of the nonce
// format only (the end-to-end tests use the real SQLite store).
type memNonceStore struct {
	Store
	mu   sync.Mutex
	used map[string]bool
	keys int
}

func (m *memNonceStore) NonceKey(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys++
	return []byte("0123456789abcdef0123456789abcdef"), nil
}

func (m *memNonceStore) RedeemNonce(_ context.Context, id string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.used[id] {
		return ErrNonceUsed
	}
	m.used[id] = true
	return nil
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNonces(t *testing.T) {
	ctx := context.Background()
	now := mustTime(t, "2030-01-01T00:00:00Z")
	st := &memNonceStore{used: map[string]bool{}}
	ns := &nonceSource{store: st, clock: func() time.Time { return now }, lifetime: 15 * time.Minute}
	fresh := func() string {
		n, err := ns.next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	tamper := func(n string) string {
		b, _ := base64.RawURLEncoding.DecodeString(n)
		b[nonceExpiryLen] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	reused := fresh()
	if err := ns.redeem(ctx, reused); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		nonce   string
		advance time.Duration
		wantErr bool
	}{
		{"fresh", fresh(), 0, false},
		{"just before expiry", fresh(), 15*time.Minute - time.Second, false},
		{"expired", fresh(), 15 * time.Minute, true},
		{"reused", reused, 0, true},
		{"tampered", tamper(fresh()), 0, true},
		{"empty", "", 0, true},
		{"not base64url", "!!!", 0, true},
		{"wrong length", fresh()[:20], 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns.clock = func() time.Time { return now.Add(tc.advance) }
			defer func() { ns.clock = func() time.Time { return now } }()
			err := ns.redeem(ctx, tc.nonce)
			if (err != nil) != tc.wantErr {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
			var p *problem
			if tc.wantErr && (!errors.As(err, &p) || p.Type != errNS+probBadNonce) {
				t.Errorf("got %v, want a badNonce problem", err)
			}
		})
	}
	if st.keys != 1 {
		t.Errorf("NonceKey loads: got %d, want 1 (cached)", st.keys)
	}
	if n := fresh(); len(n) != 48 {
		t.Errorf("nonce length: got %d, want 48", len(n))
	}
}
