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
	"slices"
	"sync"
	"testing"
	"time"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

// testNow is the fixed clock of the CA tests.
var testNow = time.Date(2026, time.November, 25, 10, 30, 15, 123456789, time.UTC)

func testClock() time.Time { return testNow }

const testBaseURL = "http://ca.example.com"

// memStore is an in-test ca.Store backed by a map.
type memStore struct {
	mu      sync.Mutex
	serials map[string]string // serial -> issuer id
	// collide makes the next collide calls report ErrSerialExists.
	collide int
	calls   int
	err     error
	// responders are the recorded OCSP responder certificates.
	responders []ResponderCertificate
}

func newMemStore() *memStore { return &memStore{serials: make(map[string]string)} }

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
	return dir
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
	store := newMemStore()
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

// assertZlintClean runs every zlint lint over der and fails on errors,
// fatals, and warnings not in allowed.
func assertZlintClean(t *testing.T, der []byte, allowed map[string]string) {
	t.Helper()
	c, err := zx509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("zcrypto parse: %v", err)
	}
	for name, r := range zlint.LintCertificate(c).Results {
		switch {
		case r.Status == lint.Error || r.Status == lint.Fatal:
			t.Errorf("zlint %s: got %v (%s), want pass", name, r.Status, r.Details)
		case r.Status == lint.Warn:
			if _, ok := allowed[name]; !ok {
				t.Errorf("zlint %s: got %v (%s), want pass", name, r.Status, r.Details)
			}
		}
	}
}

// rdnAttr is one attribute of a parsed Name with its raw string type.
type rdnAttr struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// parseRDNs parses a DER Name keeping attribute order and string tags.
func parseRDNs(t *testing.T, raw []byte) [][]rdnAttr {
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

// assertRDNOrder checks one attribute per RDN, in the given order.
func assertRDNOrder(t *testing.T, raw []byte, want []asn1.ObjectIdentifier) {
	t.Helper()
	rdns := parseRDNs(t, raw)
	var got []asn1.ObjectIdentifier
	for _, rdn := range rdns {
		if len(rdn) != 1 {
			t.Errorf("RDN with %d attributes, want 1", len(rdn))
		}
		for _, a := range rdn {
			got = append(got, a.Type)
		}
	}
	if !slices.EqualFunc(got, want, asn1.ObjectIdentifier.Equal) {
		t.Errorf("subject attribute order: got %v, want %v", got, want)
	}
}
