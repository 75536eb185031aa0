package ca

import (
	"encoding/asn1"
	"math/big"
	"regexp"
	"testing"
)

func TestRandomSerial(t *testing.T) {
	const draws = 2000
	seen := make(map[string]bool, draws)
	union := new(big.Int)
	hexRE := regexp.MustCompile(`^[0-9a-f]{40}$`)
	for range draws {
		s, err := randomSerial()
		if err != nil {
			t.Fatal(err)
		}
		if s.Sign() <= 0 || s.BitLen() > 159 {
			t.Fatalf("serial %x: got %d bits, sign %d; want positive, < 2^159", s, s.BitLen(), s.Sign())
		}
		der, err := asn1.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if content := len(der) - 2; content > 20 {
			t.Fatalf("serial %x: got %d DER content octets, want ≤ 20 (RFC 5280 §4.1.2.2)", s, content)
		}
		h := SerialHex(s)
		if !hexRE.MatchString(h) {
			t.Fatalf("SerialHex: got %q, want 40 lower-case hex digits", h)
		}
		if seen[h] {
			t.Fatalf("serial %s drawn twice", h)
		}
		seen[h] = true
		union.Or(union, s)
	}
	// Every one of the 159 low bits is random: across 2000 draws each is set
	// at least once (a fixed bit would stay clear with certainty).
	want := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 159), big.NewInt(1))
	if union.Cmp(want) != 0 {
		t.Errorf("bits ever set: got %x, want all 159 (≥ 128 random bits)", union)
	}
}

func TestSerialHex(t *testing.T) {
	tests := []struct {
		in   *big.Int
		want string
	}{
		{big.NewInt(1), "0000000000000000000000000000000000000001"},
		{big.NewInt(0xabcdef), "0000000000000000000000000000000000abcdef"},
		{new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 159), big.NewInt(1)), "7fffffffffffffffffffffffffffffffffffffff"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := SerialHex(tt.in); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
