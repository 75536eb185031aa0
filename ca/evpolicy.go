package ca

import (
	"encoding/asn1"
	"fmt"
	"strconv"
	"strings"
)

// reservedPolicyArc is the CA/Browser Forum's policy arc (BR §7.1.6.1):
// a CA's own policy OID must lie outside it.
var reservedPolicyArc = asn1.ObjectIdentifier{2, 23, 140}

// ParseEVPolicyOID reads the CA's own EV policy OID, in dotted form
// ("1.3.6.1.4.1.99999.1.1"), which EV leaves carry after 2.23.140.1.1 (BR
// §7.1.6.3 lets a CA assert its own policy too). It must have at least
// three arcs, start with 0, 1 or 2, and lie outside the CA/Browser Forum's
// reserved arc 2.23.140.
func ParseEVPolicyOID(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 || part != strconv.Itoa(n) {
			return nil, fmt.Errorf("ca: EV policy OID %q: want dotted decimal arcs such as 1.3.6.1.4.1.99999.1.1", s)
		}
		oid = append(oid, n)
	}
	switch {
	case len(oid) < 3 || oid[0] > 2 || (oid[0] < 2 && oid[1] > 39):
		return nil, fmt.Errorf("ca: EV policy OID %q is not a valid object identifier of at least three arcs", s)
	case len(oid) >= 3 && oid[:3].Equal(reservedPolicyArc):
		return nil, fmt.Errorf("ca: EV policy OID %q lies in the CA/Browser Forum's reserved arc 2.23.140; give the CA's own OID", s)
	}
	return oid, nil
}
