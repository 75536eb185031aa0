package bench

import "sync"

// maxPooledNonces bounds the nonce pool; the oldest nonces are dropped
// first, since servers expire them.
const maxPooledNonces = 256

// noncePool keeps the Replay-Nonce values of responses (RFC 8555 §7.2) for
// the next requests, newest first.
type noncePool struct {
	mu     sync.Mutex
	nonces []string
}

// put adds a nonce; "" is ignored.
func (p *noncePool) put(nonce string) {
	if nonce == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.nonces) == maxPooledNonces {
		copy(p.nonces, p.nonces[1:])
		p.nonces = p.nonces[:len(p.nonces)-1]
	}
	p.nonces = append(p.nonces, nonce)
}

// take removes and returns the newest nonce, or "" when the pool is empty.
func (p *noncePool) take() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.nonces)
	if n == 0 {
		return ""
	}
	nonce := p.nonces[n-1]
	p.nonces = p.nonces[:n-1]
	return nonce
}
