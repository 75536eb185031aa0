package vetting

import (
	"encoding/asn1"
	"fmt"
	"net"
	"strings"
)

// Attribute types of a CSR subject the service's rules name.
var (
	oidC     = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidST    = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidL     = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidO     = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU    = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCN    = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidEmail = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// attributeSET is one RDN with each value's raw encoding, to see its
// string type (the name's "SET" suffix makes encoding/asn1 read a SET).
type attributeSET []struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// CSRSubjectProblems checks a CSR's subject (its DER Name) against the
// service's rules (REQUIREMENTS.md "CSR and subject rules") and returns
// each problem as "FIELD: what is wrong", none when it conforms. The
// certificate's subject comes from the vetted record whatever the CSR
// says; these checks tell the customer what their CSR gets wrong. OU and
// emailAddress are accepted and dropped; names (sorted) are the order's.
func CSRSubjectProblems(rawSubject []byte, names []string) []string {
	var rdns []attributeSET
	if rest, err := asn1.Unmarshal(rawSubject, &rdns); err != nil || len(rest) > 0 {
		return []string{"subject: not a DER Name"}
	}
	var problems []string
	add := func(field, format string, args ...any) {
		problems = append(problems, field+": "+fmt.Sprintf(format, args...))
	}
	for _, rdn := range rdns {
		for _, atv := range rdn {
			v := string(atv.Value.Bytes)
			switch {
			case atv.Type.Equal(oidC):
				if atv.Value.Tag != asn1.TagPrintableString {
					add("C", "must be a PrintableString (got ASN.1 tag %d)", atv.Value.Tag)
				}
				if !isCountry(v) || strings.ToUpper(v) != v {
					add("C", "must be the 2-letter ISO code in capitals, such as JP (got %s)", quote(v))
				}
			case atv.Type.Equal(oidST):
				if _, p := checkPlace(v, "the prefecture", `"Tokyo-to"`); p != "" {
					add("ST", "%s", p)
				}
			case atv.Type.Equal(oidL):
				if _, p := checkPlace(v, "the city, ward, town or village", `"Chiyoda-ku"`); p != "" {
					add("L", "%s", p)
				}
			case atv.Type.Equal(oidO):
				if _, p := checkDNField(v); p != "" {
					add("O", "%s", p)
				}
			case atv.Type.Equal(oidCN):
				if p := checkCommonName(v, names); p != "" {
					add("CN", "%s", p)
				}
			case atv.Type.Equal(oidOU), atv.Type.Equal(oidEmail):
				// Accepted and left out of the certificate.
			}
		}
	}
	return problems
}

// checkCommonName applies the FAQ's web server name rules: one of the
// order's names; otherwise it says what is wrong: a scheme, port, path, IP
// address or wildcard characters, or simply another name.
func checkCommonName(cn string, names []string) string {
	name := strings.ToLower(strings.TrimSuffix(cn, "."))
	for _, n := range names {
		if n == name {
			return "" // a wildcard too, when the CA's policy allows one in the order
		}
	}
	switch {
	case strings.Contains(cn, "://"):
		return fmt.Sprintf("must be the server name only, without a scheme such as https:// (got %s)", quote(cn))
	case strings.ContainsAny(cn, "*?"):
		return fmt.Sprintf("must not contain the wildcard characters * or ? (got %s)", quote(cn))
	case strings.Contains(cn, "/"):
		return fmt.Sprintf("must be the server name only, without a path (got %s)", quote(cn))
	case net.ParseIP(cn) != nil:
		return fmt.Sprintf("must be a server name, not an IP address (got %s)", quote(cn))
	case strings.Contains(cn, ":"):
		return fmt.Sprintf("must be the server name only, without a port (got %s)", quote(cn))
	}
	return fmt.Sprintf("must be one of the order's names %v (got %s)", names, quote(cn))
}
