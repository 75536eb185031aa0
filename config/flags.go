package config

import (
	"flag"
	"fmt"
	"strconv"
)

// flagSpec is one command-line flag RegisterFlags defines.
type flagSpec struct {
	name   string
	key    string
	usage  string
	isBool bool
	get    func(c *Config) string
	set    func(c *Config, v string) error
}

// flagSpecs lists the common flags; every other key is set in the file.
var flagSpecs = []flagSpec{
	{
		name: "data", key: "data_dir", usage: "data `directory` (database, CA, dev TLS files)",
		get: func(c *Config) string { return c.DataDir },
		set: func(c *Config, v string) error { c.DataDir = v; return nil },
	},
	{
		name: "listen", key: "listen", usage: "`host:port` to listen on",
		get: func(c *Config) string { return c.Listen },
		set: func(c *Config, v string) error { c.Listen = v; return nil },
	},
	{
		name: "http-listen", key: "http_listen", usage: "`host:port` of the plain-HTTP listener for CA certificates and CRLs",
		get: func(c *Config) string { return c.HTTPListen },
		set: func(c *Config, v string) error { c.HTTPListen = v; return nil },
	},
	{
		name: "admin-listen", key: "admin_listen", usage: "`host:port` of the officers' admin API (HTTPS, officer client certificates); empty: off",
		get: func(c *Config) string { return c.AdminListen },
		set: func(c *Config, v string) error { c.AdminListen = v; return nil },
	},
	{
		name: "bench-always-valid", key: "validation.always_valid", usage: "BENCHMARKS ONLY: treat every challenge as valid without validating (requires --dev)", isBool: true,
		get: func(c *Config) string { return strconv.FormatBool(c.Validation.AlwaysValid) },
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("config: --bench-always-valid: want true or false, got %s", quote(v))
			}
			c.Validation.AlwaysValid = b
			return nil
		},
	},
	{
		name: "dev", key: "dev", usage: "development mode (self-signed TLS, private addresses, any challenge port); never in production", isBool: true,
		get: func(c *Config) string { return strconv.FormatBool(c.Dev) },
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("config: --dev: want true or false, got %s", quote(v))
			}
			c.Dev = b
			return nil
		},
	},
	{
		name: "http01-port", key: "validation.http01_port", usage: "`port` http-01 validation connects to (80 outside dev mode)",
		get: func(c *Config) string { return strconv.Itoa(c.Validation.HTTP01Port) },
		set: func(c *Config, v string) error { return setPort(&c.Validation.HTTP01Port, "http01-port", v) },
	},
	{
		name: "tlsalpn01-port", key: "validation.tlsalpn01_port", usage: "`port` tls-alpn-01 validation connects to (443 outside dev mode)",
		get: func(c *Config) string { return strconv.Itoa(c.Validation.TLSALPN01Port) },
		set: func(c *Config, v string) error { return setPort(&c.Validation.TLSALPN01Port, "tlsalpn01-port", v) },
	},
	{
		name: "dns-resolver", key: "validation.dns_resolver", usage: "`host:port` of the DNS resolver for validation (empty: system resolver)",
		get: func(c *Config) string { return c.Validation.DNSResolver },
		set: func(c *Config, v string) error { c.Validation.DNSResolver = v; return nil },
	},
	{
		name: "db-driver", key: "database.driver", usage: "database `driver`: sqlite or postgres",
		get: func(c *Config) string { return c.Database.Driver },
		set: func(c *Config, v string) error { c.Database.Driver = v; return nil },
	},
	{
		name: "db-dsn", key: "database.dsn", usage: "database `DSN` (sqlite file path or postgres URL)",
		get: func(c *Config) string { return c.Database.DSN },
		set: func(c *Config, v string) error { c.Database.DSN = v; return nil },
	},
}

func setPort(p *int, name, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("config: --%s: want a port number 1-65535, got %s", name, quote(v))
	}
	*p = n
	return nil
}

// flagValue is a flag.Value bound to one key of a Config.
type flagValue struct {
	cfg  *Config
	spec *flagSpec
	raw  string // the last value set, re-applied by Resolve
}

// String returns the bound key's current value ("" on a zero flagValue,
// as package flag requires).
func (v *flagValue) String() string {
	if v == nil || v.cfg == nil {
		return ""
	}
	return v.spec.get(v.cfg)
}

// Set parses s into the bound key.
func (v *flagValue) Set(s string) error {
	if err := v.spec.set(v.cfg, s); err != nil {
		return err
	}
	v.raw = s
	v.cfg.markExplicit(v.spec.key, "flag --"+v.spec.name)
	return nil
}

// boolFlagValue is a flagValue for a boolean key: it may stand alone
// (--dev) and its zero value reads "false", so -help shows no
// "(default false)".
type boolFlagValue struct{ *flagValue }

// IsBoolFlag lets the flag stand alone.
func (boolFlagValue) IsBoolFlag() bool { return true }

// String returns "true" or "false".
func (v boolFlagValue) String() string {
	if v.flagValue == nil || v.cfg == nil {
		return "false"
	}
	return v.flagValue.String()
}

// RegisterFlags defines the common flags on fs, bound to c: --data,
// --listen, --dev, --http01-port, --tlsalpn01-port, --dns-resolver,
// --db-driver and --db-dsn. Parsing sets c's fields directly; the values c
// holds now are shown as the defaults in -help. (--config is the
// command's.) Resolve re-applies the flags that were set on top of the
// file and the environment.
func RegisterFlags(fs *flag.FlagSet, c *Config) {
	for i := range flagSpecs {
		spec := &flagSpecs[i]
		var v flag.Value = &flagValue{cfg: c, spec: spec}
		if spec.isBool {
			v = boolFlagValue{v.(*flagValue)}
		}
		fs.Var(v, spec.name, spec.usage)
	}
}

// applyFlags re-applies, onto c, the flags of fs that RegisterFlags bound
// to c and that the command line set.
func applyFlags(fs *flag.FlagSet, c *Config) {
	if fs == nil {
		return
	}
	fs.Visit(func(f *flag.Flag) {
		v, ok := f.Value.(*flagValue)
		if b, isBool := f.Value.(boolFlagValue); isBool {
			v, ok = b.flagValue, true
		}
		if ok && v.cfg == c {
			// It parsed once already; it parses again.
			_ = v.Set(v.raw)
		}
	})
}
