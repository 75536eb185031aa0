package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// The audit log is a hash chain (migration 0003): each event stores the
// hash of the event before it (prev_hash) and its own hash,
//
//	hash = SHA-256(prev_hash || u64(id) || str(at) || str(kind) || str(actor) || str(subject) || str(detail))
//
// where u64 is 8 octets big-endian, str a 4-octet big-endian length and
// the octets, at is formatted with auditTimeLayout in UTC, and detail is
// the JSON text as the database returns it (PostgreSQL's jsonb normalizes
// it). audit_head records the newest event and its hash. VerifyAudit
// recomputes the chain: an edited event no longer matches its hash, a
// deleted one breaks the next event's link (or the head), and one added by
// hand has no hash.
//
// The chain detects changes made to the rows by hand; someone who can
// write the database and knows this encoding could rebuild it. Exporting
// the head elsewhere (kakuin audit verify prints it) closes that gap.

// auditTimeLayout is the fixed-width time format hashed for at.
const auditTimeLayout = "2006-01-02T15:04:05.000000Z"

// auditHash returns the chain hash of e following prev.
func auditHash(prev []byte, e *vetting.AuditEvent) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(e.ID))
	h.Write(n[:])
	for _, f := range [...][]byte{[]byte(e.At.UTC().Format(auditTimeLayout)), []byte(e.Kind), []byte(e.Actor),
		[]byte(e.Subject), e.Detail} {
		binary.BigEndian.PutUint32(n[:4], uint32(len(f)))
		h.Write(n[:4])
		h.Write(f)
	}
	return h.Sum(nil)
}

// insertAudit appends an audit event on c, which must be a transaction,
// chained to the newest event, and returns its id. It locks the chain head
// until c ends, so events get ids in chain order.
func insertAudit(ctx context.Context, c conn, at time.Time, kind, actor, subject string, detail []byte) (int64, error) {
	var lastID int64
	var prev []byte
	if err := c.queryRow(ctx, `SELECT last_id, hash FROM audit_head WHERE id = 1 FOR UPDATE`).Scan(&lastID, &prev); err != nil {
		return 0, fmt.Errorf("reading the audit chain head: %w", err)
	}
	e := vetting.AuditEvent{Kind: kind, Actor: actor, Subject: subject}
	var stored string
	err := c.queryRow(ctx, `INSERT INTO audit_events (at, kind, actor, subject, detail, prev_hash) VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING id, at, detail`, at, kind, actor, subject, string(detail), prev).Scan(&e.ID, &e.At, &stored)
	if err != nil {
		return 0, err
	}
	e.Detail = []byte(stored)
	return e.ID, chainAudit(ctx, c, &e, prev)
}

// chainAudit stores e's hash after prev and makes e the chain head.
func chainAudit(ctx context.Context, c conn, e *vetting.AuditEvent, prev []byte) error {
	h := auditHash(prev, e)
	if _, err := c.exec(ctx, `UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE id = $3`, prev, h, e.ID); err != nil {
		return fmt.Errorf("chaining audit event %d: %w", e.ID, err)
	}
	if _, err := c.exec(ctx, `UPDATE audit_head SET last_id = $1, hash = $2 WHERE id = 1`, e.ID, h); err != nil {
		return fmt.Errorf("moving the audit chain head: %w", err)
	}
	return nil
}

// chainExistingAudit chains the events logged before migration 0003, in
// id order; it runs in that migration's transaction.
func chainExistingAudit(ctx context.Context, c conn) error {
	prev := make([]byte, sha256.Size)
	for after := int64(0); ; {
		events, err := readAudit(ctx, c, after, auditBatch)
		if err != nil {
			return err
		}
		for _, ev := range events {
			if err := chainAudit(ctx, c, &ev.AuditEvent, prev); err != nil {
				return err
			}
			prev = auditHash(prev, &ev.AuditEvent)
			after = ev.ID
		}
		if len(events) < auditBatch {
			return nil
		}
	}
}

// auditBatch is how many events a chain walk reads at once.
const auditBatch = 1000

// chainedEvent is an audit event with its chain columns.
type chainedEvent struct {
	vetting.AuditEvent
	prevHash, hash []byte
}

// readAudit reads up to limit events after id afterID, oldest first.
func readAudit(ctx context.Context, c conn, afterID int64, limit int) ([]chainedEvent, error) {
	r, err := c.query(ctx, `SELECT id, at, kind, actor, subject, detail, prev_hash, hash FROM audit_events
		WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: reading audit events: %w", err)
	}
	defer r.Close()
	var out []chainedEvent
	for r.Next() {
		var e chainedEvent
		var detail string
		if err := r.Scan(&e.ID, &e.At, &e.Kind, &e.Actor, &e.Subject, &detail, &e.prevHash, &e.hash); err != nil {
			return nil, fmt.Errorf("store: reading audit events: %w", err)
		}
		e.Detail = []byte(detail)
		out = append(out, e)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("store: reading audit events: %w", err)
	}
	return out, nil
}

// AuditCheck is the result of VerifyAudit.
type AuditCheck struct {
	// Events is how many events the log holds.
	Events int64
	// HeadID and HeadHash are the newest event the chain head records.
	HeadID   int64
	HeadHash []byte
	// Problems lists what does not verify, oldest first, at most
	// MaxAuditProblems of them; empty means the log is intact.
	Problems []AuditProblem
	// MoreProblems counts the problems left out of Problems.
	MoreProblems int
}

// AuditProblem is one place where the chain does not verify.
type AuditProblem struct {
	// ID is the event where it shows.
	ID     int64
	Reason string
}

// MaxAuditProblems bounds AuditCheck.Problems.
const MaxAuditProblems = 20

func (a *AuditCheck) add(id int64, format string, args ...any) {
	if len(a.Problems) == MaxAuditProblems {
		a.MoreProblems++
		return
	}
	a.Problems = append(a.Problems, AuditProblem{ID: id, Reason: fmt.Sprintf(format, args...)})
}

// VerifyAudit recomputes the audit log's hash chain and reports every
// event edited, deleted or added outside kakuin. It only reads.
func (s *core) VerifyAudit(ctx context.Context) (*AuditCheck, error) {
	c := s.db.reader()
	check := &AuditCheck{}
	if err := c.queryRow(ctx, `SELECT last_id, hash FROM audit_head WHERE id = 1`).Scan(&check.HeadID, &check.HeadHash); err != nil {
		return nil, fmt.Errorf("store: reading the audit chain head: %w", err)
	}
	prev, prevID := make([]byte, sha256.Size), int64(0)
	for after := int64(0); ; {
		events, err := readAudit(ctx, c, after, auditBatch)
		if err != nil {
			return nil, err
		}
		for i := range events {
			e := &events[i]
			after = e.ID
			check.Events++
			switch {
			case e.hash == nil:
				check.add(e.ID, "event %d has no hash: it was added outside kakuin", e.ID)
				continue
			case !bytes.Equal(auditHash(e.prevHash, &e.AuditEvent), e.hash):
				check.add(e.ID, "event %d (%s, %s) was edited: its content no longer matches its hash", e.ID, e.Kind, e.Subject)
			case !bytes.Equal(e.prevHash, prev):
				if prevID == 0 {
					check.add(e.ID, "event %d does not follow the start of the log: the events before it were deleted", e.ID)
				} else {
					check.add(e.ID, "event %d does not follow event %d: the events between them were deleted, or a hash was changed", e.ID, prevID)
				}
			}
			prev, prevID = e.hash, e.ID
		}
		if len(events) < auditBatch {
			break
		}
	}
	switch {
	case check.HeadID != prevID && prevID < check.HeadID:
		check.add(check.HeadID, "the log ends at event %d but its head records event %d: the newest events were deleted", prevID, check.HeadID)
	case check.HeadID != prevID || !bytes.Equal(check.HeadHash, prev):
		check.add(prevID, "the chain head (event %d) does not match the newest event %d: the head or the newest event's hash was changed", check.HeadID, prevID)
	}
	return check, nil
}
