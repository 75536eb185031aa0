package ca

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"time"
)

// Request limits.
const (
	maxNames   = 100
	maxNameLen = 253 // RFC 1035 §2.3.4
)

// leafTemplate builds the end-entity certificate for req, without a serial
// number (BR §7.1.2.7, subscriber certificate profile).
func (a *Authority) leafTemplate(req Request, iss *issuer, notBefore time.Time) (*x509.Certificate, error) {
	subject, err := leafSubject(req)
	if err != nil {
		return nil, err
	}
	ku := x509.KeyUsageDigitalSignature
	if _, ok := req.PublicKey.(*rsa.PublicKey); ok {
		// TLS 1.2 RSA key exchange (BR §7.1.2.7.11 allows it for RSA keys).
		ku |= x509.KeyUsageKeyEncipherment
	}
	tmpl := &x509.Certificate{
		SignatureAlgorithm: iss.sigAlg,
		RawSubject:         subject,
		NotBefore:          notBefore,
		// RFC 5280 §4.1.2.5: the validity period includes both ends, so
		// Validity counted inclusively ends one second earlier.
		NotAfter:              notBefore.Add(a.leafValidity(notBefore) - time.Second),
		DNSNames:              req.Names,
		KeyUsage:              ku,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IssuingCertificateURL: []string{a.baseURL + "/ca/" + iss.id + ".der"},
		Policies:              []x509.OID{policyOID(iss.prof.policy)},
		PolicyIdentifiers:     []asn1.ObjectIdentifier{iss.prof.policy},
		// No SubjectKeyId: BR §7.1.2.7.6 makes it NOT RECOMMENDED for
		// subscriber certificates (nothing chains to a leaf, so nothing
		// needs to find its key by identifier). The AKI comes from the
		// issuer's SKI.
	}
	if iss.id == IssuerEV && a.evPolicy != nil {
		tmpl.Policies = append(tmpl.Policies, policyOID(a.evPolicy))
		tmpl.PolicyIdentifiers = append(tmpl.PolicyIdentifiers, a.evPolicy)
	}
	if a.ocspURL != "" {
		tmpl.OCSPServer = []string{a.ocspURL}
	}
	if tmpl.NotAfter.After(iss.cert.NotAfter) {
		return nil, fmt.Errorf("ca: issuing CA %s expires %s, before the certificate would",
			iss.id, iss.cert.NotAfter.Format(time.RFC3339))
	}
	return tmpl, nil
}

// leafSubject encodes the subject in BR §7.1.4.2 order: C, ST, L, O, CN,
// after the EV attributes for the EV profile.
// The organization data comes from vetting, never from the CSR.
func leafSubject(req Request) ([]byte, error) {
	s := req.Subject
	switch {
	case s.Organization == "":
		return nil, fmt.Errorf("%w: subject organization is empty", ErrInvalidRequest)
	case len(s.Organization) > maxOrganizationLen:
		return nil, fmt.Errorf("%w: subject organization is longer than %d bytes", ErrInvalidRequest, maxOrganizationLen)
	case !isCountryCode(s.Country):
		return nil, fmt.Errorf("%w: subject country %q is not an ISO 3166-1 alpha-2 code", ErrInvalidRequest, s.Country)
	case s.Province == "" && s.Locality == "":
		// BR §7.1.2.7.4: with O present, ST or L must be too.
		return nil, fmt.Errorf("%w: subject needs a province (ST) or a locality (L) with the organization", ErrInvalidRequest)
	case len(s.Province) > maxProvinceLen || len(s.Locality) > maxLocalityLen:
		return nil, fmt.Errorf("%w: subject province or locality is longer than %d bytes", ErrInvalidRequest, maxLocalityLen)
	}
	attrs := []nameAttr{
		country(s.Country),
		utf8Attr(oidProvince, s.Province),
		utf8Attr(oidLocality, s.Locality),
		utf8Attr(oidOrganization, s.Organization),
		utf8Attr(oidCommonName, commonName(req.Names)),
	}
	if req.Profile == ProfileEV {
		ev, err := evAttrs(s)
		if err != nil {
			return nil, err
		}
		attrs = append(ev, attrs...)
	}
	return rawName(attrs...)
}

// evAttrs are the EV subject attributes (EV Guidelines 7.1.4.2.3-5):
// businessCategory, jurisdictionCountryName and serialNumber (the
// registration number), placed ahead of the BR ones; the jurisdiction and
// serial number are PrintableString.
func evAttrs(s Subject) ([]nameAttr, error) {
	switch {
	case s.BusinessCategory != BusinessCategoryPrivate && s.BusinessCategory != BusinessCategoryGovernment &&
		s.BusinessCategory != BusinessCategoryBusiness && s.BusinessCategory != BusinessCategoryNonCommercial:
		return nil, fmt.Errorf("%w: EV business category %q is not one of the EV Guidelines' four", ErrInvalidRequest, s.BusinessCategory)
	case !isCountryCode(s.JurisdictionCountry):
		return nil, fmt.Errorf("%w: EV jurisdiction country %q is not an ISO 3166-1 alpha-2 code", ErrInvalidRequest, s.JurisdictionCountry)
	case s.SerialNumber == "" || len(s.SerialNumber) > 64:
		return nil, fmt.Errorf("%w: EV subject needs the registration number (serialNumber, at most 64 characters)", ErrInvalidRequest)
	}
	return []nameAttr{
		utf8Attr(oidBusinessCategory, s.BusinessCategory),
		{oidJurisdictionCountry, asn1.TagPrintableString, s.JurisdictionCountry},
		{oidSerialNumber, asn1.TagPrintableString, s.SerialNumber},
	}, nil
}

// commonName picks the CN: the first name, or if it is longer than the
// 64-character CN limit (RFC 5280 ub-common-name) the first name that fits;
// none fitting leaves the CN out, which BR §7.1.2.7.2 allows since the SAN
// carries every name.
func commonName(names []string) string {
	for _, n := range names {
		if len(n) <= maxCommonNameLen {
			return n
		}
	}
	return ""
}

// checkNames validates the SAN list's size and basic shape; the lints check
// the DNS syntax in depth.
func checkNames(names []string) error {
	if len(names) == 0 || len(names) > maxNames {
		return fmt.Errorf("%w: %d names; 1 to %d are allowed", ErrInvalidRequest, len(names), maxNames)
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || len(n) > maxNameLen {
			return fmt.Errorf("%w: name %q is empty or longer than %d bytes", ErrInvalidRequest, n, maxNameLen)
		}
		for i := 0; i < len(n); i++ {
			if c := n[i]; c <= ' ' || c >= 0x7f || ('A' <= c && c <= 'Z') {
				return fmt.Errorf("%w: name %q is not a lower-case ASCII DNS name", ErrInvalidRequest, n)
			}
		}
		if seen[n] {
			return fmt.Errorf("%w: name %q appears twice", ErrInvalidRequest, n)
		}
		seen[n] = true
	}
	return nil
}
