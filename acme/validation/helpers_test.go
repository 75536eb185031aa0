package validation

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/internal/testdns"
)

const (
	testToken   = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
	testThumb   = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
	testKeyAuth = testToken + "." + testThumb
)

// newValidator returns a Validator resolving through dnsSrv that may connect
// to loopback addresses when allowPrivate.
func newValidator(t *testing.T, dnsSrv *testdns.Server, opts Options) *Validator {
	t.Helper()
	opts.Resolver = dnsSrv.Addr()
	v, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// port returns the port of a "host:port" address or URL.
func port(t *testing.T, addr string) int {
	t.Helper()
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "http://"), "https://")
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("split %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("port %q: %v", p, err)
	}
	return n
}

// freePort returns a 127.0.0.1 TCP port nothing listens on (it was free a
// moment ago).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := port(t, ln.Addr().String())
	ln.Close()
	return p
}

// checkProblem fails t unless err is nil when wantType is "", or an *Error of
// wantType whose detail contains wantDetail.
func checkProblem(t *testing.T, err error, wantType, wantDetail string) {
	t.Helper()
	if wantType == "" {
		if err != nil {
			t.Errorf("Validate: got %v, want nil", err)
		}
		return
	}
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("Validate: got %v (%T), want *Error of type %q", err, err, wantType)
	}
	if perr.ProblemType() != wantType {
		t.Errorf("problem type: got %q (%s), want %q", perr.ProblemType(), perr.Detail, wantType)
	}
	if !strings.Contains(perr.Detail, wantDetail) {
		t.Errorf("detail: got %q, want it to contain %q", perr.Detail, wantDetail)
	}
}
