package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/ocsp"
	"github.com/kakuin/kakuin/store"
)

// serial returns a unique lower-case hex serial.
func serial() string { return unique("7f00aa") }

func newCert(serial string) *acme.Certificate {
	return &acme.Certificate{Serial: serial, IssuerID: ca.IssuerOV, DER: []byte{0x30, 0x82, 0x01, 0x00, 0xff},
		ChainPEM:  []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
		NotBefore: t0, NotAfter: t0.Add(397 * 24 * time.Hour), KeyHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		CreatedAt: t0}
}

// readyOrder creates an order whose authorizations are all valid (from t0
// to t0 + reuse).
func readyOrder(t *testing.T, b store.Backend, accountID int64, names ...string) (*acme.Order, []*acme.Authorization) {
	t.Helper()
	o, azs := order(t, b, accountID, names...)
	for _, az := range azs {
		validate(t, b, az.Challenges[0].ID, true)
	}
	return o, azs
}

// ready creates a ready order and moves it to processing.
func ready(t *testing.T, b store.Backend, accountID int64, names ...string) *acme.Order {
	t.Helper()
	o, _ := readyOrder(t, b, accountID, names...)
	wantErr(t, "BeginFinalize", b.BeginFinalize(ctx(t), o.ID, t0), nil)
	return o
}

func testFinalize(t *testing.T, b store.Backend) {
	acct := account(t, b)
	problem := []byte(`{"type":"urn:ietf:params:acme:error:badCSR"}`)

	t.Run("begin", func(t *testing.T) {
		o, _ := readyOrder(t, b, acct.ID, "begin.example.com")
		got, err := b.GetOrder(ctx(t), o.ID)
		wantErr(t, "GetOrder", err, nil)
		equalTimePtr(t, "FinalizeStarted of a pending order", got.FinalizeStarted, nil)
		at := t0.Add(time.Minute)
		wantErr(t, "BeginFinalize", b.BeginFinalize(ctx(t), o.ID, at), nil)
		wantErr(t, "BeginFinalize again", b.BeginFinalize(ctx(t), o.ID, t0.Add(time.Hour)), acme.ErrConflict)
		wantErr(t, "BeginFinalize(missing)", b.BeginFinalize(ctx(t), 1_000_000, t0), acme.ErrNotFound)
		got, err = b.GetOrder(ctx(t), o.ID)
		wantErr(t, "GetOrder", err, nil)
		equal(t, "StoredStatus", got.StoredStatus, acme.StatusProcessing)
		equalTimePtr(t, "FinalizeStarted", got.FinalizeStarted, &at)
	})

	t.Run("begin only when ready", func(t *testing.T) { testBeginFinalizeReady(t, b, acct.ID) })

	t.Run("fail interrupted", func(t *testing.T) {
		// Far before t0, so that the processing orders of the other
		// subtests (begun at t0) are not affected.
		long := t0.Add(-30 * 24 * time.Hour)
		cutoff := long.Add(5 * time.Minute)
		begin := func(name string, at time.Time) *acme.Order {
			o, _ := readyOrder(t, b, acct.ID, name)
			wantErr(t, "BeginFinalize", b.BeginFinalize(ctx(t), o.ID, at), nil)
			return o
		}
		stale := begin("stale.example.com", long)
		atCutoff := begin("cutoff.example.com", cutoff)
		fresh := begin("fresh.example.com", cutoff.Add(time.Second))
		pending, _ := order(t, b, acct.ID, "pending-interrupted.example.com")
		completed := begin("completed.example.com", long)
		s := serial()
		wantErr(t, "ReserveSerial", b.ReserveSerial(ctx(t), s, ca.IssuerOV, t0), nil)
		wantErr(t, "CompleteOrder", b.CompleteOrder(ctx(t), completed.ID, newCert(s)), nil)
		interrupted := []byte(`{"type":"urn:ietf:params:acme:error:serverInternal","detail":"issuance was interrupted; create a new order"}`)

		n, err := b.FailInterruptedOrders(ctx(t), cutoff, interrupted)
		wantErr(t, "FailInterruptedOrders", err, nil)
		equal(t, "orders failed", n, int64(1))
		n, err = b.FailInterruptedOrders(ctx(t), cutoff, interrupted)
		wantErr(t, "FailInterruptedOrders again", err, nil)
		equal(t, "orders failed again", n, int64(0))

		tests := []struct {
			name      string
			o         *acme.Order
			want      string
			wantError string
		}{
			{"begun before the cutoff", stale, acme.StatusInvalid, string(interrupted)},
			{"begun at the cutoff", atCutoff, acme.StatusProcessing, ""},
			{"begun after the cutoff", fresh, acme.StatusProcessing, ""},
			{"pending", pending, acme.StatusPending, ""},
			{"completed", completed, acme.StatusValid, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := b.GetOrder(ctx(t), tt.o.ID)
				wantErr(t, "GetOrder", err, nil)
				equal(t, "StoredStatus", got.StoredStatus, tt.want)
				equal(t, "Error", string(got.Error), tt.wantError)
			})
		}
		// The interrupted process cannot complete the order afterwards.
		late := serial()
		wantErr(t, "ReserveSerial", b.ReserveSerial(ctx(t), late, ca.IssuerOV, t0), nil)
		wantErr(t, "CompleteOrder(interrupted)", b.CompleteOrder(ctx(t), stale.ID, newCert(late)), acme.ErrConflict)
	})

	t.Run("fail", func(t *testing.T) {
		pending, _ := order(t, b, acct.ID, "fail.example.com")
		wantErr(t, "FailOrder(pending)", b.FailOrder(ctx(t), pending.ID, problem), acme.ErrConflict)
		wantErr(t, "FailOrder(missing)", b.FailOrder(ctx(t), 1_000_000, problem), acme.ErrNotFound)
		o := ready(t, b, acct.ID, "fail.example.com")
		wantErr(t, "FailOrder", b.FailOrder(ctx(t), o.ID, problem), nil)
		got, err := b.GetOrder(ctx(t), o.ID)
		wantErr(t, "GetOrder", err, nil)
		equal(t, "StoredStatus", got.StoredStatus, acme.StatusInvalid)
		equal(t, "Error", string(got.Error), string(problem))
		wantErr(t, "FailOrder again", b.FailOrder(ctx(t), o.ID, problem), acme.ErrConflict)
		wantErr(t, "BeginFinalize(invalid)", b.BeginFinalize(ctx(t), o.ID, t0), acme.ErrConflict)
	})

	t.Run("refuse", func(t *testing.T) {
		pending, _ := order(t, b, acct.ID, "refuse.example.com")
		wantErr(t, "RefuseIssuance(pending)", b.RefuseIssuance(ctx(t), pending.ID, problem, "lint"), acme.ErrConflict)
		wantErr(t, "RefuseIssuance(missing)", b.RefuseIssuance(ctx(t), 1_000_000, problem, "lint"), acme.ErrNotFound)
		o := ready(t, b, acct.ID, "refuse.example.com")
		wantErr(t, "RefuseIssuance", b.RefuseIssuance(ctx(t), o.ID, problem, "ca: certificate failed pre-issuance lint: e_x"), nil)
		got, err := b.GetOrder(ctx(t), o.ID)
		wantErr(t, "GetOrder", err, nil)
		equal(t, "StoredStatus", got.StoredStatus, acme.StatusInvalid)
		equal(t, "Error", string(got.Error), string(problem))
		var found int
		for _, e := range auditEvents(t, b) {
			if e.Kind != "issuance_refused" {
				continue
			}
			found++
			equal(t, "subject", e.Subject, "order:"+itoa(o.ID))
			equal(t, "actor", e.Actor, "acme:account/"+itoa(acct.ID))
			var d struct {
				OrderID int64    `json:"order_id"`
				Names   []string `json:"names"`
				Reason  string   `json:"reason"`
			}
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatal(err)
			}
			equal(t, "detail", d.Names, []string{"refuse.example.com"})
			equal(t, "reason", d.Reason, "ca: certificate failed pre-issuance lint: e_x")
		}
		equal(t, "issuance_refused events (refused calls write none)", found, 1)
	})

	t.Run("complete", func(t *testing.T) {
		o := ready(t, b, acct.ID, "www.complete.example.com", "complete.example.com")
		s := serial()
		wantErr(t, "ReserveSerial", b.ReserveSerial(ctx(t), s, ca.IssuerOV, t0), nil)
		cert := newCert(s)
		wantErr(t, "CompleteOrder", b.CompleteOrder(ctx(t), o.ID, cert), nil)
		equal(t, "cert OrderID", cert.OrderID, o.ID)
		equal(t, "cert AccountID", cert.AccountID, acct.ID)

		got, err := b.GetOrder(ctx(t), o.ID)
		wantErr(t, "GetOrder", err, nil)
		equal(t, "StoredStatus", got.StoredStatus, acme.StatusValid)
		equal(t, "CertSerial", got.CertSerial, s)

		stored, err := b.GetCertificate(ctx(t), s)
		wantErr(t, "GetCertificate", err, nil)
		equalTime(t, "NotBefore", stored.NotBefore, cert.NotBefore)
		equalTime(t, "NotAfter", stored.NotAfter, cert.NotAfter)
		equalTime(t, "CreatedAt", stored.CreatedAt, t0)
		stored.NotBefore, stored.NotAfter, stored.CreatedAt = cert.NotBefore, cert.NotAfter, cert.CreatedAt
		equal(t, "certificate", *stored, *cert)

		var found bool
		for _, e := range auditEvents(t, b) {
			if e.Kind != "issuance" || e.Subject != s {
				continue
			}
			found = true
			var d struct {
				Serial string
				Names  []string
			}
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatalf("issuance detail %s: %v", e.Detail, err)
			}
			equal(t, "issuance serial", d.Serial, s)
			equal(t, "issuance names", d.Names, o.Names)
			equal(t, "issuance actor", e.Actor, "acme:account/"+itoa(acct.ID))
		}
		if !found {
			t.Errorf("no issuance audit event for %s", s)
		}
		wantErr(t, "CompleteOrder again", b.CompleteOrder(ctx(t), o.ID, newCert(serial())), acme.ErrConflict)
	})

	t.Run("complete refused", func(t *testing.T) {
		pending, _ := order(t, b, acct.ID, "refused.example.com")
		s := serial()
		wantErr(t, "ReserveSerial", b.ReserveSerial(ctx(t), s, ca.IssuerOV, t0), nil)
		before := len(auditEvents(t, b))
		wantErr(t, "CompleteOrder(pending)", b.CompleteOrder(ctx(t), pending.ID, newCert(s)), acme.ErrConflict)
		wantErr(t, "CompleteOrder(missing)", b.CompleteOrder(ctx(t), 1_000_000, newCert(s)), acme.ErrNotFound)
		o := ready(t, b, acct.ID, "refused.example.com")
		if err := b.CompleteOrder(ctx(t), o.ID, newCert(serial())); err == nil {
			t.Errorf("CompleteOrder with an unreserved serial: got nil error, want an error")
		}
		_, err := b.GetCertificate(ctx(t), s)
		wantErr(t, "GetCertificate after refusals", err, acme.ErrNotFound)
		if after := len(auditEvents(t, b)); after != before {
			t.Errorf("audit events after refused completions: got %d, want %d", after, before)
		}
		got, err := b.GetOrder(ctx(t), o.ID)
		wantErr(t, "GetOrder", err, nil)
		equal(t, "StoredStatus after refusal", got.StoredStatus, acme.StatusProcessing)
		// The order can still complete with a reserved serial.
		wantErr(t, "CompleteOrder", b.CompleteOrder(ctx(t), o.ID, newCert(s)), nil)
		// A certificate serial is stored once.
		other := ready(t, b, acct.ID, "refused.example.com")
		wantErr(t, "CompleteOrder(serial of another certificate)", b.CompleteOrder(ctx(t), other.ID, newCert(s)), acme.ErrDuplicate)
	})
}

func testCertificates(t *testing.T, b store.Backend) {
	acct := account(t, b)

	t.Run("reserve serial", func(t *testing.T) {
		s := serial()
		tests := []struct {
			name   string
			serial string
			want   error // nil, ErrSerialExists, or errAny for another error
		}{
			{"new", s, nil},
			{"again", s, ca.ErrSerialExists},
			{"again by another issuer", s, ca.ErrSerialExists},
			{"upper case", "7F00AA", errAny},
			{"empty", "", errAny},
			{"not hex", "7g", errAny},
			{"longer than 20 octets", "01234567890123456789012345678901234567890", errAny},
			{"20 octets", "0123456789012345678901234567890123456789", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := b.ReserveSerial(ctx(t), tt.serial, ca.IssuerEV, t0)
				if tt.want == errAny {
					if err == nil || err == ca.ErrSerialExists {
						t.Errorf("ReserveSerial(%q): got %v, want a validation error", tt.serial, err)
					}
					return
				}
				wantErr(t, "ReserveSerial", err, tt.want)
			})
		}
	})

	t.Run("revoke", func(t *testing.T) {
		o := ready(t, b, acct.ID, "revoke.example.com")
		s := serial()
		wantErr(t, "ReserveSerial", b.ReserveSerial(ctx(t), s, ca.IssuerOV, t0), nil)
		wantErr(t, "CompleteOrder", b.CompleteOrder(ctx(t), o.ID, newCert(s)), nil)
		got, err := b.GetCertificate(ctx(t), s)
		wantErr(t, "GetCertificate", err, nil)
		if got.RevokedAt != nil || got.RevokedReason != 0 {
			t.Errorf("new certificate: got revoked at %v reason %d, want not revoked", got.RevokedAt, got.RevokedReason)
		}

		at := t0.Add(time.Hour)
		wantErr(t, "RevokeCertificate", b.RevokeCertificate(ctx(t), ocsp.Revocation{Serial: s, Reason: 1, At: at, Actor: "acme:account/1"}), nil)
		got, err = b.GetCertificate(ctx(t), s)
		wantErr(t, "GetCertificate", err, nil)
		equalTimePtr(t, "RevokedAt", got.RevokedAt, &at)
		equal(t, "RevokedReason", got.RevokedReason, 1)

		wantErr(t, "RevokeCertificate again", b.RevokeCertificate(ctx(t), ocsp.Revocation{Serial: s, Reason: 4, At: at, Actor: "cli"}), acme.ErrAlreadyRevoked)
		wantErr(t, "RevokeCertificate(missing)", b.RevokeCertificate(ctx(t), ocsp.Revocation{Serial: "abcdef", At: at, Actor: "cli"}), ocsp.ErrNotFound)
		_, err = b.GetCertificate(ctx(t), "abcdef")
		wantErr(t, "GetCertificate(missing)", err, acme.ErrNotFound)

		n := 0
		for _, e := range auditEvents(t, b) {
			if e.Kind != "revocation" || e.Subject != s {
				continue
			}
			n++
			var d struct {
				Serial string
				Reason int
			}
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatalf("revocation detail %s: %v", e.Detail, err)
			}
			equal(t, "revocation detail", d, struct {
				Serial string
				Reason int
			}{s, 1})
			equal(t, "revocation actor", e.Actor, "acme:account/1")
			equalTime(t, "revocation time", e.At, at)
		}
		equal(t, "revocation audit events", n, 1)
	})
}

// testBeginFinalizeReady checks that BeginFinalize itself requires the
// order ready at the time given (RFC 8555 §7.4): not expired, and every
// authorization valid and unexpired, whatever the caller read before.
func testBeginFinalizeReady(t *testing.T, b store.Backend, accountID int64) {
	orderExpires := t0.Add(7 * 24 * time.Hour) // see order
	authzExpires := t0.Add(reuse)              // see validate
	tests := []struct {
		name  string
		names []string
		// prepare changes the ready order's authorizations.
		prepare func(t *testing.T, azs []*acme.Authorization)
		at      time.Time
		want    error
	}{
		{"ready", []string{"ready.example.com"}, nil, t0, nil},
		{"ready, two names", []string{"a.ready.example.com", "b.ready.example.com"}, nil, t0, nil},
		{"just before the order expires", []string{"late.example.com"}, nil, orderExpires.Add(-time.Microsecond), nil},
		{"order expired", []string{"expired-order.example.com"}, nil, orderExpires, acme.ErrConflict},
		{"authorization expired", []string{"expired-authz.example.com"}, nil, authzExpires, acme.ErrConflict},
		{"authorization deactivated", []string{"deactivated.ready.example.com"}, func(t *testing.T, azs []*acme.Authorization) {
			wantErr(t, "DeactivateAuthorization", b.DeactivateAuthorization(ctx(t), azs[0].ID), nil)
		}, t0, acme.ErrConflict},
		{"one of two authorizations deactivated", []string{"a.half.example.com", "b.half.example.com"}, func(t *testing.T, azs []*acme.Authorization) {
			wantErr(t, "DeactivateAuthorization", b.DeactivateAuthorization(ctx(t), azs[1].ID), nil)
		}, t0, acme.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, azs := readyOrder(t, b, accountID, tt.names...)
			if tt.prepare != nil {
				tt.prepare(t, azs)
			}
			wantErr(t, "BeginFinalize", b.BeginFinalize(ctx(t), o.ID, tt.at), tt.want)
			got, err := b.GetOrder(ctx(t), o.ID)
			wantErr(t, "GetOrder", err, nil)
			want := acme.StatusProcessing
			if tt.want != nil {
				want = acme.StatusPending
			}
			equal(t, "StoredStatus", got.StoredStatus, want)
		})
	}
	t.Run("authorizations pending", func(t *testing.T) {
		o, azs := order(t, b, accountID, "a.pending.example.com", "b.pending.example.com")
		wantErr(t, "BeginFinalize(both pending)", b.BeginFinalize(ctx(t), o.ID, t0), acme.ErrConflict)
		validate(t, b, azs[0].Challenges[0].ID, true)
		wantErr(t, "BeginFinalize(one pending)", b.BeginFinalize(ctx(t), o.ID, t0), acme.ErrConflict)
		validate(t, b, azs[1].Challenges[0].ID, false)
		wantErr(t, "BeginFinalize(one invalid)", b.BeginFinalize(ctx(t), o.ID, t0), acme.ErrConflict)
	})
	t.Run("no authorizations", func(t *testing.T) {
		o := &acme.Order{AccountID: accountID, Names: []string{"none.example.com"}, Profile: "ov", Expires: t0.Add(time.Hour), CreatedAt: t0}
		wantErr(t, "CreateOrder", b.CreateOrder(ctx(t), o, nil), nil)
		wantErr(t, "BeginFinalize(no authorizations)", b.BeginFinalize(ctx(t), o.ID, t0), acme.ErrConflict)
	})
}
