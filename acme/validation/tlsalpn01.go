package validation

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"strings"
)

// acmeTLS1 is the ALPN protocol of tls-alpn-01 (RFC 8737 §6.2).
const acmeTLS1 = "acme-tls/1"

var (
	// oidACMEIdentifier is id-pe-acmeIdentifier (RFC 8737 §6.1).
	oidACMEIdentifier = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}
	// oidSubjectAltName is id-ce-subjectAltName (RFC 5280 §4.2.1.6).
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
)

// validateTLSALPN01 implements RFC 8737 §3: a TLS connection to
// NAME:TLSALPNPort with SNI NAME and ALPN "acme-tls/1" must negotiate
// acme-tls/1 and present a self-signed certificate whose only subject
// alternative name is the dNSName NAME and which carries a critical
// acmeIdentifier extension holding SHA-256(keyAuthorization).
func (v *Validator) validateTLSALPN01(ctx context.Context, name, keyAuth string) *Error {
	name, perr := checkName(name, false)
	if perr != nil {
		return perr
	}
	addrs, perr := v.resolveTarget(ctx, name, ProblemRejectedIdentifier)
	if perr != nil {
		return perr
	}
	ctx, cancel := context.WithTimeout(ctx, v.opts.Timeout)
	defer cancel()
	conn, perr := v.dial(ctx, addrs, v.opts.TLSALPNPort)
	if perr != nil {
		return perr
	}
	defer conn.Close()
	target := conn.RemoteAddr().String()

	tc := tls.Client(conn, &tls.Config{
		ServerName: name,
		NextProtos: []string{acmeTLS1},
		// RFC 8737 §3: the certificate is self-signed; it is checked below
		// instead of against a trust store.
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		var alert tls.AlertError
		var recordErr tls.RecordHeaderError
		if ctx.Err() == nil && (errors.As(err, &alert) || errors.As(err, &recordErr) || strings.Contains(err.Error(), "tls: ")) {
			return problemCause(err, ProblemTLS, "TLS handshake with %s (SNI %s) failed: %s", target, name, truncate(err.Error(), 200))
		}
		return netProblem(ctx, err, ProblemConnection, "during the TLS handshake with", target)
	}
	state := tc.ConnectionState()
	if state.NegotiatedProtocol != acmeTLS1 {
		return problem(ProblemTLS, "%s (SNI %s) did not negotiate ALPN protocol %q", target, name, acmeTLS1)
	}
	if len(state.PeerCertificates) == 0 {
		return problem(ProblemTLS, "%s (SNI %s) presented no certificate", target, name)
	}
	return checkALPNCertificate(state.PeerCertificates[0], name, keyAuth)
}

// checkALPNCertificate checks the certificate presented for tls-alpn-01
// (RFC 8737 §3).
func checkALPNCertificate(cert *x509.Certificate, name, keyAuth string) *Error {
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate is not self-signed")
	}
	if perr := checkOnlyDNSName(cert, name); perr != nil {
		return perr
	}
	var ext []byte
	for _, e := range cert.Extensions {
		if !e.Id.Equal(oidACMEIdentifier) {
			continue
		}
		if ext != nil {
			return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate has more than one acmeIdentifier extension")
		}
		if !e.Critical {
			return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate's acmeIdentifier extension is not critical")
		}
		ext = e.Value
	}
	if ext == nil {
		return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate has no acmeIdentifier extension")
	}
	var digest []byte
	rest, err := asn1.Unmarshal(ext, &digest)
	if err != nil || len(rest) != 0 || len(digest) != sha256.Size {
		return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate's acmeIdentifier extension is not an OCTET STRING of %d bytes", sha256.Size)
	}
	want := sha256.Sum256([]byte(keyAuth))
	if subtle.ConstantTimeCompare(digest, want[:]) != 1 {
		return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate's acmeIdentifier extension does not match the key authorization")
	}
	return nil
}

// checkOnlyDNSName requires exactly one subjectAltName extension holding
// exactly one GeneralName, the dNSName name (RFC 8737 §3). It reads the raw
// extension so that names crypto/x509 does not expose (otherName,
// directoryName, ...) count too.
func checkOnlyDNSName(cert *x509.Certificate, name string) *Error {
	var san []byte
	for _, e := range cert.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			if san != nil {
				return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate has more than one subjectAltName extension")
			}
			san = e.Value
		}
	}
	if san == nil {
		return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate has no subjectAltName extension")
	}
	var names []asn1.RawValue
	rest, err := asn1.Unmarshal(san, &names)
	if err != nil || len(rest) != 0 {
		return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate has a malformed subjectAltName extension")
	}
	const tagDNSName = 2 // GeneralName dNSName [2] IA5String
	if len(names) != 1 || names[0].Class != asn1.ClassContextSpecific || names[0].Tag != tagDNSName ||
		names[0].IsCompound || !strings.EqualFold(string(names[0].Bytes), name) {
		return problem(ProblemIncorrectResponse, "tls-alpn-01 certificate must have exactly one subjectAltName, the dNSName %s; got %d name(s) %q",
			name, len(names), sanList(cert))
	}
	return nil
}

// sanList returns up to five of the DNS names and IP addresses of cert,
// shortened for a detail.
func sanList(cert *x509.Certificate) []string {
	const n = 5
	var out []string
	for _, x := range cert.DNSNames {
		out = append(out, truncate(x, 64))
	}
	for _, ip := range cert.IPAddresses {
		out = append(out, ip.String())
	}
	return out[:min(len(out), n)]
}
