package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFile writes content to a file in a fresh temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefault(t *testing.T) {
	c := Default()
	checks := []struct {
		key       string
		got, want any
	}{
		{"listen", c.Listen, "127.0.0.1:14000"},
		{"base_url", c.BaseURL, "https://127.0.0.1:14000"},
		{"data_dir", c.DataDir, "./kakuin-data"},
		{"dev", c.Dev, false},
		{"database.driver", c.Database.Driver, "sqlite"},
		{"database.dsn", c.Database.DSN, filepath.Join("kakuin-data", "kakuin.db")},
		{"database.max_conns", c.Database.MaxConns, 16},
		{"database.migrate_on_start", *c.Database.MigrateOnStart, false},
		{"tls.cert_file", c.TLS.CertFile, ""},
		{"tls.key_file", c.TLS.KeyFile, ""},
		{"ca.dir", c.CA.Dir, filepath.Join("kakuin-data", "ca")},
		{"ca.key_type", c.CA.KeyType, "ecdsa-p384"},
		{"acme.allow_wildcards", c.ACME.AllowWildcards, false},
		{"acme.max_names", c.ACME.MaxNames, 100},
		{"acme.eab_max_accounts", c.ACME.EABMaxAccounts, 1},
		{"acme.order_lifetime", c.ACME.OrderLifetime.Duration, 7 * 24 * time.Hour},
		{"acme.authz_reuse", c.ACME.AuthzReuse.Duration, 200 * 24 * time.Hour},
		{"acme.nonce_lifetime", c.ACME.NonceLifetime.Duration, 15 * time.Minute},
		{"validation.http01_port", c.Validation.HTTP01Port, 80},
		{"validation.tlsalpn01_port", c.Validation.TLSALPN01Port, 443},
		{"validation.dns_resolver", c.Validation.DNSResolver, ""},
		{"validation.allow_private", *c.Validation.AllowPrivate, false},
		{"validation.timeout", c.Validation.Timeout.Duration, 10 * time.Second},
		{"validation.always_valid", c.Validation.AlwaysValid, false},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
	}
	for _, ck := range checks {
		t.Run(ck.key, func(t *testing.T) {
			if ck.got != ck.want {
				t.Errorf("got %v, want %v", ck.got, ck.want)
			}
		})
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v, want nil", err)
	}
}

func TestDevDefaults(t *testing.T) {
	c, err := Parse([]byte(`{"dev": true, "data_dir": "/d"}`), "dev.json")
	if err != nil {
		t.Fatal(err)
	}
	if !*c.Database.MigrateOnStart || !*c.Validation.AllowPrivate {
		t.Errorf("got migrate_on_start %v, allow_private %v, want both true in dev", *c.Database.MigrateOnStart, *c.Validation.AllowPrivate)
	}
	if c.TLS.CertFile != "/d/tls/cert.pem" || c.TLS.KeyFile != "/d/tls/key.pem" || !c.TLSGenerated() {
		t.Errorf("got tls %+v (generated %v), want /d/tls/{cert,key}.pem generated", c.TLS, c.TLSGenerated())
	}
	// Explicit values win over dev's defaults.
	c, err = Parse([]byte(`{"dev": true, "database": {"migrate_on_start": false}, "validation": {"allow_private": false}, "tls": {"cert_file": "c.pem", "key_file": "k.pem"}}`), "dev.json")
	if err != nil {
		t.Fatal(err)
	}
	if *c.Database.MigrateOnStart || *c.Validation.AllowPrivate || c.TLS.CertFile != "c.pem" || c.TLSGenerated() {
		t.Errorf("got %v %v %+v, want the explicit values", *c.Database.MigrateOnStart, *c.Validation.AllowPrivate, c.TLS)
	}
}

func TestExampleLoads(t *testing.T) {
	c, err := Load("example.json")
	if err != nil {
		t.Fatalf("Load(example.json): %v", err)
	}
	if c.Database.Driver != "postgres" || c.BaseURL != "https://acme.example.com" || c.Validation.Timeout.Duration != 10*time.Second {
		t.Errorf("got %+v, want the example's values", c)
	}
	// The example is complete: it sets every key.
	raw, err := os.ReadFile("example.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range allKeys(reflect.TypeFor[Config](), "") {
		var v any = m
		for _, part := range strings.Split(key, ".") {
			obj, _ := v.(map[string]any)
			v = obj[part]
		}
		if v == nil {
			t.Errorf("example.json does not set %s", key)
		}
	}
}

func TestLoadEmptyObjectIsDefault(t *testing.T) {
	c, err := Load(writeFile(t, "kakuin.json", "{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *c, *Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestLoadFileErrors(t *testing.T) {
	if _, err := Load(""); err == nil {
		t.Errorf("Load(\"\"): got nil, want an error")
	}
	_, err := Load(filepath.Join(t.TempDir(), "missing.json"))
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("got %v, want an error naming the file", err)
	}
	big := writeFile(t, "big.json", `{"listen": "`+strings.Repeat("x", MaxFileSize)+`"}`)
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("got %v, want a size error", err)
	}
}

// TestParseProblems checks strict decoding: each input has one problem,
// reported with its key, line and a message.
func TestParseProblems(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		key     string
		line    int
		message string
	}{
		{"unknown top-level key", "{\n  \"listn\": \"x:1\"\n}", "listn", 2, `unknown key (did you mean "listen"?)`},
		{"unknown nested key", "{\"acme\": {\n\"max_name\": 3}}", "acme.max_name", 2, `unknown key (did you mean "max_names"?)`},
		{"unknown key far from any", `{"frobnicate": 1}`, "frobnicate", 1, "unknown key"},
		{"key in wrong case", `{"Listen": "x:1"}`, "Listen", 1, `did you mean "listen"?`},
		{"camelCase key", `{"database": {"maxConns": 3}}`, "database.maxConns", 1, `did you mean "max_conns"?`},
		{"unknown section", `{"metrics": {"listen": ":9090"}}`, "metrics", 1, "unknown key"},
		{"duplicate key", "{\"listen\": \"a:1\",\n\"listen\": \"b:2\"}", "listen", 2, "duplicate key"},
		{"string wanted", `{"listen": 14000}`, "listen", 1, "got the number 14000, want a string"},
		{"bool wanted", `{"dev": "yes"}`, "dev", 1, `got the string "yes", want true or false`},
		{"integer wanted", `{"database": {"max_conns": "16"}}`, "database.max_conns", 1, "want a whole number"},
		{"fraction for integer", `{"database": {"max_conns": 1.5}}`, "database.max_conns", 1, "got 1.5, want a whole number"},
		{"huge integer", `{"acme": {"max_names": 1e20}}`, "acme.max_names", 1, "want a whole number"},
		{"object wanted", `{"database": "sqlite"}`, "database", 1, "want an object"},
		{"list wanted", `{"acme": {"caa_identities": "example.com"}}`, "acme.caa_identities", 1, "want a list"},
		{"list of strings wanted", `{"acme": {"caa_identities": ["a.example", 3]}}`, "acme.caa_identities[1]", 1, "want a string"},
		{"null", `{"listen": null}`, "listen", 1, "leave the key out"},
		{"duration as number", `{"validation": {"timeout": 10}}`, "validation.timeout", 1, `got the number 10; durations are strings with a unit, e.g. "10s"`},
		{"duration as float", `{"acme": {"nonce_lifetime": 0.5}}`, "acme.nonce_lifetime", 1, "durations are strings"},
		{"bad duration", `{"acme": {"order_lifetime": "7 days"}}`, "acme.order_lifetime", 1, `"7 days" is not a duration`},
		{"duration without unit", `{"acme": {"order_lifetime": "168"}}`, "acme.order_lifetime", 1, "is not a duration"},
		{"duration as object", `{"validation": {"timeout": {"s": 1}}}`, "validation.timeout", 1, "want a duration string"},
		{"trailing object", "{}\n{}", "(file)", 2, "unexpected data after the configuration object"},
		{"trailing garbage", "{\"dev\": true}\ngarbage", "(file)", 2, "unexpected data after the configuration object"},
		{"trailing bracket", "{\"dev\": true}}", "(file)", 1, "unexpected data after the configuration object"},
		{"trailing comma", "{\n\"dev\": true,\n}", "(file)", 3, "trailing comma"},
		{"comment", "{\n// development\n\"dev\": true}", "(file)", 2, "JSON has no comments"},
		{"truncated", "{\"acme\": {\"max_names\": 3", "(file)", 1, "ends inside"},
		{"not an object", `["listen"]`, "(file)", 1, "want a JSON object"},
		{"empty file", "", "(file)", 1, "the file is empty"},
		{"whitespace only", "  \n ", "(file)", 1, "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.in), "kakuin.json")
			if c != nil {
				t.Errorf("got a config, want nil")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want *Error", err)
			}
			if len(e.Problems) != 1 {
				t.Fatalf("got problems %v, want exactly 1", e.Problems)
			}
			p := e.Problems[0]
			if p.Key != tt.key || p.Line != tt.line || !strings.Contains(p.Message, tt.message) {
				t.Errorf("got %s, want key %s line %d with %q", p, tt.key, tt.line, tt.message)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "config: kakuin.json: ") || !strings.Contains(msg, tt.key) {
				t.Errorf("got %q, want it to name the file and the key", msg)
			}
		})
	}
}

func TestParseReportsAllProblems(t *testing.T) {
	_, err := Parse([]byte(`{"listn": "x", "dev": 1, "validation": {"timeout": 10, "portt": 80}}`), "k.json")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Error", err)
	}
	want := []string{"listn", "dev", "validation.timeout", "validation.portt"}
	for _, k := range want {
		if !e.Has(k) {
			t.Errorf("got %v, want a problem with %s", e.Problems, k)
		}
	}
	if !strings.Contains(err.Error(), "4 problems:\n\t") {
		t.Errorf("got %q, want one problem per line", err)
	}
}

func TestParseBOM(t *testing.T) {
	if _, err := Parse([]byte("\xef\xbb\xbf{\"dev\": true}"), "bom.json"); err != nil {
		t.Errorf("got %v, want a BOM tolerated", err)
	}
}
