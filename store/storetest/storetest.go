// Package storetest is the conformance suite of store.Backend: every
// implementation (SQLite, PostgreSQL) must pass Run. It exercises every
// method of acme.Store, ca.Store and vetting.Store, including their error
// cases and races between concurrent callers.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// Run runs the suite. open must return a backend on a fresh, empty
// database that nothing else uses (not migrated: Run migrates it) and
// arrange for it to be closed when t ends. Run calls open once per group of
// tests.
func Run(t *testing.T, open func(t *testing.T) store.Backend) {
	groups := []struct {
		name string
		fn   func(t *testing.T, b store.Backend)
	}{
		{"Nonces", testNonces},
		{"NonceKey", testNonceKey},
		{"Accounts", testAccounts},
		{"EAB", testEAB},
		{"Orders", testOrders},
		{"Authorizations", testAuthorizations},
		{"Challenges", testChallenges},
		{"Finalize", testFinalize},
		{"Certificates", testCertificates},
		{"Vetting", testVetting},
		{"Contacts", testContacts},
		{"Cases", testCases},
		{"ContractStatus", testContractStatus},
		{"VettingAudit", testVettingAudit},
		{"Audit", testAudit},
		{"Times", testTimes},
		{"Revocation", testRevocation},
		{"Renewal", testRenewal},
	}
	t.Run("Migrate", func(t *testing.T) { testMigrate(t, open) })
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			b := open(t)
			if _, err := b.Migrate(ctx(t)); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			g.fn(t, b)
		})
	}
}

// t0 is the suite's "now": nanoseconds and a non-UTC zone check that times
// come back in UTC, truncated to the microsecond.
var t0 = time.Date(2031, 4, 5, 6, 7, 8, 123456789, time.FixedZone("JST", 9*3600))

// reuse is how long the suite's valid authorizations live after validation
// (acme.Policy.AuthzReuse).
const reuse = 200 * 24 * time.Hour

// stored is t as a store returns it.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ctx(t *testing.T) context.Context { return t.Context() }

// wantErr fails unless errors.Is(err, want); want nil means no error.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: got error %v, want nil", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func equalTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(stored(want)) || got.Location() != time.UTC {
		t.Errorf("%s: got %v, want %v", what, got, stored(want))
	}
}

func equalTimePtr(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s: got %v, want %v", what, got, want)
	default:
		equalTime(t, what, *got, *want)
	}
}

// errAny in a test table means "some error".
var errAny = errors.New("storetest: any error")

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var seq atomic.Int64

// unique returns a value unique within the test binary.
func unique(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

// contract creates an organization and a contract with the status.
func contract(t *testing.T, b store.Backend, status string) *vetting.Contract {
	t.Helper()
	o := &vetting.Organization{Name: "Example K.K.", NameJa: "例株式会社", Country: "JP", Province: "Tokyo", Locality: "Chiyoda-ku", CreatedAt: t0}
	wantErr(t, "CreateOrganization", b.CreateOrganization(ctx(t), o, event("org.create")), nil)
	c := &vetting.Contract{Code: unique("12"), OrganizationID: o.ID, Plan: vetting.PlanMonthly, Slots: 5,
		Profiles: []string{"ov", "ev"}, Status: status, CreatedAt: t0}
	wantErr(t, "CreateContract", b.CreateContract(ctx(t), c, event("contract.create")), nil)
	return c
}

// credential creates an EAB credential of the contract.
func credential(t *testing.T, b store.Backend, contractCode string) *vetting.EABCredential {
	t.Helper()
	e := &vetting.EABCredential{KeyID: unique("kid-"), ContractCode: contractCode, HMACKey: []byte("0123456789abcdef0123456789abcdef"),
		Status: vetting.CredentialActive, CreatedAt: t0}
	wantErr(t, "CreateEABCredential", b.CreateEABCredential(ctx(t), e, event("eab.create")), nil)
	return e
}

// newAccount returns an unsaved account with a unique key.
func newAccount() *acme.Account {
	tp := unique("thumb-")
	return &acme.Account{Status: acme.StatusValid, Contact: []string{"mailto:admin@example.com"},
		KeyJWK: []byte(`{"kty":"EC","kid":"` + tp + `"}`), KeyThumbprint: tp, CreatedAt: t0}
}

// account creates an account bound to a fresh credential of an active
// contract.
func account(t *testing.T, b store.Backend) *acme.Account {
	t.Helper()
	c := contract(t, b, vetting.ContractActive)
	e := credential(t, b, c.Code)
	a := newAccount()
	wantErr(t, "CreateAccount", b.CreateAccount(ctx(t), a, acme.EABBinding{KeyID: e.KeyID, MaxAccounts: 1}), nil)
	return a
}

// newAuthz returns an unsaved pending authorization for name with the
// three challenge types.
func newAuthz(accountID int64, name string, expires time.Time) *acme.Authorization {
	a := &acme.Authorization{AccountID: accountID, Identifier: acme.Identifier{Type: "dns", Value: name},
		Status: acme.StatusPending, Expires: expires, CreatedAt: t0}
	for _, typ := range []string{acme.ChallengeHTTP01, acme.ChallengeDNS01, acme.ChallengeTLSALPN01} {
		a.Challenges = append(a.Challenges, acme.Challenge{Type: typ, Token: unique("token-"), Status: acme.StatusPending})
	}
	return a
}

// order creates a pending order of the account for names with one new
// authorization per name.
func order(t *testing.T, b store.Backend, accountID int64, names ...string) (*acme.Order, []*acme.Authorization) {
	t.Helper()
	names = slices.Sorted(slices.Values(names))
	o := &acme.Order{AccountID: accountID, Names: names, Profile: "ov", Expires: t0.Add(7 * 24 * time.Hour), CreatedAt: t0}
	var azs []*acme.Authorization
	for _, n := range names {
		o.Identifiers = append(o.Identifiers, acme.Identifier{Type: "dns", Value: n})
		azs = append(azs, newAuthz(accountID, n, t0.Add(7*24*time.Hour)))
	}
	wantErr(t, "CreateOrder", b.CreateOrder(ctx(t), o, azs), nil)
	return o, azs
}

// event returns an audit event of the kind by "cli" at t0, to go with a
// change.
func event(kind string) *vetting.AuditEvent {
	return &vetting.AuditEvent{At: t0, Kind: kind, Actor: "cli", Detail: []byte(`{"by":"storetest"}`)}
}

// auditEvents returns every audit event.
func auditEvents(t *testing.T, b store.Backend) []*vetting.AuditEvent {
	t.Helper()
	evs, err := b.AuditEvents(ctx(t), 0, 1000)
	wantErr(t, "AuditEvents", err, nil)
	return evs
}
