package ocsp_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/linttest/lintca"
	"github.com/kakuin/kakuin/ocsp"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// testEnv is a real status service on a real SQLite store with a real CA:
// certificates are issued through the store's ACME flow and ca.Authority,
// and the responder and CRL publisher are served over HTTP.
type testEnv struct {
	store     store.Backend
	authority *ca.Authority
	linting   lintca.CA // authority, linting what it signs
	service   *ocsp.Service
	responder *ocsp.Responder
	crls      *ocsp.CRLPublisher
	server    *httptest.Server
	// now is the clock of the CA and the status service, as Unix nanos.
	now     atomic.Int64
	account *acme.Account
	root    *x509.Certificate
	names   atomic.Int64
}

// envOptions change newEnv.
type envOptions struct {
	noUnknownSigner bool // the responder answers unauthorized for unknown serials
	cacheBytes      int
}

// testBase is the plain-HTTP base URL certificates name.
const testBase = "http://status.kakuin.example.com"

func newEnv(t testing.TB, opts envOptions) *testEnv {
	t.Helper()
	ctx := context.Background()
	e := &testEnv{}
	e.now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, e.now.Load()) }
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(dir, "kakuin.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e.store = st
	caDir := filepath.Join(dir, "ca")
	if err := ca.Init(ca.InitOptions{Dir: caDir, BaseURL: testBase, KeyType: ca.KeyECDSAP256, Clock: clock}); err != nil {
		t.Fatal(err)
	}
	lintca.Dir(t, caDir)
	e.authority, err = ca.Load(ca.Options{Dir: caDir, Store: lintca.Store{Store: st, T: t}, BaseURL: testBase,
		OCSPURL: testBase + "/ocsp", CRLShards: 4, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	// Every certificate, OCSP response and CRL the environment signs is
	// linted (lint_test.go).
	e.linting = lintca.CA{Authority: e.authority, T: t}
	e.root, _ = e.authority.IssuerCertificate(ca.IssuerRoot)
	logger := slog.New(slog.DiscardHandler)
	e.service, err = ocsp.NewService(ocsp.ServiceOptions{Store: st, Signer: e.linting, OCSP: true, CRLShards: 4,
		Clock: clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	issuers := map[string]*x509.Certificate{}
	for _, id := range e.authority.Issuers() {
		issuers[id], _ = e.authority.IssuerCertificate(id)
	}
	ropts := ocsp.ResponderOptions{Reader: st, Issuers: issuers, CacheBytes: opts.cacheBytes, Clock: clock, Logger: logger}
	if !opts.noUnknownSigner {
		ropts.Unknown = e.linting
	}
	if e.responder, err = ocsp.NewResponder(ropts); err != nil {
		t.Fatal(err)
	}
	e.crls = ocsp.NewCRLPublisher(st, testBase, logger)
	e.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ocsp" || strings.HasPrefix(r.URL.Path, "/ocsp/"):
			e.responder.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/crl/"):
			e.crls.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(e.server.Close)

	vet := vetting.New(vetting.Options{Store: st})
	org, err := vet.CreateOrganization(ctx, vetting.OrganizationInput{Name: "Status Test K.K.", Country: "JP",
		Province: "Tokyo", Locality: "Chiyoda-ku"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	contract, err := vet.CreateContract(ctx, vetting.ContractInput{OrganizationID: org.ID}, "test")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := vet.CreateEAB(ctx, contract.Code, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.account = &acme.Account{Status: acme.StatusValid, KeyJWK: []byte(`{"kty":"EC"}`), KeyThumbprint: "thumb-" + t.Name(),
		CreatedAt: clock()}
	if err := st.CreateAccount(ctx, e.account, acme.EABBinding{KeyID: cred.KeyID, MaxAccounts: 1}); err != nil {
		t.Fatal(err)
	}
	return e
}

// clock returns the environment's current time.
func (e *testEnv) clock() time.Time { return time.Unix(0, e.now.Load()) }

// advance moves the clock on.
func (e *testEnv) advance(d time.Duration) { e.now.Add(int64(d)) }

// issued is a certificate issued in the environment.
type issued struct {
	*ca.Issued
	cert   *x509.Certificate
	issuer *x509.Certificate
	key    crypto.Signer
}

// issue runs an order through the store and the CA as finalize does and
// returns the stored certificate. key nil means a fresh P-256 key.
func (e *testEnv) issue(t testing.TB, key crypto.Signer) *issued {
	t.Helper()
	return e.issueWith(t, key, true)
}

// issueWith is issue; storeOCSP false stores the certificate without its
// first OCSP response, as when it was issued while OCSP was off.
func (e *testEnv) issueWith(t testing.TB, key crypto.Signer, storeOCSP bool) *issued {
	t.Helper()
	ctx := context.Background()
	if key == nil {
		var err error
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	now := e.clock()
	name := fmt.Sprintf("www%d.example.com", e.names.Add(1))
	az := &acme.Authorization{AccountID: e.account.ID, Identifier: acme.Identifier{Type: "dns", Value: name},
		Status: acme.StatusPending, Expires: now.Add(time.Hour), CreatedAt: now,
		Challenges: []acme.Challenge{{Type: acme.ChallengeHTTP01, Token: "tok-" + name, Status: acme.StatusPending}}}
	o := &acme.Order{AccountID: e.account.ID, Identifiers: []acme.Identifier{{Type: "dns", Value: name}},
		Names: []string{name}, Profile: ca.ProfileOV, Expires: now.Add(time.Hour), CreatedAt: now}
	must(t, e.store.CreateOrder(ctx, o, []*acme.Authorization{az}))
	must(t, e.store.StartChallenge(ctx, az.Challenges[0].ID, now))
	must(t, e.store.CompleteChallenge(ctx, az.Challenges[0].ID, true, nil, now, now.Add(time.Hour)))
	must(t, e.store.BeginFinalize(ctx, o.ID, now))
	iss, err := e.linting.Issue(ctx, ca.Request{Profile: ca.ProfileOV, PublicKey: key.Public(), Names: []string{name},
		Subject: ca.Subject{Organization: "Status Test K.K.", Country: "JP", Province: "Tokyo", Locality: "Chiyoda-ku"}})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	first := iss.OCSP
	if !storeOCSP {
		first = nil
	}
	must(t, e.store.CompleteOrder(ctx, o.ID, &acme.Certificate{Serial: iss.Serial, IssuerID: iss.IssuerID,
		DER: iss.DER, ChainPEM: iss.ChainPEM, NotBefore: iss.NotBefore, NotAfter: iss.NotAfter, KeyHash: iss.KeyHash,
		CRLShard: iss.CRLShard, OCSP: first}))
	cert, err := x509.ParseCertificate(iss.DER)
	if err != nil {
		t.Fatal(err)
	}
	issuer, _ := e.authority.IssuerCertificate(iss.IssuerID)
	return &issued{Issued: iss, cert: cert, issuer: issuer, key: key}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
