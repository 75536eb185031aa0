package ocsp_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/linttest"
	"github.com/kakuin/kakuin/ocsp"
)

// issueWithoutOCSP is e.issue for a certificate stored without an OCSP
// response, as when it was issued while OCSP was off.
func (e *testEnv) issueWithoutOCSP(t *testing.T) *issued {
	t.Helper()
	return e.issueWith(t, nil, false)
}

// stored returns the parsed stored OCSP response of c for the CertID hash.
func (e *testEnv) stored(t testing.TB, c *issued, hash crypto.Hash) *xocsp.Response {
	t.Helper()
	s, err := e.store.OCSPResponse(context.Background(), c.Serial)
	if err != nil {
		t.Fatalf("stored response of %s: %v", c.Serial, err)
	}
	der := s.SHA1
	if hash == crypto.SHA256 {
		der = s.SHA256
	}
	r, err := xocsp.ParseResponseForCert(der, c.cert, c.issuer)
	if err != nil {
		t.Fatalf("stored %v response of %s: %v", hash, c.Serial, err)
	}
	if r.IssuerHash != hash || !r.ThisUpdate.Equal(s.ThisUpdate) || !r.NextUpdate.Equal(s.NextUpdate) {
		t.Errorf("stored response of %s: got hash %v %v..%v, want %v %v..%v", c.Serial, r.IssuerHash, r.ThisUpdate,
			r.NextUpdate, hash, s.ThisUpdate, s.NextUpdate)
	}
	return r
}

// revokedAt returns the revocation time and reason the store holds for c.
func (e *testEnv) revokedAt(t *testing.T, c *issued) (*time.Time, int) {
	t.Helper()
	cs, err := e.store.CertificateStatus(context.Background(), c.Serial)
	if err != nil {
		t.Fatal(err)
	}
	return cs.RevokedAt, cs.Reason
}

func TestRevokeRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		reason int
		want   error
	}{
		{"certificateHold", ca.ReasonCertificateHold, ca.ErrReasonNotAllowed},
		{"cACompromise", ca.ReasonCACompromise, ca.ErrReasonNotAllowed},
		{"removeFromCRL", ca.ReasonRemoveFromCRL, ca.ErrReasonNotAllowed},
		{"undefined reason 7", 7, ca.ErrReasonNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.issue(t, nil)
			if err := e.service.Revoke(ctx, c.Serial, tc.reason, "test"); !errors.Is(err, tc.want) {
				t.Errorf("Revoke: got %v, want %v", err, tc.want)
			}
			if at, _ := e.revokedAt(t, c); at != nil {
				t.Errorf("stored revocation: got %v, want none", at)
			}
			if r := e.post(t, c, crypto.SHA256); r.Status != xocsp.Good {
				t.Errorf("OCSP: got status %d, want good", r.Status)
			}
		})
	}
	t.Run("unknown serial", func(t *testing.T) {
		serial := ca.SerialHex(randomSerial(t))
		if err := e.service.Revoke(ctx, serial, ca.ReasonSuperseded, "test"); !errors.Is(err, ocsp.ErrNotFound) {
			t.Errorf("Revoke: got %v, want %v", err, ocsp.ErrNotFound)
		}
	})
	t.Run("twice", func(t *testing.T) {
		c := e.issue(t, nil)
		must(t, e.service.Revoke(ctx, c.Serial, ca.ReasonSuperseded, "test"))
		first, _ := e.revokedAt(t, c)
		e.advance(time.Minute)
		// keyCompromise may follow (TestRevokeChangesReasonToKeyCompromise);
		// any other reason may not.
		if err := e.service.Revoke(ctx, c.Serial, ca.ReasonCessationOfOperation, "test"); !errors.Is(err, ca.ErrAlreadyRevoked) {
			t.Errorf("second Revoke: got %v, want %v", err, ca.ErrAlreadyRevoked)
		}
		if at, reason := e.revokedAt(t, c); at == nil || !at.Equal(*first) || reason != ca.ReasonSuperseded {
			t.Errorf("stored revocation: got %v reason %d, want %v superseded (the first)", at, reason, first)
		}
	})
}

func TestRevokeAudit(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	c := e.issue(t, nil)
	must(t, e.service.Revoke(ctx, c.Serial, ca.ReasonCessationOfOperation, "acme:account/7"))
	events, err := e.store.AuditEvents(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for _, ev := range events {
		if ev.Kind != "revocation" {
			continue
		}
		found++
		var d struct {
			Serial string `json:"serial"`
			Issuer string `json:"issuer"`
			Reason int    `json:"reason"`
		}
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatalf("detail %s: %v", ev.Detail, err)
		}
		if ev.Subject != c.Serial || ev.Actor != "acme:account/7" || d.Serial != c.Serial || d.Issuer != c.IssuerID ||
			d.Reason != ca.ReasonCessationOfOperation {
			t.Errorf("event: got subject %s actor %s detail %s, want %s acme:account/7 with issuer %s reason %d",
				ev.Subject, ev.Actor, ev.Detail, c.Serial, c.IssuerID, ca.ReasonCessationOfOperation)
		}
	}
	if found != 1 {
		t.Errorf("revocation events: got %d, want 1", found)
	}
}

func TestRevokeKeyCompromise(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	first, second, third := e.issue(t, key), e.issue(t, key), e.issue(t, key)
	other := e.issue(t, nil)
	e.advance(time.Minute)
	must(t, e.service.Revoke(ctx, first.Serial, ca.ReasonKeyCompromise, "acme:account/1"))
	for _, tc := range []struct {
		name    string
		c       *issued
		revoked bool
	}{
		{"revoked one", first, true},
		{"same key", second, true},
		{"same key again", third, true},
		{"other key", other, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, reason := e.revokedAt(t, tc.c)
			if (at != nil) != tc.revoked || (tc.revoked && reason != ca.ReasonKeyCompromise) {
				t.Errorf("store: got revoked at %v reason %d, want revoked %v (keyCompromise)", at, reason, tc.revoked)
			}
			for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
				r := e.stored(t, tc.c, h)
				want := xocsp.Good
				if tc.revoked {
					want = xocsp.Revoked
				}
				if r.Status != want || (tc.revoked && (r.RevocationReason != ca.ReasonKeyCompromise || !r.RevokedAt.Equal(*at))) {
					t.Errorf("%v response: got status %d reason %d at %v, want %d keyCompromise at %v", h, r.Status,
						r.RevocationReason, r.RevokedAt, want, at)
				}
			}
		})
	}
	for _, tc := range []struct {
		name    string
		keyHash string
		want    bool
	}{
		{"compromised key", first.KeyHash, true},
		{"other key", other.KeyHash, false},
	} {
		t.Run("IsKeyBlocked "+tc.name, func(t *testing.T) {
			got, err := e.store.IsKeyBlocked(ctx, tc.keyHash)
			if err != nil || got != tc.want {
				t.Errorf("got %v (err %v), want %v", got, err, tc.want)
			}
		})
	}
	events, err := e.store.AuditEvents(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]string{}
	for _, ev := range events {
		if ev.Kind == "revocation" {
			actors[ev.Subject] = ev.Actor
		}
	}
	want := map[string]string{first.Serial: "acme:account/1", second.Serial: "system:key-compromise-of/" + first.Serial,
		third.Serial: "system:key-compromise-of/" + first.Serial}
	if fmt.Sprint(actors) != fmt.Sprint(want) {
		t.Errorf("revocation actors: got %v, want %v", actors, want)
	}
}

func TestRefreshOCSP(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	good, revoked := e.issue(t, nil), e.issue(t, nil)
	must(t, e.service.Revoke(ctx, revoked.Serial, ca.ReasonSuperseded, "test"))
	before := map[*issued]*xocsp.Response{good: e.stored(t, good, crypto.SHA1), revoked: e.stored(t, revoked, crypto.SHA1)}

	if n, err := e.service.RefreshOCSP(ctx); err != nil || n != 0 {
		t.Fatalf("RefreshOCSP before half the validity: got %d (err %v), want 0", n, err)
	}
	e.advance(ca.DefaultOCSPValidity/2 + time.Minute)
	if n, err := e.service.RefreshOCSP(ctx); err != nil || n != 2 {
		t.Fatalf("RefreshOCSP: got %d (err %v), want 2", n, err)
	}
	wantThis := e.clock().UTC().Truncate(time.Minute)
	for _, tc := range []struct {
		name   string
		c      *issued
		status int
	}{
		{"good", good, xocsp.Good},
		{"revoked", revoked, xocsp.Revoked},
	} {
		for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
			t.Run(fmt.Sprintf("%s %v", tc.name, h), func(t *testing.T) {
				r, old := e.stored(t, tc.c, h), before[tc.c]
				if !r.ThisUpdate.Equal(wantThis) || !r.ThisUpdate.After(old.ThisUpdate) {
					t.Errorf("thisUpdate: got %v, want %v (was %v)", r.ThisUpdate, wantThis, old.ThisUpdate)
				}
				if r.Status != tc.status {
					t.Errorf("status: got %d, want %d", r.Status, tc.status)
				}
				if r.RevocationReason != old.RevocationReason || !r.RevokedAt.Equal(old.RevokedAt) {
					t.Errorf("revocation: got %v reason %d, want %v reason %d", r.RevokedAt, r.RevocationReason,
						old.RevokedAt, old.RevocationReason)
				}
			})
		}
	}
	if n, err := e.service.RefreshOCSP(ctx); err != nil || n != 0 {
		t.Errorf("RefreshOCSP again: got %d (err %v), want 0", n, err)
	}
	// Served too (SHA-256 was never cached).
	for _, c := range []*issued{good, revoked} {
		if r := e.post(t, c, crypto.SHA256); !r.ThisUpdate.Equal(wantThis) {
			t.Errorf("served thisUpdate of %s: got %v, want %v", c.Serial, r.ThisUpdate, wantThis)
		}
	}
}

func TestBackfill(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	with := e.issue(t, nil)
	without := e.issueWithoutOCSP(t)
	if _, err := e.store.OCSPResponse(ctx, without.Serial); !errors.Is(err, ocsp.ErrNotFound) {
		t.Fatalf("before Backfill: got %v, want %v", err, ocsp.ErrNotFound)
	}
	if r := e.post(t, without, crypto.SHA256); r.Status != xocsp.Unknown {
		t.Errorf("served before Backfill: got status %d, want unknown", r.Status)
	}
	before := e.stored(t, with, crypto.SHA1)
	e.advance(time.Hour)
	if n, err := e.service.Backfill(ctx); err != nil || n != 1 {
		t.Fatalf("Backfill: got %d (err %v), want 1", n, err)
	}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		if r := e.stored(t, without, h); r.Status != xocsp.Good {
			t.Errorf("stored %v response after Backfill: got status %d, want good", h, r.Status)
		}
	}
	if r := e.post(t, without, crypto.SHA256); r.Status != xocsp.Good {
		t.Errorf("served after Backfill: got status %d, want good", r.Status)
	}
	if after := e.stored(t, with, crypto.SHA1); !after.ThisUpdate.Equal(before.ThisUpdate) {
		t.Errorf("certificate with a response: thisUpdate got %v, want %v (untouched)", after.ThisUpdate, before.ThisUpdate)
	}
	if n, err := e.service.Backfill(ctx); err != nil || n != 0 {
		t.Errorf("Backfill again: got %d (err %v), want 0", n, err)
	}
}

// storedCRLs returns every partition's current CRL.
func (e *testEnv) storedCRLs(t *testing.T) map[ocsp.ShardRef]*ocsp.StoredCRL {
	t.Helper()
	ctx := context.Background()
	refs, err := e.store.CRLShards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[ocsp.ShardRef]*ocsp.StoredCRL{}
	for _, ref := range refs {
		c, err := e.store.CRL(ctx, ref.IssuerID, ref.Shard)
		if err != nil {
			t.Fatalf("CRL %v: %v", ref, err)
		}
		out[ref] = c
	}
	return out
}

// parseCRL parses a CRL and checks its signature by the issuer.
func (e *testEnv) parseCRL(t *testing.T, issuerID string, der []byte) *x509.RevocationList {
	t.Helper()
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("ParseRevocationList: %v", err)
	}
	issuer, _ := e.authority.IssuerCertificate(issuerID)
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	return rl
}

// crlEntry returns the CRL's entry for serial, nil when absent.
func crlEntry(rl *x509.RevocationList, serial *big.Int) *x509.RevocationListEntry {
	for i := range rl.RevokedCertificateEntries {
		if rl.RevokedCertificateEntries[i].SerialNumber.Cmp(serial) == 0 {
			return &rl.RevokedCertificateEntries[i]
		}
	}
	return nil
}

// updateCRLs runs Service.UpdateCRLs and returns the CRLs after it.
func (e *testEnv) updateCRLs(t *testing.T) map[ocsp.ShardRef]*ocsp.StoredCRL {
	t.Helper()
	if err := e.service.UpdateCRLs(context.Background()); err != nil {
		t.Fatalf("UpdateCRLs: %v", err)
	}
	return e.storedCRLs(t)
}

func TestUpdateCRLsFirst(t *testing.T) {
	e := newEnv(t, envOptions{})
	if got := e.storedCRLs(t); len(got) != 0 {
		t.Fatalf("before UpdateCRLs: got %d CRLs, want none", len(got))
	}
	got := e.updateCRLs(t)
	for _, issuer := range []string{ca.IssuerEV, ca.IssuerOV} {
		for shard := range 4 {
			ref := ocsp.ShardRef{IssuerID: issuer, Shard: shard}
			t.Run(fmt.Sprintf("%s/%d", issuer, shard), func(t *testing.T) {
				c, ok := got[ref]
				if !ok {
					t.Fatal("no CRL")
				}
				rl := e.parseCRL(t, issuer, c.DER)
				if c.Number != 1 || rl.Number.Cmp(big.NewInt(1)) != 0 {
					t.Errorf("number: got %d (DER %v), want 1", c.Number, rl.Number)
				}
				if !rl.ThisUpdate.Equal(c.ThisUpdate) || !rl.NextUpdate.Equal(c.NextUpdate) {
					t.Errorf("validity: got %v..%v, want stored %v..%v", rl.ThisUpdate, rl.NextUpdate, c.ThisUpdate, c.NextUpdate)
				}
				if len(rl.RevokedCertificateEntries) != 0 {
					t.Errorf("entries: got %d, want 0", len(rl.RevokedCertificateEntries))
				}
			})
		}
	}
	if len(got) != 8 {
		t.Errorf("CRLs: got %d, want 8", len(got))
	}
}

func TestUpdateCRLsRevocation(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	c := e.issue(t, nil)
	before := e.updateCRLs(t)
	e.advance(time.Minute)
	t.Run("unchanged partitions not re-signed", func(t *testing.T) {
		for ref, got := range e.updateCRLs(t) {
			if got.Number != before[ref].Number || !bytes.Equal(got.DER, before[ref].DER) {
				t.Errorf("%v: got number %d, want %d and the same DER", ref, got.Number, before[ref].Number)
			}
		}
	})
	must(t, e.service.Revoke(ctx, c.Serial, ca.ReasonKeyCompromise, "test"))
	at, _ := e.revokedAt(t, c)
	mine := ocsp.ShardRef{IssuerID: c.IssuerID, Shard: c.CRLShard}
	after := e.updateCRLs(t)
	for ref, got := range after {
		t.Run(fmt.Sprintf("%s/%d", ref.IssuerID, ref.Shard), func(t *testing.T) {
			want := before[ref].Number
			if ref == mine {
				want++
			}
			if got.Number != want {
				t.Errorf("number: got %d, want %d", got.Number, want)
			}
			rl := e.parseCRL(t, ref.IssuerID, got.DER)
			entry := crlEntry(rl, c.cert.SerialNumber)
			if (entry != nil) != (ref == mine) {
				t.Fatalf("entry for %s present %v, want %v", c.Serial, entry != nil, ref == mine)
			}
			if entry != nil && (entry.ReasonCode != ca.ReasonKeyCompromise || !entry.RevocationTime.Equal(*at)) {
				t.Errorf("entry: got reason %d at %v, want keyCompromise at %v", entry.ReasonCode, entry.RevocationTime, at)
			}
		})
	}
	if len(after) != 8 {
		t.Errorf("CRLs: got %d, want 8", len(after))
	}
}

func TestUpdateCRLsInterval(t *testing.T) {
	e := newEnv(t, envOptions{})
	before := e.updateCRLs(t)
	for _, tc := range []struct {
		name    string
		advance time.Duration
		resign  bool
	}{
		{"before the interval", ocsp.DefaultCRLInterval - time.Minute, false},
		{"at the interval", time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.advance(tc.advance)
			after := e.updateCRLs(t)
			for ref, got := range after {
				want := before[ref].Number
				if tc.resign {
					want++
				}
				if got.Number != want {
					t.Errorf("%v: number got %d, want %d", ref, got.Number, want)
				}
			}
			before = after
		})
	}
}

// TestUpdateCRLsExpiredEntry runs the clock past a revoked certificate's
// notAfter in steps shorter than the CRL validity, re-signing at each: the
// entry is on every CRL signed before the expiry and on exactly one after.
func TestUpdateCRLsExpiredEntry(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	c := e.issue(t, nil)
	must(t, e.service.Revoke(ctx, c.Serial, ca.ReasonKeyCompromise, "test"))
	ref := ocsp.ShardRef{IssuerID: c.IssuerID, Shard: c.CRLShard}
	step := ca.DefaultCRLValidity - time.Hour
	var prev *x509.RevocationList
	after := 0 // CRLs signed after the expiry that list the certificate
	for signed := 0; ; signed++ {
		crl := e.updateCRLs(t)[ref]
		rl := e.parseCRL(t, ref.IssuerID, crl.DER)
		if prev != nil && rl.ThisUpdate.After(prev.NextUpdate) {
			t.Fatalf("CRL %d signed at %v, after the previous one's nextUpdate %v", rl.Number, rl.ThisUpdate, prev.NextUpdate)
		}
		listed := crlEntry(rl, c.cert.SerialNumber) != nil
		switch expired := rl.ThisUpdate.After(c.cert.NotAfter); {
		case !expired && !listed:
			t.Fatalf("CRL %d at %v, before the expiry %v: entry missing", rl.Number, rl.ThisUpdate, c.cert.NotAfter)
		case expired && listed:
			after++
		}
		if rl.ThisUpdate.After(c.cert.NotAfter.Add(2 * step)) {
			break
		}
		if signed > 100 {
			t.Fatal("clock never passed the expiry")
		}
		prev = rl
		e.advance(step)
	}
	if after != 1 {
		t.Errorf("CRLs after the expiry listing the certificate: got %d, want 1", after)
	}
}

// revokedCRL issues and revokes a certificate for keyCompromise and
// returns it with its partition's CRL.
func revokedCRL(t *testing.T, e *testEnv) (*issued, []byte) {
	t.Helper()
	c := e.issue(t, nil)
	must(t, e.service.Revoke(context.Background(), c.Serial, ca.ReasonKeyCompromise, "test"))
	crl := e.updateCRLs(t)[ocsp.ShardRef{IssuerID: c.IssuerID, Shard: c.CRLShard}]
	if crl == nil {
		t.Fatalf("no CRL for %s/%d", c.IssuerID, c.CRLShard)
	}
	return c, crl.DER
}

func TestCRLOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not on PATH")
	}
	e := newEnv(t, envOptions{})
	c, der := revokedCRL(t, e)
	dir := t.TempDir()
	crlFile, caFile := filepath.Join(dir, "shard.crl"), filepath.Join(dir, "ca.pem")
	must(t, os.WriteFile(crlFile, der, 0o600))
	var chain []byte
	for _, cert := range []*x509.Certificate{c.issuer, e.root} {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})...)
	}
	must(t, os.WriteFile(caFile, chain, 0o600))
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"text", []string{"crl", "-inform", "DER", "-in", crlFile, "-text", "-noout"},
			[]string{fmt.Sprintf("Serial Number: %X", c.cert.SerialNumber.Bytes()), "Key Compromise", "X509v3 Issuing Distribution Point: critical"}},
		{"verify", []string{"crl", "-inform", "DER", "-in", crlFile, "-CAfile", caFile, "-noout"}, []string{"verify OK"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command("openssl", tc.args...).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl %s: %v\n%s", strings.Join(tc.args, " "), err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("openssl output: got\n%s\nwant it to contain %q", out, w)
				}
			}
		})
	}
}

func TestCRLZlint(t *testing.T) {
	e := newEnv(t, envOptions{})
	revokedCRL(t, e)
	for ref, crl := range e.storedCRLs(t) {
		t.Run(fmt.Sprintf("%s/%d", ref.IssuerID, ref.Shard), func(t *testing.T) {
			linttest.RevocationList(t, crl.DER)
		})
	}
}
