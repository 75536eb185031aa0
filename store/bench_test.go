package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/pgtest"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// BenchmarkIssuance runs the store calls of one ACME issuance of a
// one-name certificate (RFC 8555 §7: nonces, account lookups, newOrder,
// challenge, finalize, download), in parallel.
func BenchmarkIssuance(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		s, err := store.Open(b.Context(), store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(b.TempDir(), "bench.db")})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchIssuance(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s, err := store.Open(b.Context(), store.Options{Driver: store.DriverPostgres, DSN: pgtest.NewDatabase(b), MaxConns: 16})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchIssuance(b, s)
	})
}

func benchIssuance(b *testing.B, s store.Backend) {
	ctx := b.Context()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	o := &vetting.Organization{Name: "Bench", Country: "JP"}
	must(b, s.CreateOrganization(ctx, o, &vetting.AuditEvent{Kind: "org.create", Actor: "bench"}))
	c := &vetting.Contract{Code: "1000000001", OrganizationID: o.ID, Plan: vetting.PlanMonthly, Slots: 1 << 30, Profiles: []string{"ov"}}
	must(b, s.CreateContract(ctx, c, &vetting.AuditEvent{Kind: "contract.create", Actor: "bench"}))
	e := &vetting.EABCredential{KeyID: "bench", ContractCode: c.Code, HMACKey: make([]byte, 32)}
	must(b, s.CreateEABCredential(ctx, e, &vetting.AuditEvent{Kind: "eab.create", Actor: "bench"}))
	var n atomic.Int64
	b.SetParallelism(4) // requests in flight per CPU, as an HTTP server has
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		a := &acme.Account{KeyJWK: []byte(`{}`), KeyThumbprint: fmt.Sprint("tp-", n.Add(1))}
		must(b, s.CreateAccount(ctx, a, acme.EABBinding{KeyID: e.KeyID, MaxAccounts: 1 << 30}))
		for pb.Next() {
			issue(b, ctx, s, a.ID, n.Add(1))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "issuances/s")
}

func issue(b *testing.B, ctx context.Context, s store.Backend, accountID, i int64) {
	now := time.Now()
	k := 0
	request := func() { // every kid-signed JWS request: redeem its nonce, load the account
		k++
		_, fresh, err := s.RedeemNonceAndGetAccount(ctx, fmt.Sprint("n-", i, "-", k), now.Add(time.Hour), accountID)
		must(b, err)
		if !fresh {
			b.Fatal("a new nonce was not fresh")
		}
	}
	name := fmt.Sprintf("h%d.example.com", i)
	request() // newOrder
	_, err := s.FindOrderByNames(ctx, accountID, []string{name}, now)
	if err == nil {
		b.Fatal("found an order for a new name")
	}
	if _, err := s.FindReusableAuthz(ctx, accountID, name, "ov", []string{acme.StatusValid}, now); err == nil {
		b.Fatal("found an authorization for a new name")
	}
	az := &acme.Authorization{AccountID: accountID, Identifier: acme.Identifier{Type: "dns", Value: name}, Expires: now.Add(time.Hour),
		Challenges: []acme.Challenge{{Type: acme.ChallengeHTTP01, Token: name + "h"}, {Type: acme.ChallengeDNS01, Token: name + "d"}, {Type: acme.ChallengeTLSALPN01, Token: name + "t"}}}
	o := &acme.Order{AccountID: accountID, Names: []string{name}, Identifiers: []acme.Identifier{az.Identifier}, Profile: "ov", Expires: now.Add(time.Hour)}
	must(b, s.CreateOrder(ctx, o, []*acme.Authorization{az}))
	request() // GET authorization
	_, err = s.GetAuthorization(ctx, az.ID)
	must(b, err)
	request() // POST challenge
	_, err = s.GetChallenge(ctx, az.Challenges[0].ID)
	must(b, err)
	_, err = s.GetAuthorization(ctx, az.ID)
	must(b, err)
	must(b, s.StartChallenge(ctx, az.Challenges[0].ID, now))
	must(b, s.CompleteChallenge(ctx, az.Challenges[0].ID, true, nil, now, now.Add(time.Hour)))
	request() // finalize
	o2, err := s.GetOrder(ctx, o.ID)
	must(b, err)
	_, err = s.GetAuthorizations(ctx, o2.AuthzIDs)
	must(b, err)
	must(b, s.BeginFinalize(ctx, o.ID, now))
	serial := fmt.Sprintf("%x", 1<<40+i)
	must(b, s.ReserveSerial(ctx, serial, ca.IssuerOV, now))
	must(b, s.CompleteOrder(ctx, o.ID, &acme.Certificate{Serial: serial, IssuerID: ca.IssuerOV, DER: make([]byte, 1200),
		NotBefore: now, NotAfter: now.Add(24 * time.Hour), KeyHash: "00"}))
	request() // download
	_, err = s.GetCertificate(ctx, serial)
	must(b, err)
}

func must(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRequest runs the store calls every kid-signed ACME request makes
// (RFC 8555 §6.2, §6.5), redeem its nonce and load its account, as two
// calls and as one.
func BenchmarkRequest(b *testing.B) {
	open := map[string]func(b *testing.B) store.Backend{
		"sqlite": func(b *testing.B) store.Backend {
			s, err := store.Open(b.Context(), store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(b.TempDir(), "bench.db")})
			must(b, err)
			return s
		},
		"postgres": func(b *testing.B) store.Backend {
			s, err := store.Open(b.Context(), store.Options{Driver: store.DriverPostgres, DSN: pgtest.NewDatabase(b), MaxConns: 16})
			must(b, err)
			return s
		},
	}
	for _, driver := range []string{"sqlite", "postgres"} {
		for _, mode := range []string{"separate", "combined"} {
			b.Run(driver+"/"+mode, func(b *testing.B) {
				s := open[driver](b)
				defer s.Close()
				benchRequest(b, s, mode == "combined")
			})
		}
	}
}

func benchRequest(b *testing.B, s store.Backend, combined bool) {
	ctx := b.Context()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	o := &vetting.Organization{Name: "Bench", Country: "JP"}
	must(b, s.CreateOrganization(ctx, o, &vetting.AuditEvent{Kind: "org.create", Actor: "bench"}))
	c := &vetting.Contract{Code: "1000000001", OrganizationID: o.ID, Plan: vetting.PlanMonthly, Slots: 1, Profiles: []string{"ov"}}
	must(b, s.CreateContract(ctx, c, &vetting.AuditEvent{Kind: "contract.create", Actor: "bench"}))
	e := &vetting.EABCredential{KeyID: "bench", ContractCode: c.Code, HMACKey: make([]byte, 32)}
	must(b, s.CreateEABCredential(ctx, e, &vetting.AuditEvent{Kind: "eab.create", Actor: "bench"}))
	a := &acme.Account{KeyJWK: []byte(`{}`), KeyThumbprint: "tp"}
	must(b, s.CreateAccount(ctx, a, acme.EABBinding{KeyID: e.KeyID, MaxAccounts: 1}))
	var n atomic.Int64
	exp := time.Now().Add(time.Hour)
	b.SetParallelism(4) // requests in flight per CPU, as an HTTP server has
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprint("n-", n.Add(1))
			if combined {
				_, _, err := s.RedeemNonceAndGetAccount(ctx, id, exp, a.ID)
				must(b, err)
				continue
			}
			must(b, s.RedeemNonce(ctx, id, exp))
			_, err := s.GetAccount(ctx, a.ID)
			must(b, err)
		}
	})
}
