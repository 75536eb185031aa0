package vetting

import "errors"

// ContractCodeLen is the number of digits of a contract code.
const ContractCodeLen = 10

// ValidateContractCode checks the form of a contract code: 10 ASCII digits,
// the first 1-9, the last a Luhn (mod 10) check digit over the other nine.
// The check digit catches every single mistyped digit and every swap of two
// adjacent digits except 09 ↔ 90. Errors wrap ErrInvalid.
func ValidateContractCode(code string) error {
	if len(code) != ContractCodeLen || !allDigits(code) {
		return errorf(ErrInvalid, "contract code %s: must be 10 digits", quote(code))
	}
	if code[0] == '0' {
		return errorf(ErrInvalid, "contract code %s: must be 10 digits not starting with 0", quote(code))
	}
	if luhnCheckDigit(code[:ContractCodeLen-1]) != code[ContractCodeLen-1] {
		return errorf(ErrInvalid, "contract code %s: check digit does not match (typo?)", quote(code))
	}
	return nil
}

// newContractCode draws a contract code: a first digit 1-9, eight more
// random digits and the Luhn check digit.
func (s *Service) newContractCode() (string, error) {
	var b [ContractCodeLen]byte
	for i := 0; i < ContractCodeLen-1; i++ {
		min := byte(0)
		if i == 0 {
			min = 1
		}
		d, err := s.randomDigit(min)
		if err != nil {
			return "", err
		}
		b[i] = d
	}
	b[ContractCodeLen-1] = luhnCheckDigit(string(b[:ContractCodeLen-1]))
	return string(b[:]), nil
}

// randomDigit returns a uniformly random ASCII digit from min to 9, by
// rejection sampling so that no digit is favoured.
func (s *Service) randomDigit(min byte) (byte, error) {
	n := 10 - int(min)
	limit := 256 - 256%n // largest multiple of n that fits a byte
	var one [1]byte
	for {
		if err := s.random(one[:]); err != nil {
			return 0, err
		}
		if int(one[0]) < limit {
			return '0' + min + byte(int(one[0])%n), nil
		}
	}
}

// luhnCheckDigit returns the ASCII Luhn check digit for the digits of
// payload: from the right, every second digit starting with the rightmost
// is doubled (minus 9 if over 9), and the check digit brings the sum to a
// multiple of 10.
func luhnCheckDigit(payload string) byte {
	sum := 0
	double := true
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// maxCodeAttempts bounds the retries when a drawn contract code or key id
// is already taken; with 9×10⁸ codes a second attempt is already rare.
const maxCodeAttempts = 8

var errTooManyAttempts = errors.New("vetting: no free code or key id after 8 attempts; is the random source broken?")
