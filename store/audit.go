package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kakuin/kakuin/vetting"
)

// AppendAudit appends e to the append-only audit log and sets e.ID (and
// e.At when zero). e.Detail must be a JSON object; nil stores {}.
func (s *core) AppendAudit(ctx context.Context, e *vetting.AuditEvent) error {
	var done func()
	err := s.db.inTx(ctx, func(c conn) error {
		var err error
		done, err = s.appendAudit(ctx, c, e, e.Subject)
		return err
	})
	if err != nil {
		return err
	}
	done()
	return nil
}

// inAuditedTx runs change in a transaction and appends audit, with the
// subject change returns, in the same transaction; the event's fields are
// set once it has committed (see appendAudit).
func (s *core) inAuditedTx(ctx context.Context, audit *vetting.AuditEvent, change func(tx conn) (subject string, err error)) error {
	var done func()
	err := s.db.inTx(ctx, func(tx conn) error {
		subject, err := change(tx)
		if err != nil {
			return err
		}
		done, err = s.appendAudit(ctx, tx, audit, subject)
		return err
	})
	if err != nil {
		return err
	}
	done()
	return nil
}

// appendAudit appends e on c, a transaction, with the subject. A nil e, an empty kind or
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
	events, err := readAudit(ctx, s.db.reader(), afterID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*vetting.AuditEvent, len(events))
	for i := range events {
		out[i] = &events[i].AuditEvent
	}
	return out, nil
}
