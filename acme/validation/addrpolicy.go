package validation

import "net/netip"

// special is one special-purpose address block a validation must not
// connect to, with the words a problem detail uses for it.
type special struct {
	prefix netip.Prefix
	what   string // completes "ADDR is ..."
	// always marks blocks that are never a valid target, not even with
	// Options.AllowPrivate.
	always bool
}

// specialBlocks lists the blocks refused, most specific first (IANA IPv4 and
// IPv6 Special-Purpose Address Registries, RFC 6890 and its updates).
var specialBlocks = []special{
	// IPv4.
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address", true},
	{netip.MustParsePrefix("0.0.0.0/32"), "the unspecified address", true},
	{netip.MustParsePrefix("0.0.0.0/8"), `a "this network" address (RFC 1122)`, false},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address (RFC 1918)", false},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (CGNAT) address (RFC 6598)", false},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address", false},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address", false},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address (RFC 1918)", false},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment address (RFC 6890)", false},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address (RFC 5737)", false},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay anycast address (RFC 7526)", false},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address (RFC 1918)", false},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address (RFC 2544)", false},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address (RFC 5737)", false},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address (RFC 5737)", false},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address", true},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address (RFC 1112)", false},
	// IPv6. IPv4-mapped addresses (::ffff:0:0/96) are judged by the IPv4
	// address they carry, in forbiddenReason.
	{netip.MustParsePrefix("::/128"), "the unspecified address", true},
	{netip.MustParsePrefix("::1/128"), "a loopback address", false},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address (deprecated, RFC 4291)", false},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address (RFC 8215)", false},
	{netip.MustParsePrefix("100::/64"), "a discard-only address (RFC 6666)", false},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address (RFC 3849)", false},
	{netip.MustParsePrefix("2001::/23"), "an IETF protocol assignment address (RFC 2928)", false},
	{netip.MustParsePrefix("2002::/16"), "a 6to4 address (RFC 3056)", false},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address (RFC 9637)", false},
	{netip.MustParsePrefix("fc00::/7"), "a unique local address (RFC 4193)", false},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address", false},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address (deprecated, RFC 3879)", false},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address", true},
}

// nat64 is the well-known NAT64 prefix (RFC 6052); its addresses reach the
// IPv4 address in their last 32 bits, which is judged instead.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// forbiddenReason returns why a validation may not connect to ip, or "" if
// it may. With allowPrivate only the blocks that can never be a target
// (unspecified, broadcast, multicast) are refused.
func forbiddenReason(ip netip.Addr, allowPrivate bool) string {
	if !ip.IsValid() {
		return "an invalid address"
	}
	ip = ip.WithZone("")
	switch {
	case ip.Is4In6():
		if what := forbiddenReason(ip.Unmap(), allowPrivate); what != "" {
			return what + " (IPv4-mapped)"
		}
		return ""
	case nat64.Contains(ip):
		b := ip.As16()
		if what := forbiddenReason(netip.AddrFrom4([4]byte(b[12:])), allowPrivate); what != "" {
			return what + " (NAT64)"
		}
		return ""
	}
	for _, s := range specialBlocks {
		if s.prefix.Contains(ip) {
			if allowPrivate && !s.always {
				return ""
			}
			return s.what
		}
	}
	return ""
}

// checkAddr returns a problem of type typ if a validation may not connect to
// ip, or nil if it may.
func checkAddr(ip netip.Addr, allowPrivate bool, typ string) *Error {
	if what := forbiddenReason(ip, allowPrivate); what != "" {
		return problem(typ, "%s is %s; validation to private addresses is not allowed", ip, what)
	}
	return nil
}

// formatAddr renders ip and port as "1.2.3.4:80" or "[::1]:80".
func formatAddr(ip netip.Addr, port int) string {
	return netip.AddrPortFrom(ip, uint16(port)).String()
}
