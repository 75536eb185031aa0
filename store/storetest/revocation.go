package storetest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/ocsp"
	"github.com/kakuin/kakuin/store"
)

// day is a calendar day, for the eras below.
const day = 24 * time.Hour

// The subtests of testRevocation share one database; those that list
// certificates by time (ResponsesDue, WithoutResponse, OCSPChangedSince)
// each work in an era of their own, far from t0, where only their own
// certificates are due, unexpired or written.
var (
	eraDue     = t0.Add(-1000 * day) // ResponsesDue
	eraSaved   = t0.Add(-2000 * day) // refresh times given to SaveOCSPResponse
	eraWithout = t0.Add(5000 * day)  // WithoutResponse
	eraChanged = t0.Add(8000 * day)  // OCSPChangedSince
)

// validityOCSP is nextUpdate - thisUpdate of the suite's fake OCSP
// responses: four days, counted inclusively.
const validityOCSP = 96*time.Hour - time.Second

// keyHash returns a unique hex SHA-256-sized key hash.
func keyHash() string { return fmt.Sprintf("%064x", seq.Add(1)) }

// ocspResponse returns a fake response valid from thisUpdate for
// validityOCSP; tag sets its DER bytes apart from other responses.
func ocspResponse(thisUpdate time.Time, tag byte) *ca.OCSPResponse {
	return &ca.OCSPResponse{SHA1: []byte{0x30, 0x03, 1, 2, tag}, SHA256: []byte{0x30, 0x03, 4, 5, tag},
		ThisUpdate: thisUpdate, NextUpdate: thisUpdate.Add(validityOCSP)}
}

// revocable returns an unsaved certificate of the issuer in the CRL
// partition, valid from notBefore to notAfter, with a fresh serial and key.
func revocable(issuerID string, shard int, notBefore, notAfter time.Time) *acme.Certificate {
	c := newCert(serial())
	c.IssuerID, c.CRLShard, c.KeyHash = issuerID, shard, keyHash()
	c.NotBefore, c.NotAfter = notBefore, notAfter
	return c
}

// issue reserves the certificate's serial for its issuer and stores it
// with a new order of the account.
func issue(t *testing.T, b store.Backend, accountID int64, c *acme.Certificate) {
	t.Helper()
	wantErr(t, "ReserveSerial", b.ReserveSerial(ctx(t), c.Serial, c.IssuerID, t0), nil)
	o := ready(t, b, accountID, "revocation.example.com")
	wantErr(t, "CompleteOrder", b.CompleteOrder(ctx(t), o.ID, c), nil)
}

// revoke revokes the certificate for reason at the time, without a new
// response.
func revoke(t *testing.T, b store.Backend, serial string, reason int, at time.Time) {
	t.Helper()
	wantErr(t, "RevokeCertificate", b.RevokeCertificate(ctx(t), ocsp.Revocation{Serial: serial, Reason: reason, At: at, Actor: "operator:cli"}), nil)
}

// wantResponse checks the stored OCSP response of the serial.
func wantResponse(t *testing.T, b store.Backend, serial, issuerID string, want *ca.OCSPResponse) {
	t.Helper()
	got, err := b.OCSPResponse(ctx(t), serial)
	wantErr(t, "OCSPResponse", err, nil)
	equal(t, "response IssuerID", got.IssuerID, issuerID)
	equal(t, "response SHA1", got.SHA1, want.SHA1)
	equal(t, "response SHA256", got.SHA256, want.SHA256)
	equalTime(t, "response ThisUpdate", got.ThisUpdate, want.ThisUpdate)
	equalTime(t, "response NextUpdate", got.NextUpdate, want.NextUpdate)
}

// serials returns the serials of the statuses.
func serials(css []*ocsp.CertStatus) []string {
	var out []string
	for _, cs := range css {
		out = append(out, cs.Serial)
	}
	return out
}

// shardStates returns the issuer's CRL partitions.
func shardStates(t *testing.T, b store.Backend, issuerID string) []*ocsp.ShardState {
	t.Helper()
	all, err := b.CRLShardStates(ctx(t))
	wantErr(t, "CRLShardStates", err, nil)
	var out []*ocsp.ShardState
	for _, st := range all {
		if st.IssuerID == issuerID {
			out = append(out, st)
		}
	}
	return out
}

// shardState is the expected bookkeeping of one partition.
type shardState struct {
	shard                    int
	number                   int64
	thisUpdate               *time.Time
	revision, signedRevision int64
	staleSince               *time.Time
}

// wantShardStates checks the issuer's CRL partitions.
func wantShardStates(t *testing.T, b store.Backend, issuerID string, want ...shardState) {
	t.Helper()
	got := shardStates(t, b, issuerID)
	if len(got) != len(want) {
		t.Fatalf("CRL partitions of %s: got %d, want %d", issuerID, len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		what := fmt.Sprintf("partition %s/%d", issuerID, w.shard)
		equal(t, what+" shard", g.Shard, w.shard)
		equal(t, what+" Number", g.Number, w.number)
		equalTimePtr(t, what+" ThisUpdate", g.ThisUpdate, w.thisUpdate)
		equal(t, what+" Revision", g.Revision, w.revision)
		equal(t, what+" SignedRevision", g.SignedRevision, w.signedRevision)
		equalTimePtr(t, what+" StaleSince", g.StaleSince, w.staleSince)
	}
}

// crlShardsOf returns the partitions of the issuer CRLShards lists.
func crlShardsOf(t *testing.T, b store.Backend, issuerID string) []ocsp.ShardRef {
	t.Helper()
	all, err := b.CRLShards(ctx(t))
	wantErr(t, "CRLShards", err, nil)
	var out []ocsp.ShardRef
	for _, ref := range all {
		if ref.IssuerID == issuerID {
			out = append(out, ref)
		}
	}
	return out
}

// testRevocation checks the revocation status methods of ocsp.Store,
// acme.Store.IsKeyBlocked and ca.Store.RecordResponderCertificate.
func testRevocation(t *testing.T, b store.Backend) {
	t.Run("complete with OCSP", func(t *testing.T) { testCompleteOCSP(t, b) })
	t.Run("without response", func(t *testing.T) { testWithoutResponse(t, b) })
	t.Run("save OCSP response", func(t *testing.T) { testSaveOCSPResponse(t, b) })
	t.Run("OCSP changed since", func(t *testing.T) { testOCSPChangedSince(t, b) })
	t.Run("revoke", func(t *testing.T) { testRevoke(t, b) })
	t.Run("reason change", func(t *testing.T) { testReasonChange(t, b) })
	t.Run("unrevoked with key", func(t *testing.T) { testUnrevokedWithKey(t, b) })
	t.Run("CRL", func(t *testing.T) { testCRL(t, b) })
	t.Run("CRL staleness", func(t *testing.T) { testCRLStale(t, b) })
	t.Run("revoked entries", func(t *testing.T) { testRevokedEntries(t, b) })
	t.Run("responder certificate", func(t *testing.T) { testResponderCertificate(t, b) })
}

// testCompleteOCSP checks that CompleteOrder stores the CRL partition and
// the first OCSP response, due for refresh at half its validity.
func testCompleteOCSP(t *testing.T, b store.Backend) {
	acct := account(t, b)
	c := revocable(ca.IssuerOV, 3, eraDue, eraDue.Add(397*day))
	c.OCSP = ocspResponse(eraDue, 1)
	issue(t, b, acct.ID, c)

	got, err := b.GetCertificate(ctx(t), c.Serial)
	wantErr(t, "GetCertificate", err, nil)
	equal(t, "CRLShard", got.CRLShard, 3)
	if got.OCSP != nil {
		t.Errorf("GetCertificate OCSP: got %+v, want nil (not read back)", got.OCSP)
	}
	cs, err := b.CertificateStatus(ctx(t), c.Serial)
	wantErr(t, "CertificateStatus", err, nil)
	equal(t, "status serial, issuer, key", []string{cs.Serial, cs.IssuerID, cs.KeyHash}, []string{c.Serial, c.IssuerID, c.KeyHash})
	equal(t, "status CRLShard", cs.CRLShard, 3)
	equalTime(t, "status NotAfter", cs.NotAfter, c.NotAfter)
	equalTimePtr(t, "status RevokedAt", cs.RevokedAt, nil)
	equal(t, "status Reason", cs.Reason, 0)
	_, err = b.CertificateStatus(ctx(t), "abcdef0123")
	wantErr(t, "CertificateStatus(missing)", err, ocsp.ErrNotFound)

	wantResponse(t, b, c.Serial, ca.IssuerOV, c.OCSP)
	_, err = b.OCSPResponse(ctx(t), "abcdef0123")
	wantErr(t, "OCSPResponse(missing)", err, ocsp.ErrNotFound)

	// A response valid for 48h is due after 24h: more overdue at +49h.
	sooner := revocable(ca.IssuerOV, 0, eraDue, eraDue.Add(397*day))
	sooner.OCSP = &ca.OCSPResponse{SHA1: []byte{0x30, 0x01, 9}, SHA256: []byte{0x30, 0x01, 9}, ThisUpdate: eraDue, NextUpdate: eraDue.Add(48 * time.Hour)}
	issue(t, b, acct.ID, sooner)
	// Expires before its response's refresh time: never refreshed.
	short := revocable(ca.IssuerOV, 0, eraDue, eraDue.Add(47*time.Hour))
	short.OCSP = ocspResponse(eraDue, 2)
	issue(t, b, acct.ID, short)

	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"before any refresh", eraDue.Add(23 * time.Hour), 100, nil},
		{"half of the short response", eraDue.Add(25 * time.Hour), 100, []string{sooner.Serial}},
		{"just before the short certificate expires", eraDue.Add(47*time.Hour - time.Second), 100, []string{sooner.Serial}},
		{"at ThisUpdate+47h", eraDue.Add(47 * time.Hour), 100, []string{sooner.Serial}},
		{"at ThisUpdate+49h, most overdue first", eraDue.Add(49 * time.Hour), 100, []string{sooner.Serial, c.Serial}},
		{"limit", eraDue.Add(49 * time.Hour), 1, []string{sooner.Serial}},
		{"after the certificates expire", eraDue.Add(398 * day), 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, err := b.ResponsesDue(ctx(t), tt.now, tt.limit)
			wantErr(t, "ResponsesDue", err, nil)
			equal(t, "serials due", serials(due), tt.want)
			for _, cs := range due {
				if cs.Serial == c.Serial {
					equal(t, "due CRLShard", cs.CRLShard, 3)
					equal(t, "due KeyHash", cs.KeyHash, c.KeyHash)
					equalTime(t, "due NotAfter", cs.NotAfter, c.NotAfter)
				}
			}
		})
	}
	// Its exact refresh time is half its validity.
	due, err := b.ResponsesDue(ctx(t), eraDue.Add(validityOCSP/2), 100)
	wantErr(t, "ResponsesDue at half validity", err, nil)
	equal(t, "serials due at half validity", serials(due), []string{sooner.Serial, c.Serial})
	due, err = b.ResponsesDue(ctx(t), eraDue.Add(validityOCSP/2-time.Millisecond), 100)
	wantErr(t, "ResponsesDue just before half validity", err, nil)
	equal(t, "serials due just before half validity", serials(due), []string{sooner.Serial})
}

// testWithoutResponse checks that a certificate stored without an OCSP
// response has none and is listed by WithoutResponse until it expires.
func testWithoutResponse(t *testing.T, b store.Backend) {
	acct := account(t, b)
	var none []string
	for range 3 {
		c := revocable(ca.IssuerEV, 0, eraWithout, eraWithout.Add(10*day))
		issue(t, b, acct.ID, c)
		none = append(none, c.Serial)
	}
	slices.Sort(none)
	expired := revocable(ca.IssuerEV, 0, eraWithout.Add(-10*day), eraWithout)
	issue(t, b, acct.ID, expired)
	with := revocable(ca.IssuerEV, 0, eraWithout, eraWithout.Add(10*day))
	with.OCSP = ocspResponse(eraWithout, 3)
	issue(t, b, acct.ID, with)

	for _, s := range append([]string{expired.Serial}, none...) {
		_, err := b.OCSPResponse(ctx(t), s)
		wantErr(t, "OCSPResponse(stored without)", err, ocsp.ErrNotFound)
	}
	tests := []struct {
		name  string
		now   time.Time
		after string
		limit int
		want  []string
	}{
		{"all", eraWithout, "", 100, none},
		{"limit", eraWithout, "", 2, none[:2]},
		{"after the first", eraWithout, none[0], 100, none[1:]},
		{"after the last", eraWithout, none[2], 100, nil},
		{"zero limit", eraWithout, "", 0, nil},
		{"before the expired one expires", eraWithout.Add(-time.Second), "", 100, slices.Sorted(slices.Values(append([]string{expired.Serial}, none...)))},
		{"all expired", eraWithout.Add(10 * day), "", 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.WithoutResponse(ctx(t), tt.now, tt.after, tt.limit)
			wantErr(t, "WithoutResponse", err, nil)
			equal(t, "serials without response", serials(got), tt.want)
			for _, cs := range got {
				equal(t, "IssuerID", cs.IssuerID, ca.IssuerEV)
				equalTimePtr(t, "RevokedAt", cs.RevokedAt, nil)
			}
		})
	}
}

// testSaveOCSPResponse checks that SaveOCSPResponse replaces a response
// only while the certificate's status is the one it was signed for.
func testSaveOCSPResponse(t *testing.T, b store.Backend) {
	acct := account(t, b)
	c := revocable(ca.IssuerOV, 0, t0, t0.Add(397*day))
	c.OCSP = ocspResponse(t0, 4)
	issue(t, b, acct.ID, c)
	refresh := eraSaved.Add(time.Hour)
	dueAt := func(t *testing.T) []string {
		t.Helper()
		due, err := b.ResponsesDue(ctx(t), refresh, 100)
		wantErr(t, "ResponsesDue", err, nil)
		return serials(due)
	}

	good := ocspResponse(t0.Add(time.Hour), 5)
	revoked := ocspResponse(t0.Add(2*time.Hour), 6)
	tests := []struct {
		name    string
		serial  string
		revoked bool
		r       *ca.OCSPResponse
		refresh *time.Time
		// revokeFirst revokes the certificate before saving.
		revokeFirst bool
		want        error
		wantStored  *ca.OCSPResponse
		wantDue     []string
	}{
		{"good for a good certificate", c.Serial, false, good, &refresh, false, nil, good, []string{c.Serial}},
		{"revoked for a good certificate", c.Serial, true, revoked, nil, false, ocsp.ErrConflict, good, []string{c.Serial}},
		{"good for a revoked certificate", c.Serial, false, ocspResponse(t0.Add(3*time.Hour), 7), nil, true, ocsp.ErrConflict, good, []string{c.Serial}},
		{"revoked for a revoked certificate, never refreshed", c.Serial, true, revoked, nil, false, nil, revoked, nil},
		{"unknown serial", "abcdef0123", false, good, nil, false, ocsp.ErrNotFound, revoked, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.revokeFirst {
				revoke(t, b, c.Serial, 4, t0.Add(2*time.Hour))
			}
			err := b.SaveOCSPResponse(ctx(t), tt.serial, tt.revoked, tt.r, tt.refresh)
			wantErr(t, "SaveOCSPResponse", err, tt.want)
			wantResponse(t, b, c.Serial, ca.IssuerOV, tt.wantStored)
			equal(t, "serials due", dueAt(t), tt.wantDue)
		})
	}
	_, err := b.OCSPResponse(ctx(t), "abcdef0123")
	wantErr(t, "OCSPResponse(unknown serial)", err, ocsp.ErrNotFound)
}

// testOCSPChangedSince checks the poll of response writes, here those of
// CompleteOrder, stamped with the certificate's creation time.
func testOCSPChangedSince(t *testing.T, b store.Backend) {
	acct := account(t, b)
	var written []string
	for i := range 4 {
		c := revocable(ca.IssuerOV, 0, eraChanged, eraChanged.Add(397*day))
		c.CreatedAt = eraChanged.Add(time.Duration(i) * time.Minute)
		c.OCSP = ocspResponse(eraChanged, 8)
		issue(t, b, acct.ID, c)
		written = append(written, c.Serial)
	}
	last := eraChanged.Add(3 * time.Minute)

	tests := []struct {
		name       string
		since      time.Time
		limit      int
		want       []string
		wantNewest time.Time
	}{
		{"all", eraChanged, 100, written, last},
		{"since the second write", eraChanged.Add(time.Minute), 100, written[1:], last},
		{"between writes", eraChanged.Add(time.Minute + time.Second), 100, written[2:], last},
		{"limit", eraChanged, 2, written[:2], eraChanged.Add(time.Minute)},
		{"since the last write", last, 100, written[3:], last},
		{"none", last.Add(time.Microsecond), 100, nil, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, newest, err := b.OCSPChangedSince(ctx(t), tt.since, tt.limit)
			wantErr(t, "OCSPChangedSince", err, nil)
			equal(t, "serials", got, tt.want)
			if tt.want == nil {
				// Nothing written: since, as given.
				if !newest.Equal(tt.since) {
					t.Errorf("newest: got %v, want %v", newest, tt.since)
				}
				return
			}
			equalTime(t, "newest", newest, tt.wantNewest)
		})
	}
}

// revocationDetail is the detail of a "revocation" audit event.
type revocationDetail struct {
	Serial        string `json:"serial"`
	Issuer        string `json:"issuer"`
	Reason        int    `json:"reason"`
	KeyHash       string `json:"key_hash"`
	BlockKey      bool   `json:"key_blocked"`
	ReasonChanged bool   `json:"reason_changed"`
}

// wantRevocationEvents checks the "revocation" audit events of the serial.
func wantRevocationEvents(t *testing.T, b store.Backend, serial, actor string, at time.Time, want ...revocationDetail) {
	t.Helper()
	evs := auditEvents(t, b)
	var got []revocationDetail
	for _, e := range evs {
		if e.Kind != "revocation" || e.Subject != serial {
			continue
		}
		var d revocationDetail
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatalf("revocation detail %s: %v", e.Detail, err)
		}
		got = append(got, d)
		equal(t, "revocation actor", e.Actor, actor)
		equalTime(t, "revocation time", e.At, at)
	}
	equal(t, "revocation details", got, want)
}

// testRevoke checks that RevokeCertificate records the revocation, the new
// response, the partition's revision, the blocked key and the audit event
// together.
func testRevoke(t *testing.T, b store.Backend) {
	acct := account(t, b)
	issuer := unique("storetest-revoke-")
	first := revocable(issuer, 2, t0, t0.Add(397*day))
	first.OCSP = ocspResponse(t0, 10)
	issue(t, b, acct.ID, first)
	second := revocable(issuer, 2, t0, t0.Add(397*day))
	second.OCSP = ocspResponse(t0, 11)
	issue(t, b, acct.ID, second)
	wantShardStates(t, b, issuer)

	at1, at2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	resp := ocspResponse(at1, 12)
	wantErr(t, "RevokeCertificate", b.RevokeCertificate(ctx(t), ocsp.Revocation{Serial: first.Serial, Reason: 1, At: at1,
		Actor: "operator:cli", Response: resp, BlockKey: true}), nil)

	t.Run("with response and key blocked", func(t *testing.T) {
		cs, err := b.CertificateStatus(ctx(t), first.Serial)
		wantErr(t, "CertificateStatus", err, nil)
		equalTimePtr(t, "RevokedAt", cs.RevokedAt, &at1)
		equal(t, "Reason", cs.Reason, 1)
		got, err := b.GetCertificate(ctx(t), first.Serial)
		wantErr(t, "GetCertificate", err, nil)
		equalTimePtr(t, "certificate RevokedAt", got.RevokedAt, &at1)
		equal(t, "certificate RevokedReason", got.RevokedReason, 1)
		wantResponse(t, b, first.Serial, issuer, resp)
		// Created by the revocation, stale since.
		wantShardStates(t, b, issuer, shardState{shard: 2, revision: 1, staleSince: &at1})
		wantRevocationEvents(t, b, first.Serial, "operator:cli", at1,
			revocationDetail{Serial: first.Serial, Issuer: issuer, Reason: 1, KeyHash: first.KeyHash, BlockKey: true})
	})

	t.Run("key blocked", func(t *testing.T) {
		tests := []struct {
			name string
			hash string
			want bool
		}{
			{"revoked key", first.KeyHash, true},
			{"other key", second.KeyHash, false},
			{"unknown key", keyHash(), false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := b.IsKeyBlocked(ctx(t), tt.hash)
				wantErr(t, "IsKeyBlocked", err, nil)
				equal(t, "IsKeyBlocked", got, tt.want)
			})
		}
	})

	wantErr(t, "RevokeCertificate", b.RevokeCertificate(ctx(t), ocsp.Revocation{Serial: second.Serial, Reason: 4, At: at2,
		Actor: "acme:account/" + itoa(acct.ID)}), nil)

	t.Run("without response", func(t *testing.T) {
		cs, err := b.CertificateStatus(ctx(t), second.Serial)
		wantErr(t, "CertificateStatus", err, nil)
		equalTimePtr(t, "RevokedAt", cs.RevokedAt, &at2)
		equal(t, "Reason", cs.Reason, 4)
		wantResponse(t, b, second.Serial, issuer, second.OCSP)
		// The revision counts; the partition stays stale since the first.
		wantShardStates(t, b, issuer, shardState{shard: 2, revision: 2, staleSince: &at1})
		blocked, err := b.IsKeyBlocked(ctx(t), second.KeyHash)
		wantErr(t, "IsKeyBlocked", err, nil)
		equal(t, "IsKeyBlocked without BlockKey", blocked, false)
		wantRevocationEvents(t, b, second.Serial, "acme:account/"+itoa(acct.ID), at2,
			revocationDetail{Serial: second.Serial, Issuer: issuer, Reason: 4, KeyHash: second.KeyHash})
	})

	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name string
			rv   ocsp.Revocation
			want error
		}{
			{"again", ocsp.Revocation{Serial: first.Serial, Reason: 4, At: t0.Add(3 * time.Hour), Actor: "operator:cli",
				Response: ocspResponse(t0.Add(3*time.Hour), 13)}, ca.ErrAlreadyRevoked},
			{"again, blocking its key", ocsp.Revocation{Serial: second.Serial, Reason: 1, At: t0.Add(3 * time.Hour), Actor: "operator:cli",
				BlockKey: true}, ca.ErrAlreadyRevoked},
			{"unknown", ocsp.Revocation{Serial: "abcdef0123", Reason: 1, At: t0.Add(3 * time.Hour), Actor: "operator:cli",
				BlockKey: true}, ocsp.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := len(auditEvents(t, b))
				wantErr(t, "RevokeCertificate", b.RevokeCertificate(ctx(t), tt.rv), tt.want)
				equal(t, "audit events after a refusal", len(auditEvents(t, b)), before)
				wantShardStates(t, b, issuer, shardState{shard: 2, revision: 2, staleSince: &at1})
				wantResponse(t, b, first.Serial, issuer, resp)
				wantResponse(t, b, second.Serial, issuer, second.OCSP)
				blocked, err := b.IsKeyBlocked(ctx(t), second.KeyHash)
				wantErr(t, "IsKeyBlocked", err, nil)
				equal(t, "IsKeyBlocked after a refusal", blocked, false)
				cs, err := b.CertificateStatus(ctx(t), second.Serial)
				wantErr(t, "CertificateStatus", err, nil)
				equalTimePtr(t, "RevokedAt after a refusal", cs.RevokedAt, &at2)
				equal(t, "Reason after a refusal", cs.Reason, 4)
			})
		}
	})
}

// testReasonChange checks the change of a revoked certificate's reason to
// keyCompromise, which keeps the revocation time.
func testReasonChange(t *testing.T, b store.Backend) {
	acct := account(t, b)
	issuer := unique("storetest-reason-")
	c := revocable(issuer, 0, t0, t0.Add(397*day))
	issue(t, b, acct.ID, c)
	good := revocable(issuer, 0, t0, t0.Add(397*day))
	issue(t, b, acct.ID, good)
	at := t0.Add(time.Hour)
	revoke(t, b, c.Serial, 4, at)

	resp := ocspResponse(at, 14)
	tests := []struct {
		name         string
		rv           ocsp.Revocation
		want         error
		wantReason   int
		wantRevision int64
	}{
		{"to keyCompromise", ocsp.Revocation{Serial: c.Serial, Reason: 1, At: at, Actor: "system:key-compromise",
			Response: resp, BlockKey: true, ReasonChange: true}, nil, 1, 2},
		{"again", ocsp.Revocation{Serial: c.Serial, Reason: 1, At: at, Actor: "system:key-compromise",
			BlockKey: true, ReasonChange: true}, ca.ErrAlreadyRevoked, 1, 2},
		{"not revoked", ocsp.Revocation{Serial: good.Serial, Reason: 1, At: at, Actor: "system:key-compromise",
			BlockKey: true, ReasonChange: true}, ca.ErrAlreadyRevoked, 1, 2},
		{"unknown", ocsp.Revocation{Serial: "abcdef0123", Reason: 1, At: at, Actor: "system:key-compromise",
			ReasonChange: true}, ocsp.ErrNotFound, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, "RevokeCertificate", b.RevokeCertificate(ctx(t), tt.rv), tt.want)
			cs, err := b.CertificateStatus(ctx(t), c.Serial)
			wantErr(t, "CertificateStatus", err, nil)
			equalTimePtr(t, "RevokedAt", cs.RevokedAt, &at)
			equal(t, "Reason", cs.Reason, tt.wantReason)
			wantShardStates(t, b, issuer, shardState{shard: 0, revision: tt.wantRevision, staleSince: &at})
			cs, err = b.CertificateStatus(ctx(t), good.Serial)
			wantErr(t, "CertificateStatus", err, nil)
			equalTimePtr(t, "RevokedAt of the unrevoked certificate", cs.RevokedAt, nil)
		})
	}
	wantResponse(t, b, c.Serial, issuer, resp)
	blocked, err := b.IsKeyBlocked(ctx(t), c.KeyHash)
	wantErr(t, "IsKeyBlocked", err, nil)
	equal(t, "IsKeyBlocked", blocked, true)
	var got []revocationDetail
	var actors []string
	for _, e := range auditEvents(t, b) {
		if e.Kind != "revocation" || e.Subject != c.Serial {
			continue
		}
		var d revocationDetail
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatalf("revocation detail %s: %v", e.Detail, err)
		}
		got = append(got, d)
		actors = append(actors, e.Actor)
		// The revocation is audited at its time; the reason change when
		// it happened, by the backend's clock (the wall clock here, so
		// not compared).
		if !d.ReasonChanged {
			equalTime(t, "revocation time", e.At, at)
		}
	}
	equal(t, "revocation details", got, []revocationDetail{
		{Serial: c.Serial, Issuer: issuer, Reason: 4, KeyHash: c.KeyHash},
		{Serial: c.Serial, Issuer: issuer, Reason: 1, KeyHash: c.KeyHash, BlockKey: true, ReasonChanged: true},
	})
	equal(t, "revocation actors", actors, []string{"operator:cli", "system:key-compromise"})

	t.Run("new response listed as changed", func(t *testing.T) { testReasonChangeListed(t, b, acct.ID, issuer) })
}

// testReasonChangeListed checks that the response a reason change writes
// is listed by OCSPChangedSince from before the change, so that responders
// drop their cached copy of the old one: written now, whatever the
// revocation time it keeps. This is the one check against the wall clock:
// Run's backends stamp writes with time.Now (open gives no clock).
func testReasonChangeListed(t *testing.T, b store.Backend, accountID int64, issuer string) {
	c := revocable(issuer, 1, t0, t0.Add(397*day))
	issue(t, b, accountID, c)
	at := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	wantErr(t, "RevokeCertificate", b.RevokeCertificate(ctx(t), ocsp.Revocation{Serial: c.Serial, Reason: 4, At: at,
		Actor: "operator:cli", Response: ocspResponse(at, 15)}), nil)
	since := time.Now()
	changed := ocspResponse(since, 16)
	wantErr(t, "RevokeCertificate(reason change)", b.RevokeCertificate(ctx(t), ocsp.Revocation{Serial: c.Serial, Reason: 1, At: at,
		Actor: "system:key-compromise", Response: changed, BlockKey: true, ReasonChange: true}), nil)
	wantResponse(t, b, c.Serial, issuer, changed)
	got, _, err := b.OCSPChangedSince(ctx(t), since, 10000)
	wantErr(t, "OCSPChangedSince", err, nil)
	if !slices.Contains(got, c.Serial) {
		t.Errorf("OCSPChangedSince(before the reason change): got %d serials without %s, want it listed", len(got), c.Serial)
	}
}

// testUnrevokedWithKey checks the certificates a keyCompromise revocation
// revokes with the key's.
func testUnrevokedWithKey(t *testing.T, b store.Backend) {
	acct := account(t, b)
	key := keyHash()
	withKey := func(notAfter time.Time) *acme.Certificate {
		c := revocable(ca.IssuerOV, 0, t0, notAfter)
		c.KeyHash = key
		issue(t, b, acct.ID, c)
		return c
	}
	now := t0.Add(30 * day)
	var want []string
	for range 3 {
		want = append(want, withKey(t0.Add(397*day)).Serial)
	}
	slices.Sort(want)
	revoked := withKey(t0.Add(397 * day))
	revoke(t, b, revoked.Serial, 4, t0.Add(time.Hour))
	atNow := withKey(now)
	withKey(now.Add(-time.Hour))
	issue(t, b, acct.ID, revocable(ca.IssuerOV, 0, t0, t0.Add(397*day))) // another key

	tests := []struct {
		name string
		key  string
		now  time.Time
		want []string
	}{
		{"unexpired and unrevoked", key, now, want},
		{"just before one expires", key, now.Add(-time.Microsecond), slices.Sorted(slices.Values(append([]string{atNow.Serial}, want...)))},
		{"all expired", key, t0.Add(397 * day), nil},
		{"unknown key", keyHash(), now, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.UnrevokedWithKey(ctx(t), tt.key, tt.now)
			wantErr(t, "UnrevokedWithKey", err, nil)
			equal(t, "serials", got, tt.want)
		})
	}
}

// testCRL checks a partition's life: created empty, then a first CRL,
// then refused writes.
func testCRL(t *testing.T, b store.Backend) {
	issuer := unique("storetest-crl-")
	for i := range 2 {
		wantErr(t, fmt.Sprintf("EnsureCRLShards #%d", i+1), b.EnsureCRLShards(ctx(t), issuer, 3), nil)
	}
	wantShardStates(t, b, issuer, shardState{shard: 0}, shardState{shard: 1}, shardState{shard: 2})

	t.Run("before any CRL", func(t *testing.T) {
		for _, shard := range []int{0, 1, 2, 3} {
			_, err := b.CRL(ctx(t), issuer, shard)
			wantErr(t, fmt.Sprintf("CRL(%d)", shard), err, ocsp.ErrNotFound)
			_, err = b.CRLNumber(ctx(t), issuer, shard)
			wantErr(t, fmt.Sprintf("CRLNumber(%d)", shard), err, ocsp.ErrNotFound)
		}
		equal(t, "CRLShards", crlShardsOf(t, b, issuer), []ocsp.ShardRef(nil))
	})

	first := &ca.CRL{DER: []byte{0x30, 0x03, 0xc1, 0x01, 0x01}, Number: 1, ThisUpdate: t0, NextUpdate: t0.Add(7*day - time.Second)}
	later := t0.Add(time.Hour)
	tests := []struct {
		name       string
		shard      int
		prevNumber int64
		crl        *ca.CRL
		want       error // errAny: some error other than ErrConflict
	}{
		{"first", 0, 0, first, nil},
		{"stale prevNumber", 0, 0, &ca.CRL{DER: []byte{0x30, 0x01, 0x02}, Number: 2, ThisUpdate: later, NextUpdate: later.Add(7 * day)}, ocsp.ErrConflict},
		{"prevNumber ahead", 0, 5, &ca.CRL{DER: []byte{0x30, 0x01, 0x02}, Number: 6, ThisUpdate: later, NextUpdate: later.Add(7 * day)}, ocsp.ErrConflict},
		{"number not above prevNumber", 0, 1, &ca.CRL{DER: []byte{0x30, 0x01, 0x02}, Number: 1, ThisUpdate: later, NextUpdate: later.Add(7 * day)}, errAny},
		{"number below prevNumber", 0, 1, &ca.CRL{DER: []byte{0x30, 0x01, 0x02}, Number: 0, ThisUpdate: later, NextUpdate: later.Add(7 * day)}, errAny},
		{"number zero", 1, 0, &ca.CRL{DER: []byte{0x30, 0x01, 0x02}, Number: 0, ThisUpdate: later, NextUpdate: later.Add(7 * day)}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := b.SaveCRL(ctx(t), issuer, tt.shard, tt.prevNumber, tt.crl, 0)
			if tt.want == errAny {
				if err == nil || errors.Is(err, ocsp.ErrConflict) {
					t.Errorf("SaveCRL: got %v, want an error other than %v", err, ocsp.ErrConflict)
				}
			} else {
				wantErr(t, "SaveCRL", err, tt.want)
			}
			got, err := b.CRL(ctx(t), issuer, 0)
			wantErr(t, "CRL", err, nil)
			equal(t, "DER", got.DER, first.DER)
			equal(t, "Number", got.Number, int64(1))
			equalTime(t, "ThisUpdate", got.ThisUpdate, first.ThisUpdate)
			equalTime(t, "NextUpdate", got.NextUpdate, first.NextUpdate)
			n, err := b.CRLNumber(ctx(t), issuer, 0)
			wantErr(t, "CRLNumber", err, nil)
			equal(t, "CRLNumber", n, int64(1))
			equal(t, "CRLShards", crlShardsOf(t, b, issuer), []ocsp.ShardRef{{IssuerID: issuer, Shard: 0}})
			_, err = b.CRL(ctx(t), issuer, 1)
			wantErr(t, "CRL(unsigned partition)", err, ocsp.ErrNotFound)
			wantShardStates(t, b, issuer, shardState{shard: 0, number: 1, thisUpdate: &first.ThisUpdate}, shardState{shard: 1}, shardState{shard: 2})
		})
	}

	t.Run("next", func(t *testing.T) {
		next := &ca.CRL{DER: []byte{0x30, 0x03, 0xc1, 0x01, 0x02}, Number: 2, ThisUpdate: later, NextUpdate: later.Add(7*day - time.Second)}
		wantErr(t, "SaveCRL", b.SaveCRL(ctx(t), issuer, 0, 1, next, 0), nil)
		got, err := b.CRL(ctx(t), issuer, 0)
		wantErr(t, "CRL", err, nil)
		equal(t, "DER", got.DER, next.DER)
		equal(t, "Number", got.Number, int64(2))
		equalTime(t, "ThisUpdate", got.ThisUpdate, next.ThisUpdate)
		equalTime(t, "NextUpdate", got.NextUpdate, next.NextUpdate)
		n, err := b.CRLNumber(ctx(t), issuer, 0)
		wantErr(t, "CRLNumber", err, nil)
		equal(t, "CRLNumber", n, int64(2))
		// A second partition gets its first CRL.
		wantErr(t, "SaveCRL(partition 2)", b.SaveCRL(ctx(t), issuer, 2, 0, first, 0), nil)
		equal(t, "CRLShards", crlShardsOf(t, b, issuer), []ocsp.ShardRef{{IssuerID: issuer, Shard: 0}, {IssuerID: issuer, Shard: 2}})
		wantErr(t, "EnsureCRLShards again", b.EnsureCRLShards(ctx(t), issuer, 3), nil)
		wantShardStates(t, b, issuer, shardState{shard: 0, number: 2, thisUpdate: &later}, shardState{shard: 1},
			shardState{shard: 2, number: 1, thisUpdate: &first.ThisUpdate})
	})
}

// testCRLStale checks that revocations make a partition stale until a CRL
// covering the latest revision is saved.
func testCRLStale(t *testing.T, b store.Backend) {
	acct := account(t, b)
	issuer := unique("storetest-crl-")
	wantErr(t, "EnsureCRLShards", b.EnsureCRLShards(ctx(t), issuer, 2), nil)
	at1, at2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	for _, at := range []time.Time{at1, at2} {
		c := revocable(issuer, 1, t0, t0.Add(397*day))
		issue(t, b, acct.ID, c)
		revoke(t, b, c.Serial, 0, at)
	}
	wantShardStates(t, b, issuer, shardState{shard: 0}, shardState{shard: 1, revision: 2, staleSince: &at1})

	tu1, tu2 := t0.Add(3*time.Hour), t0.Add(4*time.Hour)
	tests := []struct {
		name       string
		prevNumber int64
		crl        *ca.CRL
		revision   int64
		want       shardState
	}{
		{"covering an older revision", 0, &ca.CRL{DER: []byte{0x30, 0x01, 0x01}, Number: 1, ThisUpdate: tu1, NextUpdate: tu1.Add(7 * day)}, 1,
			shardState{shard: 1, number: 1, thisUpdate: &tu1, revision: 2, signedRevision: 1, staleSince: &at1}},
		{"covering the current revision", 1, &ca.CRL{DER: []byte{0x30, 0x01, 0x02}, Number: 2, ThisUpdate: tu2, NextUpdate: tu2.Add(7 * day)}, 2,
			shardState{shard: 1, number: 2, thisUpdate: &tu2, revision: 2, signedRevision: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, "SaveCRL", b.SaveCRL(ctx(t), issuer, 1, tt.prevNumber, tt.crl, tt.revision), nil)
			wantShardStates(t, b, issuer, shardState{shard: 0}, tt.want)
		})
	}

	t.Run("revoked again", func(t *testing.T) {
		at3 := t0.Add(5 * time.Hour)
		c := revocable(issuer, 1, t0, t0.Add(397*day))
		issue(t, b, acct.ID, c)
		revoke(t, b, c.Serial, 0, at3)
		wantShardStates(t, b, issuer, shardState{shard: 0},
			shardState{shard: 1, number: 2, thisUpdate: &tu2, revision: 3, signedRevision: 2, staleSince: &at3})
	})
}

// testRevokedEntries checks the entries of a partition's CRL.
func testRevokedEntries(t *testing.T, b store.Backend) {
	acct := account(t, b)
	issuer, other := unique("storetest-crl-"), unique("storetest-crl-")
	expiredSince := t0.Add(30 * day)
	cert := func(issuerID string, shard int, notAfter time.Time, reason int, revokedAt time.Time) *acme.Certificate {
		c := revocable(issuerID, shard, t0, notAfter)
		issue(t, b, acct.ID, c)
		if !revokedAt.IsZero() {
			revoke(t, b, c.Serial, reason, revokedAt)
		}
		return c
	}
	var none time.Time
	in := cert(issuer, 1, t0.Add(397*day), 1, t0.Add(time.Hour))
	edge := cert(issuer, 1, expiredSince, 0, t0.Add(2*time.Hour))
	superseded := cert(issuer, 1, t0.Add(90*day), 4, t0.Add(3*time.Hour))
	cert(issuer, 1, expiredSince.Add(-time.Microsecond), 1, t0.Add(time.Hour)) // expired before expiredSince
	cert(issuer, 1, t0.Add(397*day), 0, none)                                  // not revoked
	cert(issuer, 0, t0.Add(397*day), 1, t0.Add(time.Hour))                     // another partition
	cert(other, 1, t0.Add(397*day), 1, t0.Add(time.Hour))                      // another issuer

	want := []ca.CRLEntry{
		{Serial: in.Serial, RevokedAt: t0.Add(time.Hour), Reason: 1},
		{Serial: edge.Serial, RevokedAt: t0.Add(2 * time.Hour), Reason: 0},
		{Serial: superseded.Serial, RevokedAt: t0.Add(3 * time.Hour), Reason: 4},
	}
	slices.SortFunc(want, func(a, b ca.CRLEntry) int { return strings.Compare(a.Serial, b.Serial) })

	tests := []struct {
		name         string
		shard        int
		expiredSince time.Time
		want         []ca.CRLEntry
	}{
		{"unexpired revoked of the partition", 1, expiredSince, want},
		{"later expiredSince", 1, expiredSince.Add(time.Microsecond), slices.DeleteFunc(slices.Clone(want), func(e ca.CRLEntry) bool { return e.Serial == edge.Serial })},
		{"empty partition", 2, expiredSince, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []ca.CRLEntry
			err := b.RevokedEntries(ctx(t), issuer, tt.shard, tt.expiredSince, func(e ca.CRLEntry) error {
				got = append(got, e)
				return nil
			})
			wantErr(t, "RevokedEntries", err, nil)
			slices.SortFunc(got, func(a, b ca.CRLEntry) int { return strings.Compare(a.Serial, b.Serial) })
			if len(got) != len(tt.want) {
				t.Fatalf("entries: got %+v, want %+v", got, tt.want)
			}
			for i, w := range tt.want {
				equal(t, "entry serial", got[i].Serial, w.Serial)
				equal(t, "entry reason", got[i].Reason, w.Reason)
				equalTime(t, "entry RevokedAt", got[i].RevokedAt, w.RevokedAt)
			}
		})
	}

	t.Run("emit error", func(t *testing.T) {
		errStop := errors.New("storetest: stop")
		calls := 0
		err := b.RevokedEntries(ctx(t), issuer, 1, expiredSince, func(ca.CRLEntry) error {
			calls++
			return errStop
		})
		wantErr(t, "RevokedEntries", err, errStop)
		equal(t, "emit calls", calls, 1)
	})
}

// responderDetail is the detail of an "ocsp-responder-issuance" audit
// event.
type responderDetail struct {
	Serial    string    `json:"serial"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DER       string    `json:"der"`
}

// testResponderCertificate checks that a delegated OCSP responder
// certificate is recorded only under a serial its issuer reserved.
func testResponderCertificate(t *testing.T, b store.Backend) {
	issuer := unique("storetest-responder-")
	reserved, byOther := serial(), serial()
	wantErr(t, "ReserveSerial", b.ReserveSerial(ctx(t), reserved, issuer, t0), nil)
	wantErr(t, "ReserveSerial", b.ReserveSerial(ctx(t), byOther, ca.IssuerEV, t0), nil)
	der := []byte{0x30, 0x82, 0x01, 0x0a, 0x02, 0x01, 0x07, 0xff}
	rc := func(s string) ca.ResponderCertificate {
		return ca.ResponderCertificate{Serial: s, IssuerID: issuer, DER: der, NotBefore: t0, NotAfter: t0.Add(7 * day)}
	}

	tests := []struct {
		name string
		rc   ca.ResponderCertificate
		ok   bool
	}{
		{"unreserved serial", rc(serial()), false},
		{"serial reserved by another issuer", rc(byOther), false},
		{"reserved serial", rc(reserved), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := auditEvents(t, b)
			err := b.RecordResponderCertificate(ctx(t), tt.rc)
			after := auditEvents(t, b)
			if !tt.ok {
				if err == nil {
					t.Errorf("RecordResponderCertificate: got nil error, want an error")
				}
				equal(t, "audit events after a refusal", len(after), len(before))
				for _, e := range after {
					if e.Subject == tt.rc.Serial {
						t.Errorf("audit event %q about the refused serial %s", e.Kind, tt.rc.Serial)
					}
				}
				return
			}
			wantErr(t, "RecordResponderCertificate", err, nil)
			if len(after) != len(before)+1 {
				t.Fatalf("audit events: got %d new, want 1", len(after)-len(before))
			}
			e := after[len(after)-1]
			equal(t, "kind, actor, subject", []string{e.Kind, e.Actor, e.Subject}, []string{"ocsp-responder-issuance", "ca:" + issuer, tt.rc.Serial})
			var d responderDetail
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatalf("responder detail %s: %v", e.Detail, err)
			}
			equal(t, "detail serial", d.Serial, tt.rc.Serial)
			equal(t, "detail issuer", d.Issuer, issuer)
			equalTime(t, "detail not_before", d.NotBefore, t0)
			equalTime(t, "detail not_after", d.NotAfter, t0.Add(7*day))
			got, err := base64.StdEncoding.DecodeString(d.DER)
			if err != nil {
				t.Fatalf("detail der %q: %v", d.DER, err)
			}
			if !bytes.Equal(got, der) {
				t.Errorf("detail der: got %x, want %x", got, der)
			}
		})
	}
}
