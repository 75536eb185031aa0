package config

import (
	"net"
	"path/filepath"
	"strings"
	"time"
)

// Built-in defaults.
const (
	DefaultListen                = "127.0.0.1:14000"
	DefaultHTTPListen            = "127.0.0.1:14080"
	DefaultDataDir               = "./kakuin-data"
	DefaultDriver                = DriverSQLite
	DefaultMaxConns              = 16
	DefaultCAKeyType             = "ecdsa-p384"
	DefaultMaxNames              = 100
	DefaultEABMaxAccounts        = 1
	DefaultOrderLifetime         = 168 * time.Hour  // 7 days
	DefaultAuthzReuse            = 4800 * time.Hour // 200 days, BR 4.2.1
	DefaultNonceLifetime         = 15 * time.Minute
	DefaultProcessingTimeout     = 5 * time.Minute
	DefaultRenewalInfoRetryAfter = 6 * time.Hour
	DefaultHTTP01Port            = 80  // RFC 8555 §8.3
	DefaultTLSALPN01Port         = 443 // RFC 8737 §3
	DefaultTimeout               = 10 * time.Second
	DefaultOCSPValidity          = 96 * time.Hour  // 4 days
	DefaultResponderValidity     = 720 * time.Hour // 30 days
	DefaultOCSPCacheBytes        = 64 << 20
	DefaultCRLShards             = 16
	DefaultCRLValidity           = 168 * time.Hour // 7 days
	DefaultCRLInterval           = 6 * time.Hour
	DefaultHoldRetryAfter        = 10 * time.Second
	DefaultHoldRecheck           = 2 * time.Second
	DefaultLogLevel              = "info"
	DefaultLogFormat             = "text"
)

// Database drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// derived records the values ApplyDefaults computed from other settings.
type derived struct {
	baseURL, httpBaseURL, dsn, caDir, certFile, keyFile string
	migrate, allowPrivate                               bool
}

// Default returns the built-in configuration: what an empty file gives.
func Default() *Config {
	c := &Config{}
	c.ApplyDefaults()
	return c
}

// ApplyDefaults fills every unset key with its default. It may be called
// again after more sources were applied: values it derived from other
// settings the last time (database.dsn, ca.dir and the dev TLS files from
// data_dir, base_url from listen, migrate_on_start and allow_private from
// dev) are derived afresh; values set by a file, the environment or a flag
// are kept.
func (c *Config) ApplyDefaults() {
	d := &c.derived
	setString(&c.Listen, DefaultListen)
	setString(&c.DataDir, DefaultDataDir)
	c.BaseURL = derive(c.BaseURL, &d.baseURL, baseURLFor(c.Listen))
	setString(&c.HTTPListen, DefaultHTTPListen)
	c.HTTPBaseURL = derive(c.HTTPBaseURL, &d.httpBaseURL, "http"+strings.TrimPrefix(baseURLFor(c.HTTPListen), "https"))

	setString(&c.Database.Driver, DefaultDriver)
	dsn := ""
	if c.Database.Driver == DriverSQLite {
		dsn = filepath.Join(c.DataDir, "kakuin.db")
	}
	c.Database.DSN = derive(c.Database.DSN, &d.dsn, dsn)
	setInt(&c.Database.MaxConns, DefaultMaxConns)
	c.Database.MigrateOnStart = deriveBool(c.Database.MigrateOnStart, &d.migrate, c.Dev)

	// The dev TLS pair is derived as a pair, and only while both files are
	// unset or still what was derived before.
	if (c.TLS.CertFile == "" && c.TLS.KeyFile == "") || (c.TLS.CertFile == d.certFile && c.TLS.KeyFile == d.keyFile) {
		c.TLS.CertFile, c.TLS.KeyFile = "", ""
		if c.Dev {
			c.TLS.CertFile = filepath.Join(c.DataDir, "tls", "cert.pem")
			c.TLS.KeyFile = filepath.Join(c.DataDir, "tls", "key.pem")
		}
		d.certFile, d.keyFile = c.TLS.CertFile, c.TLS.KeyFile
	}

	c.CA.Dir = derive(c.CA.Dir, &d.caDir, filepath.Join(c.DataDir, "ca"))
	setString(&c.CA.KeyType, DefaultCAKeyType)

	setInt(&c.ACME.MaxNames, DefaultMaxNames)
	setInt(&c.ACME.EABMaxAccounts, DefaultEABMaxAccounts)
	setDuration(&c.ACME.OrderLifetime, DefaultOrderLifetime)
	setDuration(&c.ACME.AuthzReuse, DefaultAuthzReuse)
	setDuration(&c.ACME.NonceLifetime, DefaultNonceLifetime)
	setDuration(&c.ACME.ProcessingTimeout, DefaultProcessingTimeout)
	setDuration(&c.ACME.RenewalInfoRetryAfter, DefaultRenewalInfoRetryAfter)

	setInt(&c.Validation.HTTP01Port, DefaultHTTP01Port)
	setInt(&c.Validation.TLSALPN01Port, DefaultTLSALPN01Port)
	c.Validation.AllowPrivate = deriveBool(c.Validation.AllowPrivate, &d.allowPrivate, c.Dev)
	setDuration(&c.Validation.Timeout, DefaultTimeout)

	setDuration(&c.OCSP.ResponseValidity, DefaultOCSPValidity)
	setDuration(&c.OCSP.ResponderValidity, max(DefaultResponderValidity, 2*c.OCSP.ResponseValidity.Duration))
	setInt(&c.OCSP.CacheBytes, DefaultOCSPCacheBytes)
	setInt(&c.CRL.Shards, DefaultCRLShards)
	setDuration(&c.CRL.Validity, DefaultCRLValidity)
	setDuration(&c.CRL.Interval, DefaultCRLInterval)
	setDuration(&c.Vetting.HoldRetryAfter, DefaultHoldRetryAfter)
	setDuration(&c.Vetting.HoldRecheck, DefaultHoldRecheck)

	setString(&c.Log.Level, DefaultLogLevel)
	setString(&c.Log.Format, DefaultLogFormat)
}

// TLSGenerated reports whether the TLS files are the dev-mode defaults the
// server creates (a self-signed certificate) when they do not exist yet.
func (c *Config) TLSGenerated() bool {
	return c.Dev && c.TLS.CertFile != "" && c.TLS.CertFile == c.derived.certFile && c.TLS.KeyFile == c.derived.keyFile
}

// baseURLFor returns "https://" + listen, naming an unspecified host
// (empty, 0.0.0.0, ::) "localhost".
func baseURLFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "https://" + listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "https://" + net.JoinHostPort(host, port)
}

// derive returns want if cur is unset or is what was derived last time
// (*last), and records want as derived; otherwise it returns the explicit
// cur.
func derive(cur string, last *string, want string) string {
	if cur == "" || cur == *last {
		*last = want
		return want
	}
	return cur
}

// deriveBool is derive for an optional bool: nil, or a value derived
// before, becomes want.
func deriveBool(cur *bool, wasDerived *bool, want bool) *bool {
	if cur == nil || *wasDerived {
		*wasDerived = true
		return &want
	}
	return cur
}

func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setDuration(p *Duration, v time.Duration) {
	if p.Duration == 0 {
		p.Duration = v
	}
}

// markExplicit records that a source set key to a value the user chose,
// so that ApplyDefaults does not derive it, and names the source for
// validation messages.
func (c *Config) markExplicit(key, source string) {
	switch key {
	case "database.dsn":
		c.derived.dsn = ""
	case "base_url":
		c.derived.baseURL = ""
	case "http_base_url":
		c.derived.httpBaseURL = ""
	}
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[key] = source
}
