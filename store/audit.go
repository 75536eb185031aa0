package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// insertAudit appends an audit event on c and returns its id.
func insertAudit(ctx context.Context, c conn, at time.Time, kind, actor, subject string, detail []byte) (int64, error) {
	var id int64
	err := c.queryRow(ctx, `INSERT INTO audit_events (at, kind, actor, subject, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		at, kind, actor, subject, string(detail)).Scan(&id)
	return id, err
}

// AppendAudit appends e to the append-only audit log and sets e.ID (and
// e.At when zero). e.Detail must be a JSON object; nil stores {}.
func (s *core) AppendAudit(ctx context.Context, e *vetting.AuditEvent) error {
	done, err := s.appendAudit(ctx, s.db.writer(), e, e.Subject)
	if err != nil {
		return err
	}
	done()
	return nil
}

// appendAudit appends e on c with the subject. A nil e, an empty kind or
// actor, or a detail that is not a JSON object is vetting.ErrInvalid. It is
// called in the transaction that changes the record e describes, after the
// change, so that a refused event rolls the change back; once that
// transaction has committed, the caller calls done, which sets e.ID,
// e.Subject, e.Detail and e.At (when zero).
func (s *core) appendAudit(ctx context.Context, c conn, e *vetting.AuditEvent, subject string) (done func(), err error) {
	if e == nil {
		return nil, fmt.Errorf("store: audit event missing: %w", vetting.ErrInvalid)
	}
	if e.Kind == "" || e.Actor == "" {
		return nil, fmt.Errorf("store: audit event needs a kind and an actor: %w", vetting.ErrInvalid)
	}
	detail := e.Detail
	if detail == nil {
		detail = []byte("{}")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(detail, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("store: audit event detail is not a JSON object: %w", vetting.ErrInvalid)
	}
	at := s.stamp(e.At)
	id, err := insertAudit(ctx, c, at, e.Kind, e.Actor, subject, detail)
	if err != nil {
		return nil, fmt.Errorf("store: appending audit event: %w", err)
	}
	return func() { e.ID, e.At, e.Subject, e.Detail = id, at, subject, detail }, nil
}

// AuditEvents returns up to limit audit events with id greater than
// afterID, oldest first.
func (s *core) AuditEvents(ctx context.Context, afterID int64, limit int) ([]*vetting.AuditEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	r, err := s.db.reader().query(ctx, `SELECT id, at, kind, actor, subject, detail FROM audit_events
		WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: reading audit events: %w", err)
	}
	defer r.Close()
	var out []*vetting.AuditEvent
	for r.Next() {
		var e vetting.AuditEvent
		var detail string
		if err := r.Scan(&e.ID, &e.At, &e.Kind, &e.Actor, &e.Subject, &detail); err != nil {
			return nil, fmt.Errorf("store: reading audit events: %w", err)
		}
		e.Detail = []byte(detail)
		out = append(out, &e)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("store: reading audit events: %w", err)
	}
	return out, nil
}
