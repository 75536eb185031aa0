package ca

import (
	"crypto/x509/pkix"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestResponderSubjectLongName: a responder CN made from a long issuer
// name of multi-byte characters is cut to 64 characters, still valid UTF-8.
func TestResponderSubjectLongName(t *testing.T) {
	issuer := pkix.Name{Country: []string{"JP"}, Organization: []string{"Kakuin"}, CommonName: strings.Repeat("認証局", 20)}
	raw, err := responderSubject(issuer)
	if err != nil {
		t.Fatal(err)
	}
	var cn string
	for _, rdn := range parseRDNs(t, raw) {
		for _, a := range rdn {
			if a.Type.Equal(oidCommonName) {
				cn = string(a.Value.Bytes)
			}
		}
	}
	if !utf8.ValidString(cn) || utf8.RuneCountInString(cn) != maxCommonNameLen {
		t.Errorf("CN %q: want 64 characters of valid UTF-8", cn)
	}
}
