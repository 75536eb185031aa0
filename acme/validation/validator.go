package validation

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Challenge types (RFC 8555 §8.3, §8.4; RFC 8737 §3).
const (
	ChallengeHTTP01    = "http-01"
	ChallengeDNS01     = "dns-01"
	ChallengeTLSALPN01 = "tls-alpn-01"
)

// Defaults for the zero values of Options.
const (
	DefaultHTTPPort    = 80
	DefaultTLSALPNPort = 443
	DefaultTimeout     = 10 * time.Second
	DefaultUserAgent   = "kakuin-validation"
	resolvConfPath     = "/etc/resolv.conf"
)

// Options configures a Validator. The zero value validates against the
// standard ports with the system's first nameserver.
type Options struct {
	// HTTPPort is the port http-01 connects to (RFC 8555 §8.3). Default 80.
	HTTPPort int
	// TLSALPNPort is the port tls-alpn-01 connects to (RFC 8737 §3), and the
	// https port http-01 redirects may use. Default 443.
	TLSALPNPort int
	// Resolver is the "host:port" of the recursive DNS resolver to ask.
	// Default: the first nameserver in /etc/resolv.conf, read by New.
	Resolver string
	// AllowPrivate permits connections to loopback, private, link-local and
	// other special-purpose addresses. Only for tests and closed networks;
	// default false.
	AllowPrivate bool
	// Timeout bounds each network attempt: one DNS exchange, one HTTP
	// request (each redirect hop), one TLS connection. Default 10s. The
	// context given to Validate bounds the whole validation.
	Timeout time.Duration
	// UserAgent is sent with http-01 requests. Default "kakuin-validation".
	UserAgent string
	// Logger receives debug logs of failed attempts. Default: discard.
	Logger *slog.Logger
}

// Validator validates ACME challenges. It implements acme.Validator and is
// safe for concurrent use.
type Validator struct {
	opts     Options
	resolver *resolver
	log      *slog.Logger
}

// New returns a Validator for opts, filling in defaults. It fails if no
// resolver is configured and none can be read from /etc/resolv.conf, or if
// an option is out of range.
func New(opts Options) (*Validator, error) {
	if opts.HTTPPort == 0 {
		opts.HTTPPort = DefaultHTTPPort
	}
	if opts.TLSALPNPort == 0 {
		opts.TLSALPNPort = DefaultTLSALPNPort
	}
	for _, p := range []int{opts.HTTPPort, opts.TLSALPNPort} {
		if p < 1 || p > 65535 {
			return nil, fmt.Errorf("validation: port %d out of range", p)
		}
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("validation: negative timeout %v", opts.Timeout)
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Resolver == "" {
		addr, err := defaultResolver(resolvConfPath)
		if err != nil {
			return nil, err
		}
		opts.Resolver = addr
	}
	if _, _, err := net.SplitHostPort(opts.Resolver); err != nil {
		return nil, fmt.Errorf("validation: resolver %q: %w", opts.Resolver, err)
	}
	return &Validator{
		opts:     opts,
		resolver: &resolver{addr: opts.Resolver, timeout: opts.Timeout},
		log:      opts.Logger,
	}, nil
}

// Validate performs one validation of challengeType for the DNS identifier
// name (RFC 8555 §7.5.1, §8). keyAuthorization is token "." base64url(JWK
// thumbprint) (RFC 8555 §8.1). It returns nil if the challenge is met, else
// an *Error; if ctx ends first, the *Error wraps ctx.Err().
func (v *Validator) Validate(ctx context.Context, challengeType, name, token, keyAuthorization string) error {
	if perr := checkKeyAuthorization(token, keyAuthorization); perr != nil {
		return perr
	}
	var perr *Error
	switch challengeType {
	case ChallengeHTTP01:
		perr = v.validateHTTP01(ctx, name, token, keyAuthorization)
	case ChallengeDNS01:
		perr = v.validateDNS01(ctx, name, keyAuthorization)
	case ChallengeTLSALPN01:
		perr = v.validateTLSALPN01(ctx, name, keyAuthorization)
	default:
		perr = problem(ProblemMalformed, "unsupported challenge type %q", truncate(challengeType, 32))
	}
	if perr != nil {
		v.log.DebugContext(ctx, "validation: failed", "type", challengeType, "name", name,
			"problem", perr.Type, "detail", perr.Detail)
		return perr
	}
	return nil
}
