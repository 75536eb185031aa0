package vetting

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Coupon rules (REQUIREMENTS.md "Plans and billing").
const (
	// MinCouponPack is the smallest pack of coupons sold.
	MinCouponPack = 5
	// MaxCouponPack bounds one issue.
	MaxCouponPack = 1000
	// CouponValidity is how long a coupon may wait to be redeemed.
	CouponValidity = 365 * 24 * time.Hour
	// couponDigits is the number of random characters of a coupon number
	// after its "KC" prefix (Crockford base32: 80 bits).
	couponDigits = 16
)

// dealerCode is a dealer's code: letters, digits and '-', 1 to 32.
var dealerCode = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)

// crockford is the alphabet of coupon numbers: no I, L, O or U to misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IssueCoupons creates a pack of count coupons (at least MinCouponPack)
// sold through the dealer, each valid CouponValidity for redemption, with
// a "coupon.issue" audit event. The numbers are shown to the operator to
// hand over; they are the only copy the customer gets.
func (s *Service) IssueCoupons(ctx context.Context, dealer string, count int, actor string) ([]*Coupon, error) {
	ie := &inputErrors{record: "coupon pack"}
	if !dealerCode.MatchString(dealer) {
		ie.add("dealer", "must be the dealer code: 1-32 letters, digits or '-' (got %s)", quote(dealer))
	}
	if count < MinCouponPack || count > MaxCouponPack {
		ie.add("count", "coupons are sold in packs of %d to %d (got %d)", MinCouponPack, MaxCouponPack, count)
	}
	checkActor(ie, actor)
	if err := ie.err(); err != nil {
		return nil, err
	}
	now := s.now()
	pack, err := s.couponNumber("P")
	if err != nil {
		return nil, err
	}
	coupons := make([]*Coupon, count)
	for i := range coupons {
		n, err := s.couponNumber("KC")
		if err != nil {
			return nil, err
		}
		coupons[i] = &Coupon{Number: n, Pack: pack, DealerCode: dealer, IssuedAt: now, ExpiresAt: now.Add(CouponValidity)}
	}
	ev, err := event(now, "coupon.issue", actor, map[string]any{"pack": pack, "dealer": dealer, "count": count,
		"expires_at": now.Add(CouponValidity)})
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateCoupons(ctx, coupons, ev); err != nil {
		return nil, fmt.Errorf("vetting: issue coupons: %w", err)
	}
	return coupons, nil
}

// couponNumber draws prefix + couponDigits random Crockford characters.
func (s *Service) couponNumber(prefix string) (string, error) {
	b := make([]byte, couponDigits)
	if err := s.random(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = crockford[b[i]%32]
	}
	return prefix + string(b), nil
}

// RedeemCoupon adds one license to a per-certificate contract with a
// coupon, with a "coupon.redeem" audit event. A coupon works once, only
// before it expires, and only on an active per-certificate contract; each
// refusal says which.
func (s *Service) RedeemCoupon(ctx context.Context, contractCode, number, actor string) (*Contract, error) {
	number = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(number), "-", ""))
	if len(number) < 12 || !printable(number) {
		return nil, errorf(ErrInvalid, "coupon number %s: must be the 12 or more characters printed on the coupon", quote(number))
	}
	c, err := s.Contract(ctx, contractCode)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Status != ContractActive:
		return nil, errorf(ErrInactive, "contract %s is %s: coupons can be added to active contracts only", c.Code, c.Status)
	case c.Plan != PlanPerCertificate:
		return nil, errorf(ErrInvalid, "contract %s is on the %s plan, which has slots, not licenses: coupons apply to per-certificate contracts", c.Code, c.Plan)
	}
	ie := &inputErrors{record: "coupon"}
	if checkActor(ie, actor); ie.err() != nil {
		return nil, ie.err()
	}
	now := s.now()
	ev, err := event(now, "coupon.redeem", actor, map[string]any{"coupon": number, "contract": c.Code})
	if err != nil {
		return nil, err
	}
	err = s.store.RedeemCoupon(ctx, number, c.Code, now, ev)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, errorf(ErrNotFound, "coupon %s does not exist (check the number)", number)
	case errors.Is(err, ErrConflict):
		cp, gerr := s.store.GetCoupon(ctx, number)
		if gerr != nil {
			return nil, fmt.Errorf("vetting: redeem coupon %s: %w", number, gerr)
		}
		if cp.RedeemedAt != nil {
			return nil, errorf(ErrConflict, "coupon %s was already used on contract %s on %s: coupons are never reissued or refunded",
				number, cp.ContractCode, cp.RedeemedAt.Format(time.DateOnly))
		}
		return nil, errorf(ErrConflict, "coupon %s expired on %s (a coupon must be used within a year of its issue)",
			number, cp.ExpiresAt.Format(time.DateOnly))
	case err != nil:
		return nil, fmt.Errorf("vetting: redeem coupon %s: %w", number, err)
	}
	return s.Contract(ctx, c.Code)
}
