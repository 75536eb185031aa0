package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

func testAccounts(t *testing.T, b store.Backend) {
	c := contract(t, b, vetting.ContractActive)
	e := credential(t, b, c.Code)
	bind := acme.EABBinding{KeyID: e.KeyID, MaxAccounts: 10}

	a := newAccount()
	a.ContractCode = "ignored: set from the credential"
	agreed := t0.Add(-time.Second)
	a.TermsAgreedAt, a.TermsOfService = &agreed, "https://ca.example.com/tos/v3"
	wantErr(t, "CreateAccount", b.CreateAccount(ctx(t), a, bind), nil)
	if a.ID == 0 {
		t.Fatalf("CreateAccount: got ID 0, want it set")
	}
	equal(t, "ContractCode", a.ContractCode, c.Code)
	equal(t, "EABKeyID", a.EABKeyID, e.KeyID)

	t.Run("get", func(t *testing.T) {
		for name, get := range map[string]func() (*acme.Account, error){
			"by id":         func() (*acme.Account, error) { return b.GetAccount(ctx(t), a.ID) },
			"by thumbprint": func() (*acme.Account, error) { return b.GetAccountByThumbprint(ctx(t), a.KeyThumbprint) },
		} {
			t.Run(name, func(t *testing.T) {
				got, err := get()
				wantErr(t, "get", err, nil)
				want := *a
				want.CreatedAt = stored(t0)
				equalTime(t, "CreatedAt", got.CreatedAt, t0)
				equalTimePtr(t, "TermsAgreedAt", got.TermsAgreedAt, &agreed)
				got.CreatedAt, got.TermsAgreedAt = want.CreatedAt, want.TermsAgreedAt
				equal(t, "account", *got, want)
			})
		}
	})
	t.Run("no terms agreement", func(t *testing.T) {
		n := newAccount()
		wantErr(t, "CreateAccount", b.CreateAccount(ctx(t), n, bind), nil)
		got, err := b.GetAccount(ctx(t), n.ID)
		wantErr(t, "GetAccount", err, nil)
		if got.TermsAgreedAt != nil || got.TermsOfService != "" {
			t.Errorf("terms: got agreed at %v to %q, want no agreement", got.TermsAgreedAt, got.TermsOfService)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := b.GetAccount(ctx(t), a.ID+1000)
		wantErr(t, "GetAccount(missing)", err, acme.ErrNotFound)
		_, err = b.GetAccountByThumbprint(ctx(t), "no-such-thumbprint")
		wantErr(t, "GetAccountByThumbprint(missing)", err, acme.ErrNotFound)
		wantErr(t, "UpdateAccountContact(missing)", b.UpdateAccountContact(ctx(t), a.ID+1000, nil), acme.ErrNotFound)
		wantErr(t, "DeactivateAccount(missing)", b.DeactivateAccount(ctx(t), a.ID+1000), acme.ErrNotFound)
		wantErr(t, "ChangeAccountKey(missing)", b.ChangeAccountKey(ctx(t), a.ID+1000, "x", []byte("{}"), "y"), acme.ErrNotFound)
	})
	t.Run("duplicate key", func(t *testing.T) {
		dup := newAccount()
		dup.KeyThumbprint = a.KeyThumbprint
		wantErr(t, "CreateAccount(same key)", b.CreateAccount(ctx(t), dup, bind), acme.ErrDuplicate)
		if dup.ID != 0 {
			t.Errorf("failed CreateAccount: got ID %d, want 0", dup.ID)
		}
	})
	t.Run("contact", func(t *testing.T) {
		tests := []struct {
			name    string
			contact []string
		}{
			{"two", []string{"mailto:a@example.com", "mailto:b@example.com"}},
			{"none", nil},
			{"one", []string{"mailto:c@example.com"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantErr(t, "UpdateAccountContact", b.UpdateAccountContact(ctx(t), a.ID, tt.contact), nil)
				got, err := b.GetAccount(ctx(t), a.ID)
				wantErr(t, "GetAccount", err, nil)
				equal(t, "Contact", got.Contact, tt.contact)
			})
		}
	})
	t.Run("change key", func(t *testing.T) {
		other := newAccount()
		wantErr(t, "CreateAccount(other)", b.CreateAccount(ctx(t), other, bind), nil)
		tests := []struct {
			name     string
			old, new string
			want     error
		}{
			{"stale old key", "not-the-key", unique("new-"), acme.ErrConflict},
			{"new key in use", a.KeyThumbprint, other.KeyThumbprint, acme.ErrDuplicate},
			{"ok", a.KeyThumbprint, "rolled-" + a.KeyThumbprint, nil},
			{"old key again", a.KeyThumbprint, unique("new-"), acme.ErrConflict},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				jwk := []byte(`{"kty":"OKP","x":"` + tt.new + `"}`)
				wantErr(t, "ChangeAccountKey", b.ChangeAccountKey(ctx(t), a.ID, tt.old, jwk, tt.new), tt.want)
				got, err := b.GetAccount(ctx(t), a.ID)
				wantErr(t, "GetAccount", err, nil)
				if tt.want == nil {
					equal(t, "KeyThumbprint", got.KeyThumbprint, tt.new)
					equal(t, "KeyJWK", string(got.KeyJWK), string(jwk))
					byKey, err := b.GetAccountByThumbprint(ctx(t), tt.new)
					wantErr(t, "GetAccountByThumbprint(new)", err, nil)
					equal(t, "account by new key", byKey.ID, a.ID)
					_, err = b.GetAccountByThumbprint(ctx(t), tt.old)
					wantErr(t, "GetAccountByThumbprint(old)", err, acme.ErrNotFound)
				} else if got.KeyThumbprint == tt.new {
					t.Errorf("KeyThumbprint after failed change: got %s, want it unchanged", got.KeyThumbprint)
				}
			})
		}
	})
	t.Run("deactivate", func(t *testing.T) {
		d := newAccount()
		wantErr(t, "CreateAccount", b.CreateAccount(ctx(t), d, bind), nil)
		wantErr(t, "DeactivateAccount", b.DeactivateAccount(ctx(t), d.ID), nil)
		got, err := b.GetAccount(ctx(t), d.ID)
		wantErr(t, "GetAccount", err, nil)
		equal(t, "Status", got.Status, acme.StatusDeactivated)
		wantErr(t, "DeactivateAccount again", b.DeactivateAccount(ctx(t), d.ID), acme.ErrConflict)
	})
}

func testEAB(t *testing.T, b store.Backend) {
	active := contract(t, b, vetting.ContractActive)
	suspended := contract(t, b, vetting.ContractSuspended)
	ended := contract(t, b, vetting.ContractEnded)
	revoked := credential(t, b, active.Code)
	wantErr(t, "RevokeEABCredential", b.RevokeEABCredential(ctx(t), revoked.KeyID, t0, event("eab.revoke")), nil)

	t.Run("list", func(t *testing.T) {
		code := contract(t, b, vetting.ContractActive).Code
		first, second := credential(t, b, code), credential(t, b, code)
		wantErr(t, "RevokeEABCredential", b.RevokeEABCredential(ctx(t), second.KeyID, t0, event("eab.revoke")), nil)
		got, err := b.ListEABCredentials(ctx(t), code)
		wantErr(t, "ListEABCredentials", err, nil)
		// Both were created at t0: their order is by kid.
		byKID := map[string]*vetting.EABCredential{}
		for _, c := range got {
			byKID[c.KeyID] = c
		}
		f, sc := byKID[first.KeyID], byKID[second.KeyID]
		if len(got) != 2 || f == nil || sc == nil || f.Status != vetting.CredentialActive || sc.Status != vetting.CredentialRevoked ||
			sc.RevokedAt == nil || f.HMACKey != nil || sc.HMACKey != nil {
			t.Errorf("ListEABCredentials: got %+v, want both credentials, the second revoked, no HMAC key", got)
		}
		none, err := b.ListEABCredentials(ctx(t), "9999999999")
		wantErr(t, "ListEABCredentials(unknown)", err, nil)
		equal(t, "credentials of an unknown contract", len(none), 0)
	})

	tests := []struct {
		name        string
		kid         string
		maxAccounts int
		creates     int    // accounts created successfully before the failing one
		wantReason  string // acme.EABError.Reason of the next CreateAccount
	}{
		{"max 1", credential(t, b, active.Code).KeyID, 1, 1, "already binds 1 account (the limit)"},
		{"max 2", credential(t, b, active.Code).KeyID, 2, 2, "already binds 2 accounts (the limit)"},
		{"max 0 means 1", credential(t, b, active.Code).KeyID, 0, 1, "already binds 1 account (the limit)"},
		{"unknown kid", "no-such-kid", 1, 0, "is unknown"},
		{"revoked credential", revoked.KeyID, 1, 0, "is revoked"},
		{"suspended contract", credential(t, b, suspended.Code).KeyID, 1, 0, "belongs to a contract that is suspended"},
		{"ended contract", credential(t, b, ended.Code).KeyID, 1, 0, "belongs to a contract that is ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bind := acme.EABBinding{KeyID: tt.kid, MaxAccounts: tt.maxAccounts}
			for i := range tt.creates {
				wantErr(t, fmt.Sprintf("CreateAccount #%d", i+1), b.CreateAccount(ctx(t), newAccount(), bind), nil)
			}
			a := newAccount()
			err := b.CreateAccount(ctx(t), a, bind)
			wantErr(t, "CreateAccount over the limit", err, acme.ErrEABUnusable)
			var eabErr *acme.EABError
			if !errors.As(err, &eabErr) {
				t.Fatalf("CreateAccount: got error %v, want an *acme.EABError", err)
			}
			if eabErr.KeyID != tt.kid || eabErr.Reason != tt.wantReason {
				t.Errorf("CreateAccount: got EABError{%q, %q}, want {%q, %q}", eabErr.KeyID, eabErr.Reason, tt.kid, tt.wantReason)
			}
			if a.ID != 0 || a.ContractCode != "" {
				t.Errorf("failed CreateAccount: got ID %d, contract %q, want them unset", a.ID, a.ContractCode)
			}
			if _, err := b.GetAccountByThumbprint(ctx(t), a.KeyThumbprint); !errors.Is(err, acme.ErrNotFound) {
				t.Errorf("account of a failed CreateAccount: got error %v, want %v", err, acme.ErrNotFound)
			}
		})
	}

	t.Run("race for the last slot", func(t *testing.T) {
		for _, maxAccounts := range []int{1, 2} {
			t.Run(fmt.Sprint("max ", maxAccounts), func(t *testing.T) {
				kid := credential(t, b, active.Code).KeyID
				bind := acme.EABBinding{KeyID: kid, MaxAccounts: maxAccounts}
				for range maxAccounts - 1 {
					wantErr(t, "CreateAccount", b.CreateAccount(ctx(t), newAccount(), bind), nil)
				}
				const n = 8
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { errs[i] = b.CreateAccount(ctx(t), newAccount(), bind) })
				}
				wg.Wait()
				ok := 0
				for _, err := range errs {
					switch {
					case err == nil:
						ok++
					case !errors.Is(err, acme.ErrEABUnusable):
						t.Errorf("CreateAccount: got error %v, want nil or %v", err, acme.ErrEABUnusable)
					}
				}
				if ok != 1 {
					t.Errorf("concurrent CreateAccount for the last slot: got %d successes, want 1", ok)
				}
			})
		}
	})
}
