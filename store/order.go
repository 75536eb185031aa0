package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kakuin/kakuin/acme"
)

// orderSelect reads an order with its authorization ids in one query. A
// WHERE clause on orders follows.
const orderSelect = `SELECT id, account_id, stored_status, identifiers, names, profile, not_before, not_after, expires, error, cert_serial,
	finalize_started_at, created_at, replaces,
	(SELECT string_agg(CAST(oa.authz_id AS TEXT), ',' ORDER BY oa.position) FROM order_authorizations oa WHERE oa.order_id = orders.id)
	FROM orders WHERE `

func scanOrder(r row) (*acme.Order, error) {
	var o acme.Order
	var identifiers, names string
	var serial, replaces, authzIDs *string
	if err := r.Scan(&o.ID, &o.AccountID, &o.StoredStatus, &identifiers, &names, &o.Profile, &o.NotBefore, &o.NotAfter,
		&o.Expires, &o.Error, &serial, &o.FinalizeStarted, &o.CreatedAt, &replaces, &authzIDs); err != nil {
		return nil, err
	}
	if replaces != nil {
		o.Replaces = *replaces
	}
	var err error
	if o.Identifiers, err = fromJSONText[acme.Identifier](identifiers, "order identifiers"); err != nil {
		return nil, err
	}
	if o.Names, err = fromJSONText[string](names, "order names"); err != nil {
		return nil, err
	}
	o.CertSerial = deref(serial)
	if authzIDs != nil && *authzIDs != "" {
		for _, s := range strings.Split(*authzIDs, ",") {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("store: reading order authorizations: %w", err)
			}
			o.AuthzIDs = append(o.AuthzIDs, id)
		}
	}
	return &o, nil
}

// namesKey is the indexed key of an order's names: the hex SHA-256 of the
// sorted names joined by newlines (a name cannot contain one). A hash keeps
// index entries small however many names an order has.
func namesKey(names []string) string {
	sum := sha256.Sum256([]byte(strings.Join(names, "\n")))
	return hex.EncodeToString(sum[:])
}

// CreateOrder inserts o (RFC 8555 §7.4) and the new authorizations with
// their challenges in one transaction. The new authorizations' ids are
// appended to o.AuthzIDs, which keeps the ids of reused ones first. New
// authorizations without an account get o's. It sets every id, o.CreatedAt
// (and each new authorization's) when zero, and empty statuses to pending.
func (s *core) CreateOrder(ctx context.Context, o *acme.Order, newAuthzs []*acme.Authorization) error {
	status := o.StoredStatus
	if status == "" {
		status = acme.StatusPending
	}
	created := s.stamp(o.CreatedAt)
	var orderID int64
	azIDs := make([]int64, len(newAuthzs))
	chIDs := make([][]int64, len(newAuthzs))
	err := s.db.inTx(ctx, func(c conn) error {
		ids := slices.Clone(o.AuthzIDs)
		for i, az := range newAuthzs {
			accountID := az.AccountID
			if accountID == 0 {
				accountID = o.AccountID
			}
			var err error
			azIDs[i], chIDs[i], err = insertAuthz(ctx, c, az, accountID, s.stamp(az.CreatedAt))
			if err != nil {
				return err
			}
			ids = append(ids, azIDs[i])
		}
		err := c.queryRow(ctx, `INSERT INTO orders (account_id, stored_status, identifiers, names, names_key, profile,
			not_before, not_after, expires, error, cert_serial, created_at, replaces)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			o.AccountID, status, jsonText(o.Identifiers), jsonText(o.Names), namesKey(o.Names), o.Profile,
			normPtr(o.NotBefore), normPtr(o.NotAfter), norm(o.Expires), o.Error, nullString(o.CertSerial), created,
			nullString(o.Replaces)).Scan(&orderID)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		q := []byte(`INSERT INTO order_authorizations (order_id, position, authz_id) VALUES `)
		args := []any{orderID}
		for i, id := range ids {
			if i > 0 {
				q = append(q, ", "...)
			}
			q = fmt.Appendf(q, "($1, %d, $%d)", i, len(args)+1)
			args = append(args, id)
		}
		_, err = c.exec(ctx, string(q), args...)
		return err
	})
	if errors.Is(err, errForeignKey) {
		return fmt.Errorf("store: creating order: account or authorization: %w", acme.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: creating order: %w", err)
	}
	o.AuthzIDs = slices.Clip(o.AuthzIDs) // appending must not write into the caller's array
	for i, az := range newAuthzs {
		az.ID = azIDs[i]
		if az.AccountID == 0 {
			az.AccountID = o.AccountID
		}
		if az.Status == "" {
			az.Status = acme.StatusPending
		}
		az.CreatedAt = s.stamp(az.CreatedAt)
		az.Expires = norm(az.Expires)
		for j := range az.Challenges {
			ch := &az.Challenges[j]
			ch.ID, ch.AuthzID = chIDs[i][j], az.ID
			if ch.Status == "" {
				ch.Status = acme.StatusPending
			}
		}
		o.AuthzIDs = append(o.AuthzIDs, az.ID)
	}
	o.ID, o.StoredStatus, o.CreatedAt = orderID, status, created
	return nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// GetOrder returns the order with its authorization ids, or
// acme.ErrNotFound.
func (s *core) GetOrder(ctx context.Context, id int64) (*acme.Order, error) {
	o, err := scanOrder(s.db.reader().queryRow(ctx, orderSelect+`id = $1`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("order %d", id), acme.ErrNotFound)
	}
	return o, nil
}

// FindOrderByNames returns the account's newest order for exactly names
// (sorted, as stored in Order.Names) that is still pending and expires
// after now, or acme.ErrNotFound.
func (s *core) FindOrderByNames(ctx context.Context, accountID int64, names []string, now time.Time) (*acme.Order, error) {
	o, err := scanOrder(s.db.reader().queryRow(ctx, orderSelect+`account_id = $1 AND names_key = $2
		AND stored_status = 'pending' AND expires > $3 ORDER BY id DESC LIMIT 1`, accountID, namesKey(names), norm(now)))
	if err != nil {
		return nil, notFound(err, "order by names", acme.ErrNotFound)
	}
	if !slices.Equal(o.Names, names) { // a hash collision
		return nil, fmt.Errorf("store: order by names: %w", acme.ErrNotFound)
	}
	return o, nil
}

// ListOrderIDs returns up to limit ids of the account's orders greater than
// afterID, ascending (RFC 8555 §7.1.2.1 pages the orders list).
func (s *core) ListOrderIDs(ctx context.Context, accountID int64, afterID int64, limit int) ([]int64, error) {
	if limit <= 0 {
		return nil, nil
	}
	r, err := s.db.reader().query(ctx, `SELECT id FROM orders WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		accountID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: listing orders: %w", err)
	}
	defer r.Close()
	var ids []int64
	for r.Next() {
		var id int64
		if err := r.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: listing orders: %w", err)
		}
		ids = append(ids, id)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("store: listing orders: %w", err)
	}
	return ids, nil
}

// BeginFinalize moves a ready order to processing (RFC 8555 §7.4),
// recording at as the time finalization began. Ready is checked by the
// same statement: stored status pending, not expired at at, at least one
// authorization and every one of them valid and not expired at at. So an
// authorization deactivated (or an order expiring) after the caller read
// them cannot be finalized; acme.ErrConflict.
func (s *core) BeginFinalize(ctx context.Context, orderID int64, at time.Time) error {
	return s.orderTransition(ctx, orderID, "finalizing",
		`UPDATE orders SET stored_status = 'processing', finalize_started_at = $2
		WHERE id = $1 AND stored_status = 'pending' AND expires > $2
		AND EXISTS (SELECT 1 FROM order_authorizations oa WHERE oa.order_id = orders.id)
		AND NOT EXISTS (SELECT 1 FROM order_authorizations oa JOIN authorizations a ON a.id = oa.authz_id
			WHERE oa.order_id = orders.id AND (a.status <> 'valid' OR a.expires <= $2))`,
		s.stamp(at))
}

// FailInterruptedOrders sets every processing order whose finalization
// began before startedBefore (or whose start is unknown) invalid with the
// problem document, in one statement, and returns how many it changed.
func (s *core) FailInterruptedOrders(ctx context.Context, startedBefore time.Time, problem []byte) (int64, error) {
	n, err := s.db.writer().exec(ctx, `UPDATE orders SET stored_status = 'invalid', error = $2
		WHERE stored_status = 'processing' AND (finalize_started_at < $1 OR finalize_started_at IS NULL)`,
		norm(startedBefore), problem)
	if err != nil {
		return 0, fmt.Errorf("store: failing interrupted orders: %w", err)
	}
	return n, nil
}

// FailOrder sets a processing order invalid with the problem document;
// acme.ErrConflict if it is not processing.
func (s *core) FailOrder(ctx context.Context, orderID int64, problem []byte) error {
	return s.orderTransition(ctx, orderID, "failing",
		`UPDATE orders SET stored_status = 'invalid', error = $2 WHERE id = $1 AND stored_status = 'processing'`, problem)
}

func (s *core) orderTransition(ctx context.Context, orderID int64, verb, sql string, args ...any) error {
	c := s.db.writer()
	what := fmt.Sprintf("%s order %d", verb, orderID)
	n, err := c.exec(ctx, sql, append([]any{orderID}, args...)...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return missOrConflict(ctx, c, "orders", "id", orderID, what, acme.ErrNotFound, acme.ErrConflict)
	}
	return nil
}
