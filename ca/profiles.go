package ca

import (
	"crypto/x509"
	"encoding/asn1"
)

// profile is what differs between the OV and EV leaf profiles.
type profile struct {
	issuerID string
	// policy is the CA/Browser Forum reserved policy OID (BR §7.1.6.1);
	// each certificate carries exactly one, so each profile has its own
	// issuing CA.
	policy asn1.ObjectIdentifier
	// caName is the middle of the issuing CA's common name.
	caName string
}

// profiles maps profile names to their definitions.
var profiles = map[string]profile{
	ProfileOV: {issuerID: IssuerOV, policy: asn1.ObjectIdentifier{2, 23, 140, 1, 2, 2}, caName: "OV"},
	ProfileEV: {issuerID: IssuerEV, policy: asn1.ObjectIdentifier{2, 23, 140, 1, 1}, caName: "EV"},
}

// issuerProfiles lists the issuing CAs in a fixed order.
var issuerProfiles = []string{ProfileOV, ProfileEV}

// policyOID converts an encoding/asn1 OID to an x509.OID.
func policyOID(oid asn1.ObjectIdentifier) x509.OID {
	ints := make([]uint64, len(oid))
	for i, n := range oid {
		ints[i] = uint64(n)
	}
	o, err := x509.OIDFromInts(ints)
	if err != nil {
		panic("ca: bad built-in policy OID " + oid.String())
	}
	return o
}
