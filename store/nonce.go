package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/acme"
)

// nonceKeySetting names the nonce key in the settings table.
const nonceKeySetting = "nonce_key"

// NonceKey returns the 32-byte secret that authenticates nonces (RFC 8555
// §6.5), creating it on first use. Concurrent first uses, in any process,
// agree on one key: each inserts its candidate unless one exists, then
// reads the stored one. The key never changes, so it is cached.
func (s *core) NonceKey(ctx context.Context) ([]byte, error) {
	s.nonceKeyMu.Lock()
	defer s.nonceKeyMu.Unlock()
	if s.nonceKey != nil {
		return append([]byte(nil), s.nonceKey...), nil
	}
	const get = `SELECT value FROM settings WHERE name = $1`
	var key []byte
	err := s.db.reader().queryRow(ctx, get, nonceKeySetting).Scan(&key)
	if errors.Is(err, errNoRows) {
		candidate := make([]byte, 32)
		if _, err := rand.Read(candidate); err != nil {
			return nil, fmt.Errorf("store: nonce key: %w", err)
		}
		if _, err := s.db.writer().exec(ctx,
			`INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			nonceKeySetting, candidate); err != nil {
			return nil, fmt.Errorf("store: nonce key: %w", err)
		}
		err = s.db.writer().queryRow(ctx, get, nonceKeySetting).Scan(&key)
	}
	if err != nil {
		return nil, fmt.Errorf("store: nonce key: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("store: nonce key: got %d bytes, want 32", len(key))
	}
	s.nonceKey = key
	return append([]byte(nil), key...), nil
}

// RedeemNonce records nonce id as used until expires, in one statement
// under the primary key; acme.ErrNonceUsed if it was already redeemed
// (RFC 8555 §6.5: a nonce is accepted once).
func (s *core) RedeemNonce(ctx context.Context, id string, expires time.Time) error {
	n, err := s.db.writer().exec(ctx,
		`INSERT INTO used_nonces (id, expires) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, norm(expires))
	if err != nil {
		return fmt.Errorf("store: redeeming nonce: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store: redeeming nonce: %w", acme.ErrNonceUsed)
	}
	return nil
}

// RedeemNonceAndGetAccount redeems nonce id (as RedeemNonce) and returns
// the account (as GetAccount): fresh is false if the nonce had been
// redeemed before (false too with any error); err wraps acme.ErrNotFound
// if there is no account. The nonce is redeemed either way. This is the two statements in sequence;
// Postgres does both in one round trip.
func (s *core) RedeemNonceAndGetAccount(ctx context.Context, id string, expires time.Time, accountID int64) (*acme.Account, bool, error) {
	fresh := true
	if err := s.RedeemNonce(ctx, id, expires); errors.Is(err, acme.ErrNonceUsed) {
		fresh = false
	} else if err != nil {
		return nil, false, err
	}
	a, err := s.GetAccount(ctx, accountID)
	if err != nil {
		return nil, false, err
	}
	return a, fresh, nil
}

// DeleteExpiredNonces forgets redeemed nonces that expired before now.
func (s *core) DeleteExpiredNonces(ctx context.Context, now time.Time) error {
	if _, err := s.db.writer().exec(ctx, `DELETE FROM used_nonces WHERE expires < $1`, norm(now)); err != nil {
		return fmt.Errorf("store: deleting expired nonces: %w", err)
	}
	return nil
}
