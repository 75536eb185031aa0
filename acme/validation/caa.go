package validation

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// ProblemCAA is the RFC 8555 §6.7 error type of an issuance that CAA
// records forbid (RFC 8659).
const ProblemCAA = "caa"

// caaCritical is the Issuer Critical flag of a CAA record (RFC 8659 §4.1).
const caaCritical = 128

// maxCAAShown bounds how many properties a refusal's detail quotes.
const maxCAAShown = 5

// CheckCAA implements the CAA check of RFC 8659 with the accounturi and
// validationmethods parameters of RFC 8657. It finds the Relevant RRset of
// name, "*.example.com" for a wildcard (§3: the CAA records of name, else of
// its closest parent that has some, the root excluded), and returns nil if
// that set permits issuance: it has no restricting property (issue; for a
// wildcard, issuewild if there is one, else issue), or one of them names
// one of identities (case-insensitively) with every accounturi parameter
// equal to accountURI, the requesting ACME account's URL, and every
// validationmethods parameter listing method, the challenge type that
// proved control of name.
//
// A refusal is an *Error of type "caa" whose detail names the domain, the
// records and why they refuse: an unknown property with the Issuer
// Critical flag (§4.1), or restricting properties none of which authorizes,
// because it is empty (";" forbids every CA), malformed (a value that does
// not match the §4.2 grammar counts as empty), or names another CA,
// another account or other methods.
// Parameters other than accounturi and validationmethods are ignored, as
// Boulder does: §4.2 leaves their meaning to the CA they are written for,
// and the security considerations of RFC 8657 (§5) count on a CA ignoring
// the parameters it does not recognize. Property tags are matched
// case-insensitively (§4.1), and parameter tags too, so that a restriction
// written "AccountURI" still restricts.
//
// A failed lookup at any level of the climb (SERVFAIL, REFUSED, a
// timeout) is an *Error of type "dns": issuance is refused, always. The
// Baseline Requirements (§3.2.2.8) let a CA treat a lookup failure as
// permission only if it happened outside the CA's infrastructure, was
// retried, and the domain's zone has no DNSSEC validation chain to the ICANN
// root; kakuin does no DNSSEC validation, so it can never establish the
// last condition. NXDOMAIN is no failure: a name that does not exist has no
// records, and the climb goes on to its parent. CNAMEs are followed only as
// far as the recursive resolver follows them.
func (v *Validator) CheckCAA(ctx context.Context, name string, identities []string, accountURI, method string) error {
	wildcard := strings.HasPrefix(name, "*.")
	fqdn, perr := checkName(name, true)
	if perr != nil {
		return perr
	}
	shown := fqdn
	if wildcard {
		shown = "*." + fqdn
	}
	owner, rrs, perr := v.relevantCAA(ctx, fqdn)
	if perr != nil {
		v.log.DebugContext(ctx, "validation: CAA lookup failed", "name", shown, "detail", perr.Detail)
		return problemCause(perr.err, ProblemDNS, "CAA lookup for %s failed, so issuance is refused: %s", shown, perr.Detail)
	}
	req := caaRequest{wildcard: wildcard, identities: identities, accountURI: accountURI, method: method}
	why := req.refusal(rrs)
	if why == "" {
		return nil
	}
	v.log.DebugContext(ctx, "validation: CAA refused", "name", shown, "owner", owner, "reason", why)
	if owner == shown {
		return problem(ProblemCAA, "CAA record for %s prevents issuance: %s", owner, why)
	}
	return problem(ProblemCAA, "CAA record for %s prevents issuance for %s: %s", owner, shown, why)
}

// relevantCAA returns the Relevant RRset of fqdn (RFC 8659 §3) and the name
// it was found at: the CAA records of fqdn, else of its parent, and so on
// up to the top-level domain; none if no level has any.
func (v *Validator) relevantCAA(ctx context.Context, fqdn string) (string, []*dns.CAA, *Error) {
	for n := fqdn; n != ""; {
		rrs, perr := v.resolver.lookupCAA(ctx, n)
		if perr != nil || len(rrs) > 0 {
			return n, rrs, perr
		}
		_, n, _ = strings.Cut(n, ".")
	}
	return "", nil, nil
}

// lookupCAA returns the CAA records of name. Unlike resolver.query it takes
// NXDOMAIN for an answer with no records, the answer RFC 8659 §3 climbs on
// from; other failure codes, timeouts and network errors are "dns"
// problems.
func (r *resolver) lookupCAA(ctx context.Context, name string) ([]*dns.CAA, *Error) {
	answer, perr := r.lookup(ctx, name, dns.TypeCAA, true)
	if perr != nil {
		return nil, perr
	}
	rrs := make([]*dns.CAA, 0, len(answer))
	for _, rr := range answer {
		if caa, ok := rr.(*dns.CAA); ok {
			rrs = append(rrs, caa)
		}
	}
	return rrs, nil
}

// caaRequest is the issuance a Relevant RRset is checked for.
type caaRequest struct {
	wildcard   bool
	identities []string // the CA's issuer domain names
	accountURI string   // RFC 8657 §3
	method     string   // RFC 8657 §4
}

// refusal applies RFC 8659 §4 to the Relevant RRset rrs: "" if it permits
// the issuance, else why not.
func (q caaRequest) refusal(rrs []*dns.CAA) string {
	var issue, issuewild []*dns.CAA
	for _, rr := range rrs {
		switch strings.ToLower(rr.Tag) {
		case "issue":
			issue = append(issue, rr)
		case "issuewild":
			issuewild = append(issuewild, rr)
		case "iodef":
			// Understood (§4.4); kakuin sends no incident reports.
		default:
			if rr.Flag&caaCritical != 0 {
				return fmt.Sprintf("critical property %q is not understood", truncate(rr.Tag, 32))
			}
		}
	}
	// §4.3: issuewild is ignored for other names; for a wildcard name, any
	// issuewild makes every issue property irrelevant.
	props := issue
	if q.wildcard && len(issuewild) > 0 {
		props = issuewild
	}
	if len(props) == 0 {
		return ""
	}
	var why []string
	for _, rr := range props {
		reason := q.check(rr.Value)
		if reason == "" {
			return "" // authorizations are additive (§4.2)
		}
		if len(why) < maxCAAShown {
			why = append(why, fmt.Sprintf("%s %q %s", strings.ToLower(rr.Tag), truncate(rr.Value, 128), reason))
		}
	}
	if n := len(props) - len(why); n > 0 {
		why = append(why, fmt.Sprintf("and %d more", n))
	}
	return strings.Join(why, "; ")
}

// check returns "" if one issue or issuewild property value authorizes the
// issuance, else why not.
func (q caaRequest) check(value string) string {
	v, ok := parseIssueValue(value)
	switch {
	case !ok:
		return "is malformed, which forbids issuance (RFC 8659 §4.2)"
	case v.issuer == "":
		return "forbids issuance by any CA"
	case !slices.ContainsFunc(q.identities, func(id string) bool { return strings.EqualFold(id, v.issuer) }):
		if len(q.identities) == 0 {
			return "names a CA, and this CA has no CAA identities configured"
		}
		return "does not name " + strings.Join(q.identities, " or ")
	}
	for _, p := range v.params {
		switch strings.ToLower(p.tag) {
		case "accounturi":
			if q.accountURI == "" || p.value != q.accountURI {
				return "is limited to another ACME account"
			}
		case "validationmethods":
			methods, ok := parseValidationMethods(p.value)
			if !ok {
				return "has a malformed validationmethods parameter"
			}
			if !slices.Contains(methods, q.method) {
				return "does not allow validation by " + truncate(q.method, 32)
			}
		}
	}
	return ""
}

// issueValue is a parsed issue or issuewild property value.
type issueValue struct {
	issuer string // "" when no CA may issue
	params []caaParam
}

// caaParam is one parameter of an issueValue.
type caaParam struct{ tag, value string }

// parseIssueValue parses an issue or issuewild property value by the RFC
// 8659 §4.2 grammar:
//
//	issue-value = *WSP [issuer-domain-name *WSP]
//	   [";" *WSP [parameters *WSP]]
//	parameters = (parameter *WSP ";" *WSP parameters) / parameter
//	parameter = tag *WSP "=" *WSP value
//	tag = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT))
//	value = *(%x21-3A / %x3C-7E)
//
// It reports false for a value that does not match, such as one with an
// empty parameter (";;", or a ";" after the last parameter).
func parseIssueValue(s string) (issueValue, bool) {
	var v issueValue
	head, rest, hasParams := strings.Cut(s, ";")
	if head = trimWSP(head); head != "" {
		if !isIssuerDomainName(head) {
			return v, false
		}
		v.issuer = head
	}
	if rest = trimWSP(rest); !hasParams || rest == "" {
		return v, true
	}
	for p := range strings.SplitSeq(rest, ";") {
		tag, value, ok := strings.Cut(p, "=")
		tag, value = trimWSP(tag), trimWSP(value)
		if !ok || !isCAALabel(tag) || !isParamValue(value) {
			return v, false
		}
		v.params = append(v.params, caaParam{tag: tag, value: value})
	}
	return v, true
}

// parseValidationMethods parses a validationmethods parameter value by the
// RFC 8657 §4 grammar:
//
//	value = [*(label ",") label]
//	label = 1*(ALPHA / DIGIT / "-")
func parseValidationMethods(s string) ([]string, bool) {
	if s == "" {
		return nil, true
	}
	methods := strings.Split(s, ",")
	for _, m := range methods {
		if m == "" || strings.TrimFunc(m, func(r rune) bool { return isAlnum(r) || r == '-' }) != "" {
			return nil, false
		}
	}
	return methods, true
}

// trimWSP removes leading and trailing WSP (space and tab, RFC 5234 B.1).
func trimWSP(s string) string {
	return strings.Trim(s, " \t")
}

// isIssuerDomainName reports whether s is an issuer-domain-name: labels
// separated by dots (RFC 8659 §4.2), without a trailing dot.
func isIssuerDomainName(s string) bool {
	for label := range strings.SplitSeq(s, ".") {
		if !isCAALabel(label) {
			return false
		}
	}
	return true
}

// isCAALabel reports whether s matches (ALPHA / DIGIT) *( *("-") (ALPHA /
// DIGIT)), the label and tag of RFC 8659 §4.2: letters of either case,
// digits and inner hyphens.
func isCAALabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !isAlnum(r) && r != '-' {
			return false
		}
	}
	return true
}

// isParamValue reports whether s is a parameter value of RFC 8659 §4.2:
// printable US-ASCII without space and ";".
func isParamValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ';' {
			return false
		}
	}
	return true
}

// isAlnum reports whether r is an ASCII letter or digit.
func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
