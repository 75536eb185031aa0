package ocsp

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// maxRequestSize bounds an OCSP request, POST body or decoded GET path.
// A one-certificate request is about 80 bytes; signed ones with a
// certificate chain stay far below it.
const maxRequestSize = 10 << 10

// certID is the part of an OCSP request the responder needs (RFC 6960
// §4.1.1).
type certID struct {
	hash     crypto.Hash
	nameHash []byte
	keyHash  []byte
	serial   *big.Int
}

// requestError is why a request is malformedRequest, for the log.
type requestError struct{ reason string }

func (e *requestError) Error() string { return "ocsp: malformed request: " + e.reason }

// errHashUnsupported marks a CertID hashed with an algorithm other than
// SHA-1 and SHA-256.
var errHashUnsupported = errors.New("ocsp: CertID hash algorithm not supported (use SHA-1 or SHA-256)")

// The contents octets of the CertID hash algorithm OIDs: SHA-1
// (1.3.14.3.2.26) and SHA-256 (2.16.840.1.101.3.4.2.1).
var (
	derSHA1   = []byte{0x2b, 0x0e, 0x03, 0x02, 0x1a}
	derSHA256 = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}
)

func malformed(format string, args ...any) error {
	return &requestError{reason: fmt.Sprintf(format, args...)}
}

// parseRequest parses a DER OCSPRequest (RFC 6960 §4.1.1) holding exactly
// one Request, as RFC 5019 §2.1.1 profiles it. The request's extensions
// (a nonce) and its optional signature are read past and ignored:
// responses are signed ahead of time (RFC 5019 §2.2.1).
func parseRequest(der []byte) (*certID, error) {
	in := cryptobyte.String(der)
	var req, tbs, list cryptobyte.String
	if !in.ReadASN1(&req, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, malformed("not a DER OCSPRequest")
	}
	if !req.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, malformed("no tbsRequest")
	}
	if !req.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) || !req.Empty() {
		return nil, malformed("trailing data after tbsRequest")
	}
	var version int64
	if !tbs.ReadOptionalASN1Integer(&version, cbasn1.Tag(0).Constructed().ContextSpecific(), int64(0)) || version != 0 {
		return nil, malformed("version is not v1")
	}
	if !tbs.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) { // requestorName
		return nil, malformed("bad requestorName")
	}
	if !tbs.ReadASN1(&list, cbasn1.SEQUENCE) {
		return nil, malformed("no requestList")
	}
	if !tbs.SkipOptionalASN1(cbasn1.Tag(2).Constructed().ContextSpecific()) || !tbs.Empty() {
		return nil, malformed("trailing data in tbsRequest")
	}
	var one, cid cryptobyte.String
	if !list.ReadASN1(&one, cbasn1.SEQUENCE) {
		return nil, malformed("empty requestList")
	}
	if !list.Empty() {
		return nil, malformed("more than one certificate in the request (RFC 5019 §2.1.1: one per request)")
	}
	if !one.ReadASN1(&cid, cbasn1.SEQUENCE) ||
		!one.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) || !one.Empty() {
		return nil, malformed("bad Request")
	}
	var alg, oid cryptobyte.String
	id := &certID{serial: new(big.Int)}
	if !cid.ReadASN1(&alg, cbasn1.SEQUENCE) {
		return nil, malformed("bad CertID hashAlgorithm")
	}
	algOID := alg // to parse the OID for the error message
	if !alg.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
		return nil, malformed("bad CertID hashAlgorithm")
	}
	if !alg.Empty() {
		var null cryptobyte.String
		if !alg.ReadASN1(&null, cbasn1.NULL) || len(null) != 0 || !alg.Empty() {
			return nil, malformed("CertID hashAlgorithm parameters are not NULL")
		}
	}
	if !cid.ReadASN1Bytes(&id.nameHash, cbasn1.OCTET_STRING) || !cid.ReadASN1Bytes(&id.keyHash, cbasn1.OCTET_STRING) ||
		!cid.ReadASN1Integer(id.serial) || !cid.Empty() {
		return nil, malformed("bad CertID")
	}
	// Compared as DER, which parses no OID on the hot path.
	switch {
	case bytes.Equal(oid, derSHA1):
		id.hash = crypto.SHA1
	case bytes.Equal(oid, derSHA256):
		id.hash = crypto.SHA256
	default:
		var parsed asn1.ObjectIdentifier
		if !algOID.ReadASN1ObjectIdentifier(&parsed) {
			return nil, malformed("bad CertID hashAlgorithm")
		}
		return nil, fmt.Errorf("%w: %v", errHashUnsupported, parsed)
	}
	if len(id.nameHash) != id.hash.Size() || len(id.keyHash) != id.hash.Size() {
		return nil, malformed("CertID hashes are not %d bytes", id.hash.Size())
	}
	return id, nil
}
