package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/ocsp"
	"github.com/kakuin/kakuin/vetting"
)

// maxSerialHex is the longest serial: 20 octets (RFC 5280 §4.1.2.2).
const maxSerialHex = 40

// validSerial reports whether s is a serial as ca.Store stores them:
// lower-case hex, at most 20 octets.
func validSerial(s string) bool {
	if s == "" || len(s) > maxSerialHex {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ReserveSerial records serial (lower-case hex) as used by issuerID before
// anything is signed with it; ca.ErrSerialExists if it was reserved before.
func (s *core) ReserveSerial(ctx context.Context, serial string, issuerID string, at time.Time) error {
	if !validSerial(serial) {
		return fmt.Errorf("store: serial %q is not lower-case hex of at most 20 octets", serial)
	}
	n, err := s.db.writer().exec(ctx, `INSERT INTO serials (serial, issuer_id, reserved_at) VALUES ($1, $2, $3)
		ON CONFLICT (serial) DO NOTHING`, serial, issuerID, s.stamp(at))
	if err != nil {
		return fmt.Errorf("store: reserving serial %s: %w", serial, err)
	}
	if n == 0 {
		return fmt.Errorf("store: serial %s: %w", serial, ca.ErrSerialExists)
	}
	return nil
}

// issuanceDetail is the detail of an "issuance" audit event.
type issuanceDetail struct {
	Serial    string    `json:"serial"`
	Issuer    string    `json:"issuer"`
	OrderID   int64     `json:"order_id"`
	AccountID int64     `json:"account_id"`
	Names     []string  `json:"names"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
}

// CompleteOrder stores the certificate, whose serial must have been
// reserved, and sets the processing order valid with it (RFC 8555 §7.4), in
// one transaction that also appends an "issuance" audit event.
// acme.ErrConflict if the order is not processing. It sets cert.OrderID,
// cert.AccountID (the order's) and cert.CreatedAt when zero.
func (s *core) CompleteOrder(ctx context.Context, orderID int64, cert *acme.Certificate) error {
	created := s.stamp(cert.CreatedAt)
	what := fmt.Sprintf("completing order %d", orderID)
	var accountID int64
	err := s.db.inTx(ctx, func(c conn) error {
		// Insert only if the order is processing, taking its account.
		err := c.queryRow(ctx, `INSERT INTO certificates (serial, issuer_id, account_id, order_id, der, chain,
			not_before, not_after, key_hash, created_at, crl_shard)
			SELECT $1, $2, account_id, id, $3, $4, $5, $6, $7, $8, $10 FROM orders WHERE id = $9 AND stored_status = 'processing'
			RETURNING account_id`,
			cert.Serial, cert.IssuerID, cert.DER, nonNil(cert.ChainPEM), norm(cert.NotBefore), norm(cert.NotAfter),
			cert.KeyHash, created, orderID, cert.CRLShard).Scan(&accountID)
		switch {
		case errors.Is(err, errNoRows):
			return missOrConflict(ctx, c, "orders", "id", orderID, what, acme.ErrNotFound, acme.ErrConflict)
		case errors.Is(err, errForeignKey):
			return fmt.Errorf("store: %s: serial %s was not reserved", what, cert.Serial)
		case errors.Is(err, errUnique):
			return fmt.Errorf("store: %s: certificate %s: %w", what, cert.Serial, acme.ErrDuplicate)
		case err != nil:
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if cert.OCSP != nil {
			err := insertOCSPResponse(ctx, c, cert.Serial, cert.IssuerID, false, cert.OCSP,
				ocsp.RefreshAt(cert.OCSP, cert.NotAfter), created)
			if err != nil {
				return fmt.Errorf("store: %s: OCSP response: %w", what, err)
			}
		}
		var names string
		err = c.queryRow(ctx, `UPDATE orders SET stored_status = 'valid', cert_serial = $2
			WHERE id = $1 AND stored_status = 'processing' RETURNING names`, orderID, cert.Serial).Scan(&names)
		if errors.Is(err, errNoRows) {
			return fmt.Errorf("store: %s: %w", what, acme.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		d := issuanceDetail{Serial: cert.Serial, Issuer: cert.IssuerID, OrderID: orderID, AccountID: accountID,
			NotBefore: norm(cert.NotBefore), NotAfter: norm(cert.NotAfter)}
		if d.Names, err = fromJSONText[string](names, "order names"); err != nil {
			return err
		}
		detail, _ := json.Marshal(d) // cannot fail
		if _, err := insertAudit(ctx, c, created, "issuance", fmt.Sprintf("acme:account/%d", accountID), cert.Serial, detail); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	cert.OrderID, cert.AccountID, cert.CreatedAt = orderID, accountID, created
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// GetCertificate returns the certificate with the serial, or
// acme.ErrNotFound.
func (s *core) GetCertificate(ctx context.Context, serial string) (*acme.Certificate, error) {
	var c acme.Certificate
	err := s.db.reader().queryRow(ctx, `SELECT serial, issuer_id, account_id, order_id, der, chain, not_before, not_after,
		key_hash, revoked_at, COALESCE(revoked_reason, 0), created_at, crl_shard FROM certificates WHERE serial = $1`, serial).
		Scan(&c.Serial, &c.IssuerID, &c.AccountID, &c.OrderID, &c.DER, &c.ChainPEM, &c.NotBefore, &c.NotAfter,
			&c.KeyHash, &c.RevokedAt, &c.RevokedReason, &c.CreatedAt, &c.CRLShard)
	if err != nil {
		return nil, notFound(err, "certificate "+serial, acme.ErrNotFound)
	}
	return &c, nil
}

// ContractCertificates returns every certificate the contract's accounts
// were issued, with its order's names, oldest first: what usage reports
// (vetting.BuildUsage) are made from.
func (s *core) ContractCertificates(ctx context.Context, contractCode string) ([]vetting.IssuedCertificate, error) {
	rows, err := queryAll(ctx, s.db.reader(), "contract certificates", func(r row) (*vetting.IssuedCertificate, error) {
		var c vetting.IssuedCertificate
		var names string
		if err := r.Scan(&c.Serial, &c.Profile, &names, &c.IssuedAt, &c.NotBefore, &c.NotAfter, &c.RevokedAt); err != nil {
			return nil, err
		}
		var err error
		c.Names, err = fromJSONText[string](names, "order names")
		return &c, err
	}, `SELECT c.serial, o.profile, o.names, c.created_at, c.not_before, c.not_after, c.revoked_at
		FROM certificates c JOIN orders o ON o.id = c.order_id JOIN accounts a ON a.id = c.account_id
		WHERE a.contract_code = $1 ORDER BY c.created_at, c.serial`, contractCode)
	if err != nil {
		return nil, err
	}
	out := make([]vetting.IssuedCertificate, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	return out, nil
}
