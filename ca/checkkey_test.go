package ca

import (
	"crypto"
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"strings"
	"testing"
)

func p521Key(t *testing.T) crypto.PublicKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public()
}

// rsaKeyOfModulus builds an RSA public key around a modulus of the given
// size derived from a real key, forced odd.
func rsaModulus(t *testing.T, from *rsa.PublicKey, bits int) *big.Int {
	t.Helper()
	n := new(big.Int).Rsh(from.N, uint(from.N.BitLen()-bits))
	n.SetBit(n, 0, 1)
	if n.BitLen() != bits {
		t.Fatalf("modulus: got %d bits, want %d", n.BitLen(), bits)
	}
	return n
}

func TestCheckPublicKey(t *testing.T) {
	rsa2048 := leafKey(t, "rsa2048").Public().(*rsa.PublicKey)
	rsa3072 := &rsa.PublicKey{N: new(big.Int).Lsh(rsa2048.N, 1024), E: 65537}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	// 3 × an odd x just above 2^2047/3: 2048 bits, odd, divisible by 3.
	x := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 2047), big.NewInt(3))
	x.Add(x, big.NewInt(1))
	x.SetBit(x, 0, 1)
	smallFactor := new(big.Int).Mul(big.NewInt(3), x)
	huge := new(big.Int).Lsh(big.NewInt(1), 8199)
	huge.SetBit(huge, 0, 1)
	p256 := leafKey(t, "p256").Public().(*ecdsa.PublicKey)
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}

	tests := []struct {
		name string
		pub  crypto.PublicKey
		want string // "" for accepted
	}{
		{"RSA 2048", rsa2048, ""},
		{"ECDSA P-256", p256, ""},
		{"ECDSA P-384", leafKey(t, "p384").Public(), ""},
		{"RSA 1024", rsa1024.Public(), "1024 bits is too small"},
		{"RSA 2047-bit odd modulus", &rsa.PublicKey{N: rsaModulus(t, rsa2048, 2047), E: 65537}, "2047 bits is too small"},
		{"RSA 2052-bit odd modulus", &rsa.PublicKey{N: rsaModulus(t, rsa3072, 2052), E: 65537}, "2052 bits is not a multiple of 8"},
		{"RSA 8200 bits", &rsa.PublicKey{N: huge, E: 65537}, "too large"},
		{"RSA even modulus", &rsa.PublicKey{N: new(big.Int).SetBit(rsa2048.N, 0, 0), E: 65537}, "modulus is even"},
		{"RSA exponent 1", &rsa.PublicKey{N: rsa2048.N, E: 1}, "exponent 1 is smaller than 3"},
		{"RSA even exponent", &rsa.PublicKey{N: rsa2048.N, E: 65536}, "exponent 65536 is even"},
		{"RSA small factor", &rsa.PublicKey{N: smallFactor, E: 65537}, "factor smaller than 752"},
		{"ECDSA P-521", p521Key(t), "ECDSA curve P-521 is not accepted; use P-256 or P-384"},
		{"ECDSA point off the curve", offCurve, "not a valid point"},
		{"Ed25519", edPub, "Ed25519 keys are not accepted"},
		{"DSA", &dsa.PublicKey{}, "*dsa.PublicKey keys are not accepted"},
		{"nil", nil, "no public key"},
		{"RSA value not pointer", *rsa2048, "rsa.PublicKey keys are not accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPublicKey(tt.pub)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var ke *KeyError
			if !errors.As(err, &ke) || !strings.Contains(ke.Reason, tt.want) {
				t.Fatalf("got %v, want a KeyError containing %q", err, tt.want)
			}
		})
	}
}

// rocaModulus builds a 2048-bit odd number with ROCA's fingerprint: it is
// 65537 modulo every prime rocacheck tests, as the moduli Infineon's
// generator made are powers of 65537 modulo those primes.
func rocaModulus(t *testing.T) *big.Int {
	t.Helper()
	m := big.NewInt(1)
	for _, p := range []int64{11, 13, 17, 19, 37, 53, 61, 71, 73, 79, 97, 103, 107, 109, 127, 151, 157} {
		m.Mul(m, big.NewInt(p))
	}
	for {
		k, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(2048-m.BitLen())))
		if err != nil {
			t.Fatal(err)
		}
		k.SetBit(k, 0, 0)                 // even, so the modulus is odd
		k.SetBit(k, 2048-m.BitLen()-1, 1) // full size
		n := new(big.Int).Add(big.NewInt(65537), new(big.Int).Mul(m, k))
		small := new(big.Int).GCD(nil, nil, n, smallPrimesProduct).Cmp(big.NewInt(1)) != 0
		if n.BitLen() == 2048 && !small {
			return n
		}
	}
}

// closePrimesModulus is p·q with q the next prime after p: Fermat's method
// factors it in one step.
func closePrimesModulus(t *testing.T) *big.Int {
	t.Helper()
	p, err := rand.Prime(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	q := new(big.Int).Add(p, big.NewInt(2))
	for !q.ProbablyPrime(20) {
		q.Add(q, big.NewInt(2))
	}
	return new(big.Int).Mul(p, q)
}

func TestCheckPublicKeyFactorable(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    *big.Int
		want string
	}{
		{"ROCA fingerprint", rocaModulus(t), "ROCA (CVE-2017-15361)"},
		{"primes too close", closePrimesModulus(t), "Fermat's method"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPublicKey(&rsa.PublicKey{N: tt.n, E: 65537})
			var ke *KeyError
			if !errors.As(err, &ke) || !strings.Contains(ke.Reason, tt.want) {
				t.Fatalf("got %v, want a KeyError mentioning %q", err, tt.want)
			}
		})
	}
	// A real key passes both checks.
	if err := CheckPublicKey(leafKey(t, "rsa2048").Public()); err != nil {
		t.Errorf("a fresh RSA key: %v", err)
	}
	if fermatFactors(leafKey(t, "rsa2048").Public().(*rsa.PublicKey).N, 100) {
		t.Error("Fermat's method factored a fresh RSA key in 100 rounds")
	}
}
