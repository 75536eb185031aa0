package acme_test

import (
	"context"
	"crypto/elliptic"
	"errors"
	"testing"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/vetting"
)

// TestContractStatusChanges suspends, resumes and ends the contract of an
// account as an operator does, and checks that newOrder and finalize are
// refused while the contract is not active and work again once resumed.
func TestContractStatusChanges(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	contract := e.newContract(t)
	key := newECKey(t, elliptic.P256())
	c := e.registerWith(t, key, e.newEAB(t, contract))
	kid := string(c.KID)
	acct := e.accountOf(t, c)
	ready := e.authorize(t, c, acme.ChallengeHTTP01, "ready.kakuin-contract.example.com")

	orders := func(t *testing.T) int {
		t.Helper()
		ids, err := e.store.ListOrderIDs(ctx, acct.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(ids)
	}
	nOrders := orders(t)
	noNewOrder := func(t *testing.T) {
		if got := orders(t); got != nOrders {
			t.Errorf("orders: got %d, want %d", got, nOrders)
		}
	}
	newOrder := func(t *testing.T) *response {
		return e.signedPost(t, "/acme/new-order", rawJWS{key: key, kid: kid,
			payload: mustJSON(t, map[string]any{"identifiers": []acme.Identifier{{Type: "dns", Value: "new.kakuin-contract.example.com"}}})})
	}
	csr := newCSR(t, newECKey(t, elliptic.P256()), "ready.kakuin-contract.example.com")
	finalize := func(t *testing.T) *response {
		return e.signedPost(t, e.pathOf(ready.FinalizeURL), rawJWS{key: key, kid: kid,
			payload: mustJSON(t, map[string]string{"csr": b64(csr)})})
	}
	stillReady := func(t *testing.T) {
		o, err := e.store.GetOrder(ctx, idOf(t, ready.URI))
		if err != nil {
			t.Fatal(err)
		}
		if o.StoredStatus != acme.StatusPending || o.CertSerial != "" {
			t.Errorf("order: got stored status %q, certificate %q, want pending without certificate", o.StoredStatus, o.CertSerial)
		}
	}

	e.setContractStatus(t, contract.Code, vetting.ContractSuspended)
	runBadCases(t, []badCase{
		{name: "newOrder while suspended", send: newOrder, wantType: "unauthorized", wantStatus: 403,
			detail: "contract " + contract.Code + " is suspended", unchanged: noNewOrder},
		{name: "finalize while suspended", send: finalize, wantType: "unauthorized", wantStatus: 403,
			detail: "contract " + contract.Code + " is suspended", unchanged: stillReady},
	})

	e.setContractStatus(t, contract.Code, vetting.ContractActive)
	t.Run("finalize after resume", func(t *testing.T) {
		if _, _, err := c.CreateOrderCert(ctx, ready.FinalizeURL, csr, true); err != nil {
			t.Fatalf("CreateOrderCert: %v", err)
		}
		if _, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("resumed.kakuin-contract.example.com")); err != nil {
			t.Fatalf("AuthorizeOrder: %v", err)
		}
		nOrders = orders(t)
	})

	e.setContractStatus(t, contract.Code, vetting.ContractEnded)
	runBadCases(t, []badCase{
		{name: "newOrder after the end", send: newOrder, wantType: "unauthorized", wantStatus: 403,
			detail: "contract " + contract.Code + " is ended", unchanged: noNewOrder},
	})
	t.Run("resume after the end", func(t *testing.T) {
		err := e.vet.SetContractStatus(ctx, contract.Code, vetting.ContractActive, "test")
		if !errors.Is(err, vetting.ErrInactive) {
			t.Errorf("SetContractStatus(active) of an ended contract: got %v, want %v", err, vetting.ErrInactive)
		}
		if got, err := e.vet.Contract(ctx, contract.Code); err != nil || got.Status != vetting.ContractEnded {
			t.Errorf("contract: got %v (%v), want ended", got, err)
		}
	})
}
