package testdns

import (
	"net"
	"strings"

	"github.com/miekg/dns"
)

// ttl is the TTL of every answer: zero, because tests change records at will.
const ttl = 0

// serveDNS answers one query authoritatively from the records set on s.
func (s *Server) serveDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	resp.RecursionAvailable = false
	switch {
	case req.Opcode != dns.OpcodeQuery:
		resp.Rcode = dns.RcodeNotImplemented
	case len(req.Question) != 1:
		resp.Rcode = dns.RcodeFormatError
	case req.Question[0].Qclass != dns.ClassINET:
		resp.Rcode = dns.RcodeRefused
	default:
		resp.Answer, resp.Rcode = s.answer(req.Question[0])
	}

	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = int(opt.UDPSize())
		resp.SetEdns0(opt.UDPSize(), false)
	}
	if _, isTCP := w.RemoteAddr().(*net.TCPAddr); isTCP {
		size = dns.MaxMsgSize
	}
	resp.Truncate(size)
	w.WriteMsg(resp) // nothing to do if the client went away
}

// answer returns the records for q and the response code: SERVFAIL for a
// name SetServFail made fail; NXDOMAIN for a name that has no records, no
// records below it and no default A record; NOERROR with no records for a
// name that exists without records of the asked type.
func (s *Server) answer(q dns.Question) ([]dns.RR, int) {
	name := canonical(q.Name)
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.servfail[name] {
		return nil, dns.RcodeServerFailure
	}

	n := s.names[name]
	if n == nil {
		switch {
		case s.defaultA.IsValid() && q.Qtype == dns.TypeA:
			return []dns.RR{&dns.A{Hdr: hdr(dns.TypeA), A: s.defaultA.AsSlice()}}, dns.RcodeSuccess
		case s.defaultA.IsValid() || s.hasDescendant(name):
			return nil, dns.RcodeSuccess
		default:
			return nil, dns.RcodeNameError
		}
	}

	var rrs []dns.RR
	switch q.Qtype {
	case dns.TypeA:
		for _, ip := range n.a {
			rrs = append(rrs, &dns.A{Hdr: hdr(dns.TypeA), A: ip.AsSlice()})
		}
	case dns.TypeAAAA:
		for _, ip := range n.aaaa {
			rrs = append(rrs, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: ip.AsSlice()})
		}
	case dns.TypeTXT:
		for _, v := range n.txt {
			rrs = append(rrs, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: splitTXT(v)})
		}
	case dns.TypeCAA:
		for _, c := range n.caa {
			rrs = append(rrs, &dns.CAA{Hdr: hdr(dns.TypeCAA), Flag: c.Flag, Tag: c.Tag, Value: c.Value})
		}
	}
	return rrs, dns.RcodeSuccess
}

// hasDescendant reports whether some name below name has records, which
// makes name an empty non-terminal that exists (RFC 8020). The caller holds
// s.mu.
func (s *Server) hasDescendant(name string) bool {
	for k := range s.names {
		if strings.HasSuffix(k, "."+name) {
			return true
		}
	}
	return false
}

// splitTXT splits v into the 255-octet character-strings a TXT record is
// made of (RFC 1035 §3.3.14; readers concatenate them again), escaping
// backslashes, which miekg/dns would otherwise read as escape sequences.
func splitTXT(v string) []string {
	var parts []string
	for len(v) > 255 {
		parts = append(parts, v[:255])
		v = v[255:]
	}
	parts = append(parts, v)
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, `\`, `\\`)
	}
	return parts
}
