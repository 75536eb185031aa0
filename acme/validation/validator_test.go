package validation

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/internal/testdns"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{"defaults with resolver", Options{Resolver: "127.0.0.1:53"}, false},
		{"IPv6 resolver", Options{Resolver: "[::1]:53"}, false},
		{"resolver without port", Options{Resolver: "127.0.0.1"}, true},
		{"HTTP port out of range", Options{Resolver: "127.0.0.1:53", HTTPPort: 70000}, true},
		{"negative TLS-ALPN port", Options{Resolver: "127.0.0.1:53", TLSALPNPort: -1}, true},
		{"negative timeout", Options{Resolver: "127.0.0.1:53", Timeout: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: got error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if v.opts.HTTPPort != DefaultHTTPPort || v.opts.TLSALPNPort != DefaultTLSALPNPort ||
				v.opts.Timeout != DefaultTimeout || v.opts.UserAgent != DefaultUserAgent || v.log == nil {
				t.Errorf("defaults: got %+v, want ports 80/443, timeout %v, user agent %q", v.opts, DefaultTimeout, DefaultUserAgent)
			}
		})
	}
}

func TestDefaultResolver(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		conf    string
		want    string
		wantErr bool
	}{
		{"first nameserver", "search example.test\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n", "192.0.2.53:53", false},
		{"IPv6 nameserver", "nameserver 2001:db8::53\n", "[2001:db8::53]:53", false},
		{"no nameserver", "search example.test\n", "", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "resolv.conf."+string(rune('a'+i)))
			if err := os.WriteFile(path, []byte(tt.conf), 0o600); err != nil {
				t.Fatalf("write: %v", err)
			}
			got, err := defaultResolver(path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("defaultResolver: got error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("defaultResolver: got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		if _, err := defaultResolver(filepath.Join(dir, "absent")); err == nil {
			t.Errorf("defaultResolver: got nil error, want one")
		}
	})
}

func TestValidateBadInput(t *testing.T) {
	dns := testdns.StartT(t)
	dns.SetDefaultA("127.0.0.1")
	v := newValidator(t, dns, Options{AllowPrivate: true})
	tests := []struct {
		name       string
		typ        string
		ident      string
		token      string
		keyAuth    string
		wantType   string
		wantDetail string
	}{
		{"unknown challenge type", "foo-01", "example.test", testToken, testKeyAuth, ProblemMalformed, `unsupported challenge type "foo-01"`},
		{"empty challenge type", "", "example.test", testToken, testKeyAuth, ProblemMalformed, "unsupported challenge type"},
		{"token with a slash", ChallengeHTTP01, "example.test", "../etc", "../etc.x", ProblemMalformed, "invalid challenge token"},
		{"empty token", ChallengeDNS01, "example.test", "", "." + testThumb, ProblemMalformed, "invalid challenge token"},
		{"key authorization for another token", ChallengeHTTP01, "example.test", testToken, "other." + testThumb, ProblemMalformed, "invalid key authorization"},
		{"key authorization without thumbprint", ChallengeDNS01, "example.test", testToken, testToken + ".", ProblemMalformed, "invalid key authorization"},
		{"thumbprint not base64url", ChallengeDNS01, "example.test", testToken, testToken + ".a+b", ProblemMalformed, "invalid key authorization"},
		{"empty name", ChallengeDNS01, "", testToken, testKeyAuth, ProblemRejectedIdentifier, "invalid DNS name"},
		{"single label", ChallengeHTTP01, "localhost", testToken, testKeyAuth, ProblemRejectedIdentifier, "not a fully qualified"},
		{"label too long", ChallengeTLSALPN01, strings.Repeat("a", 64) + ".test", testToken, testKeyAuth, ProblemRejectedIdentifier, "bad label"},
		{"leading hyphen", ChallengeDNS01, "-bad.test", testToken, testKeyAuth, ProblemRejectedIdentifier, "bad label"},
		{"empty label", ChallengeDNS01, "a..test", testToken, testKeyAuth, ProblemRejectedIdentifier, "bad label"},
		{"IPv6 literal", ChallengeHTTP01, "::1", testToken, testKeyAuth, ProblemRejectedIdentifier, "is an IP address"},
		{"wildcard tls-alpn-01", ChallengeTLSALPN01, "*.example.test", testToken, testKeyAuth, ProblemRejectedIdentifier, "only be validated with dns-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Validate(t.Context(), tt.typ, tt.ident, tt.token, tt.keyAuth)
			checkProblem(t, err, tt.wantType, tt.wantDetail)
		})
	}
}

func TestErrorMethods(t *testing.T) {
	cause := context.Canceled
	err := error(problemCause(cause, ProblemConnection, "canceled %s", "fetching x"))
	var perr interface{ ProblemType() string }
	if !errors.As(err, &perr) {
		t.Fatalf("errors.As ProblemType: got false, want true")
	}
	if got := perr.ProblemType(); got != ProblemConnection {
		t.Errorf("ProblemType: got %q, want %q", got, ProblemConnection)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(err, context.Canceled): got false, want true")
	}
	if got, want := err.Error(), "validation: canceled fetching x"; got != want {
		t.Errorf("Error: got %q, want %q", got, want)
	}
	var cd interface{ ClientDetail() string }
	if !errors.As(err, &cd) {
		t.Fatalf("errors.As ClientDetail: got false, want true")
	}
	if got, want := cd.ClientDetail(), "canceled fetching x"; got != want {
		t.Errorf("ClientDetail: got %q, want %q", got, want)
	}
}
