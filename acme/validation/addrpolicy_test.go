package validation

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kakuin/kakuin/internal/testdns"
)

func TestForbiddenReason(t *testing.T) {
	tests := []struct {
		ip          string
		want        string // "" means allowed without AllowPrivate
		allowedWith bool   // allowed with AllowPrivate
	}{
		{"127.0.0.1", "a loopback address", true},
		{"127.255.0.9", "a loopback address", true},
		{"10.1.2.3", "a private address (RFC 1918)", true},
		{"172.16.0.1", "a private address (RFC 1918)", true},
		{"172.31.255.255", "a private address (RFC 1918)", true},
		{"192.168.1.1", "a private address (RFC 1918)", true},
		{"100.64.0.1", "a shared (CGNAT) address (RFC 6598)", true},
		{"169.254.169.254", "a link-local address", true},
		{"0.0.0.0", "the unspecified address", false},
		{"0.1.2.3", `a "this network" address (RFC 1122)`, true},
		{"255.255.255.255", "the broadcast address", false},
		{"224.0.0.1", "a multicast address", false},
		{"192.0.2.10", "a documentation address (RFC 5737)", true},
		{"198.51.100.1", "a documentation address (RFC 5737)", true},
		{"203.0.113.1", "a documentation address (RFC 5737)", true},
		{"198.18.0.1", "a benchmarking address (RFC 2544)", true},
		{"240.0.0.1", "a reserved address (RFC 1112)", true},
		{"::1", "a loopback address", true},
		{"::", "the unspecified address", false},
		{"fe80::1", "a link-local address", true},
		{"fd00::1", "a unique local address (RFC 4193)", true},
		{"fc12::1", "a unique local address (RFC 4193)", true},
		{"ff02::1", "a multicast address", false},
		{"2001:db8::1", "a documentation address (RFC 3849)", true},
		{"3fff::1", "a documentation address (RFC 9637)", true},
		{"::ffff:127.0.0.1", "a loopback address (IPv4-mapped)", true},
		{"::ffff:10.0.0.1", "a private address (RFC 1918) (IPv4-mapped)", true},
		{"::ffff:ffff:ffff", "the broadcast address (IPv4-mapped)", false},
		{"64:ff9b::a00:1", "a private address (RFC 1918) (NAT64)", true},
		{"::127.0.0.1", "an IPv4-compatible address (deprecated, RFC 4291)", true},
		{"fe80::1%eth0", "a link-local address", true},
		// Public addresses.
		{"8.8.8.8", "", true},
		{"172.32.0.1", "", true},
		{"100.128.0.1", "", true},
		{"2606:4700::1111", "", true},
		{"::ffff:8.8.8.8", "", true},
		{"64:ff9b::808:808", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.ip)
			if got := forbiddenReason(ip, false); got != tt.want {
				t.Errorf("forbiddenReason(%s, false): got %q, want %q", ip, got, tt.want)
			}
			got := forbiddenReason(ip, true)
			if allowed := got == ""; allowed != tt.allowedWith {
				t.Errorf("forbiddenReason(%s, true): got %q, want allowed=%v", ip, got, tt.allowedWith)
			}
		})
	}
}

// TestPrivateRefused checks that with AllowPrivate false no challenge type
// connects to a private address, even when a server listens there.
func TestPrivateRefused(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(testKeyAuth))
	}))
	t.Cleanup(srv.Close)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	t.Cleanup(tlsSrv.Close)

	dns := testdns.StartT(t)
	dns.SetA("loopback.test", "127.0.0.1")
	dns.SetA("rfc1918.test", "10.20.30.40")
	dns.SetAAAA("v6loopback.test", "::1")
	dns.SetAAAA("mapped.test", "::ffff:127.0.0.1")
	dns.SetA("both.test", "127.0.0.1")
	dns.SetAAAA("both.test", "fd00::1")
	v := newValidator(t, dns, Options{HTTPPort: port(t, srv.URL), TLSALPNPort: port(t, tlsSrv.URL)})

	tests := []struct {
		host       string
		wantDetail string
	}{
		{"loopback.test", "127.0.0.1 is a loopback address; validation to private addresses is not allowed"},
		{"rfc1918.test", "10.20.30.40 is a private address (RFC 1918); validation to private addresses is not allowed"},
		{"v6loopback.test", "::1 is a loopback address; validation to private addresses is not allowed"},
		{"mapped.test", "::ffff:127.0.0.1 is a loopback address (IPv4-mapped); validation to private"},
		{"both.test", "fd00::1 is a unique local address (RFC 4193)"},
	}
	for _, challenge := range []string{ChallengeHTTP01, ChallengeTLSALPN01} {
		for _, tt := range tests {
			t.Run(challenge+"/"+tt.host, func(t *testing.T) {
				err := v.Validate(t.Context(), challenge, tt.host, testToken, testKeyAuth)
				checkProblem(t, err, ProblemRejectedIdentifier, tt.wantDetail)
			})
		}
	}
	if got := hits.Load(); got != 0 {
		t.Errorf("requests that reached the servers: got %d, want 0", got)
	}
}

func TestCheckAddrDetail(t *testing.T) {
	err := checkAddr(netip.MustParseAddr("127.0.0.1"), false, ProblemConnection)
	if err == nil {
		t.Fatalf("checkAddr(127.0.0.1): got nil, want a problem")
	}
	if err.Type != ProblemConnection || !strings.HasPrefix(err.Detail, "127.0.0.1 is a loopback address") {
		t.Errorf("checkAddr(127.0.0.1): got %q %q, want connection and a loopback detail", err.Type, err.Detail)
	}
	if err := checkAddr(netip.MustParseAddr("8.8.8.8"), false, ProblemConnection); err != nil {
		t.Errorf("checkAddr(8.8.8.8): got %v, want nil", err)
	}
}
