package acme

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// checkALabel validates an "xn--" label as an IDNA2008 A-label for
// registration (RFC 5891 §4, §5.4): it must decode with the x/net/idna
// Registration profile (NFC, no mapped or disallowed UTS #46 code points,
// hyphen, joiner and bidi rules, RFC 5893), encode back to exactly itself,
// and every code point of the U-label must be PVALID, or CONTEXTO with its
// rule met, under RFC 5892. The last check is what the Registration
// profile leaves out: it accepts UTS #46 "NV8" code points such as emoji
// (xn--ls8h), which IDNA2008 disallows.
func checkALabel(l string) error {
	u, err := idna.Registration.ToUnicode(l)
	if err != nil {
		return fmt.Errorf("label %q is not a valid A-label", l)
	}
	back, err := idna.Registration.ToASCII(u)
	if err != nil || back != l {
		return fmt.Errorf("label %q is not a valid A-label", l)
	}
	if err := checkULabel(u); err != nil {
		return fmt.Errorf("label %q (%s) is not a valid A-label: %w", l, u, err)
	}
	return nil
}

// checkULabel applies the RFC 5892 derived property (§2, §3) and the
// CONTEXTO rules (Appendix A.3–A.9) to every code point of the U-label u.
// CONTEXTJ (zero-width joiners) is left to the Registration profile, which
// checks the Appendix A.1–A.2 rules.
func checkULabel(u string) error {
	if r, _ := utf8.DecodeRuneInString(u); unicode.Is(unicode.M, r) {
		return fmt.Errorf("it starts with the combining mark %U (RFC 5891 §5.4)", r)
	}
	runes := []rune(u)
	for i, r := range runes {
		switch idna2008Property(r) {
		case pvalid:
		case contextJ:
			// Checked by idna.Registration (checkJoiners).
		case contextO:
			if !contextORule(runes, i) {
				return fmt.Errorf("%U is not allowed in this context (RFC 5892 Appendix A)", r)
			}
		default:
			return fmt.Errorf("%U is disallowed by IDNA2008 (RFC 5892)", r)
		}
	}
	return nil
}

// IDNA2008 derived property values (RFC 5892 §2.12).
type idnaProperty int

const (
	disallowed idnaProperty = iota
	pvalid
	contextJ
	contextO
)

// idna2008Exceptions is the Exceptions category (RFC 5892 §2.6).
var idna2008Exceptions = map[rune]idnaProperty{
	0x00DF: pvalid, 0x03C2: pvalid, 0x06FD: pvalid, 0x06FE: pvalid, 0x0F0B: pvalid, 0x3007: pvalid,
	0x00B7: contextO, 0x0375: contextO, 0x05F3: contextO, 0x05F4: contextO, 0x30FB: contextO,
	0x0640: disallowed, 0x07FA: disallowed, 0x302E: disallowed, 0x302F: disallowed, 0x3031: disallowed,
	0x3032: disallowed, 0x3033: disallowed, 0x3034: disallowed, 0x3035: disallowed, 0x303B: disallowed,
}

// letterDigits is the LetterDigits category (RFC 5892 §2.1).
var letterDigits = []*unicode.RangeTable{unicode.Ll, unicode.Lu, unicode.Lo, unicode.Nd, unicode.Lm, unicode.Mn, unicode.Mc}

// idna2008Property computes the derived property of r (RFC 5892 §3) from
// Go's Unicode tables. Unstable code points (§2.2, those NFKC case folding
// changes) are not tested here: the Registration profile already refused
// them as mapped.
func idna2008Property(r rune) idnaProperty {
	switch {
	case r >= 0x0660 && r <= 0x0669, r >= 0x06F0 && r <= 0x06F9:
		return contextO // Arabic-Indic digits (Appendix A.8, A.9)
	case r == 0x200C || r == 0x200D:
		return contextJ // JoinControl (§2.4)
	}
	if p, ok := idna2008Exceptions[r]; ok {
		return p
	}
	switch {
	case r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z':
		return pvalid // LDH (§2.3)
	case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r), unicode.Is(unicode.Variation_Selector, r),
		unicode.Is(unicode.White_Space, r), unicode.Is(unicode.Noncharacter_Code_Point, r), unicode.Is(unicode.Cf, r):
		return disallowed // IgnorableProperties (§2.3)
	case r >= 0x20D0 && r <= 0x20FF, r >= 0x1D100 && r <= 0x1D24F:
		return disallowed // IgnorableBlocks (§2.4): combining marks for symbols, musical symbols
	case r >= 0x1100 && r <= 0x11FF, r >= 0xA960 && r <= 0xA97F, r >= 0xD7B0 && r <= 0xD7FF:
		return disallowed // OldHangulJamo (§2.9)
	case unicode.In(r, letterDigits...):
		return pvalid
	}
	return disallowed
}

// contextORule applies the CONTEXTO rule of runes[i] (RFC 5892 Appendix
// A.3–A.9).
func contextORule(runes []rune, i int) bool {
	r := runes[i]
	before := func() rune {
		if i == 0 {
			return -1
		}
		return runes[i-1]
	}
	after := func() rune {
		if i+1 == len(runes) {
			return -1
		}
		return runes[i+1]
	}
	containsAny := func(lo, hi rune) bool {
		for _, x := range runes {
			if x >= lo && x <= hi {
				return true
			}
		}
		return false
	}
	switch {
	case r == 0x00B7: // MIDDLE DOT: between two l (Catalan "l·l")
		return before() == 'l' && after() == 'l'
	case r == 0x0375: // GREEK LOWER NUMERAL SIGN: followed by Greek
		return unicode.Is(unicode.Greek, after())
	case r == 0x05F3 || r == 0x05F4: // HEBREW GERESH, GERSHAYIM: after Hebrew
		return unicode.Is(unicode.Hebrew, before())
	case r == 0x30FB: // KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han
		for _, x := range runes {
			if x != 0x30FB && unicode.In(x, unicode.Hiragana, unicode.Katakana, unicode.Han) {
				return true
			}
		}
		return false
	case r >= 0x0660 && r <= 0x0669: // ARABIC-INDIC DIGITS: not mixed with extended ones
		return !containsAny(0x06F0, 0x06F9)
	case r >= 0x06F0 && r <= 0x06F9: // EXTENDED ARABIC-INDIC DIGITS
		return !containsAny(0x0660, 0x0669)
	}
	return false
}
