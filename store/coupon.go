package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// CreateCoupons inserts a pack of coupons with its audit event (subject:
// the pack) in one transaction.
func (s *core) CreateCoupons(ctx context.Context, coupons []*vetting.Coupon, audit *vetting.AuditEvent) error {
	if len(coupons) == 0 {
		return fmt.Errorf("store: creating coupons: none given: %w", vetting.ErrInvalid)
	}
	return s.inAuditedTx(ctx, audit, func(tx conn) (string, error) {
		for _, c := range coupons {
			if _, err := tx.exec(ctx, `INSERT INTO coupons (number, pack, dealer_code, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
				c.Number, c.Pack, c.DealerCode, norm(c.IssuedAt), norm(c.ExpiresAt)); err != nil {
				return "", vettingInsertError(err, "creating coupon "+c.Number, "")
			}
		}
		return coupons[0].Pack, nil
	})
}

// RedeemCoupon binds an unredeemed, unexpired coupon to the contract.
func (s *core) RedeemCoupon(ctx context.Context, number, contractCode string, at time.Time, audit *vetting.AuditEvent) error {
	what := "redeeming coupon " + number
	return s.inAuditedTx(ctx, audit, func(tx conn) (string, error) {
		n, err := tx.exec(ctx, `UPDATE coupons SET contract_code = $2, redeemed_at = $3
			WHERE number = $1 AND contract_code IS NULL AND expires_at > $3`, number, contractCode, norm(at))
		if err != nil {
			return "", vettingInsertError(err, what, "contract "+contractCode)
		}
		if n == 0 {
			return "", missOrConflict(ctx, tx, "coupons", "number", number, what, vetting.ErrNotFound, vetting.ErrConflict)
		}
		return number, nil
	})
}

// GetCoupon returns the coupon, or vetting.ErrNotFound.
func (s *core) GetCoupon(ctx context.Context, number string) (*vetting.Coupon, error) {
	var c vetting.Coupon
	var contract *string
	err := s.db.reader().queryRow(ctx, `SELECT number, pack, dealer_code, issued_at, expires_at, contract_code, redeemed_at
		FROM coupons WHERE number = $1`, number).
		Scan(&c.Number, &c.Pack, &c.DealerCode, &c.IssuedAt, &c.ExpiresAt, &contract, &c.RedeemedAt)
	if err != nil {
		return nil, notFound(err, "coupon "+number, vetting.ErrNotFound)
	}
	if contract != nil {
		c.ContractCode = *contract
	}
	return &c, nil
}
