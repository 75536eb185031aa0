package vetting

import (
	"fmt"
	"strings"
)

// normalizePhone reads a Japanese telephone number as operators write it
// ("03-1234-5678", "(03) 1234 5678", "+81 3 1234 5678") and returns its
// national form, digits only ("0312345678"), or what is wrong with it.
func normalizePhone(s string) (string, string) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", "is required"
	}
	var b strings.Builder
	for i, r := range t {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == '-' || r == ' ' || r == '(' || r == ')':
		default:
			return "", fmt.Sprintf("must hold only digits, spaces, hyphens and parentheses (got %s)", quote(s))
		}
	}
	n := b.String()
	if rest, ok := strings.CutPrefix(n, "+81"); ok {
		n = "0" + strings.TrimPrefix(rest, "0")
	}
	if strings.HasPrefix(n, "+") {
		return "", fmt.Sprintf("must be a Japanese number, national (03-1234-5678) or +81 (got %s)", quote(s))
	}
	if !strings.HasPrefix(n, "0") || len(n) < 10 || len(n) > 11 {
		return "", fmt.Sprintf("must be a Japanese number of 10 or 11 digits starting with 0, such as 03-1234-5678 (got %s)", quote(s))
	}
	return n, ""
}

// isMobile reports whether a national number is a mobile phone (070, 080,
// 090), which the CA cannot use to verify the registration contact (IP
// phones, 050, are accepted).
func isMobile(n string) bool {
	return strings.HasPrefix(n, "070") || strings.HasPrefix(n, "080") || strings.HasPrefix(n, "090")
}
