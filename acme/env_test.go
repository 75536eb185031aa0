package acme_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/acme/validation"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/linttest/lintca"
	"github.com/kakuin/kakuin/internal/pgtest"
	"github.com/kakuin/kakuin/internal/testdns"
	"github.com/kakuin/kakuin/ocsp"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// testTOS is the terms of service URL of the test directory.
const testTOS = "https://kakuin.example.com/tos"

// testEnv is a complete kakuin ACME deployment on 127.0.0.1: a real SQLite
// or PostgreSQL store, a real CA, the real vetting service with one
// organization and contract, the real validator pointed at a test DNS server
// that resolves every name to 127.0.0.1, and responders for http-01 and
// tls-alpn-01.
type testEnv struct {
	t         testing.TB
	dir       string // holds the SQLite file, if any, and the CA
	backend   string // store.DriverSQLite or store.DriverPostgres
	dsn       string // the store.Options.DSN of the database
	store     store.Backend
	vet       *vetting.Service
	authority *ca.Authority
	status    *ocsp.Service
	dns       *testdns.Server
	http01    *http01Responder
	alpn      *alpnResponder
	srv       *acme.Server
	ts        *httptest.Server
	baseURL   string
	contract  *vetting.Contract
	org       *vetting.Organization

	offset atomic.Int64 // clock offset in nanoseconds
}

// envOptions tunes newEnv.
type envOptions struct {
	policy acme.Policy
	// backend is the store driver: store.DriverSQLite (the default, "")
	// or store.DriverPostgres.
	backend string
	// shareWith, if set, makes the new environment a second server process
	// over the same database, CA and vetting data; backend is then ignored.
	shareWith *testEnv
	// registry receives the server's metrics; logs its log lines.
	registry prometheus.Registerer
	logs     io.Writer
	// wrapStore, if set, wraps the store the server uses (e.store stays
	// the real one), to inject failures into chosen calls.
	wrapStore func(acme.Store) acme.Store
	// wrapIssuer, if set, wraps the (linting) issuer the server uses, to
	// inject failures.
	wrapIssuer func(acme.Issuer) acme.Issuer
	// hold gives the server the vetting service itself, whose gate holds
	// what officers have not approved; by default the server's gate finds
	// everything approved (approvingVetting).
	hold bool
}

// now is the environment's clock: real time plus the offset tests set.
func (e *testEnv) now() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

// newEnv starts an environment and stops it when t ends.
func newEnv(t testing.TB, opts envOptions) *testEnv {
	t.Helper()
	ctx := context.Background()
	e := &testEnv{t: t}
	if sh := opts.shareWith; sh != nil {
		e.dir, e.backend, e.dsn = sh.dir, sh.backend, sh.dsn
		e.dns, e.http01, e.alpn = sh.dns, sh.http01, sh.alpn
		e.contract, e.org = sh.contract, sh.org
	} else {
		e.dir = t.TempDir()
		switch e.backend = opts.backend; e.backend {
		case "", store.DriverSQLite:
			e.backend = store.DriverSQLite
			e.dsn = filepath.Join(e.dir, "kakuin.db")
		case store.DriverPostgres:
			e.dsn = pgtest.NewDatabase(t)
		default:
			t.Fatalf("newEnv: unknown backend %q", opts.backend)
		}
		e.dns = testdns.StartT(t)
		e.dns.SetDefaultA("127.0.0.1")
		e.http01 = startHTTP01(t)
		e.alpn = startALPN(t)
	}
	st, err := store.Open(ctx, store.Options{Driver: e.backend, DSN: e.dsn})
	if err != nil {
		t.Fatalf("store.Open(%s): %v", e.backend, err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	e.store = st

	caDir := filepath.Join(e.dir, "ca")
	if opts.shareWith == nil {
		if err := ca.Init(ca.InitOptions{Dir: caDir, BaseURL: "http://ca.kakuin.example.com", KeyType: ca.KeyECDSAP256}); err != nil {
			t.Fatalf("ca.Init: %v", err)
		}
		lintca.Dir(t, caDir)
	}
	e.authority, err = ca.Load(ca.Options{Dir: caDir, Store: lintca.Store{Store: st, T: t}, BaseURL: "http://ca.kakuin.example.com",
		OCSPURL: "http://ca.kakuin.example.com/ocsp", CRLShards: 4, Clock: e.now})
	if err != nil {
		t.Fatalf("ca.Load: %v", err)
	}
	// Every certificate, OCSP response and CRL the server and the status
	// service have signed is linted (lint_test.go).
	linting := lintca.CA{Authority: e.authority, T: t}
	e.status, err = ocsp.NewService(ocsp.ServiceOptions{Store: st, Signer: linting, OCSP: true, CRLShards: 4})
	if err != nil {
		t.Fatalf("ocsp.NewService: %v", err)
	}
	// Like another process, a sharing environment has its own vetting
	// service on its own connections to the database.
	e.vet = vetting.New(vetting.Options{Store: st, Cases: st})
	addTestOfficers(t, e.vet)
	var gate acme.Vetting = &approvingVetting{Service: e.vet, db: st}
	if opts.hold {
		gate = e.vet
	}
	if opts.shareWith == nil {
		e.org, err = e.vet.CreateOrganization(ctx, vetting.OrganizationInput{
			Name: "Kakuin Test K.K.", Country: "JP", Province: "Tokyo-to", Locality: "Shibuya-ku",
		}, "test")
		if err != nil {
			t.Fatalf("CreateOrganization: %v", err)
		}
		e.contract = e.newContract(t)
	}
	val, err := validation.New(validation.Options{
		HTTPPort:     e.http01.port,
		TLSALPNPort:  e.alpn.port,
		Resolver:     e.dns.Addr(),
		AllowPrivate: true,
		Timeout:      5 * time.Second,
	})
	if err != nil {
		t.Fatalf("validation.New: %v", err)
	}

	logs := opts.logs
	if logs == nil {
		logs = io.Discard
	}
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	e.ts = ts
	e.baseURL = ts.URL
	var srvStore acme.Store = st
	if opts.wrapStore != nil {
		srvStore = opts.wrapStore(st)
	}
	var issuer acme.Issuer = linting
	if opts.wrapIssuer != nil {
		issuer = opts.wrapIssuer(linting)
	}
	e.srv, err = acme.New(acme.Options{
		Store:     srvStore,
		Vetting:   gate,
		Issuer:    issuer,
		Revoker:   e.status,
		Validator: val,
		BaseURL:   e.baseURL,
		Policy:    opts.policy,
		Meta: acme.Meta{
			TermsOfService: testTOS,
			Website:        "https://kakuin.example.com",
			CAAIdentities:  []string{"kakuin.example.com"},
		},
		Clock:      e.now,
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
		Registerer: opts.registry,
	})
	if err != nil {
		t.Fatalf("acme.New: %v", err)
	}
	ts.Config.Handler = e.srv.Handler()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return e
}

// newContract creates another active contract of the test organization.
func (e *testEnv) newContract(t testing.TB) *vetting.Contract {
	t.Helper()
	// Licenses enough for every name set a test orders; plans_test.go
	// checks the limits.
	c, err := e.vet.CreateContract(context.Background(), vetting.ContractInput{OrganizationID: e.org.ID, Slots: 1000}, "test")
	if err != nil {
		t.Fatalf("CreateContract: %v", err)
	}
	return c
}

// newEAB creates a fresh EAB credential of contract c.
func (e *testEnv) newEAB(t testing.TB, c *vetting.Contract) *vetting.EABCredential {
	t.Helper()
	cred, err := e.vet.CreateEAB(context.Background(), c.Code, "test")
	if err != nil {
		t.Fatalf("CreateEAB: %v", err)
	}
	return cred
}

// setContractStatus changes a contract's status as an operator does
// (kakuin contract suspend|resume|end).
func (e *testEnv) setContractStatus(t testing.TB, code, status string) {
	t.Helper()
	if err := e.vet.SetContractStatus(context.Background(), code, status, "test"); err != nil {
		t.Fatalf("SetContractStatus(%s, %s): %v", code, status, err)
	}
}

// directoryURL is the ACME directory of the environment.
func (e *testEnv) directoryURL() string { return e.baseURL + "/acme/directory" }

// client returns an x/crypto/acme client with key (a new P-256 key if nil).
func (e *testEnv) client(key crypto.Signer) *xacme.Client {
	if key == nil {
		key = newECKey(e.t, elliptic.P256())
	}
	return &xacme.Client{Key: key, DirectoryURL: e.directoryURL(), HTTPClient: e.ts.Client()}
}

// register creates an account for a new client with a fresh EAB
// credential of the environment's contract.
func (e *testEnv) register(t testing.TB, key crypto.Signer) *xacme.Client {
	t.Helper()
	return e.registerWith(t, key, e.newEAB(t, e.contract))
}

// registerWith creates an account with the given credential.
func (e *testEnv) registerWith(t testing.TB, key crypto.Signer, cred *vetting.EABCredential) *xacme.Client {
	t.Helper()
	c := e.client(key)
	_, err := c.Register(context.Background(), &xacme.Account{
		Contact:                []string{"mailto:admin@kakuin-test.example.com"},
		ExternalAccountBinding: &xacme.ExternalAccountBinding{KID: cred.KeyID, Key: cred.HMACKey},
	}, xacme.AcceptTOS)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return c
}

// accountOf returns the stored account of client c.
func (e *testEnv) accountOf(t testing.TB, c *xacme.Client) *acme.Account {
	t.Helper()
	id, ok := strings.CutPrefix(string(c.KID), e.baseURL+"/acme/acct/")
	if !ok {
		t.Fatalf("client KID %q is not an account URL", c.KID)
	}
	var n int64
	for _, ch := range id {
		n = n*10 + int64(ch-'0')
	}
	a, err := e.store.GetAccount(context.Background(), n)
	if err != nil {
		t.Fatalf("GetAccount(%d): %v", n, err)
	}
	return a
}

// fulfil publishes the response to ch for name.
func (e *testEnv) fulfil(t testing.TB, c *xacme.Client, ch *xacme.Challenge, name string) {
	t.Helper()
	switch ch.Type {
	case acme.ChallengeHTTP01:
		ka, err := c.HTTP01ChallengeResponse(ch.Token)
		if err != nil {
			t.Fatal(err)
		}
		e.http01.set(ch.Token, ka)
	case acme.ChallengeDNS01:
		rec, err := c.DNS01ChallengeRecord(ch.Token)
		if err != nil {
			t.Fatal(err)
		}
		e.dns.AddTXT("_acme-challenge."+strings.TrimPrefix(name, "*."), rec)
	case acme.ChallengeTLSALPN01:
		cert, err := c.TLSALPN01ChallengeCert(ch.Token, name)
		if err != nil {
			t.Fatal(err)
		}
		e.alpn.set(name, &cert)
	default:
		t.Fatalf("unknown challenge type %q", ch.Type)
	}
}

// authorize creates an order for names and validates every pending
// authorization with challenge type typ; it returns the ready order.
func (e *testEnv) authorize(t testing.TB, c *xacme.Client, typ string, names ...string) *xacme.Order {
	t.Helper()
	o, p := e.tryAuthorize(t, c, typ, names...)
	if p != nil {
		t.Fatalf("authorization failed: %v", p)
	}
	o, err := c.WaitOrder(context.Background(), o.URI)
	if err != nil {
		t.Fatalf("WaitOrder: %v", err)
	}
	return o
}

// tryAuthorize creates an order for names and answers the challenge of
// type typ of each pending authorization; it returns the order and the
// problem of the first authorization that fails, nil if all become valid.
func (e *testEnv) tryAuthorize(t testing.TB, c *xacme.Client, typ string, names ...string) (*xacme.Order, *xacme.Error) {
	t.Helper()
	ctx := context.Background()
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(names...))
	if err != nil {
		t.Fatalf("AuthorizeOrder(%v): %v", names, err)
	}
	for _, u := range o.AuthzURLs {
		a, err := c.GetAuthorization(ctx, u)
		if err != nil {
			t.Fatalf("GetAuthorization: %v", err)
		}
		if a.Status == xacme.StatusValid {
			continue
		}
		var ch *xacme.Challenge
		for _, x := range a.Challenges {
			if x.Type == typ {
				ch = x
			}
		}
		if ch == nil {
			t.Fatalf("authorization %s has no %s challenge", u, typ)
		}
		e.fulfil(t, c, ch, a.Identifier.Value)
		if _, err := c.Accept(ctx, ch); err != nil {
			t.Fatalf("Accept: %v", err)
		}
		_, err = c.WaitAuthorization(ctx, u)
		if err == nil {
			continue
		}
		var ae *xacme.AuthorizationError
		var pe *xacme.Error
		if !errors.As(err, &ae) || len(ae.Errors) == 0 || !errors.As(ae.Errors[0], &pe) {
			t.Fatalf("WaitAuthorization(%s): got %v, want valid or failed with a problem", a.Identifier.Value, err)
		}
		return o, pe
	}
	return o, nil
}

// issue authorizes names with typ and finalizes with a fresh P-256 key; it
// returns the chain (leaf first), the certificate URL and the order.
func (e *testEnv) issue(t testing.TB, c *xacme.Client, typ string, names ...string) ([][]byte, string, *xacme.Order) {
	t.Helper()
	o := e.authorize(t, c, typ, names...)
	der, certURL, err := c.CreateOrderCert(context.Background(), o.FinalizeURL, newCSR(t, newECKey(t, elliptic.P256()), names...), true)
	if err != nil {
		t.Fatalf("CreateOrderCert: %v", err)
	}
	return der, certURL, o
}

// blockResponse makes the http-01 responder hang until the validator
// gives up.
const blockResponse = "block"

// http01Responder serves key authorizations under
// /.well-known/acme-challenge/ (RFC 8555 §8.3) on 127.0.0.1.
type http01Responder struct {
	port int
	mu   sync.Mutex
	keys map[string]string
}

func startHTTP01(t testing.TB) *http01Responder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &http01Responder{port: ln.Addr().(*net.TCPAddr).Port, keys: map[string]string{}}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h
}

func (h *http01Responder) set(token, keyAuth string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.keys[token] = keyAuth
}

func (h *http01Responder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.URL.Path, "/.well-known/acme-challenge/")
	h.mu.Lock()
	ka, found := h.keys[tok]
	h.mu.Unlock()
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	if ka == blockResponse {
		<-r.Context().Done()
		return
	}
	io.WriteString(w, ka)
}

// alpnResponder answers TLS handshakes with "acme-tls/1" using the RFC 8737
// certificate set for the SNI name.
type alpnResponder struct {
	port  int
	mu    sync.Mutex
	certs map[string]*tls.Certificate
}

func startALPN(t testing.TB) *alpnResponder {
	t.Helper()
	a := &alpnResponder{certs: map[string]*tls.Certificate{}}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		NextProtos: []string{"acme-tls/1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			if c, ok := a.certs[hello.ServerName]; ok {
				return c, nil
			}
			return nil, errors.New("no certificate for " + hello.ServerName)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.port = ln.Addr().(*net.TCPAddr).Port
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				conn.(*tls.Conn).Handshake()
				conn.Close()
			}()
		}
	}()
	return a
}

func (a *alpnResponder) set(name string, cert *tls.Certificate) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.certs[name] = cert
}

// newECKey generates an ECDSA key on curve.
func newECKey(t testing.TB, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
