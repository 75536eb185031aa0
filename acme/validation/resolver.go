package validation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ednsSize is the EDNS(0) UDP payload size advertised, the DNS Flag Day 2020
// value that avoids IP fragmentation.
const ednsSize = 1232

// resolver asks one recursive resolver over UDP, retrying over TCP when the
// answer is truncated.
type resolver struct {
	addr    string        // "host:port"
	timeout time.Duration // per exchange
}

// defaultResolver returns the first nameserver of the resolv.conf at path as
// "host:port".
func defaultResolver(path string) (string, error) {
	cfg, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return "", fmt.Errorf("validation: read resolver configuration: %w", err)
	}
	if len(cfg.Servers) == 0 {
		return "", fmt.Errorf("validation: no nameserver in %s", path)
	}
	return net.JoinHostPort(cfg.Servers[0], cfg.Port), nil
}

// query looks up name/qtype and returns the answer records of that type
// (CNAMEs the resolver followed are dropped). NXDOMAIN, other failure codes,
// timeouts and network errors are "dns" problems.
func (r *resolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, *Error) {
	return r.lookup(ctx, name, qtype, false)
}

// lookup is query; with nxdomainEmpty, NXDOMAIN is an answer with no
// records instead of a problem.
func (r *resolver) lookup(ctx context.Context, name string, qtype uint16, nxdomainEmpty bool) ([]dns.RR, *Error) {
	typ := dns.TypeToString[qtype]
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(ednsSize, false)

	resp, err := r.exchange(ctx, m, "udp")
	if err == nil && resp.Truncated {
		resp, err = r.exchange(ctx, m, "tcp")
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, problemCause(ctxErr, ProblemDNS, "DNS problem: %s looking up %s for %s", ctxWords(ctxErr), typ, name)
		}
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return nil, problemCause(err, ProblemDNS, "DNS problem: query timed out looking up %s for %s", typ, name)
		}
		return nil, problemCause(err, ProblemDNS, "DNS problem: networking error looking up %s for %s", typ, name)
	}
	if resp.Rcode != dns.RcodeSuccess && !(nxdomainEmpty && resp.Rcode == dns.RcodeNameError) {
		rcode := dns.RcodeToString[resp.Rcode]
		if rcode == "" {
			rcode = fmt.Sprintf("rcode %d", resp.Rcode)
		}
		return nil, problem(ProblemDNS, "DNS problem: %s looking up %s for %s", rcode, typ, name)
	}
	var rrs []dns.RR
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype == qtype && rr.Header().Class == dns.ClassINET {
			rrs = append(rrs, rr)
		}
	}
	return rrs, nil
}

// exchange sends m over network, bounded by r.timeout and ctx.
func (r *resolver) exchange(ctx context.Context, m *dns.Msg, network string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	c := &dns.Client{Net: network, UDPSize: ednsSize, Timeout: r.timeout}
	resp, _, err := c.ExchangeContext(ctx, m, r.addr)
	return resp, err
}

// lookupIPs returns the IPv6 and IPv4 addresses of name. It fails only when
// neither lookup yields an address: with the first lookup error, or with
// "no A or AAAA records".
func (r *resolver) lookupIPs(ctx context.Context, name string) (v6, v4 []netip.Addr, perr *Error) {
	type result struct {
		ips []netip.Addr
		err *Error
	}
	aaaa := make(chan result, 1)
	go func() {
		rrs, err := r.query(ctx, name, dns.TypeAAAA)
		var ips []netip.Addr
		for _, rr := range rrs {
			if ip, ok := netip.AddrFromSlice(rr.(*dns.AAAA).AAAA); ok {
				ips = append(ips, ip)
			}
		}
		aaaa <- result{ips, err}
	}()
	rrs, aErr := r.query(ctx, name, dns.TypeA)
	for _, rr := range rrs {
		if ip, ok := netip.AddrFromSlice(rr.(*dns.A).A.To4()); ok {
			v4 = append(v4, ip)
		}
	}
	res := <-aaaa
	v6 = res.ips
	switch {
	case len(v4)+len(v6) > 0:
		return v6, v4, nil
	case aErr != nil:
		return nil, nil, aErr
	case res.err != nil:
		return nil, nil, res.err
	}
	return nil, nil, problem(ProblemDNS, "no A or AAAA records for %s", name)
}

// lookupTXT returns the TXT values of name, each record's character-strings
// joined (RFC 8555 §8.4 expects one string per value).
func (r *resolver) lookupTXT(ctx context.Context, name string) ([]string, *Error) {
	rrs, err := r.query(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	vals := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		vals = append(vals, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	return vals, nil
}

// ctxWords describes a context error for a detail.
func ctxWords(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "canceled"
}
