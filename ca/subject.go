package ca

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"unicode/utf8"
)

// Attribute types used in subjects (RFC 5280 Appendix A, X.520).
var (
	oidCountry      = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidProvince     = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidLocality     = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidOrganization = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidCommonName   = asn1.ObjectIdentifier{2, 5, 4, 3}

	oidSerialNumber        = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidBusinessCategory    = asn1.ObjectIdentifier{2, 5, 4, 15}
	oidJurisdictionCountry = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 60, 2, 1, 3}
)

// Upper bounds from RFC 5280 Appendix A (ub-*).
const (
	maxOrganizationLen = 64
	maxProvinceLen     = 128
	maxLocalityLen     = 128
	maxCommonNameLen   = 64
)

// nameAttr is one subject attribute with its ASN.1 string type.
type nameAttr struct {
	oid   asn1.ObjectIdentifier
	tag   int // asn1.TagPrintableString or asn1.TagUTF8String
	value string
}

// rawName encodes attrs, in the order given, as a DER Name with one
// attribute per RDN, skipping empty values. Go's pkix.Name imposes its own
// order, which is not the BR §7.1.4.2 order (C, ST, L, postalCode, street,
// O, OU, CN), hence this encoder.
func rawName(attrs ...nameAttr) ([]byte, error) {
	var seq pkix.RDNSequence
	for _, a := range attrs {
		if a.value == "" {
			continue
		}
		if !utf8.ValidString(a.value) {
			return nil, fmt.Errorf("%w: subject attribute %v is not valid UTF-8", ErrInvalidRequest, a.oid)
		}
		if a.tag == asn1.TagPrintableString && !isPrintable(a.value) {
			return nil, fmt.Errorf("%w: subject attribute %v %q is not a PrintableString", ErrInvalidRequest, a.oid, a.value)
		}
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{
			Type:  a.oid,
			Value: asn1.RawValue{Tag: a.tag, Bytes: []byte(a.value)},
		}})
	}
	return asn1.Marshal(seq)
}

// country returns a countryName attribute (PrintableString, BR §7.1.4.2).
func country(v string) nameAttr { return nameAttr{oidCountry, asn1.TagPrintableString, v} }

// utf8Attr returns a UTF8String attribute (RFC 5280 §4.1.2.6 recommends it).
func utf8Attr(oid asn1.ObjectIdentifier, v string) nameAttr {
	return nameAttr{oid, asn1.TagUTF8String, v}
}

// isPrintable reports whether s uses only the PrintableString alphabet
// (X.680 §41.4).
func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == ' ', c == '\'', c == '(', c == ')', c == '+', c == ',', c == '-',
			c == '.', c == '/', c == ':', c == '=', c == '?':
		default:
			return false
		}
	}
	return true
}

// isCountryCode reports whether s looks like an ISO 3166-1 alpha-2 code.
func isCountryCode(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}
