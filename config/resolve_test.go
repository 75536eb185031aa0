package config

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// env returns a lookup function over m, as os.LookupEnv would be.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// resolve runs the command's sequence: register flags on a Default
// config, parse args, Resolve.
func resolve(t *testing.T, file string, environ map[string]string, args ...string) (*Config, error) {
	t.Helper()
	c := Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("config", "", "configuration file")
	RegisterFlags(fs, c)
	if file != "" {
		args = append([]string{"--config", writeFile(t, "kakuin.json", file)}, args...)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c, Resolve(c, *path, env(environ), fs)
}

func TestPrecedence(t *testing.T) {
	const file = `{"listen": "127.0.0.1:1001", "database": {"driver": "postgres", "dsn": "postgres://file/k"}, "validation": {"dns_resolver": "10.0.0.1:53"}}`
	tests := []struct {
		name     string
		file     string
		env      map[string]string
		args     []string
		listen   string
		dsn      string
		resolver string
	}{
		{"defaults", "", nil, nil, "127.0.0.1:14000", filepath.Join("kakuin-data", "kakuin.db"), ""},
		{"file over defaults", file, nil, nil, "127.0.0.1:1001", "postgres://file/k", "10.0.0.1:53"},
		{"env over file", file, map[string]string{"KAKUIN_LISTEN": "127.0.0.1:2002", "KAKUIN_DATABASE_DSN": "postgres://env/k"}, nil, "127.0.0.1:2002", "postgres://env/k", "10.0.0.1:53"},
		{"flags over env", file, map[string]string{"KAKUIN_LISTEN": "127.0.0.1:2002", "KAKUIN_DATABASE_DSN": "postgres://env/k"},
			[]string{"--listen", "127.0.0.1:3003", "--db-dsn", "postgres://flag/k", "--dns-resolver", "10.0.0.3:53"}, "127.0.0.1:3003", "postgres://flag/k", "10.0.0.3:53"},
		{"flags over file without env", file, nil, []string{"--listen=127.0.0.1:3003"}, "127.0.0.1:3003", "postgres://file/k", "10.0.0.1:53"},
		{"empty env is unset", file, map[string]string{"KAKUIN_LISTEN": ""}, nil, "127.0.0.1:1001", "postgres://file/k", "10.0.0.1:53"},
		{"env without file", "", map[string]string{"KAKUIN_DATABASE_DRIVER": "postgres", "KAKUIN_DATABASE_DSN": "postgres://env/k"}, nil, "127.0.0.1:14000", "postgres://env/k", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := resolve(t, tt.file, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen != tt.listen || c.Database.DSN != tt.dsn || c.Validation.DNSResolver != tt.resolver {
				t.Errorf("got listen %s dsn %s resolver %s, want %s %s %s", c.Listen, c.Database.DSN, c.Validation.DNSResolver, tt.listen, tt.dsn, tt.resolver)
			}
			if want := baseURLFor(tt.listen); c.BaseURL != want {
				t.Errorf("got base_url %s, want %s derived from listen", c.BaseURL, want)
			}
		})
	}
}

func TestDataDirDerivedPaths(t *testing.T) {
	tests := []struct {
		name             string
		file             string
		env              map[string]string
		args             []string
		dsn, caDir, cert string
	}{
		{"flag moves everything", `{}`, nil, []string{"--data", "/f"}, "/f/kakuin.db", "/f/ca", ""},
		{"flag over file data_dir", `{"data_dir": "/file"}`, nil, []string{"--data", "/f"}, "/f/kakuin.db", "/f/ca", ""},
		{"env data_dir", `{"data_dir": "/file"}`, map[string]string{"KAKUIN_DATA_DIR": "/e"}, nil, "/e/kakuin.db", "/e/ca", ""},
		{"flag over env data_dir", "", map[string]string{"KAKUIN_DATA_DIR": "/e"}, []string{"--data=/f"}, "/f/kakuin.db", "/f/ca", ""},
		{"dev TLS files follow", `{"dev": true}`, nil, []string{"--data", "/f"}, "/f/kakuin.db", "/f/ca", "/f/tls/cert.pem"},
		{"dev by flag", `{"data_dir": "/file"}`, nil, []string{"--dev"}, "/file/kakuin.db", "/file/ca", "/file/tls/cert.pem"},
		{"explicit dsn and ca dir stay", `{"database": {"dsn": "/db/k.db"}, "ca": {"dir": "/etc/kakuin/ca"}}`, nil, []string{"--data", "/f"}, "/db/k.db", "/etc/kakuin/ca", ""},
		{"explicit dsn equal to the default stays", `{"database": {"dsn": "kakuin-data/kakuin.db"}}`, nil, []string{"--data", "/f"}, "kakuin-data/kakuin.db", "/f/ca", ""},
		{"env dsn stays", "", map[string]string{"KAKUIN_DATABASE_DSN": "/env.db"}, []string{"--data", "/f"}, "/env.db", "/f/ca", ""},
		{"flag dsn stays", "", nil, []string{"--db-dsn", "/flag.db", "--data", "/f"}, "/flag.db", "/f/ca", ""},
		{"explicit TLS files stay in dev", `{"dev": true, "tls": {"cert_file": "/c.pem", "key_file": "/k.pem"}}`, nil, []string{"--data", "/f"}, "/f/kakuin.db", "/f/ca", "/c.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := resolve(t, tt.file, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if c.Database.DSN != tt.dsn || c.CA.Dir != tt.caDir || c.TLS.CertFile != tt.cert {
				t.Errorf("got dsn %s, ca.dir %s, cert %s, want %s, %s, %s", c.Database.DSN, c.CA.Dir, c.TLS.CertFile, tt.dsn, tt.caDir, tt.cert)
			}
		})
	}
}

// TestDerivedFollowAfterLoad checks the method sequence without Resolve:
// Load, then ApplyEnv and a direct change, then ApplyDefaults again.
func TestDerivedFollowAfterLoad(t *testing.T) {
	c, err := Load(writeFile(t, "k.json", `{"data_dir": "/a", "listen": "0.0.0.0:8443"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.DSN != "/a/kakuin.db" || c.BaseURL != "https://localhost:8443" || *c.Database.MigrateOnStart {
		t.Fatalf("got %s %s %v, want /a/kakuin.db https://localhost:8443 false", c.Database.DSN, c.BaseURL, *c.Database.MigrateOnStart)
	}
	if err := c.ApplyEnv(env(map[string]string{"KAKUIN_DATA_DIR": "/b", "KAKUIN_LISTEN": "[::]:9443"})); err != nil {
		t.Fatal(err)
	}
	c.Dev = true
	c.ApplyDefaults()
	if c.Database.DSN != "/b/kakuin.db" || c.CA.Dir != "/b/ca" || c.BaseURL != "https://localhost:9443" || !*c.Database.MigrateOnStart || !*c.Validation.AllowPrivate {
		t.Errorf("got %s %s %s %v %v, want everything derived afresh", c.Database.DSN, c.CA.Dir, c.BaseURL, *c.Database.MigrateOnStart, *c.Validation.AllowPrivate)
	}
	// Switching to postgres drops the derived SQLite path.
	c.Database.Driver = DriverPostgres
	c.ApplyDefaults()
	if c.Database.DSN != "" {
		t.Errorf("got dsn %q, want it cleared for postgres", c.Database.DSN)
	}
	var e *Error
	if err := c.Validate(); !errors.As(err, &e) || !e.Has("database.dsn") {
		t.Errorf("got %v, want a database.dsn problem", err)
	}
}

func TestProblemsNameTheirSource(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"env", map[string]string{"KAKUIN_DATABASE_DRIVER": "mysql"}, nil, "database.driver: must be one of sqlite, postgres, got \"mysql\" (set by environment variable KAKUIN_DATABASE_DRIVER)"},
		{"flag", nil, []string{"--listen", "nowhere"}, "(set by flag --listen)"},
		{"flag over env", map[string]string{"KAKUIN_LISTEN": "x"}, []string{"--listen", "y"}, `got "y" (set by flag --listen)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolve(t, "", tt.env, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestResolveFileProblem(t *testing.T) {
	_, err := resolve(t, `{"dev": true, "acme": {"allow_wildcard": true}}`, nil, "--dev")
	var e *Error
	if !errors.As(err, &e) || !e.Has("acme.allow_wildcard") || !strings.Contains(err.Error(), "kakuin.json") {
		t.Errorf("got %v, want the unknown key and the file named", err)
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(c *Config) bool
		wantErr string
	}{
		{"dev alone", []string{"--dev"}, func(c *Config) bool { return c.Dev }, ""},
		{"dev=false", []string{"--dev=false"}, func(c *Config) bool { return !c.Dev }, ""},
		{"ports", []string{"--http01-port", "5002", "--tlsalpn01-port=5001"}, func(c *Config) bool {
			return c.Validation.HTTP01Port == 5002 && c.Validation.TLSALPN01Port == 5001
		}, ""},
		{"driver and dsn", []string{"--db-driver", "postgres", "--db-dsn", "postgres://x/y"}, func(c *Config) bool {
			return c.Database.Driver == "postgres" && c.Database.DSN == "postgres://x/y"
		}, ""},
		{"resolver and listen and data", []string{"--dns-resolver", "127.0.0.1:8053", "--listen", ":1", "--data", "d"}, func(c *Config) bool {
			return c.Validation.DNSResolver == "127.0.0.1:8053" && c.Listen == ":1" && c.DataDir == "d"
		}, ""},
		{"port zero", []string{"--http01-port", "0"}, nil, "want a port number 1-65535"},
		{"port word", []string{"--tlsalpn01-port", "https"}, nil, "want a port number"},
		{"dev maybe", []string{"--dev=maybe"}, nil, "want true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			RegisterFlags(fs, c)
			err := fs.Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("got %+v, want the flags applied", c)
			}
		})
	}
}

func TestFlagHelpShowsDefaults(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	RegisterFlags(fs, Default())
	fs.PrintDefaults()
	for _, want := range []string{"-listen host:port", "(default 127.0.0.1:14000)", "(default 80)", "(default ./kakuin-data)", "-dev\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help %q lacks %q", out.String(), want)
		}
	}
	if strings.Contains(out.String(), "(default false)") {
		t.Errorf("help %q shows a false bool default", out.String())
	}
}

func TestApplyEnvRefusesControlCharacters(t *testing.T) {
	c := Default()
	err := c.ApplyEnv(env(map[string]string{"KAKUIN_DATABASE_DSN": "postgres://k:s3cret@db/k\n", "KAKUIN_LISTEN": "127.0.0.1:1"}))
	if err == nil || !strings.Contains(err.Error(), "KAKUIN_DATABASE_DSN contains a control character") {
		t.Fatalf("got %v, want the variable named", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("got %q, want the value (a password) left out", err)
	}
	if c.Listen != "127.0.0.1:1" || strings.Contains(c.Database.DSN, "s3cret") {
		t.Errorf("got listen %s dsn %s, want the good variable applied and the bad one not", c.Listen, c.Database.DSN)
	}
}

// TestReadLayersLikeResolve checks Read, for commands that apply their own
// flags: nothing is defaulted or validated until they ask.
func TestReadLayersLikeResolve(t *testing.T) {
	c, err := Read(writeFile(t, "k.json", `{"validation": {"http01_port": 5002}, "database": {"driver": "postgres"}}`))
	if err != nil {
		t.Fatalf("got %v, want no validation yet", err)
	}
	if c.Listen != "" || c.Database.DSN != "" {
		t.Errorf("got %q %q, want no defaults yet", c.Listen, c.Database.DSN)
	}
	if err := c.ApplyEnv(env(map[string]string{"KAKUIN_DATABASE_DSN": "postgres://env/k"})); err != nil {
		t.Fatal(err)
	}
	c.Dev = true // a flag
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Errorf("got %v, want valid after env and flags", err)
	}
	if _, err := Read(writeFile(t, "k.json", `{"listn": 1}`)); err == nil || !strings.Contains(err.Error(), "listn") {
		t.Errorf("got %v, want the unknown key", err)
	}
}
