package vetting_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// TestCouponExpiry: a coupon must be used within a year of its issue, and
// each redeemed coupon is one more license of the contract's plan.
func TestCouponExpiry(t *testing.T) {
	e := newCaseEnv(t)
	c, err := e.s.CreateContract(t.Context(), vetting.ContractInput{OrganizationID: e.org.ID}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	pack, err := e.s.IssueCoupons(t.Context(), "D-1", 5, "cli")
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(364 * 24 * time.Hour)
	got, err := e.s.RedeemCoupon(t.Context(), c.Code, pack[0].Number, "cli")
	if err != nil || got.Coupons != 1 {
		t.Fatalf("coupon redeemed within the year: got %+v, %v", got, err)
	}
	if err := vetting.CheckPlan(got, []string{"b.example.jp"}, [][]string{{"a.example.jp"}}); err != nil {
		t.Errorf("a second name set with one license and one coupon: %v", err)
	}
	e.now = e.now.Add(2 * 24 * time.Hour)
	_, err = e.s.RedeemCoupon(t.Context(), c.Code, pack[1].Number, "cli")
	if !errors.Is(err, vetting.ErrConflict) || !containsAll(err.Error(), "expired on", "within a year") {
		t.Errorf("coupon past its year: got %v, want expired", err)
	}
	verifyAudit(t, e.db)
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
