package acme

import (
	"net/mail"
	"strings"
)

// Contact limits (RFC 8555 §7.3: servers may restrict contacts).
const (
	maxContacts   = 4
	maxContactLen = 254
)

// validateContacts accepts at most maxContacts "mailto:" URIs, each a
// single plain email address with no header fields (RFC 6068) and a valid
// DNS domain. Other schemes are unsupportedContact, bad addresses
// invalidContact (RFC 8555 §6.7).
func validateContacts(contacts []string) error {
	if len(contacts) > maxContacts {
		return newProblem(probInvalidContact, "at most %d contacts are allowed, got %d", maxContacts, len(contacts))
	}
	for _, c := range contacts {
		scheme, addr, ok := strings.Cut(c, ":")
		if !ok || !strings.EqualFold(scheme, "mailto") {
			return newProblem(probUnsupportedContact, "contact %q: only mailto: URIs are supported", truncate(c, 64))
		}
		if len(c) > maxContactLen {
			return newProblem(probInvalidContact, "contact longer than %d characters", maxContactLen)
		}
		if strings.ContainsAny(addr, "?#%,;<> \t") {
			return newProblem(probInvalidContact, "contact %q must be mailto: followed by one plain email address", c)
		}
		parsed, err := mail.ParseAddress(addr)
		if err != nil || parsed.Name != "" || parsed.Address != addr {
			return newProblem(probInvalidContact, "contact %q is not a valid email address", c)
		}
		at := strings.LastIndexByte(addr, '@')
		if err := checkDNSName(strings.ToLower(addr[at+1:])); err != nil {
			return newProblem(probInvalidContact, "contact %q: email domain is invalid", c)
		}
	}
	return nil
}

// truncate shortens s for use in a problem detail.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
