package vetting

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDNField is the maximum length of a subject attribute kakuin records
// (the ub-organization-name and friends of RFC 5280 Appendix A).
const MaxDNField = 64

// dnAllowed describes the characters checkDNField accepts, for messages.
const dnAllowed = "letters A-Z and a-z, digits 0-9, space and ' , - . : ="

// checkDNField checks one value that becomes a subject attribute of the
// certificates issued to an organization (FAQ, CSR rules): required, at most
// MaxDNField characters, only ASCII letters, digits, space and ' , - . : =,
// and not spaces only. It returns the value with surrounding spaces removed
// and a problem description, or "" if the value is fine.
func checkDNField(v string) (string, string) {
	if v == "" {
		return v, "is required"
	}
	t := strings.Trim(v, " ")
	if t == "" {
		return v, "must not be spaces only"
	}
	if n := utf8.RuneCountInString(t); n > MaxDNField {
		return t, "must be at most 64 characters (got " + strconv.Itoa(n) + ")"
	}
	for _, r := range t {
		if dnChar(r) {
			continue
		}
		if r == '&' {
			return t, "write 'and' instead of '&'"
		}
		return t, "character " + quoteRune(r) + " is not allowed (allowed: " + dnAllowed + ")"
	}
	return t, ""
}

// dnChar reports whether r may appear in a subject attribute.
func dnChar(r rune) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune(" ',-.:=", r)
}

// firstDigit returns the first ASCII digit of s and whether there is one.
func firstDigit(s string) (rune, bool) {
	for _, r := range s {
		if r >= '0' && r <= '9' {
			return r, true
		}
	}
	return 0, false
}

func quoteRune(r rune) string {
	if r == utf8.RuneError {
		return "(invalid UTF-8)"
	}
	return strconv.QuoteRune(r)
}
