package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// CA key types `kakuin init` can generate.
// reOID is a dotted object identifier of at least three arcs whose first
// two are valid (X.660: 0-2, then below 40 under 0 and 1).
var reOID = regexp.MustCompile(`^([01]\.([0-9]|[1-3][0-9])|2\.(0|[1-9][0-9]*))(\.(0|[1-9][0-9]*))+$`)

var caKeyTypes = []string{"ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"}

// Validate checks every key and returns an *Error listing all problems,
// or nil. Call it after ApplyDefaults.
func (c *Config) Validate() error {
	v := &validator{c: c}

	listenOK := v.hostPort("listen", c.Listen, true)
	// A base_url derived from a bad listen is not a problem of its own.
	if listenOK || c.BaseURL != c.derived.baseURL {
		v.baseURL()
	}
	httpListenOK := v.hostPort("http_listen", c.HTTPListen, true)
	if httpListenOK || c.HTTPBaseURL != c.derived.httpBaseURL {
		v.httpBaseURL()
	}
	if c.AdminListen != "" {
		v.hostPort("admin_listen", c.AdminListen, true)
		if c.TLS.CertFile == "" && !c.Dev {
			v.add("admin_listen", "needs TLS: set tls.cert_file and tls.key_file (the admin API authenticates officers by TLS client certificates)")
		}
	}
	if c.DataDir == "" {
		v.add("data_dir", "is required")
	}

	driverOK := v.oneOf("database.driver", c.Database.Driver, DriverSQLite, DriverPostgres)
	if c.Database.DSN == "" && driverOK {
		if c.Database.Driver == DriverPostgres {
			v.add("database.dsn", "is required for the postgres driver, e.g. postgres://kakuin@db.example/kakuin")
		} else {
			v.add("database.dsn", "is required")
		}
	}
	v.intRange("database.max_conns", c.Database.MaxConns, 1, 1000)

	switch {
	case c.TLS.CertFile != "" && c.TLS.KeyFile == "":
		v.add("tls.key_file", "is required when tls.cert_file is set")
	case c.TLS.CertFile == "" && c.TLS.KeyFile != "":
		v.add("tls.cert_file", "is required when tls.key_file is set")
	}

	if c.CA.Dir == "" {
		v.add("ca.dir", "is required")
	}
	v.oneOf("ca.key_type", c.CA.KeyType, caKeyTypes...)
	if c.CA.Organization != "" {
		if p := dnProblem(c.CA.Organization); p != "" {
			v.add("ca.organization", "%s", p)
		}
	}
	if c.CA.EVPolicyOID != "" && (!reOID.MatchString(c.CA.EVPolicyOID) || strings.HasPrefix(c.CA.EVPolicyOID, "2.23.140.")) {
		v.add("ca.ev_policy_oid", "must be the CA's own policy OID in dotted form such as 1.3.6.1.4.1.99999.1.1, outside the CA/Browser Forum's arc 2.23.140, got %s", quote(c.CA.EVPolicyOID))
	}
	if c.CA.Country != "" && !isCountry(c.CA.Country) {
		v.add("ca.country", "must be a 2-letter upper-case ISO 3166-1 code such as JP, got %s", quote(c.CA.Country))
	}

	v.webURL("acme.terms_of_service", c.ACME.TermsOfService)
	v.webURL("acme.website", c.ACME.Website)
	for i, id := range c.ACME.CAAIdentities {
		if !isDomainName(id) {
			v.add(fmt.Sprintf("acme.caa_identities[%d]", i), "must be a lower-case domain name such as ca.example.com, got %s", quote(id))
		}
	}
	v.intRange("acme.max_names", c.ACME.MaxNames, 1, 1000)
	v.intRange("acme.eab_max_accounts", c.ACME.EABMaxAccounts, 1, 1000)
	v.durationRange("acme.order_lifetime", c.ACME.OrderLifetime, "1m", "720h", "")
	v.durationRange("acme.authz_reuse", c.ACME.AuthzReuse, "1m", "4800h",
		" (200 days, the Baseline Requirements' limit for reusing domain validation)")
	v.durationRange("acme.nonce_lifetime", c.ACME.NonceLifetime, "10s", "24h", "")
	v.durationRange("acme.processing_timeout", c.ACME.ProcessingTimeout, "30s", "1h", "")
	v.durationRange("acme.renewal_info_retry_after", c.ACME.RenewalInfoRetryAfter, "1m", "24h", "")

	v.challengePort("validation.http01_port", c.Validation.HTTP01Port, DefaultHTTP01Port, "RFC 8555 §8.3")
	v.challengePort("validation.tlsalpn01_port", c.Validation.TLSALPN01Port, DefaultTLSALPN01Port, "RFC 8737 §3")
	if c.Validation.DNSResolver != "" {
		v.hostPort("validation.dns_resolver", c.Validation.DNSResolver, false)
	}
	v.durationRange("validation.timeout", c.Validation.Timeout, "1s", "120s", "")
	if c.Validation.AlwaysValid && !c.Dev {
		v.add("validation.always_valid", "is refused outside dev mode: it skips domain validation (benchmarks only)")
	}

	v.durationRange("ocsp.response_validity", c.OCSP.ResponseValidity, "8h", "240h", " (BR §4.9.10)")
	v.durationRange("ocsp.responder_validity", c.OCSP.ResponderValidity, "16h", "2160h", "")
	if c.OCSP.ResponderValidity.Duration < 2*c.OCSP.ResponseValidity.Duration {
		v.add("ocsp.responder_validity", "must be at least twice ocsp.response_validity (%v)", c.OCSP.ResponseValidity.Duration)
	}
	if c.OCSP.CacheBytes < -1 {
		v.add("ocsp.cache_bytes", "must be a byte count, 0 for the default or -1 for no cache, got %d", c.OCSP.CacheBytes)
	}
	for i, p := range c.Vetting.HighRisk {
		if !isNamePattern(p) {
			v.add(fmt.Sprintf("vetting.high_risk[%d]", i), "must be a lower-case name or pattern such as login.example.jp, *.bank.example or *paypal*, got %s", quote(p))
		}
	}
	if len(c.Vetting.Contact) > 200 || strings.ContainsAny(c.Vetting.Contact, "\r\n\t") {
		v.add("vetting.contact", "must be one line of at most 200 characters")
	}
	v.durationRange("vetting.hold_retry_after", c.Vetting.HoldRetryAfter, "1s", "10m", "")
	v.durationRange("vetting.hold_recheck", c.Vetting.HoldRecheck, "1s", "10m", "")
	v.intRange("crl.shards", c.CRL.Shards, 1, 4096)
	v.durationRange("crl.validity", c.CRL.Validity, "2h", "240h", " (BR §4.9.7)")
	v.durationRange("crl.interval", c.CRL.Interval, "1m", "24h", "")
	if c.CRL.Validity.Duration < c.CRL.Interval.Duration+time.Hour {
		v.add("crl.validity", "must exceed crl.interval (%v) by at least an hour, so a CRL never expires before the next", c.CRL.Interval.Duration)
	}

	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")

	if len(v.problems) == 0 {
		return nil
	}
	return &Error{Problems: v.problems}
}

// validator collects problems, naming the flag or environment variable
// that set a key.
type validator struct {
	c        *Config
	problems []Problem
}

func (v *validator) add(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	base, _, _ := strings.Cut(key, "[")
	if src := v.c.origin[base]; src != "" {
		msg += " (set by " + src + ")"
	}
	v.problems = append(v.problems, Problem{Key: key, Message: msg})
}

// oneOf checks val is one of allowed and reports whether it is.
func (v *validator) oneOf(key, val string, allowed ...string) bool {
	for _, a := range allowed {
		if val == a {
			return true
		}
	}
	v.add(key, "must be one of %s, got %s", strings.Join(allowed, ", "), quote(val))
	return false
}

func (v *validator) intRange(key string, val, lo, hi int) {
	if val < lo || val > hi {
		v.add(key, "must be between %d and %d, got %d", lo, hi, val)
	}
}

// durationRange checks lo <= d <= hi; the bounds are duration literals,
// quoted as written in messages.
func (v *validator) durationRange(key string, d Duration, lo, hi, why string) {
	l, err1 := time.ParseDuration(lo)
	h, err2 := time.ParseDuration(hi)
	if err1 != nil || err2 != nil {
		panic("config: bad duration bound for " + key)
	}
	if d.Duration < l || d.Duration > h {
		v.add(key, "must be between %s and %s%s, got %s", lo, hi, why, d)
	}
}

// hostPort checks a host:port with a numeric port (0 allowed if
// anyPort, for a listener on a free port) and reports whether it is fine.
func (v *validator) hostPort(key, val string, anyPort bool) bool {
	_, port, err := net.SplitHostPort(val)
	if err != nil {
		v.add(key, "must be host:port, e.g. 127.0.0.1:14000, got %s", quote(val))
		return false
	}
	n, err := strconv.Atoi(port)
	lo := 1
	if anyPort {
		lo = 0
	}
	if err != nil || n < lo || n > 65535 {
		v.add(key, "port must be a number %d-65535, got %s", lo, quote(port))
		return false
	}
	return true
}

// challengePort checks a validation port: the standard one, or any port in
// dev mode.
func (v *validator) challengePort(key string, port, standard int, rfc string) {
	switch {
	case port < 1 || port > 65535:
		v.add(key, "must be a port number 1-65535, got %d", port)
	case port != standard && !v.c.Dev:
		v.add(key, "must be %d outside dev mode (%s and the Baseline Requirements), got %d", standard, rfc, port)
	}
}

// baseURL checks base_url: scheme://host[:port], https unless dev.
func (v *validator) baseURL() {
	const key = "base_url"
	u, err := url.Parse(v.c.BaseURL)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		v.add(key, "must be an absolute URL such as https://acme.example.com, got %s", quote(v.c.BaseURL))
	case u.Scheme != "https" && !(u.Scheme == "http" && v.c.Dev):
		v.add(key, "must start with https:// (RFC 8555 §6.1; http:// only in dev mode), got %s", quote(v.c.BaseURL))
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(v.c.BaseURL, "?") || strings.HasSuffix(v.c.BaseURL, "#"):
		v.add(key, "must be scheme://host[:port] with no user, path, query or trailing slash, got %s", quote(v.c.BaseURL))
	}
}

// httpBaseURL checks http_base_url: http://host[:port], no path.
func (v *validator) httpBaseURL() {
	const key = "http_base_url"
	u, err := url.Parse(v.c.HTTPBaseURL)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		v.add(key, "must be an absolute URL such as http://ca.example.com, got %s", quote(v.c.HTTPBaseURL))
	case u.Scheme != "http":
		v.add(key, "must start with http:// (Baseline Requirements 7.1.2: AIA and CRL URLs are plain HTTP), got %s", quote(v.c.HTTPBaseURL))
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "":
		v.add(key, "must be http://host[:port] with no user, path, query or trailing slash, got %s", quote(v.c.HTTPBaseURL))
	}
}

// webURL checks an optional http(s) URL published to clients.
func (v *validator) webURL(key, val string) {
	if val == "" {
		return
	}
	u, err := url.Parse(val)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		v.add(key, "must be an http:// or https:// URL, got %s", quote(val))
	}
}

// dnProblem checks a subject attribute the way package vetting does: at
// most 64 characters, only ASCII letters, digits, space and ' , - . : =,
// not spaces only.
func dnProblem(s string) string {
	if strings.Trim(s, " ") == "" {
		return "must not be spaces only"
	}
	if len(s) > 64 {
		return fmt.Sprintf("must be at most 64 characters, got %d", len(s))
	}
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', strings.ContainsRune(" ',-.:=", r):
		case r == '&':
			return "write 'and' instead of '&'"
		default:
			return fmt.Sprintf("character %q is not allowed (allowed: letters, digits, space and ' , - . : =)", r)
		}
	}
	return ""
}

func isCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// isDomainName reports whether s is a lower-case LDH domain name with at
// least two labels and no trailing dot.
func isDomainName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			b := l[i]
			if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
				return false
			}
		}
	}
	return true
}

// isNamePattern reports whether p is a high-risk list entry: lower-case
// letters, digits, '-', '.' and '*', at most 253 characters, no empty
// label.
func isNamePattern(p string) bool {
	if p == "" || len(p) > 253 || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..") {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '*') {
			return false
		}
	}
	return true
}
