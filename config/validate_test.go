package config

import (
	"errors"
	"strings"
	"testing"
)

// TestValidate checks each rule: a file that sets one bad value yields
// exactly one problem for that key with a message that says what is
// accepted.
func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		key     string // "" = valid
		message string
	}{
		{"listen without port", `{"listen": "localhost"}`, "listen", "must be host:port"},
		{"listen named port", `{"listen": "localhost:https"}`, "listen", "port must be a number 0-65535"},
		{"listen port too big", `{"listen": ":70000"}`, "listen", "port must be a number"},
		{"listen free port", `{"listen": "127.0.0.1:0"}`, "", ""},
		{"base_url http outside dev", `{"base_url": "http://acme.example"}`, "base_url", "must start with https://"},
		{"base_url http in dev", `{"dev": true, "base_url": "http://localhost:14000"}`, "", ""},
		{"base_url trailing slash", `{"base_url": "https://acme.example/"}`, "base_url", "no user, path, query or trailing slash"},
		{"base_url path", `{"base_url": "https://acme.example/acme"}`, "base_url", "no user, path"},
		{"base_url query", `{"base_url": "https://acme.example?x=1"}`, "base_url", "query"},
		{"base_url user", `{"base_url": "https://u:p@acme.example"}`, "base_url", "no user"},
		{"base_url relative", `{"base_url": "acme.example"}`, "base_url", "must be an absolute URL"},
		{"base_url other scheme", `{"base_url": "ftp://acme.example"}`, "base_url", "https://"},
		{"driver unknown", `{"database": {"driver": "mysql"}}`, "database.driver", `must be one of sqlite, postgres, got "mysql"`},
		{"postgres without dsn", `{"database": {"driver": "postgres"}}`, "database.dsn", "is required for the postgres driver"},
		{"postgres with dsn", `{"database": {"driver": "postgres", "dsn": "postgres://k@db/k"}}`, "", ""},
		{"max_conns negative", `{"database": {"max_conns": -1}}`, "database.max_conns", "must be between 1 and 1000, got -1"},
		{"max_conns huge", `{"database": {"max_conns": 5000}}`, "database.max_conns", "between 1 and 1000"},
		{"cert without key", `{"tls": {"cert_file": "c.pem"}}`, "tls.key_file", "is required when tls.cert_file is set"},
		{"key without cert", `{"tls": {"key_file": "k.pem"}}`, "tls.cert_file", "is required when tls.key_file is set"},
		{"ca key type", `{"ca": {"key_type": "rsa-1024"}}`, "ca.key_type", "must be one of ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096"},
		{"ca organization ampersand", `{"ca": {"organization": "A & B"}}`, "ca.organization", "write 'and' instead of '&'"},
		{"ca organization character", `{"ca": {"organization": "A/B"}}`, "ca.organization", "'/' is not allowed"},
		{"ca organization spaces", `{"ca": {"organization": "  "}}`, "ca.organization", "spaces only"},
		{"ca organization long", `{"ca": {"organization": "` + strings.Repeat("a", 65) + `"}}`, "ca.organization", "at most 64"},
		{"ca country lower case", `{"ca": {"country": "jp"}}`, "ca.country", "2-letter upper-case"},
		{"ca country long", `{"ca": {"country": "JPN"}}`, "ca.country", "2-letter"},
		{"ev policy reserved", `{"ca": {"ev_policy_oid": "2.23.140.1.1"}}`, "ca.ev_policy_oid", "outside the CA/Browser Forum's arc"},
		{"ev policy not dotted", `{"ca": {"ev_policy_oid": "1.3.6.1.4.1.x"}}`, "ca.ev_policy_oid", "dotted form"},
		{"ev policy two arcs", `{"ca": {"ev_policy_oid": "1.3"}}`, "ca.ev_policy_oid", "dotted form"},
		{"ev policy bad second arc", `{"ca": {"ev_policy_oid": "1.40.1"}}`, "ca.ev_policy_oid", "dotted form"},
		{"terms not a URL", `{"acme": {"terms_of_service": "see website"}}`, "acme.terms_of_service", "must be an http:// or https:// URL"},
		{"website scheme", `{"acme": {"website": "javascript:alert(1)"}}`, "acme.website", "http:// or https://"},
		{"caa identity with scheme", `{"acme": {"caa_identities": ["https://ca.example"]}}`, "acme.caa_identities[0]", "lower-case domain name"},
		{"caa identity upper case", `{"acme": {"caa_identities": ["ok.example", "CA.example"]}}`, "acme.caa_identities[1]", "lower-case domain name"},
		{"admin listen not host:port", `{"admin_listen": "14443", "tls": {"cert_file": "c.pem", "key_file": "k.pem"}}`, "admin_listen", "host:port"},
		{"admin listen without TLS", `{"admin_listen": "127.0.0.1:14443"}`, "admin_listen", "needs TLS"},
		{"high-risk entry upper case", `{"vetting": {"high_risk": ["login.example.jp", "Bank.example"]}}`, "vetting.high_risk[1]", "lower-case name or pattern"},
		{"high-risk entry with a space", `{"vetting": {"high_risk": ["my bank"]}}`, "vetting.high_risk[0]", "lower-case name or pattern"},
		{"high-risk entry empty", `{"vetting": {"high_risk": [""]}}`, "vetting.high_risk[0]", "lower-case name or pattern"},
		{"caa identity single label", `{"acme": {"caa_identities": ["localhost"]}}`, "acme.caa_identities[0]", "domain name"},
		{"max_names too many", `{"acme": {"max_names": 1001}}`, "acme.max_names", "between 1 and 1000"},
		{"eab_max_accounts negative", `{"acme": {"eab_max_accounts": -2}}`, "acme.eab_max_accounts", "between 1 and 1000"},
		{"order_lifetime short", `{"acme": {"order_lifetime": "30s"}}`, "acme.order_lifetime", "must be between 1m and 720h, got 30s"},
		{"authz_reuse beyond BR", `{"acme": {"authz_reuse": "4801h"}}`, "acme.authz_reuse", "must be between 1m and 4800h (200 days"},
		{"authz_reuse negative", `{"acme": {"authz_reuse": "-1h"}}`, "acme.authz_reuse", "between 1m and 4800h"},
		{"nonce_lifetime long", `{"acme": {"nonce_lifetime": "48h"}}`, "acme.nonce_lifetime", "between 10s and 24h"},
		{"http01 port outside dev", `{"validation": {"http01_port": 5002}}`, "validation.http01_port", "must be 80 outside dev mode (RFC 8555 §8.3"},
		{"http01 port in dev", `{"dev": true, "validation": {"http01_port": 5002}}`, "", ""},
		{"http01 port invalid", `{"dev": true, "validation": {"http01_port": 70000}}`, "validation.http01_port", "1-65535"},
		{"tlsalpn01 port outside dev", `{"validation": {"tlsalpn01_port": 5001}}`, "validation.tlsalpn01_port", "must be 443 outside dev mode (RFC 8737 §3"},
		{"tlsalpn01 port in dev", `{"dev": true, "validation": {"tlsalpn01_port": 5001}}`, "", ""},
		{"dns resolver without port", `{"validation": {"dns_resolver": "8.8.8.8"}}`, "validation.dns_resolver", "must be host:port"},
		{"dns resolver port 0", `{"validation": {"dns_resolver": "8.8.8.8:0"}}`, "validation.dns_resolver", "port must be a number 1-65535"},
		{"dns resolver ok", `{"validation": {"dns_resolver": "[::1]:53"}}`, "", ""},
		{"timeout too long", `{"validation": {"timeout": "500s"}}`, "validation.timeout", "must be between 1s and 120s"},
		{"timeout too short", `{"validation": {"timeout": "500ms"}}`, "validation.timeout", "must be between 1s and 120s, got 500ms"},
		{"always_valid outside dev", `{"validation": {"always_valid": true}}`, "validation.always_valid", "refused outside dev mode"},
		{"always_valid in dev", `{"dev": true, "validation": {"always_valid": true}}`, "", ""},
		{"log level", `{"log": {"level": "verbose"}}`, "log.level", "must be one of debug, info, warn, error"},
		{"log format", `{"log": {"format": "xml"}}`, "log.format", "must be one of text, json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.in), "v.json")
			if tt.key == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				if c == nil {
					t.Fatalf("got nil config, want one")
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want *Error", err)
			}
			if len(e.Problems) != 1 || e.Problems[0].Key != tt.key || !strings.Contains(e.Problems[0].Message, tt.message) {
				t.Errorf("got %v, want one problem %s: ...%s...", e.Problems, tt.key, tt.message)
			}
			if want := "config: v.json: " + tt.key + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got %q, want prefix %q", err, want)
			}
		})
	}
}

func TestValidateReportsAllAtOnce(t *testing.T) {
	c := Default()
	c.Listen = "nope"
	c.Log.Level = "loud"
	c.Validation.AlwaysValid = true
	c.Validation.Timeout.Duration = 0
	err := c.Validate()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Error", err)
	}
	for _, k := range []string{"listen", "log.level", "validation.always_valid", "validation.timeout"} {
		if !e.Has(k) {
			t.Errorf("got %v, want a problem for %s", e.Problems, k)
		}
	}
	if len(e.Problems) != 4 {
		t.Errorf("got %d problems, want 4: %v", len(e.Problems), e.Problems)
	}
}
