package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"math/big"

	"github.com/titanous/rocacheck"
)

// RSA modulus limits for subscriber keys (BR §6.1.5: at least 2048 bits).
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// smallPrimesProduct is the product of the odd primes below 752; a modulus
// sharing a factor with it is trivially factorable (zlint
// w_rsa_mod_factors_smaller_than_752, BR §6.1.6).
var smallPrimesProduct = func() *big.Int {
	p := big.NewInt(1)
	for n := int64(3); n < 752; n += 2 {
		if big.NewInt(n).ProbablyPrime(0) {
			p.Mul(p, big.NewInt(n))
		}
	}
	return p
}()

// CheckPublicKey reports whether kakuin certifies pub (BR §6.1.5, §6.1.6):
// RSA with a 2048..8192-bit modulus that is a multiple of 8 bits, odd,
// free of small factors, not from a ROCA-vulnerable generator and not
// factored by 100 rounds of Fermat's method, with an odd public exponent
// ≥ 3; or ECDSA on P-256
// or P-384 with a valid point. Anything else is a *KeyError saying why.
func CheckPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return checkRSA(k)
	case *ecdsa.PublicKey:
		return checkECDSA(k)
	case ed25519.PublicKey, *ed25519.PublicKey:
		return &KeyError{Reason: "Ed25519 keys are not accepted for TLS server certificates; use ECDSA P-256/P-384 or RSA ≥ 2048 bits"}
	case nil:
		return &KeyError{Reason: "no public key"}
	}
	return &KeyError{Reason: fmt.Sprintf("%T keys are not accepted; use ECDSA P-256/P-384 or RSA ≥ 2048 bits", pub)}
}

func checkRSA(k *rsa.PublicKey) error {
	if k == nil || k.N == nil {
		return &KeyError{Reason: "empty RSA key"}
	}
	bits := k.N.BitLen()
	switch {
	case bits < minRSABits:
		return &KeyError{Reason: fmt.Sprintf("RSA modulus of %d bits is too small; use at least %d bits", bits, minRSABits)}
	case bits > maxRSABits:
		return &KeyError{Reason: fmt.Sprintf("RSA modulus of %d bits is too large; at most %d bits are accepted", bits, maxRSABits)}
	case bits%8 != 0:
		return &KeyError{Reason: fmt.Sprintf("RSA modulus of %d bits is not a multiple of 8 bits", bits)}
	case k.N.Bit(0) == 0:
		return &KeyError{Reason: "RSA modulus is even"}
	case k.E < 3:
		return &KeyError{Reason: fmt.Sprintf("RSA public exponent %d is smaller than 3", k.E)}
	case k.E%2 == 0:
		return &KeyError{Reason: fmt.Sprintf("RSA public exponent %d is even", k.E)}
	}
	if rocacheck.IsWeak(k) {
		return &KeyError{Reason: "RSA key was made by a library vulnerable to ROCA (CVE-2017-15361) and can be factored; " +
			"generate a new key with an updated library"}
	}
	if new(big.Int).GCD(nil, nil, k.N, smallPrimesProduct).Cmp(big.NewInt(1)) != 0 {
		return &KeyError{Reason: "RSA modulus has a factor smaller than 752"}
	}
	if fermatFactors(k.N, fermatRounds) {
		return &KeyError{Reason: "RSA modulus is the product of two primes too close together (Fermat's method factors it); generate a new key"}
	}
	return nil
}

// fermatRounds is how many steps of Fermat's factorization a modulus must
// withstand (as Boulder's goodkey does): primes closer than that are found
// at once.
const fermatRounds = 100

// fermatFactors reports whether Fermat's method factors n within rounds
// steps: some a from ceil(sqrt(n)) on with a² - n a perfect square.
func fermatFactors(n *big.Int, rounds int) bool {
	a := new(big.Int).Sqrt(n)
	if new(big.Int).Mul(a, a).Cmp(n) != 0 {
		a.Add(a, big.NewInt(1))
	}
	b2, b := new(big.Int), new(big.Int)
	for range rounds {
		b2.Mul(a, a).Sub(b2, n)
		b.Sqrt(b2)
		if new(big.Int).Mul(b, b).Cmp(b2) == 0 {
			return true
		}
		a.Add(a, big.NewInt(1))
	}
	return false
}

func checkECDSA(k *ecdsa.PublicKey) error {
	if k == nil || k.Curve == nil {
		return &KeyError{Reason: "empty ECDSA key"}
	}
	switch k.Curve {
	case elliptic.P256(), elliptic.P384():
	default:
		return &KeyError{Reason: fmt.Sprintf("ECDSA curve %s is not accepted; use P-256 or P-384", k.Curve.Params().Name)}
	}
	// ECDH validates that the point is on the curve and not the identity.
	if _, err := k.ECDH(); err != nil {
		return &KeyError{Reason: "ECDSA public key is not a valid point on " + k.Curve.Params().Name}
	}
	return nil
}
