package ca

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// maxCSRSize bounds a CSR file: a CSR for 100 names and an RSA-8192 key is
// well under 16 KiB.
const maxCSRSize = 64 << 10

// csrPEMTypes are the PEM block types a CSR comes in: the standard one and
// the "NEW CERTIFICATE REQUEST" some server software (Netscape, older IIS
// and Java keytool) still writes.
var csrPEMTypes = map[string]bool{
	"CERTIFICATE REQUEST":     true,
	"NEW CERTIFICATE REQUEST": true,
}

// ParseCSR reads a PKCS#10 certificate signing request (RFC 2986) given as
// PEM, with either the "CERTIFICATE REQUEST" or the "NEW CERTIFICATE
// REQUEST" header, or as DER, and checks its self-signature. Errors say
// what is wrong with the input; they wrap ErrInvalidRequest.
func ParseCSR(data []byte) (*x509.CertificateRequest, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: CSR is empty", ErrInvalidRequest)
	}
	if len(data) > maxCSRSize {
		return nil, fmt.Errorf("%w: CSR is %d bytes; at most %d are accepted", ErrInvalidRequest, len(data), maxCSRSize)
	}
	der := data
	if block, rest := pem.Decode(data); block != nil {
		if !csrPEMTypes[block.Type] {
			return nil, fmt.Errorf("%w: PEM block is %q; want \"CERTIFICATE REQUEST\" or \"NEW CERTIFICATE REQUEST\"", ErrInvalidRequest, block.Type)
		}
		if next, _ := pem.Decode(rest); next != nil {
			return nil, fmt.Errorf("%w: more than one PEM block; give exactly one CSR", ErrInvalidRequest)
		}
		der = block.Bytes
	} else if data[0] != 0x30 { // not a DER SEQUENCE either
		return nil, fmt.Errorf("%w: not a CSR: no PEM \"BEGIN CERTIFICATE REQUEST\" block and not DER", ErrInvalidRequest)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: CSR does not parse: %v", ErrInvalidRequest, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: CSR signature is invalid: %v", ErrInvalidRequest, err)
	}
	return csr, nil
}
