package vetting

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLuhnCheckDigitKnownVectors(t *testing.T) {
	tests := []struct {
		payload string
		want    byte
	}{
		{"7992739871", '3'}, // the classic 79927398713
		{"100000000", '8'},
		{"000000000", '0'},
		{"453201511283036", '6'}, // a Visa test number, 4532015112830366
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			if got := luhnCheckDigit(tt.payload); got != tt.want {
				t.Errorf("got %c, want %c", got, tt.want)
			}
		})
	}
}

func TestValidateContractCode(t *testing.T) {
	tests := []struct {
		name string
		code string
		want string // "" = valid
	}{
		{"valid", "1000000008", ""},
		{"valid 2", "7992739875", ""},
		{"valid 3", "1234567897", ""},
		{"empty", "", "must be 10 digits"},
		{"nine digits", "100000000", "must be 10 digits"},
		{"eleven digits", "10000000080", "must be 10 digits"},
		{"letter", "100000000a", "must be 10 digits"},
		{"spaces", "1000 00008", "must be 10 digits"},
		{"full-width digits", "１０００００００００", "must be 10 digits"},
		{"leading zero", "0000000000", "not starting with 0"},
		{"wrong check digit", "1000000007", "check digit does not match (typo?)"},
		{"long input is shortened in the message", strings.Repeat("9", 1000), "must be 10 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateContractCode(tt.code)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want an error wrapping ErrInvalid", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "vetting: contract code ") || !strings.Contains(msg, tt.want) {
				t.Errorf("got %q, want it to contain %q", msg, tt.want)
			}
			if len(msg) > 200 {
				t.Errorf("got a %d-byte message, want it short", len(msg))
			}
		})
	}
}

// generatedCodes draws n contract codes from a deterministic source.
func generatedCodes(t *testing.T, n int) []string {
	t.Helper()
	s, _ := newTestService(t, 7)
	codes := make([]string, n)
	for i := range codes {
		c, err := s.newContractCode()
		if err != nil {
			t.Fatal(err)
		}
		codes[i] = c
	}
	return codes
}

func TestGeneratedCodesValidate(t *testing.T) {
	codes := generatedCodes(t, 1000)
	seen := map[string]bool{}
	var firstDigits [10]int
	for _, c := range codes {
		if err := ValidateContractCode(c); err != nil {
			t.Errorf("code %s: got %v, want nil", c, err)
		}
		seen[c] = true
		firstDigits[c[0]-'0']++
	}
	if len(seen) < 999 {
		t.Errorf("got %d distinct codes of 1000, want (nearly) all distinct", len(seen))
	}
	if firstDigits[0] != 0 {
		t.Errorf("got %d codes starting with 0, want none", firstDigits[0])
	}
	for d := 1; d <= 9; d++ {
		if firstDigits[d] == 0 {
			t.Errorf("got no code starting with %d in 1000, want every first digit 1-9 used", d)
		}
	}
}

func TestSingleDigitChangesAreCaught(t *testing.T) {
	for _, code := range generatedCodes(t, 1000) {
		for i := 0; i < len(code); i++ {
			for d := byte('0'); d <= '9'; d++ {
				if d == code[i] {
					continue
				}
				typo := []byte(code)
				typo[i] = d
				if err := ValidateContractCode(string(typo)); !errors.Is(err, ErrInvalid) {
					t.Fatalf("code %s typo %s: got %v, want it refused", code, typo, err)
				}
			}
		}
	}
}

func TestAdjacentTranspositionsAreCaught(t *testing.T) {
	caught, missed := 0, 0
	for _, code := range generatedCodes(t, 1000) {
		for i := 0; i+1 < len(code); i++ {
			a, b := code[i], code[i+1]
			if a == b {
				continue
			}
			swapped := []byte(code)
			swapped[i], swapped[i+1] = b, a
			err := ValidateContractCode(string(swapped))
			// Luhn misses exactly 09 <-> 90; a leading 0 is refused anyway.
			wantCaught := !(a == '0' && b == '9' || a == '9' && b == '0') || swapped[0] == '0'
			if got := err != nil; got != wantCaught {
				t.Fatalf("code %s swapped %s: got refused=%v (%v), want %v", code, swapped, got, err, wantCaught)
			}
			if wantCaught {
				caught++
			} else {
				missed++
			}
		}
	}
	if caught == 0 || missed == 0 {
		t.Errorf("got %d caught and %d missed transpositions, want both kinds exercised", caught, missed)
	}
}

func TestNewContractCodeUniformDigits(t *testing.T) {
	tests := []struct {
		name  string
		bytes []byte
		want  string
	}{
		// All zero bytes: first digit 1 (range 1-9), then zeros, check 8.
		{"zeros", make([]byte, 9), "1000000008"},
		// Bytes 252-255 would favour low digits for the first position
		// (n = 9: 256 % 9 = 4) and are redrawn.
		{"first digit redraws 252-255", append([]byte{252, 253, 254, 255, 8}, make([]byte, 8)...), "9000000001"},
		// Bytes 250-255 are redrawn for the other positions (256 % 10 = 6).
		{"other digits redraw 250-255", append([]byte{0, 250, 255, 19}, make([]byte, 7)...), "1900000009"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Store: newMemStore(), Clock: func() time.Time { return testNow }, Rand: bytes.NewReader(tt.bytes)})
			got, err := s.newContractCode()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewContractCodeRandomFailure(t *testing.T) {
	s := New(Options{Store: newMemStore(), Rand: bytes.NewReader([]byte{1, 2})})
	if _, err := s.newContractCode(); err == nil || !strings.Contains(err.Error(), "random") {
		t.Errorf("got %v, want a random source error", err)
	}
}
