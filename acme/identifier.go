package acme

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// maxNameLen is the longest DNS name accepted (RFC 1035 §2.3.4 presentation
// form without the trailing dot).
const maxNameLen = 253

// checkedIdentifiers is the outcome of checking a newOrder's identifiers.
type checkedIdentifiers struct {
	// echo holds the identifiers as requested, duplicates removed.
	echo []Identifier
	// names holds the normalised names in request order ("*." kept).
	names []string
}

// checkIdentifiers implements kakuin's identifier policy for RFC 8555
// §7.4: only "dns" identifiers; names lower-cased and stripped of one
// trailing dot, then validated by checkDNSName; wildcards only if the policy
// allows them; duplicates (after normalisation) dropped. Every refused
// identifier becomes a subproblem naming it (§6.7.1).
func (s *Server) checkIdentifiers(ids []Identifier) (*checkedIdentifiers, error) {
	if len(ids) == 0 {
		return nil, malformed("order has no identifiers")
	}
	if len(ids) > s.policy.MaxNames {
		return nil, newProblem(probRejectedIdentifier, "order has %d identifiers; at most %d are allowed", len(ids), s.policy.MaxNames)
	}
	out := &checkedIdentifiers{}
	var subs []*problem
	seen := map[string]bool{}
	for _, id := range ids {
		name, sub := s.checkIdentifier(id)
		if sub != nil {
			idCopy := id
			sub.Identifier = &idCopy
			subs = append(subs, sub)
			continue
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out.echo = append(out.echo, id)
		out.names = append(out.names, name)
	}
	if len(subs) > 0 {
		return nil, identifiersProblem(subs)
	}
	return out, nil
}

// identifiersProblem wraps per-identifier subproblems (RFC 8555 §6.7.1):
// the top-level type is the subproblems' common type, else
// rejectedIdentifier.
func identifiersProblem(subs []*problem) *problem {
	typ := subs[0].Type
	for _, p := range subs[1:] {
		if p.Type != typ {
			typ = errNS + probRejectedIdentifier
		}
	}
	var p *problem
	if len(subs) == 1 {
		p = newProblem(strings.TrimPrefix(typ, errNS), "%s: %s", subs[0].Identifier.Value, subs[0].Detail)
	} else {
		p = newProblem(strings.TrimPrefix(typ, errNS), "%d identifiers were refused; see subproblems", len(subs))
	}
	p.Subproblems = subs
	return p
}

// checkIdentifier returns the normalised name or the subproblem.
func (s *Server) checkIdentifier(id Identifier) (string, *problem) {
	switch id.Type {
	case "dns":
	case "ip":
		return "", newProblem(probRejectedIdentifier, "IP address identifiers are not accepted")
	default:
		return "", newProblem(probUnsupportedIdentifier, "identifier type %q is not supported; use \"dns\"", truncate(id.Type, 32))
	}
	name := strings.ToLower(strings.TrimSuffix(id.Value, "."))
	if net.ParseIP(name) != nil {
		return "", newProblem(probRejectedIdentifier, "IP addresses are not accepted")
	}
	base := name
	if rest, ok := strings.CutPrefix(name, "*."); ok {
		if !s.policy.AllowWildcards {
			return "", newProblem(probRejectedIdentifier, "wildcard names are not accepted")
		}
		base = rest
	}
	if err := checkDNSName(base); err != nil {
		return "", newProblem(probRejectedIdentifier, "%v", err)
	}
	return name, nil
}

// checkDNSName validates a lower-case name without trailing dot: at most
// 253 characters, at least two labels, each 1–63 LDH characters not
// starting or ending with a hyphen (RFC 1123 §2.1), a non-numeric
// top-level label, no reserved "??--" label except IDNA2008 A-labels
// ("xn--", checkALabel); U-labels are refused with the A-label to use
// instead, when there is a valid one.
func checkDNSName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("name longer than %d characters", maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			if a, err := idna.Registration.ToASCII(name); err == nil && checkDNSName(a) == nil {
				return fmt.Errorf("internationalized names must be sent as A-labels: use %q", a)
			}
			return errors.New("name contains non-ASCII characters; use A-labels (xn--)")
		}
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return errors.New("name must have at least two labels")
	}
	for _, l := range labels {
		if err := checkLabel(l); err != nil {
			return err
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return errors.New("top-level label must not be numeric")
	}
	return nil
}

// checkLabel validates one LDH label (see checkDNSName).
func checkLabel(l string) error {
	switch {
	case l == "":
		return errors.New("name has an empty label")
	case len(l) > 63:
		return errors.New("label longer than 63 characters")
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("label %q starts or ends with a hyphen", l)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("label %q contains the character %q; only letters, digits and hyphens are allowed", l, c)
		}
	}
	if len(l) >= 4 && l[2:4] == "--" {
		if !strings.HasPrefix(l, "xn--") {
			return fmt.Errorf("label %q has hyphens in the third and fourth positions but is not an A-label", l)
		}
		return checkALabel(l)
	}
	return nil
}

// sortedNames returns the de-duplicated names sorted: the key under which
// orders are stored and found again (Order.Names).
func sortedNames(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}
