package acme

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Nonce layout (RFC 8555 §6.5): base64url(expiry || random || mac) where
// expiry is the big-endian Unix second the nonce stops being acceptable,
// random identifies it, and mac is HMAC-SHA256 over expiry||random with the
// store's nonce key, truncated. Creation needs no database write; the one
// insert happens at redemption (Store.RedeemNonce), so any process sharing
// the database accepts any other's nonces exactly once.
const (
	nonceExpiryLen = 8
	nonceRandomLen = 12
	nonceMACLen    = 16
	nonceLen       = nonceExpiryLen + nonceRandomLen + nonceMACLen
)

// nonceSource creates and redeems nonces.
type nonceSource struct {
	store    Store
	clock    func() time.Time
	lifetime time.Duration

	mu  sync.Mutex
	key []byte // cached Store.NonceKey
}

// nonceKey returns the HMAC key, loading it once from the store.
func (n *nonceSource) nonceKey(ctx context.Context) ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.key != nil {
		return n.key, nil
	}
	k, err := n.store.NonceKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("acme: load nonce key: %w", err)
	}
	if len(k) < 16 {
		return nil, errors.New("acme: nonce key shorter than 16 bytes")
	}
	n.key = k
	return k, nil
}

// mac computes the truncated MAC over expiry||random.
func nonceMAC(key, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return h.Sum(nil)[:nonceMACLen]
}

// next returns a fresh nonce.
func (n *nonceSource) next(ctx context.Context) (string, error) {
	key, err := n.nonceKey(ctx)
	if err != nil {
		return "", err
	}
	b := make([]byte, nonceLen)
	binary.BigEndian.PutUint64(b, uint64(n.clock().Add(n.lifetime).Unix()))
	if _, err := rand.Read(b[nonceExpiryLen : nonceExpiryLen+nonceRandomLen]); err != nil {
		return "", err
	}
	copy(b[nonceExpiryLen+nonceRandomLen:], nonceMAC(key, b[:nonceExpiryLen+nonceRandomLen]))
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// redeem accepts nonce once: its MAC must verify (constant time), it must
// not have expired, and it must not have been redeemed before by any
// process. Every refusal is a badNonce problem.
func (n *nonceSource) redeem(ctx context.Context, nonce string) error {
	id, expires, err := n.check(ctx, nonce)
	if err != nil {
		return err
	}
	if err := n.store.RedeemNonce(ctx, id, expires); err != nil {
		if errors.Is(err, ErrNonceUsed) {
			return errNonceUsed()
		}
		return internal(err)
	}
	return nil
}

// check does what redeem does without the store: nonce must be well formed,
// its MAC must verify (constant time) and it must not have expired. It
// returns the id and expiry to redeem it with (Store.RedeemNonce), or a
// badNonce problem (an internal one if the key cannot be loaded).
func (n *nonceSource) check(ctx context.Context, nonce string) (string, time.Time, error) {
	if nonce == "" {
		return "", time.Time{}, newProblem(probBadNonce, "JWS has no nonce")
	}
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceLen {
		return "", time.Time{}, newProblem(probBadNonce, "nonce is malformed")
	}
	key, err := n.nonceKey(ctx)
	if err != nil {
		return "", time.Time{}, internal(err)
	}
	body, mac := b[:nonceExpiryLen+nonceRandomLen], b[nonceExpiryLen+nonceRandomLen:]
	if !hmac.Equal(mac, nonceMAC(key, body)) {
		return "", time.Time{}, newProblem(probBadNonce, "nonce was not issued by this server")
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(body)), 0)
	if !n.clock().Before(expires) {
		return "", time.Time{}, newProblem(probBadNonce, "nonce has expired")
	}
	return base64.RawURLEncoding.EncodeToString(body[nonceExpiryLen:]), expires, nil
}

// errNonceUsed is the problem for a nonce redeemed before (RFC 8555 §6.5).
func errNonceUsed() *problem { return newProblem(probBadNonce, "nonce already used") }

// newNonce implements RFC 8555 §7.2: HEAD answers 200 and GET 204, both
// with Cache-Control: no-store; the Replay-Nonce header is added by the
// handler wrapper like on every response.
func (s *Server) newNonce(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
