package validation

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// http-01 limits.
const (
	maxRedirects   = 10
	maxBody        = 64 << 10
	maxHeaderBytes = 16 << 10
	maxLocationLen = 2048
	maxShownBody   = 128
)

// validateHTTP01 implements RFC 8555 §8.3: GET
// http://NAME:HTTPPort/.well-known/acme-challenge/TOKEN, following up to 10
// redirects to http or https URLs on the configured ports, must return 200
// with the key authorization as body (trailing whitespace ignored).
func (v *Validator) validateHTTP01(ctx context.Context, name, token, keyAuth string) *Error {
	name, perr := checkName(name, false)
	if perr != nil {
		return perr
	}
	u := &url.URL{
		Scheme: "http",
		Host:   net.JoinHostPort(name, strconv.Itoa(v.opts.HTTPPort)),
		Path:   "/.well-known/acme-challenge/" + token,
	}
	for hop := 0; ; hop++ {
		body, next, perr := v.fetch(ctx, u, hop > 0)
		if perr != nil {
			return perr
		}
		if next == nil {
			got := bytes.TrimRightFunc(body, unicode.IsSpace)
			if subtle.ConstantTimeCompare(got, []byte(keyAuth)) != 1 {
				return problem(ProblemIncorrectResponse, "key authorization mismatch: got %q", truncate(string(got), maxShownBody))
			}
			return nil
		}
		if hop == maxRedirects {
			return problem(ProblemConnection, "too many redirects: more than %d, the last to %s", maxRedirects, u.Redacted())
		}
		u = next
	}
}

// fetch performs one GET of u, bounded by Options.Timeout. It returns the
// body of a 200 response, or the next URL of a redirect. redirected says
// whether u came from a redirect, which changes the problem type of a
// refused address from rejectedIdentifier to connection.
func (v *Validator) fetch(ctx context.Context, u *url.URL, redirected bool) ([]byte, *url.URL, *Error) {
	host := u.Hostname()
	port, _ := strconv.Atoi(u.Port()) // u is built by validateHTTP01 or redirectTarget
	refusedType := ProblemRejectedIdentifier
	if redirected {
		refusedType = ProblemConnection
	}
	addrs, perr := v.resolveTarget(ctx, host, refusedType)
	if perr != nil {
		return nil, nil, perr
	}

	ctx, cancel := context.WithTimeout(ctx, v.opts.Timeout)
	defer cancel()
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			conn, perr := v.dial(ctx, addrs, port)
			if perr != nil {
				return nil, perr
			}
			return conn, nil
		},
		// RFC 8555 §8.3: the server need not validate the certificate of an
		// https redirect target.
		TLSClientConfig:        &tls.Config{ServerName: host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    v.opts.Timeout,
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	defer transport.CloseIdleConnections()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, problem(ProblemMalformed, "invalid URL %s", u.Redacted())
	}
	req.Host = host
	req.Header.Set("User-Agent", v.opts.UserAgent)
	req.Header.Set("Accept", "*/*")

	resp, err := transport.RoundTrip(req)
	if err != nil {
		return nil, nil, fetchProblem(ctx, err, u)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, fetchProblem(ctx, err, u)
	}

	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil, nil
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		next, perr := v.redirectTarget(u, resp.Header.Get("Location"))
		if perr != nil {
			return nil, nil, perr
		}
		v.log.DebugContext(ctx, "validation: http-01 redirect", "from", u.Redacted(), "to", next.Redacted())
		return nil, next, nil
	}
	return nil, nil, problem(ProblemUnauthorized, "%s returned %d", truncate(u.Redacted(), 256), resp.StatusCode)
}

// fetchProblem classifies an error of fetching u: a TLS failure on an https
// URL is a "tls" problem, anything else a "connection" problem.
func fetchProblem(ctx context.Context, err error, u *url.URL) *Error {
	var perr *Error
	if errors.As(err, &perr) {
		return perr
	}
	target := truncate(u.Redacted(), 256)
	var alert tls.AlertError
	var recordErr tls.RecordHeaderError
	if u.Scheme == "https" && ctx.Err() == nil &&
		(errors.As(err, &alert) || errors.As(err, &recordErr) || strings.Contains(err.Error(), "tls: ")) {
		return problemCause(err, ProblemTLS, "TLS error fetching %s", target)
	}
	return netProblem(ctx, err, ProblemConnection, "fetching", target)
}

// redirectTarget checks the Location of a redirect from base and returns the
// URL to fetch next, with an explicit port. Only http and https URLs naming
// a DNS host and one of the configured ports are followed (RFC 8555 §10.2
// leaves the policy to the server).
func (v *Validator) redirectTarget(base *url.URL, location string) (*url.URL, *Error) {
	if location == "" {
		return nil, problem(ProblemConnection, "redirect from %s without a Location", base.Redacted())
	}
	if len(location) > maxLocationLen {
		return nil, problem(ProblemConnection, "redirect from %s with a Location longer than %d bytes", base.Redacted(), maxLocationLen)
	}
	ref, err := url.Parse(location)
	if err != nil {
		return nil, problem(ProblemConnection, "redirect from %s to an invalid URL %q", base.Redacted(), truncate(location, 256))
	}
	next := base.ResolveReference(ref)
	next.User = nil
	next.Fragment, next.RawFragment = "", ""
	shown := truncate(next.Redacted(), 256)
	if next.Scheme != "http" && next.Scheme != "https" {
		return nil, problem(ProblemConnection, "redirect to %s: only http and https URLs are followed", shown)
	}
	host := next.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return nil, problem(ProblemConnection, "redirect to %s: IP address %s is not allowed, only DNS names", shown, ip)
	}
	host, perr := checkName(host, false)
	if perr != nil {
		return nil, problem(ProblemConnection, "redirect to %s: %s", shown, perr.Detail)
	}
	port := v.opts.HTTPPort
	if next.Scheme == "https" {
		port = v.opts.TLSALPNPort
	}
	if p := next.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || (n != v.opts.HTTPPort && n != v.opts.TLSALPNPort) {
			return nil, problem(ProblemConnection, "redirect to %s: port %s is not allowed, only %d and %d",
				shown, truncate(p, 8), v.opts.HTTPPort, v.opts.TLSALPNPort)
		}
		port = n
	}
	next.Host = net.JoinHostPort(host, strconv.Itoa(port))
	return next, nil
}
