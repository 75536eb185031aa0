// Package linttest runs zlint (github.com/zmap/zlint/v3) over the
// certificates, CRLs and OCSP responses kakuin's tests obtain, and fails the
// test on every error or fatal result and on every warning the caller does
// not allow by name.
//
// The CA lints every certificate before it signs it (package ca,
// lint-before-sign). This package is the independent check on the other
// side: the lints of the zlint release, including the CRL lints and the
// S/MIME, code signing and ETSI sources the CA's pre-issuance registry
// leaves out, run over the bytes that were actually issued, with
// allow-lists kept as data here (Subscriber, Dev) that a test in package ca
// holds equal to the CA's own. Only one lint is skipped, one that checks
// signatures against foreign CA keys and would otherwise take most of the
// time.
//
// The reporting helpers (Certificate, RevocationList, OCSPResponse, PEM)
// report with t.Errorf and never stop the test, so they may be called from
// any goroutine while the test runs, for instance from an ACME server's
// handler through a wrapped issuer. The Check functions return the same
// findings as an error.
package linttest

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
	"golang.org/x/crypto/ocsp"
)

// Allow is what one kind of certificate may show without failing: the
// warnings it triggers on purpose, and the lint sources whose lints do not
// apply to it at all. Each entry says why. Errors and fatals always fail,
// except from a source in Sources.
type Allow struct {
	// Warnings maps zlint warning names ("w_...") to the reason the
	// warning is accepted.
	Warnings map[string]string
	// Sources maps lint sources to the reason none of their lints apply.
	Sources map[lint.LintSource]string
}

// Subscriber is what kakuin's OV and EV leaves (BR §7.1.2.7) trigger on
// purpose. It must equal the CA's pre-issuance allow-list (allowedWarnings
// in package ca); a test there holds the two equal.
var Subscriber = Allow{Warnings: map[string]string{
	"w_server_cert_valid_time_longer_than_199_days": "200-day validity is allowed by BR §6.3.2 until 2027-03-15",
	"w_server_cert_valid_time_longer_than_99_days":  "100-day validity is allowed by BR §6.3.2 until 2029-03-15",
	"w_server_cert_valid_time_longer_than_46_days":  "47-day validity is allowed by BR §6.3.2 from 2029-03-15",
	"w_subject_common_name_included":                "CN = first SAN, kept for customers' tooling (BR §7.1.2.7.4 permits it)",
	"w_ext_subject_key_identifier_missing_sub_cert": "BR §7.1.2.7.6 recommends against a leaf SKI",
}}

// Dev is what a development CA (ca.Options.Dev, `kakuin serve --dev`)
// triggers in addition: its AIA and CRL URLs are on 127.0.0.1. It must
// equal devAllowedWarnings in package ca.
var Dev = Allow{Warnings: map[string]string{
	"w_sub_cert_aia_contains_internal_names": "dev CA serves AIA on loopback",
}}

// EndEntity is what kakuin's other end-entity certificates trigger: the
// delegated OCSP responder certificates (BR §7.1.2.8) and the officers'
// TLS client certificates leave the subject key identifier out, as the
// leaves do; nothing looks their keys up by identifier.
var EndEntity = Allow{Warnings: map[string]string{
	"w_ext_subject_key_identifier_missing_sub_cert": "RFC 5280 §4.2.1.2 SHOULD only; no relying party finds these keys by identifier",
}}

// Private is for certificates outside the Web PKI that no public
// certificate policy governs: the development TLS CA and server certificate
// of kakuin's own listener (ca.DevTLS), which name localhost and loopback
// addresses and carry no policy, AIA or CRL. Only the RFC and community
// lints apply.
var Private = Allow{Sources: map[lint.LintSource]string{
	lint.CABFBaselineRequirements:      "not a publicly-trusted TLS certificate",
	lint.CABFEVGuidelines:              "not an EV certificate",
	lint.CABFSMIMEBaselineRequirements: "not an S/MIME certificate",
	lint.CABFCSBaselineRequirements:    "not a code signing certificate",
	lint.MozillaRootStorePolicy:        "not in a root program",
	lint.AppleRootStorePolicy:          "not in a root program",
	lint.ChromeRootStorePolicy:         "not in a root program",
	lint.EtsiEsi:                       "not an ETSI qualified certificate",
}}

// skipped are the zlint lints the checks leave out, each with the reason
// it can never find anything in what kakuin signs.
var skipped = map[string]string{
	// Verifies the certificate's signature under eight compromised
	// eMudhra CA keys: never true for a signature by kakuin's issuers, and
	// at about 10 ms of ECDSA verifications it would be nine tenths of
	// the time zlint takes over a leaf (package ca leaves it out too).
	"e_cert_issued_by_compromised_emudhra_ca": "checks foreign CA keys only",
}

// registry is the zlint registry the checks run: every lint but skipped.
var registry = sync.OnceValue(func() lint.Registry {
	reg, err := lint.GlobalRegistry().Filter(lint.FilterOptions{ExcludeNames: slices.Collect(maps.Keys(skipped))})
	if err != nil {
		panic("linttest: building the zlint registry: " + err.Error())
	}
	return reg
})

// Finding is one lint result that fails a check.
type Finding struct {
	Lint    string
	Status  lint.LintStatus
	Source  lint.LintSource
	Details string
}

// String formats a finding as "name (status, source): details".
func (f Finding) String() string {
	s := fmt.Sprintf("%s (%s, %s)", f.Lint, f.Status, f.Source)
	if f.Details != "" {
		s += ": " + f.Details
	}
	return s
}

// Error is a failed check: what was linted and every finding, sorted by
// lint name.
type Error struct {
	What     string
	Findings []Finding
}

// Error lists what was linted and its findings, one per line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "linttest: %s: %d lint finding(s):", e.What, len(e.Findings))
	for _, f := range e.Findings {
		b.WriteString("\n\t")
		b.WriteString(f.String())
	}
	return b.String()
}

// Certificate lints the DER certificate der with every zlint lint and
// reports, with t.Errorf, each error, fatal and warning not in allow.
func Certificate(t testing.TB, der []byte, allow ...Allow) {
	t.Helper()
	if err := CheckCertificate(der, allow...); err != nil {
		t.Errorf("%v", err)
	}
}

// RevocationList lints the DER CRL der with every zlint CRL lint, reporting
// like Certificate.
func RevocationList(t testing.TB, der []byte, allow ...Allow) {
	t.Helper()
	if err := CheckRevocationList(der, allow...); err != nil {
		t.Errorf("%v", err)
	}
}

// OCSPResponse lints the DER OCSP response der, whose signature must verify
// under issuer (directly or through the responder certificate it carries),
// with every zlint OCSP lint, reporting like Certificate.
func OCSPResponse(t testing.TB, der []byte, issuer *x509.Certificate, allow ...Allow) {
	t.Helper()
	if err := CheckOCSPResponse(der, issuer, allow...); err != nil {
		t.Errorf("%v", err)
	}
}

// PEM lints every CERTIFICATE block of data as Certificate does, and fails
// t when there is none.
func PEM(t testing.TB, data []byte, allow ...Allow) {
	t.Helper()
	n := 0
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			n++
			Certificate(t, b.Bytes, allow...)
		}
	}
	if n == 0 {
		t.Errorf("linttest: no CERTIFICATE block in the PEM data")
	}
}

// CheckCertificate is Certificate returning the findings as an *Error (nil
// when there is none).
func CheckCertificate(der []byte, allow ...Allow) error {
	c, err := zx509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("linttest: zcrypto cannot parse the certificate: %w", err)
	}
	what := fmt.Sprintf("certificate %q (serial %x)", c.Subject.String(), c.SerialNumber)
	return findings(what, zlint.LintCertificateEx(c, registry()), allow)
}

// CheckRevocationList is RevocationList returning an *Error.
func CheckRevocationList(der []byte, allow ...Allow) error {
	rl, err := zx509.ParseRevocationList(der)
	if err != nil {
		return fmt.Errorf("linttest: zcrypto cannot parse the CRL: %w", err)
	}
	what := fmt.Sprintf("CRL of %q number %v", rl.Issuer.String(), rl.Number)
	return findings(what, zlint.LintRevocationListEx(rl, registry()), allow)
}

// CheckOCSPResponse is OCSPResponse returning an *Error.
func CheckOCSPResponse(der []byte, issuer *x509.Certificate, allow ...Allow) error {
	if issuer == nil {
		return errors.New("linttest: an OCSP response needs its issuer to be parsed")
	}
	r, err := ocsp.ParseResponse(der, issuer)
	if err != nil {
		return fmt.Errorf("linttest: cannot parse the OCSP response: %w", err)
	}
	what := fmt.Sprintf("OCSP response for serial %x by %s", r.SerialNumber, responderName(r))
	return findings(what, zlint.LintOcspResponseEx(r, registry()), allow)
}

// responderName names who signed an OCSP response: the delegated
// responder, or the issuer itself (by key hash).
func responderName(r *ocsp.Response) string {
	if r.Certificate != nil {
		return fmt.Sprintf("%q", r.Certificate.Subject.String())
	}
	return "the issuer (key " + hex.EncodeToString(r.ResponderKeyHash) + ")"
}

// findings collects the failing results of res under allow, and the
// allowances that name no zlint lint or source (a typo would otherwise
// allow nothing, silently).
func findings(what string, res *zlint.ResultSet, allow []Allow) error {
	var out []Finding
	for _, a := range allow {
		for name := range a.Warnings {
			if !strings.HasPrefix(name, "w_") || sourceOf(name) == lint.UnknownLintSource {
				out = append(out, Finding{Lint: name, Status: lint.Fatal, Source: lint.UnknownLintSource,
					Details: "allowed as a warning, but zlint has no such warning lint"})
			}
		}
		for src := range a.Sources {
			if !slices.Contains(lint.GlobalRegistry().Sources(), src) {
				out = append(out, Finding{Lint: string(src), Status: lint.Fatal, Source: src,
					Details: "allowed as a source, but zlint has no such lint source"})
			}
		}
	}
	for name, r := range res.Results {
		if r.Status != lint.Warn && r.Status != lint.Error && r.Status != lint.Fatal {
			continue
		}
		src := sourceOf(name)
		if r.Status == lint.Warn && allowed(allow, func(a Allow) bool { _, ok := a.Warnings[name]; return ok }) ||
			allowed(allow, func(a Allow) bool { _, ok := a.Sources[src]; return ok }) {
			continue
		}
		out = append(out, Finding{Lint: name, Status: r.Status, Source: src, Details: r.Details})
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortFunc(out, func(a, b Finding) int { return strings.Compare(a.Lint, b.Lint) })
	return &Error{What: what, Findings: out}
}

// allowed reports whether any of allow satisfies ok.
func allowed(allow []Allow, ok func(Allow) bool) bool {
	return slices.ContainsFunc(allow, ok)
}

// sourceOf returns the source of the certificate, CRL or OCSP lint name,
// or lint.UnknownLintSource if zlint has no such lint.
func sourceOf(name string) lint.LintSource {
	reg := lint.GlobalRegistry()
	if l := reg.CertificateLints().ByName(name); l != nil {
		return l.Source
	}
	if l := reg.RevocationListLints().ByName(name); l != nil {
		return l.Source
	}
	if l := reg.OcspResponseLints().ByName(name); l != nil {
		return l.Source
	}
	return lint.UnknownLintSource
}
