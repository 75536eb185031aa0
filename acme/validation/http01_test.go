package validation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/testdns"
)

// http01Env is an http-01 responder on loopback, in plain HTTP and HTTPS,
// whose behaviour depends on the Host it is asked for.
type http01Env struct {
	dns        *testdns.Server
	plain, tls *httptest.Server
	v          *Validator
}

func newHTTP01Env(t *testing.T) *http01Env {
	t.Helper()
	e := &http01Env{dns: testdns.StartT(t)}
	e.dns.SetDefaultA("127.0.0.1")
	e.plain = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.plain.Close)
	e.tls = httptest.NewTLSServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.tls.Close)
	e.v = newValidator(t, e.dns, Options{
		HTTPPort:     port(t, e.plain.URL),
		TLSALPNPort:  port(t, e.tls.URL),
		AllowPrivate: true,
	})
	return e
}

// serve answers by host: the first label of Host picks the behaviour.
func (e *http01Env) serve(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	label, _, _ := strings.Cut(host, ".")
	httpPort, tlsPort := e.v.opts.HTTPPort, e.v.opts.TLSALPNPort
	wantPath := "/.well-known/acme-challenge/" + testToken
	switch label {
	case "good":
		if r.URL.Path != wantPath || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, testKeyAuth)
	case "whitespace":
		fmt.Fprint(w, testKeyAuth+" \r\n\t\n")
	case "wrong":
		fmt.Fprint(w, "not-the-key-authorization")
	case "big":
		fmt.Fprint(w, strings.Repeat("x", 200<<10))
	case "missing":
		http.NotFound(w, r)
	case "redirect":
		http.Redirect(w, r, fmt.Sprintf("http://good.test:%d%s", httpPort, wantPath), http.StatusFound)
	case "relative":
		if r.URL.Path == wantPath {
			http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
			return
		}
		fmt.Fprint(w, testKeyAuth)
	case "tohttps":
		http.Redirect(w, r, fmt.Sprintf("https://good.test:%d%s", tlsPort, wantPath), http.StatusTemporaryRedirect)
	case "tohttpsplain":
		// https to the plain HTTP port: the TLS handshake fails.
		http.Redirect(w, r, fmt.Sprintf("https://good.test:%d%s", httpPort, wantPath), http.StatusFound)
	case "noport":
		// No port: the configured port of the scheme is used.
		http.Redirect(w, r, "http://good.test"+wantPath, http.StatusFound)
	case "badport":
		http.Redirect(w, r, fmt.Sprintf("http://good.test:%d%s", httpPort+1, wantPath), http.StatusFound)
	case "toip":
		http.Redirect(w, r, fmt.Sprintf("http://127.0.0.1:%d%s", httpPort, wantPath), http.StatusFound)
	case "ftp":
		http.Redirect(w, r, "ftp://good.test/file", http.StatusFound)
	case "nolocation":
		w.WriteHeader(http.StatusFound)
	case "chain10", "chain11":
		// chainN redirects N times, then serves the key authorization.
		var n, max int
		fmt.Sscanf(r.URL.Query().Get("n"), "%d", &n)
		fmt.Sscanf(strings.TrimPrefix(label, "chain"), "%d", &max)
		if n < max {
			http.Redirect(w, r, fmt.Sprintf("%s?n=%d", wantPath, n+1), http.StatusFound)
			return
		}
		fmt.Fprint(w, testKeyAuth)
	case "loop":
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	default:
		http.Error(w, "unknown test host "+host, http.StatusInternalServerError)
	}
}

func TestHTTP01(t *testing.T) {
	e := newHTTP01Env(t)
	tests := []struct {
		name       string
		host       string
		wantType   string
		wantDetail string
	}{
		{"correct body", "good.test", "", ""},
		{"upper-case name", "GOOD.test", "", ""},
		{"trailing whitespace ignored", "whitespace.test", "", ""},
		{"wrong body", "wrong.test", ProblemIncorrectResponse, `key authorization mismatch: got "not-the-key-authorization"`},
		{"oversized body", "big.test", ProblemIncorrectResponse, "key authorization mismatch"},
		{"404", "missing.test", ProblemUnauthorized, fmt.Sprintf("http://missing.test:%d/.well-known/acme-challenge/%s returned 404", e.v.opts.HTTPPort, testToken)},
		{"redirect to another host", "redirect.test", "", ""},
		{"relative redirect", "relative.test", "", ""},
		{"redirect to https", "tohttps.test", "", ""},
		{"redirect to https on a plain HTTP server", "tohttpsplain.test", ProblemTLS, "TLS error fetching https://good.test:"},
		{"redirect without port uses the configured port", "noport.test", "", ""},
		{"redirect to forbidden port", "badport.test", ProblemConnection, "is not allowed"},
		{"redirect to IP address", "toip.test", ProblemConnection, "IP address 127.0.0.1 is not allowed"},
		{"redirect to ftp", "ftp.test", ProblemConnection, "only http and https"},
		{"redirect without Location", "nolocation.test", ProblemConnection, "without a Location"},
		{"10 redirects", "chain10.test", "", ""},
		{"11 redirects", "chain11.test", ProblemConnection, "too many redirects"},
		{"redirect loop", "loop.test", ProblemConnection, "too many redirects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.v.Validate(t.Context(), ChallengeHTTP01, tt.host, testToken, testKeyAuth)
			checkProblem(t, err, tt.wantType, tt.wantDetail)
		})
	}
}

func TestHTTP01Network(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(dns *testdns.Server)
		httpPort   func(t *testing.T) int
		host       string
		wantType   string
		wantDetail string
	}{
		{
			name:       "nothing listening",
			setup:      func(dns *testdns.Server) { dns.SetA("closed.test", "127.0.0.1") },
			httpPort:   freePort,
			host:       "closed.test",
			wantType:   ProblemConnection,
			wantDetail: "connection refused by 127.0.0.1:",
		},
		{
			name:       "NXDOMAIN",
			setup:      func(dns *testdns.Server) {},
			httpPort:   freePort,
			host:       "unknown.test",
			wantType:   ProblemDNS,
			wantDetail: "NXDOMAIN looking up A for unknown.test",
		},
		{
			name:       "name without addresses",
			setup:      func(dns *testdns.Server) { dns.SetTXT("txtonly.test", "x") },
			httpPort:   freePort,
			host:       "txtonly.test",
			wantType:   ProblemDNS,
			wantDetail: "no A or AAAA records for txtonly.test",
		},
		{
			name:       "wildcard name",
			setup:      func(dns *testdns.Server) {},
			httpPort:   freePort,
			host:       "*.example.test",
			wantType:   ProblemRejectedIdentifier,
			wantDetail: "only be validated with dns-01",
		},
		{
			name:       "IP address identifier",
			setup:      func(dns *testdns.Server) {},
			httpPort:   freePort,
			host:       "127.0.0.1",
			wantType:   ProblemRejectedIdentifier,
			wantDetail: "is an IP address",
		},
		{
			name:       "invalid name",
			setup:      func(dns *testdns.Server) {},
			httpPort:   freePort,
			host:       "bad_name.test",
			wantType:   ProblemRejectedIdentifier,
			wantDetail: "invalid DNS name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dns := testdns.StartT(t)
			tt.setup(dns)
			v := newValidator(t, dns, Options{HTTPPort: tt.httpPort(t), AllowPrivate: true})
			err := v.Validate(t.Context(), ChallengeHTTP01, tt.host, testToken, testKeyAuth)
			checkProblem(t, err, tt.wantType, tt.wantDetail)
		})
	}
}

func TestHTTP01Cancel(t *testing.T) {
	dns := testdns.StartT(t)
	dns.SetDefaultA("127.0.0.1")
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done() // hang until the validator gives up
	}))
	t.Cleanup(srv.Close)

	t.Run("context canceled", func(t *testing.T) {
		v := newValidator(t, dns, Options{HTTPPort: port(t, srv.URL), AllowPrivate: true})
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-arrived
			cancel()
		}()
		err := v.Validate(ctx, ChallengeHTTP01, "hang.test", testToken, testKeyAuth)
		checkProblem(t, err, ProblemConnection, "canceled")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errors.Is(err, context.Canceled): got false, want true (err %v)", err)
		}
	})
	t.Run("attempt timeout", func(t *testing.T) {
		v := newValidator(t, dns, Options{HTTPPort: port(t, srv.URL), AllowPrivate: true, Timeout: time.Second})
		err := v.Validate(t.Context(), ChallengeHTTP01, "hang.test", testToken, testKeyAuth)
		checkProblem(t, err, ProblemConnection, "timed out fetching")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(err, context.DeadlineExceeded): got false, want true (err %v)", err)
		}
	})
}
