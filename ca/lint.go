package ca

import (
	"fmt"
	"maps"
	"slices"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

// allowedWarnings are the zlint warnings kakuin's profiles trigger on
// purpose; any other warning, and every error or fatal, blocks issuance.
// Each entry says why the warning is accepted. Keep it short.
var allowedWarnings = map[string]string{
	// BR §6.3.2 (SC-081) allows up to 200, then 100, then 47 days and only
	// recommends a day less; the service issues the maximum allowed on the
	// day (MaxValidity).
	"w_server_cert_valid_time_longer_than_199_days": "200-day validity is allowed by BR §6.3.2 until 2027-03-15",
	"w_server_cert_valid_time_longer_than_99_days":  "100-day validity is allowed by BR §6.3.2 until 2029-03-15",
	"w_server_cert_valid_time_longer_than_46_days":  "47-day validity is allowed by BR §6.3.2 from 2029-03-15",
	// The CN repeats the first SAN (BR §7.1.2.7.4 permits it); OV/EV
	// customers' tooling and certificate viewers still show it.
	"w_subject_common_name_included": "CN = first SAN, kept for customers' tooling",
	// RFC 5280 §4.2.1.2 says SHOULD, BR §7.1.2.7.6 says NOT RECOMMENDED for
	// subscriber certificates; the BR wins (see leafTemplate).
	"w_ext_subject_key_identifier_missing_sub_cert": "BR §7.1.2.7.6 recommends against a leaf SKI",
}

// devAllowedWarnings are accepted in addition when Options.Dev is set: a
// development CA publishes its AIA and CRL URLs on 127.0.0.1, which zlint
// rightly flags as internal names.
var devAllowedWarnings = map[string]string{
	"w_sub_cert_aia_contains_internal_names": "dev CA serves AIA on loopback",
}

// excludedLints are left out of the pre-issuance registry, each with the
// reason it can never fail for a certificate kakuin signs.
var excludedLints = map[string]string{
	// Checks whether the certificate's signature verifies under eight
	// compromised eMudhra CA keys: never true for a signature by kakuin's
	// issuer (or the throwaway lint key), and at ~3.5 ms of P-384
	// verifications it would be two thirds of the issuance time.
	"e_cert_issued_by_compromised_emudhra_ca": "foreign CA keys only",
	// Two CRL lints re-parse the whole CRL with encoding/asn1's reflection
	// and take 4 of the 5 s zlint spends on a 1,000,000-entry partition.
	// Both check shapes tbsCertList never writes: revokedCertificates is
	// left out when there are no entries, and an entry gets a
	// crlEntryExtensions SEQUENCE only around its reasonCode. The test
	// suite runs both over every CRL it signs (assertCRLZlintClean).
	"e_crl_empty_revoked_certificates": "tbsCertList omits an empty list by construction",
	"e_crl_empty_extn_sequence":        "tbsCertList writes entry extensions only with a reason",
}

// newLintRegistry returns the zlint registry used before every signature:
// all lints except excludedLints and those for S/MIME, code signing and
// ETSI qualified certificates, which never apply to kakuin's TLS server
// certificates.
func newLintRegistry() (lint.Registry, error) {
	reg, err := lint.GlobalRegistry().Filter(lint.FilterOptions{
		ExcludeNames: slices.Collect(maps.Keys(excludedLints)),
		ExcludeSources: lint.SourceList{
			lint.CABFSMIMEBaselineRequirements,
			lint.CABFCSBaselineRequirements,
			lint.EtsiEsi,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("ca: building lint registry: %w", err)
	}
	return reg, nil
}

// lintCertificate runs reg over a DER certificate and returns a *LintError
// listing every error, fatal, and warning not in allowedWarnings (nor, for
// a dev CA, in devAllowedWarnings).
func lintCertificate(der []byte, reg lint.Registry, dev bool) error {
	c, err := zx509.ParseCertificate(der)
	if err != nil {
		return &LintError{Lints: []string{"zcrypto parse: " + err.Error()}}
	}
	return lintFailures(zlint.LintCertificateEx(c, reg), dev)
}

// lintFailures returns a *LintError listing every error, fatal, and
// warning not in allowedWarnings (nor, for a dev CA, in
// devAllowedWarnings) of a zlint result set, or nil if there is none.
func lintFailures(res *zlint.ResultSet, dev bool) error {
	var failed []string
	for name, r := range res.Results {
		switch r.Status {
		case lint.Error, lint.Fatal:
		case lint.Warn:
			if _, ok := allowedWarnings[name]; ok {
				continue
			}
			if _, ok := devAllowedWarnings[name]; ok && dev {
				continue
			}
		default:
			continue
		}
		if r.Details != "" {
			name += ": " + r.Details
		}
		failed = append(failed, name)
	}
	if len(failed) == 0 {
		return nil
	}
	slices.Sort(failed)
	return &LintError{Lints: failed}
}
