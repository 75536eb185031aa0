package ca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/linttest"
)

// testNow is the fixed clock of the CA tests.
var testNow = time.Date(2026, time.November, 25, 10, 30, 15, 123456789, time.UTC)

func testClock() time.Time { return testNow }

const testBaseURL = "http://ca.example.com"

// memStore is an in-test ca.Store backed by a map. It lints every OCSP
// responder certificate recorded in it (linttest.EndEntity) when t is set.
type memStore struct {
	t       testing.TB
	mu      sync.Mutex
	serials map[string]string // serial -> issuer id
	// collide makes the next collide calls report ErrSerialExists.
	collide int
	calls   int
	err     error
	// responders are the recorded OCSP responder certificates.
	responders []ResponderCertificate
}

// newMemStore returns an empty store whose responder certificates are
// linted and reported to t.
func newMemStore(t testing.TB) *memStore {
	return &memStore{t: t, serials: make(map[string]string)}
}

func (s *memStore) ReserveSerial(_ context.Context, serial, issuerID string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return s.err
	}
	if s.collide > 0 {
		s.collide--
		return ErrSerialExists
	}
	if _, ok := s.serials[serial]; ok {
		return ErrSerialExists
	}
	s.serials[serial] = issuerID
	return nil
}

func (s *memStore) RecordResponderCertificate(_ context.Context, c ResponderCertificate) error {
	if s.t != nil {
		linttest.Certificate(s.t, c.DER, linttest.EndEntity)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.serials[c.Serial] != c.IssuerID {
		return ErrInvalidRequest
	}
	s.responders = append(s.responders, c)
	return nil
}

func (s *memStore) reserved() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.serials)
}

var _ Store = (*memStore)(nil)

// initCA creates a hierarchy of keyType in a fresh directory.
func initCA(t testing.TB, keyType string) string {
	t.Helper()
	dir := t.TempDir() + "/ca"
	if err := Init(InitOptions{Dir: dir, KeyType: keyType, BaseURL: testBaseURL, Clock: testClock}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	lintCADir(t, dir)
	return dir
}

// lintCADir lints the CA certificates Init wrote into dir.
func lintCADir(t testing.TB, dir string) {
	t.Helper()
	for _, id := range []string{IssuerRoot, IssuerOV, IssuerEV} {
		data, err := os.ReadFile(filepath.Join(dir, id+".pem"))
		if err != nil {
			t.Fatal(err)
		}
		linttest.PEM(t, data)
	}
}

// loadCA loads dir with a fresh memStore and a CRL URL per issuer.
func loadCA(t testing.TB, dir string) (*Authority, *memStore) {
	t.Helper()
	return loadCAWith(t, dir, nil)
}

// noOCSP turns OCSP off, for tests that count serials or signatures of
// leaves alone.
func noOCSP(o *Options) { o.OCSPURL = "" }

// loadCAWith is loadCA with options changed by edit.
func loadCAWith(t testing.TB, dir string, edit func(*Options)) (*Authority, *memStore) {
	t.Helper()
	store := newMemStore(t)
	opts := Options{Dir: dir, Store: store, BaseURL: testBaseURL, Clock: testClock, CRLShards: testCRLShards,
		OCSPURL: testBaseURL + "/ocsp"}
	if edit != nil {
		edit(&opts)
	}
	a, err := Load(opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return a, store
}

// testCRLShards is the CRL partition count of the test CAs.
const testCRLShards = 4

// sharedDir holds hierarchies shared by tests that only read them.
var sharedDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kakuin-ca-test")
	if err != nil {
		panic(err)
	}
	sharedDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	sharedMu   sync.Mutex
	sharedDirs = map[string]string{}
)

// sharedCA returns a hierarchy of keyType created once per test binary.
func sharedCA(t testing.TB, keyType string) string {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if dir, ok := sharedDirs[keyType]; ok {
		return dir
	}
	dir := filepath.Join(sharedDir, keyType)
	if err := Init(InitOptions{Dir: dir, KeyType: keyType, BaseURL: testBaseURL, Clock: testClock}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	lintCADir(t, dir)
	sharedDirs[keyType] = dir
	return dir
}

func leafKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "p256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "rsa2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("unknown leaf key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ovRequest(pub crypto.PublicKey, names ...string) Request {
	return Request{
		Profile:   ProfileOV,
		PublicKey: pub,
		Names:     names,
		Subject: Subject{
			Organization: "Example Kabushiki Kaisha",
			Country:      "JP",
			Province:     "Tokyo",
			Locality:     "Chiyoda-ku",
		},
	}
}

// issue is a.Issue as every test in this package issues: what a.Issue
// returns is linted with the test suite's linter (internal/linttest), the
// leaf with linttest.Subscriber (and linttest.Dev for a development CA)
// and its first OCSP response, so that no certificate the tests issue
// escapes zlint. TestIssueCallsGoThroughIssue keeps it the only caller.
func issue(t testing.TB, a *Authority, req Request) (*Issued, error) {
	t.Helper()
	got, err := a.Issue(context.Background(), req)
	if err != nil {
		return got, err
	}
	allow := []linttest.Allow{linttest.Subscriber}
	if a.dev {
		allow = append(allow, linttest.Dev)
	}
	linttest.Certificate(t, got.DER, allow...)
	if got.OCSP != nil {
		issuer := a.issuers[got.IssuerID].cert
		linttest.OCSPResponse(t, got.OCSP.SHA1, issuer)
		linttest.OCSPResponse(t, got.OCSP.SHA256, issuer)
	}
	return got, nil
}

// rdnAttr is one attribute of a parsed Name with its raw string type.
type rdnAttr struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// parseRDNs parses a DER Name keeping attribute order and string tags.
func parseRDNs(t testing.TB, raw []byte) [][]rdnAttr {
	t.Helper()
	var seq []asn1.RawValue
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) != 0 {
		t.Fatalf("parsing Name: %v", err)
	}
	out := make([][]rdnAttr, len(seq))
	for i, set := range seq {
		var attrs []rdnAttr
		if _, err := asn1.UnmarshalWithParams(set.FullBytes, &attrs, "set"); err != nil {
			t.Fatalf("parsing RDN %d: %v", i, err)
		}
		out[i] = attrs
	}
	return out
}
