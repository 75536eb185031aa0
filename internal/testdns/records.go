package testdns

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// CAA is one CAA resource record (RFC 8659 §4.1).
type CAA struct {
	// Flag is the flags octet; 128 marks the record critical.
	Flag uint8
	// Tag is the property tag, e.g. "issue", "issuewild", "iodef".
	Tag string
	// Value is the property value, e.g. "ca.example; accounturi=...".
	Value string
}

// node holds every record of one owner name.
type node struct {
	a    []netip.Addr
	aaaa []netip.Addr
	txt  []string
	caa  []CAA
}

func (n *node) empty() bool {
	return len(n.a) == 0 && len(n.aaaa) == 0 && len(n.txt) == 0 && len(n.caa) == 0
}

// canonical returns name lowercased and fully qualified, so that
// "Example.COM" and "example.com." address the same records.
func canonical(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// parseAddrs parses ips as IPv4 (want4) or IPv6 addresses; it panics on a
// malformed address because a test that sets one is itself broken.
func parseAddrs(fn string, want4 bool, ips []string) []netip.Addr {
	out := make([]netip.Addr, 0, len(ips))
	for _, s := range ips {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Zone() != "" || ip.Is4() != want4 {
			panic(fmt.Sprintf("testdns: %s: invalid address %q", fn, s))
		}
		out = append(out, ip)
	}
	return out
}

// update applies fn to the node of name under the write lock, creating the
// node if needed and dropping it once it holds no records.
func (s *Server) update(name string, fn func(n *node)) {
	key := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.names[key]
	if n == nil {
		n = &node{}
	}
	fn(n)
	if n.empty() {
		delete(s.names, key)
		return
	}
	s.names[key] = n
}

// SetA replaces the A records of name; no ips removes them. It panics if an
// ip is not an IPv4 address.
func (s *Server) SetA(name string, ips ...string) {
	addrs := parseAddrs("SetA", true, ips)
	s.update(name, func(n *node) { n.a = addrs })
}

// SetAAAA replaces the AAAA records of name; no ips removes them. It panics
// if an ip is not an IPv6 address (IPv4-mapped forms such as
// "::ffff:127.0.0.1" are allowed).
func (s *Server) SetAAAA(name string, ips ...string) {
	addrs := parseAddrs("SetAAAA", false, ips)
	s.update(name, func(n *node) { n.aaaa = addrs })
}

// SetTXT replaces the TXT records of name; no values removes them.
func (s *Server) SetTXT(name string, values ...string) {
	vals := slices.Clone(values)
	s.update(name, func(n *node) { n.txt = vals })
}

// AddTXT adds value to the TXT records of name unless it is already there.
// Two values at one name are what a client publishes when it validates
// example.com and *.example.com together (RFC 8555 §8.4).
func (s *Server) AddTXT(name, value string) {
	s.update(name, func(n *node) {
		if !slices.Contains(n.txt, value) {
			n.txt = append(n.txt, value)
		}
	})
}

// ClearTXT removes every TXT record of name.
func (s *Server) ClearTXT(name string) {
	s.update(name, func(n *node) { n.txt = nil })
}

// SetCAA replaces the CAA records of name; no records removes them.
func (s *Server) SetCAA(name string, records ...CAA) {
	recs := slices.Clone(records)
	s.update(name, func(n *node) { n.caa = recs })
}

// SetServFail makes every query for name, of any type, fail with SERVFAIL
// while fail is true, as a broken or unreachable authoritative server
// would. The records of name are kept and answered again once fail is
// false; names below name are not affected.
func (s *Server) SetServFail(name string, fail bool) {
	key := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if fail {
		s.servfail[key] = true
	} else {
		delete(s.servfail, key)
	}
}

// SetDefaultA makes the server answer A queries for every name without
// records of its own with ip (so every test name resolves, typically to
// 127.0.0.1); such names answer other types with NOERROR and no records.
// An empty ip removes the default, and unknown names are NXDOMAIN again.
// It panics if ip is not an IPv4 address.
func (s *Server) SetDefaultA(ip string) {
	var def netip.Addr
	if ip != "" {
		def = parseAddrs("SetDefaultA", true, []string{ip})[0]
	}
	s.mu.Lock()
	s.defaultA = def
	s.mu.Unlock()
}
