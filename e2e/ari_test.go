package e2e

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	legoacme "github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/challenge/http01"
	legolib "github.com/go-acme/lego/v5/lego"
	"github.com/go-acme/lego/v5/registration"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/store"
)

// legoUser is the account a lego v5 library client acts for.
type legoUser struct {
	key crypto.Signer
	reg *legoacme.ExtendedAccount
}

func (u *legoUser) GetEmail() string                           { return "admin@example.jp" }
func (u *legoUser) GetRegistration() *legoacme.ExtendedAccount { return u.reg }
func (u *legoUser) GetPrivateKey() crypto.Signer               { return u.key }

// newLegoLib returns a lego v5 client, used as a Go library (its CLI does
// not build here), registered with the EAB credential, trusting kakuin's
// TLS certificate and answering http-01 on the port kakuin validates.
func (k *kakuin) newLegoLib(t *testing.T, e eab) *legolib.Client {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	user := &legoUser{key: key}
	cfg := legolib.NewConfig(user)
	cfg.CADirURL = k.directoryURL
	trust, err := os.ReadFile(k.trustPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(trust)
	cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	client, err := legolib.NewClient(cfg)
	if err != nil {
		t.Fatalf("legolib.NewClient: %v", err)
	}
	if err := client.Challenge.SetHTTP01Provider(http01.NewProviderServer("127.0.0.1", strconv.Itoa(k.http01Port))); err != nil {
		t.Fatal(err)
	}
	user.reg, err = client.Registration.RegisterWithExternalAccountBinding(t.Context(),
		registration.RegisterEABOptions{TermsOfServiceAgreed: true, Kid: e.KID, HmacEncoded: e.HMAC})
	if err != nil {
		t.Fatalf("lego register with EAB: %v", err)
	}
	return client
}

// TestLegoLibraryARI is the acceptance test for ARI (RFC 9773) and ACME
// profiles with lego v5 as a library: it selects the EV profile, finds
// no renewal due, renews with "replaces" once an operator pulls the window
// forward with kakuin renewal, and is refused a profile its contract lacks.
func TestLegoLibraryARI(t *testing.T) {
	k := startKakuin(t, "sqlite")
	o := k.cli("org", "create", "--name", "ARI Example KK", "--country", "JP", "--province", "Tokyo",
		"--locality", "Minato-ku", "--registration-number", "7000012050002")
	orgID := int64(o["id"].(float64))
	k.vetOrg(orgID, "ev", testDomain)
	k.vetCase("--org", strconv.FormatInt(orgID, 10), "--kind", "identity", "--level", "ov")
	code := k.cli("contract", "create", "--org", strconv.FormatInt(orgID, 10), "--profiles", "ov,ev", "--plan", "monthly",
		"--slots", "5")["code"].(string)
	cred := k.cli("eab", "create", "--contract", code)
	client := k.newLegoLib(t, eab{KID: cred["kid"].(string), HMAC: cred["hmac"].(string), Contract: code, OrgID: orgID})
	ctx := t.Context()

	meta := client.GetServerMetadata()
	if meta.Profiles["ov"] == "" || meta.Profiles["ev"] == "" {
		t.Fatalf("directory meta.profiles: got %v, want ov and ev with descriptions", meta.Profiles)
	}

	names := []string{"ari." + testDomain}
	first, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: names, Bundle: true, Profile: "ev", KeyType: certcrypto.EC256})
	if err != nil {
		t.Fatalf("lego Obtain (profile ev): %v", err)
	}
	leaf := wantProfile(t, first, "ev")

	info, err := client.Certificate.GetRenewalInfo(ctx, leaf)
	if err != nil {
		t.Fatalf("GetRenewalInfo: %v", err)
	}
	validity := leaf.NotAfter.Add(time.Second).Sub(leaf.NotBefore)
	if got, want := info.SuggestedWindow.Start, leaf.NotBefore.Add(validity-validity/3); got.Sub(want).Abs() > time.Second {
		t.Errorf("suggested window starts %v, want the last third of the validity (%v)", got, want)
	}
	if info.RetryAfter != 6*time.Hour {
		t.Errorf("Retry-After: got %v, want 6h (acme.renewal_info_retry_after)", info.RetryAfter)
	}
	if at := info.ShouldRenewAt(time.Now(), time.Hour); at != nil {
		t.Fatalf("a fresh certificate is due for renewal at %v", at)
	}

	// Ahead of a mass revocation the operator pulls the window forward.
	serial := ca.SerialHex(leaf.SerialNumber)
	pulled := k.cli("renewal", "pull-forward", "--serial", serial, "--within", "1h",
		"--explanation", "https://kakuin.example.jp/incidents/2026-12")
	if got, _ := pulled["serials"].([]any); len(got) != 1 || got[0] != serial {
		t.Fatalf("renewal pull-forward: got %v, want serial %s", pulled, serial)
	}
	info, err = client.Certificate.GetRenewalInfo(ctx, leaf)
	if err != nil {
		t.Fatalf("GetRenewalInfo: %v", err)
	}
	at := info.ShouldRenewAt(time.Now(), time.Hour)
	if at == nil || info.ExplanationURL != "https://kakuin.example.jp/incidents/2026-12" {
		t.Fatalf("after pull-forward: renew at %v, explanation %q; want a renewal within the hour and the operator's page",
			at, info.ExplanationURL)
	}

	second, err := client.Certificate.Renew(ctx, *first, &certificate.RenewOptions{Bundle: true, Profile: "ev", UseARICertID: true, KeyType: certcrypto.EC256})
	if err != nil {
		t.Fatalf("lego Renew: %v", err)
	}
	renewed := wantProfile(t, second, "ev")
	if renewed.SerialNumber.Cmp(leaf.SerialNumber) == 0 || !slices.Equal(renewed.DNSNames, names) {
		t.Fatalf("renewal: got serial %x for %v, want a new certificate for %v", renewed.SerialNumber, renewed.DNSNames, names)
	}
	if got := orderReplaces(t, k, renewed); got != serial {
		t.Errorf("the renewal order replaces %q, want %s (lego sent replaces)", got, serial)
	}
	// The replaced certificate is revoked as superseded: renew it now.
	if info, err := client.Certificate.GetRenewalInfo(ctx, leaf); err != nil || !info.SuggestedWindow.End.Before(time.Now()) {
		t.Errorf("renewalInfo of the replaced certificate: %v %v, want a window in the past", info, err)
	}
	if info, err := client.Certificate.GetRenewalInfo(ctx, renewed); err != nil || info.ShouldRenewAt(time.Now(), time.Hour) != nil {
		t.Errorf("renewalInfo of the new certificate: %v %v, want no renewal due", info, err)
	}

	ov, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: []string{"ari-ov." + testDomain}, Bundle: true, Profile: "ov", KeyType: certcrypto.RSA2048})
	if err != nil {
		t.Fatalf("lego Obtain (profile ov): %v", err)
	}
	wantProfile(t, ov, "ov")

	// A contract that allows OV only refuses the EV profile.
	ovOnly := k.cli("contract", "create", "--org", strconv.FormatInt(orgID, 10), "--profiles", "ov")["code"].(string)
	cred = k.cli("eab", "create", "--contract", ovOnly)
	other := k.newLegoLib(t, eab{KID: cred["kid"].(string), HMAC: cred["hmac"].(string), Contract: ovOnly, OrgID: orgID})
	_, err = other.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: names, Bundle: true, Profile: "ev", KeyType: certcrypto.EC256})
	if err == nil || !strings.Contains(err.Error(), "invalidProfile") {
		t.Errorf("EV on an OV-only contract: got %v, want invalidProfile", err)
	}
}

// wantProfile checks that res's leaf chains to kakuin's root and carries
// the reserved policy of the profile, and returns it.
func wantProfile(t *testing.T, res *certificate.Resource, profile string) *x509.Certificate {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chain.pem")
	if err := os.WriteFile(path, res.Certificate, 0o600); err != nil {
		t.Fatal(err)
	}
	certs := readPEMCerts(t, path)
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	leaf := certs[0]
	if len(certs) < 2 || !strings.Contains(certs[1].Subject.CommonName, strings.ToUpper(profile)) {
		t.Errorf("%s: issued by %v, want the %s issuing CA", profile, certs[1].Subject, strings.ToUpper(profile))
	}
	want := map[string]asn1.ObjectIdentifier{"ov": {2, 23, 140, 1, 2, 2}, "ev": {2, 23, 140, 1, 1}}[profile]
	if !slices.ContainsFunc(leaf.PolicyIdentifiers, want.Equal) {
		t.Errorf("%s: policies %v, want %v", profile, leaf.PolicyIdentifiers, want)
	}
	return leaf
}

// orderReplaces reads, from kakuin's database, the serial the order that
// issued cert replaces.
func orderReplaces(t *testing.T, k *kakuin, cert *x509.Certificate) string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(k.dataDir, "kakuin.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.GetCertificate(ctx, ca.SerialHex(cert.SerialNumber))
	if err != nil {
		t.Fatal(err)
	}
	o, err := db.GetOrder(ctx, c.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	return o.Replaces
}
