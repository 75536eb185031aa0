package validation

import (
	"net/netip"
	"strings"
)

// Input limits.
const (
	maxNameLen  = 253 // RFC 1035 §2.3.4, without the trailing dot
	maxLabelLen = 63
	maxTokenLen = 256
	// maxKeyAuthLen bounds token "." thumbprint; a SHA-256 thumbprint is 43
	// base64url characters.
	maxKeyAuthLen = maxTokenLen + 1 + 128
)

// checkName normalizes a DNS identifier (RFC 8555 §7.1.4) to lowercase
// without a trailing dot and rejects anything but an LDH host name. A leading
// "*." is kept only when wildcardOK (dns-01 validates the base name, RFC
// 8555 §8.4); it is stripped from the result.
func checkName(name string, wildcardOK bool) (string, *Error) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if base, ok := strings.CutPrefix(name, "*."); ok {
		if !wildcardOK {
			return "", problem(ProblemRejectedIdentifier, "wildcard name %q can only be validated with dns-01", truncate(name, maxNameLen))
		}
		name = base
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return "", problem(ProblemRejectedIdentifier, "%q is an IP address; only DNS names can be validated", name)
	}
	if name == "" || len(name) > maxNameLen {
		return "", problem(ProblemRejectedIdentifier, "invalid DNS name %q: empty or longer than %d characters", truncate(name, 64), maxNameLen)
	}
	for label := range strings.SplitSeq(name, ".") {
		if !validLabel(label) {
			return "", problem(ProblemRejectedIdentifier, "invalid DNS name %q: bad label %q", name, truncate(label, 64))
		}
	}
	if !strings.Contains(name, ".") {
		return "", problem(ProblemRejectedIdentifier, "invalid DNS name %q: not a fully qualified domain name", name)
	}
	return name, nil
}

// validLabel reports whether label is an LDH label (RFC 5890 §2.3.1): 1–63
// letters, digits and hyphens, not starting or ending with a hyphen.
func validLabel(label string) bool {
	if label == "" || len(label) > maxLabelLen || label[0] == '-' || label[len(label)-1] == '-' {
		return false
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isBase64URL reports whether s is unpadded base64url (RFC 4648 §5), the
// alphabet of tokens and thumbprints (RFC 8555 §8.1).
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkKeyAuthorization checks that token is a base64url token and that
// keyAuth is token "." base64url(thumbprint) (RFC 8555 §8.1).
func checkKeyAuthorization(token, keyAuth string) *Error {
	if token == "" || len(token) > maxTokenLen || !isBase64URL(token) {
		return problem(ProblemMalformed, "invalid challenge token")
	}
	thumb, ok := strings.CutPrefix(keyAuth, token+".")
	if !ok || thumb == "" || len(keyAuth) > maxKeyAuthLen || !isBase64URL(thumb) {
		return problem(ProblemMalformed, "invalid key authorization for token %q", token)
	}
	return nil
}
