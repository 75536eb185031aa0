package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/kakuin/kakuin/vetting"
)

// SetContact closes the current contact of c's organization and role at
// c.ValidFrom and inserts c as the current one, with the audit event
// (subject: the organization id), in one transaction. It sets c.ID.
func (s *core) SetContact(ctx context.Context, c *vetting.Contact, audit *vetting.AuditEvent) error {
	from := s.stamp(c.ValidFrom)
	var id int64
	err := s.inAuditedTx(ctx, audit, func(tx conn) (string, error) {
		if _, err := tx.exec(ctx, `UPDATE contacts SET valid_to = $1 WHERE organization_id = $2 AND role = $3 AND valid_to IS NULL`,
			from, c.OrganizationID, c.Role); err != nil {
			return "", fmt.Errorf("store: closing the current %s contact: %w", c.Role, err)
		}
		err := tx.queryRow(ctx, `INSERT INTO contacts (organization_id, role, name, title, email, phone, valid_from, changed_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			c.OrganizationID, c.Role, c.Name, c.Title, c.Email, c.Phone, from, c.ChangedBy).Scan(&id)
		if err != nil {
			return "", vettingInsertError(err, "setting contact", fmt.Sprintf("organization %d", c.OrganizationID))
		}
		return strconv.FormatInt(c.OrganizationID, 10), nil
	})
	if err != nil {
		return err
	}
	c.ID, c.ValidFrom, c.ValidTo = id, from, nil
	return nil
}

// Contacts returns the organization's current contacts, or with history
// all of them, by role then oldest first.
func (s *core) Contacts(ctx context.Context, orgID int64, history bool) ([]*vetting.Contact, error) {
	q := `SELECT id, organization_id, role, name, title, email, phone, valid_from, valid_to, changed_by
		FROM contacts WHERE organization_id = $1`
	if !history {
		q += ` AND valid_to IS NULL`
	}
	r, err := s.db.reader().query(ctx, q+` ORDER BY role, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: reading contacts: %w", err)
	}
	defer r.Close()
	var out []*vetting.Contact
	for r.Next() {
		var c vetting.Contact
		if err := r.Scan(&c.ID, &c.OrganizationID, &c.Role, &c.Name, &c.Title, &c.Email, &c.Phone,
			&c.ValidFrom, &c.ValidTo, &c.ChangedBy); err != nil {
			return nil, fmt.Errorf("store: reading contacts: %w", err)
		}
		out = append(out, &c)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("store: reading contacts: %w", err)
	}
	return out, nil
}
