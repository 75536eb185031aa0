package vetting

import "fmt"

// CorporateNumberLen is the number of digits of a Japanese corporate
// number (法人番号).
const CorporateNumberLen = 13

// checkCorporateNumber validates a Japanese corporate number: 13 ASCII
// digits whose first is the check digit over the 12 that follow, as the
// National Tax Agency defines it: 9 - (Σ Pn×Qn mod 9), where Pn is the
// n-th digit counting from the last and Qn is 1 for odd n, 2 for even n.
// It returns what is wrong, or "" when the number is valid.
func checkCorporateNumber(n string) string {
	if len(n) != CorporateNumberLen || !allDigits(n) {
		return fmt.Sprintf("must be the 13-digit corporate number (法人番号), digits only (got %s)", quote(n))
	}
	if want := corporateCheckDigit(n[1:]); n[0] != want {
		return fmt.Sprintf("check digit does not match: %s has %c first, the other 12 digits give %c (typo?)", n, n[0], want)
	}
	return ""
}

// corporateCheckDigit returns the ASCII check digit of a 12-digit base
// number.
func corporateCheckDigit(base string) byte {
	sum := 0
	for i := range len(base) {
		p := int(base[len(base)-1-i] - '0')
		if i%2 == 1 { // n = i+1 is even
			p *= 2
		}
		sum += p
	}
	return byte('0' + 9 - sum%9)
}
