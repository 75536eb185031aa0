package validation

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
)

// resolveTarget resolves host and returns the addresses a validation may
// connect to, in the order to try them: the first permitted IPv6 address,
// then the first permitted IPv4 address (RFC 8555 §8.3 lets the server try
// either family). If every address is forbidden, it returns a problem of
// type refusedType naming the first one; forbidden addresses are never
// returned.
func (v *Validator) resolveTarget(ctx context.Context, host, refusedType string) ([]netip.Addr, *Error) {
	v6, v4, err := v.resolver.lookupIPs(ctx, host)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	var refused *Error
	for _, family := range [][]netip.Addr{v6, v4} {
		for _, ip := range family {
			if perr := checkAddr(ip, v.opts.AllowPrivate, refusedType); perr != nil {
				if refused == nil {
					refused = perr
				}
				continue
			}
			addrs = append(addrs, ip)
			break
		}
	}
	if len(addrs) == 0 {
		return nil, refused
	}
	return addrs, nil
}

// dial connects over TCP to the first of addrs that answers on port,
// checking the address policy again before each attempt. Each attempt is
// bounded by Options.Timeout.
func (v *Validator) dial(ctx context.Context, addrs []netip.Addr, port int) (net.Conn, *Error) {
	var last *Error
	for _, ip := range addrs {
		if perr := checkAddr(ip, v.opts.AllowPrivate, ProblemConnection); perr != nil {
			last = perr
			continue
		}
		target := formatAddr(ip, port)
		d := net.Dialer{Timeout: v.opts.Timeout}
		conn, err := d.DialContext(ctx, "tcp", target)
		if err == nil {
			return conn, nil
		}
		v.log.DebugContext(ctx, "validation: dial failed", "addr", target, "err", err)
		last = netProblem(ctx, err, ProblemConnection, "connecting to", target)
		if ctx.Err() != nil {
			break
		}
	}
	if last == nil {
		last = problem(ProblemConnection, "no address to connect to")
	}
	return nil, last
}

// netProblem turns a network error that happened while doing op ("connecting
// to", "fetching") to target (an address or URL) into a problem of type typ
// with a client-safe detail, e.g. "connection refused by 192.0.2.1:80".
func netProblem(ctx context.Context, err error, typ, op, target string) *Error {
	var perr *Error
	if errors.As(err, &perr) {
		return perr
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return problemCause(ctxErr, typ, "%s %s %s", ctxWords(ctxErr), op, target)
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return problemCause(err, typ, "%s %s %s", ctxWords(err), op, target)
	case errors.As(err, &netErr) && netErr.Timeout():
		return problemCause(err, typ, "timeout %s %s", op, target)
	case errors.Is(err, syscall.ECONNREFUSED):
		return problemCause(err, typ, "connection refused by %s", target)
	case errors.Is(err, syscall.ECONNRESET):
		return problemCause(err, typ, "connection reset by %s", target)
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return problemCause(err, typ, "network unreachable %s %s", op, target)
	}
	return problemCause(err, typ, "error %s %s", op, target)
}
