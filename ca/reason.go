package ca

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// CRLReason codes (RFC 5280 §5.3.1). 7 is unused.
const (
	ReasonUnspecified          = 0
	ReasonKeyCompromise        = 1
	ReasonCACompromise         = 2
	ReasonAffiliationChanged   = 3
	ReasonSuperseded           = 4
	ReasonCessationOfOperation = 5
	ReasonCertificateHold      = 6
	ReasonRemoveFromCRL        = 8
	ReasonPrivilegeWithdrawn   = 9
	ReasonAACompromise         = 10
)

// reasonNames are the RFC 5280 names of the CRLReason codes.
var reasonNames = map[int]string{
	ReasonUnspecified:          "unspecified",
	ReasonKeyCompromise:        "keyCompromise",
	ReasonCACompromise:         "cACompromise",
	ReasonAffiliationChanged:   "affiliationChanged",
	ReasonSuperseded:           "superseded",
	ReasonCessationOfOperation: "cessationOfOperation",
	ReasonCertificateHold:      "certificateHold",
	ReasonRemoveFromCRL:        "removeFromCRL",
	ReasonPrivilegeWithdrawn:   "privilegeWithdrawn",
	ReasonAACompromise:         "aACompromise",
}

// SubscriberReasons are the reasons BR §7.2.2 allows on a subscriber
// certificate's CRL entry (and so in its OCSP response), in code order.
// The subscriber may ask for all but privilegeWithdrawn, which only the CA
// asserts (BR §4.9.1.1).
var SubscriberReasons = []int{
	ReasonUnspecified, ReasonKeyCompromise, ReasonAffiliationChanged, ReasonSuperseded,
	ReasonCessationOfOperation, ReasonPrivilegeWithdrawn,
}

// ErrAlreadyRevoked is returned when revoking a certificate that is
// already revoked.
var ErrAlreadyRevoked = errors.New("ca: certificate already revoked")

// ErrReasonNotAllowed is wrapped by CheckSubscriberReason's errors.
var ErrReasonNotAllowed = errors.New("ca: revocation reason not allowed")

// ReasonName returns the RFC 5280 name of a CRLReason code, or "reason N"
// for a code it does not define.
func ReasonName(code int) string {
	if n, ok := reasonNames[code]; ok {
		return n
	}
	return "reason " + strconv.Itoa(code)
}

// ParseReason reads a CRLReason given as its RFC 5280 name (any case) or
// its number.
func ParseReason(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if _, ok := reasonNames[n]; !ok {
			return 0, fmt.Errorf("ca: %d is not an RFC 5280 CRLReason code", n)
		}
		return n, nil
	}
	for code, name := range reasonNames {
		if strings.EqualFold(name, s) {
			return code, nil
		}
	}
	return 0, fmt.Errorf("ca: unknown revocation reason %q; want one of %s", s, subscriberReasonList())
}

// CheckSubscriberReason refuses a reason BR §7.2.2 does not allow for a
// subscriber certificate, naming those it does.
func CheckSubscriberReason(code int) error {
	for _, r := range SubscriberReasons {
		if r == code {
			return nil
		}
	}
	return fmt.Errorf("%w: %s (%d) is not allowed for subscriber certificates (BR §7.2.2); use one of %s",
		ErrReasonNotAllowed, ReasonName(code), code, subscriberReasonList())
}

// subscriberReasonList is "unspecified (0), keyCompromise (1), ...".
func subscriberReasonList() string {
	parts := make([]string, len(SubscriberReasons))
	for i, r := range SubscriberReasons {
		parts[i] = fmt.Sprintf("%s (%d)", reasonNames[r], r)
	}
	return strings.Join(parts, ", ")
}
