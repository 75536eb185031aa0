package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

var _ vetting.CaseStore = (*core)(nil)

// CreateOfficer inserts o with its audit event (subject: the name).
func (s *core) CreateOfficer(ctx context.Context, o *vetting.Officer, audit *vetting.AuditEvent) error {
	created := s.stamp(o.CreatedAt)
	var id int64
	err := s.inAuditedTx(ctx, audit, func(c conn) (string, error) {
		err := c.queryRow(ctx, `INSERT INTO officers (name, role, status, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			o.Name, o.Role, o.Status, created).Scan(&id)
		if err != nil {
			return "", vettingInsertError(err, "creating officer "+o.Name, "")
		}
		return o.Name, nil
	})
	if err != nil {
		return err
	}
	o.ID, o.CreatedAt = id, created
	return nil
}

const officerColumns = `id, name, role, status, created_at`

func scanOfficer(r row) (*vetting.Officer, error) {
	var o vetting.Officer
	return &o, r.Scan(&o.ID, &o.Name, &o.Role, &o.Status, &o.CreatedAt)
}

// GetOfficer returns the officer named name, or vetting.ErrNotFound.
func (s *core) GetOfficer(ctx context.Context, name string) (*vetting.Officer, error) {
	o, err := scanOfficer(s.db.reader().queryRow(ctx, `SELECT `+officerColumns+` FROM officers WHERE name = $1`, name))
	if err != nil {
		return nil, notFound(err, "officer "+name, vetting.ErrNotFound)
	}
	return o, nil
}

// ListOfficers returns every officer by name.
func (s *core) ListOfficers(ctx context.Context) ([]*vetting.Officer, error) {
	return queryAll(ctx, s.db.reader(), "officers", scanOfficer, `SELECT `+officerColumns+` FROM officers ORDER BY name`)
}

// SetOfficerStatus sets the officer's status with its audit event.
func (s *core) SetOfficerStatus(ctx context.Context, name, status string, audit *vetting.AuditEvent) error {
	return s.inAuditedTx(ctx, audit, func(tx conn) (string, error) {
		n, err := tx.exec(ctx, `UPDATE officers SET status = $2 WHERE name = $1`, name, status)
		if err != nil {
			return "", vettingInsertError(err, "setting the status of officer "+name, "")
		}
		if n == 0 {
			return "", fmt.Errorf("store: officer %s: %w", name, vetting.ErrNotFound)
		}
		return name, nil
	})
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, c conn, what string, scan func(row) (*T, error), sql string, args ...any) ([]*T, error) {
	r, err := c.query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: reading %s: %w", what, err)
	}
	defer r.Close()
	var out []*T
	for r.Next() {
		v, err := scan(r)
		if err != nil {
			return nil, fmt.Errorf("store: reading %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("store: reading %s: %w", what, err)
	}
	return out, nil
}

const caseColumns = `id, kind, organization_id, level, subject, status, reason, opened_at, opened_by,
	decided_at, decided_by, decision_note`

func scanCase(r row) (*vetting.Case, error) {
	var c vetting.Case
	var decidedBy *string
	if err := r.Scan(&c.ID, &c.Kind, &c.OrganizationID, &c.Level, &c.Subject, &c.Status, &c.Reason, &c.OpenedAt,
		&c.OpenedBy, &c.DecidedAt, &decidedBy, &c.DecisionNote); err != nil {
		return nil, err
	}
	if decidedBy != nil {
		c.DecidedBy = *decidedBy
	}
	return &c, nil
}

// openCaseOf returns the open case for c's question, or errNoRows.
func openCaseOf(ctx context.Context, tx conn, c *vetting.Case) (*vetting.Case, error) {
	return scanCase(tx.queryRow(ctx, `SELECT `+caseColumns+` FROM vetting_cases
		WHERE kind = $1 AND organization_id = $2 AND level = $3 AND subject = $4 AND status = 'open'`,
		c.Kind, c.OrganizationID, c.Level, c.Subject))
}

// OpenCase inserts c as an open case, or returns the case already open
// for the same question. A concurrent opener that wins the unique index
// is joined too.
func (s *core) OpenCase(ctx context.Context, c *vetting.Case, audit *vetting.AuditEvent) (*vetting.Case, bool, error) {
	opened := s.stamp(c.OpenedAt)
	for attempt := 0; ; attempt++ {
		var existing *vetting.Case
		var id int64
		var done func()
		err := s.db.inTx(ctx, func(tx conn) error {
			var err error
			existing, err = openCaseOf(ctx, tx, c)
			if err == nil {
				return nil
			}
			if !errors.Is(err, errNoRows) {
				return err
			}
			existing = nil
			err = tx.queryRow(ctx, `INSERT INTO vetting_cases (kind, organization_id, level, subject, status, reason, opened_at, opened_by)
				VALUES ($1, $2, $3, $4, 'open', $5, $6, $7) RETURNING id`,
				c.Kind, c.OrganizationID, c.Level, c.Subject, c.Reason, opened, c.OpenedBy).Scan(&id)
			if err != nil {
				return vettingInsertError(err, "opening case", fmt.Sprintf("organization %d", c.OrganizationID))
			}
			done, err = s.appendAudit(ctx, tx, audit, caseSubject(id))
			return err
		})
		switch {
		case errors.Is(err, vetting.ErrDuplicate) && attempt == 0:
			continue // another process opened it just now: join it
		case err != nil:
			return nil, false, fmt.Errorf("store: opening case: %w", err)
		case existing != nil:
			return existing, false, nil
		}
		done()
		c.ID, c.Status, c.OpenedAt = id, vetting.CaseOpen, opened
		return c, true, nil
	}
}

// GetCase returns the case with its evidence and approvals.
func (s *core) GetCase(ctx context.Context, id int64) (*vetting.Case, error) {
	c := s.db.reader()
	cs, err := scanCase(c.queryRow(ctx, `SELECT `+caseColumns+` FROM vetting_cases WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("case %d", id), vetting.ErrNotFound)
	}
	ev, err := queryAll(ctx, c, "evidence", func(r row) (*vetting.Evidence, error) {
		var e vetting.Evidence
		return &e, r.Scan(&e.ID, &e.Item, &e.Note, &e.RecordedBy, &e.RecordedAt)
	}, `SELECT id, item, note, recorded_by, recorded_at FROM case_evidence WHERE case_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for _, e := range ev {
		cs.Evidence = append(cs.Evidence, *e)
	}
	ap, err := queryAll(ctx, c, "approvals", func(r row) (*vetting.Approval, error) {
		var a vetting.Approval
		return &a, r.Scan(&a.Officer, &a.ApprovedAt)
	}, `SELECT officer, approved_at FROM case_approvals WHERE case_id = $1 ORDER BY approved_at, officer`, id)
	if err != nil {
		return nil, err
	}
	for _, a := range ap {
		cs.Approvals = append(cs.Approvals, *a)
	}
	return cs, nil
}

// ListCases returns up to limit cases with the status ("" for any),
// newest first.
func (s *core) ListCases(ctx context.Context, status string, limit int) ([]*vetting.Case, error) {
	return queryAll(ctx, s.db.reader(), "cases", scanCase, `SELECT `+caseColumns+` FROM vetting_cases
		WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2`, status, limit)
}

// LatestCase returns the newest case for the question.
func (s *core) LatestCase(ctx context.Context, kind string, orgID int64, level, subject string) (*vetting.Case, error) {
	c, err := scanCase(s.db.reader().queryRow(ctx, `SELECT `+caseColumns+` FROM vetting_cases
		WHERE kind = $1 AND organization_id = $2 AND level = $3 AND subject = $4 ORDER BY id DESC LIMIT 1`,
		kind, orgID, level, subject))
	if err != nil {
		return nil, notFound(err, "case", vetting.ErrNotFound)
	}
	return c, nil
}

// lockOpenCase locks case id for the transaction and fails unless it is
// open.
func lockOpenCase(ctx context.Context, tx conn, id int64) error {
	var status string
	err := tx.queryRow(ctx, `SELECT status FROM vetting_cases WHERE id = $1 FOR UPDATE`, id).Scan(&status)
	switch {
	case errors.Is(err, errNoRows):
		return fmt.Errorf("store: case %d: %w", id, vetting.ErrNotFound)
	case err != nil:
		return err
	case status != vetting.CaseOpen:
		return fmt.Errorf("store: case %d is %s: %w", id, status, vetting.ErrConflict)
	}
	return nil
}

// AddEvidence appends e to the open case.
func (s *core) AddEvidence(ctx context.Context, caseID int64, e *vetting.Evidence, audit *vetting.AuditEvent) error {
	at := s.stamp(e.RecordedAt)
	var id int64
	err := s.inAuditedTx(ctx, audit, func(tx conn) (string, error) {
		if err := lockOpenCase(ctx, tx, caseID); err != nil {
			return "", err
		}
		err := tx.queryRow(ctx, `INSERT INTO case_evidence (case_id, item, note, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, caseID, e.Item, e.Note, e.RecordedBy, at).Scan(&id)
		if err != nil {
			return "", vettingInsertError(err, "recording evidence", "")
		}
		return caseSubject(caseID), nil
	})
	if err != nil {
		return err
	}
	e.ID, e.RecordedAt = id, at
	return nil
}

// caseSubject is the audit subject of a case.
func caseSubject(id int64) string { return "case:" + strconv.FormatInt(id, 10) }

// ApproveCase records one approval and, when final, the decision and its
// grant, all in one transaction.
func (s *core) ApproveCase(ctx context.Context, caseID int64, a vetting.Approval, final bool, note string, g vetting.Grant, audit *vetting.AuditEvent) error {
	at := s.stamp(a.ApprovedAt)
	return s.inAuditedTx(ctx, audit, func(tx conn) (string, error) {
		if err := lockOpenCase(ctx, tx, caseID); err != nil {
			return "", err
		}
		if _, err := tx.exec(ctx, `INSERT INTO case_approvals (case_id, officer, approved_at) VALUES ($1, $2, $3)`,
			caseID, a.Officer, at); err != nil {
			return "", vettingInsertError(err, "recording approval", "")
		}
		if final {
			if err := decideCase(ctx, tx, caseID, vetting.CaseApproved, a.Officer, at, note); err != nil {
				return "", err
			}
			if err := recordGrant(ctx, tx, caseID, g); err != nil {
				return "", err
			}
		}
		return caseSubject(caseID), nil
	})
}

// decideCase records the decision of a locked open case.
func decideCase(ctx context.Context, tx conn, caseID int64, status, officer string, at time.Time, note string) error {
	_, err := tx.exec(ctx, `UPDATE vetting_cases SET status = $1, decided_at = $2, decided_by = $3, decision_note = $4
		WHERE id = $5`, status, norm(at), officer, note, caseID)
	return err
}

// recordGrant writes what an approved case grants, replacing an earlier
// grant for the same organization and level or domain.
func recordGrant(ctx context.Context, tx conn, caseID int64, g vetting.Grant) error {
	var err error
	switch g.Kind {
	case vetting.CaseIdentity:
		_, err = tx.exec(ctx, `INSERT INTO org_identity (organization_id, level, case_id, vetted_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (organization_id, level) DO UPDATE SET case_id = excluded.case_id,
				vetted_at = excluded.vetted_at, expires_at = excluded.expires_at`,
			g.OrganizationID, g.Level, caseID, norm(g.At), norm(g.Expires))
	case vetting.CaseDomain:
		_, err = tx.exec(ctx, `INSERT INTO domain_approvals (organization_id, domain, case_id, owner_consent, approved_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (organization_id, domain) DO UPDATE SET case_id = excluded.case_id, owner_consent = excluded.owner_consent,
				approved_at = excluded.approved_at, expires_at = excluded.expires_at`,
			g.OrganizationID, g.Domain, caseID, g.OwnerConsent, norm(g.At), norm(g.Expires))
	}
	if err != nil {
		return fmt.Errorf("store: recording the approval of case %d: %w", caseID, err)
	}
	return nil
}

// RejectCase turns the open case rejected.
func (s *core) RejectCase(ctx context.Context, caseID int64, officer string, at time.Time, note string, audit *vetting.AuditEvent) error {
	return s.inAuditedTx(ctx, audit, func(tx conn) (string, error) {
		if err := lockOpenCase(ctx, tx, caseID); err != nil {
			return "", err
		}
		return caseSubject(caseID), decideCase(ctx, tx, caseID, vetting.CaseRejected, officer, s.stamp(at), note)
	})
}

// OrgIdentity returns the organization's identity at level.
func (s *core) OrgIdentity(ctx context.Context, orgID int64, level string) (*vetting.Identity, error) {
	i := vetting.Identity{OrganizationID: orgID, Level: level}
	err := s.db.reader().queryRow(ctx, `SELECT case_id, vetted_at, expires_at FROM org_identity
		WHERE organization_id = $1 AND level = $2`, orgID, level).Scan(&i.CaseID, &i.VettedAt, &i.ExpiresAt)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("identity of organization %d at %s", orgID, level), vetting.ErrNotFound)
	}
	return &i, nil
}

// DomainApproval returns the approval of domain for the organization.
func (s *core) DomainApproval(ctx context.Context, orgID int64, domain string) (*vetting.DomainApproval, error) {
	d := vetting.DomainApproval{OrganizationID: orgID, Domain: domain}
	err := s.db.reader().queryRow(ctx, `SELECT case_id, owner_consent, approved_at, expires_at FROM domain_approvals
		WHERE organization_id = $1 AND domain = $2`, orgID, domain).Scan(&d.CaseID, &d.OwnerConsent, &d.ApprovedAt, &d.ExpiresAt)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("approval of %s for organization %d", domain, orgID), vetting.ErrNotFound)
	}
	return &d, nil
}
