package validation

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// maxTXTShown bounds how many wrong TXT values a problem detail quotes.
const maxTXTShown = 3

// validateDNS01 implements RFC 8555 §8.4: some TXT record at
// _acme-challenge.NAME must equal base64url(SHA-256(keyAuthorization)). For
// a wildcard name the base name is validated.
func (v *Validator) validateDNS01(ctx context.Context, name, keyAuth string) *Error {
	name, perr := checkName(name, true)
	if perr != nil {
		return perr
	}
	sum := sha256.Sum256([]byte(keyAuth))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	owner := "_acme-challenge." + name

	vals, perr := v.resolver.lookupTXT(ctx, owner)
	if perr != nil {
		return perr
	}
	if len(vals) == 0 {
		return problem(ProblemUnauthorized, "no TXT record found at %s", owner)
	}
	for _, got := range vals {
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
			return nil
		}
	}
	shown := make([]string, 0, maxTXTShown)
	for _, got := range vals[:min(len(vals), maxTXTShown)] {
		shown = append(shown, truncate(got, 100))
	}
	return problem(ProblemIncorrectResponse, "incorrect TXT record %q found at %s (%d record(s))", shown, owner, len(vals))
}
