package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/vetting"
)

// refusalDetail is the detail of an "issuance_refused" audit event.
type refusalDetail struct {
	OrderID   int64    `json:"order_id"`
	AccountID int64    `json:"account_id"`
	Names     []string `json:"names"`
	Reason    string   `json:"reason"`
}

// RefuseIssuance sets a processing order invalid with the problem (JSON)
// and appends an "issuance_refused" audit event with the reason, in one
// transaction: what finalize does when a check right before signing (lint,
// CAA) refuses. acme.ErrConflict if the order is not processing.
func (s *core) RefuseIssuance(ctx context.Context, orderID int64, problem []byte, reason string) error {
	what := fmt.Sprintf("refusing issuance for order %d", orderID)
	audit := &vetting.AuditEvent{Kind: "issuance_refused"}
	return s.inAuditedTx(ctx, audit, func(c conn) (string, error) {
		var d refusalDetail
		var names string
		err := c.queryRow(ctx, `UPDATE orders SET stored_status = 'invalid', error = $2
			WHERE id = $1 AND stored_status = 'processing' RETURNING account_id, names`, orderID, problem).Scan(&d.AccountID, &names)
		if errors.Is(err, errNoRows) {
			return "", missOrConflict(ctx, c, "orders", "id", orderID, what, acme.ErrNotFound, acme.ErrConflict)
		}
		if err != nil {
			return "", fmt.Errorf("store: %s: %w", what, err)
		}
		if d.Names, err = fromJSONText[string](names, "order names"); err != nil {
			return "", err
		}
		d.OrderID, d.Reason = orderID, reason
		audit.Actor = "acme:account/" + strconv.FormatInt(d.AccountID, 10)
		audit.Detail, _ = json.Marshal(d) // cannot fail
		return "order:" + strconv.FormatInt(orderID, 10), nil
	})
}
