package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/pgtest"
	"github.com/kakuin/kakuin/migrations"
	"github.com/kakuin/kakuin/vetting"
)

// chainBackend is a migrated store of one dialect, with its database for
// changing rows by hand as an intruder would.
type chainBackend struct {
	dialect   string
	core      *core
	existsSQL string
}

// chainOpeners open a fresh, unmigrated chainBackend per dialect.
var chainOpeners = []struct {
	name string
	open func(t *testing.T) chainBackend
}{
	{migrations.SQLite, func(t *testing.T) chainBackend {
		s, err := OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "chain.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return chainBackend{migrations.SQLite, s.core, sqliteMigrationsExist}
	}},
	{migrations.Postgres, func(t *testing.T) chainBackend {
		p, err := OpenPostgres(t.Context(), pgtest.NewDatabase(t), 8)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return chainBackend{migrations.Postgres, p.core, postgresMigrationsExist}
	}},
}

// migrateTo applies the dialect's migrations up to version upTo (all when 0).
func (b chainBackend) migrateTo(t *testing.T, upTo int) {
	t.Helper()
	ms, err := migrations.List(b.dialect)
	if err != nil {
		t.Fatal(err)
	}
	if upTo > 0 {
		ms = ms[:upTo]
	}
	if _, err := migrate(t.Context(), b.core.db, ms, b.existsSQL, b.core.now); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

func (b chainBackend) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := b.core.db.writer().exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (b chainBackend) appendEvents(t *testing.T, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		e := &vetting.AuditEvent{Kind: "test.event", Actor: "officer:tanaka", Subject: fmt.Sprint("s", i),
			Detail: []byte(fmt.Sprintf(`{"n": %d, "b": "two", "a": [1, 2]}`, i))}
		if err := b.core.AppendAudit(t.Context(), e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

func (b chainBackend) verify(t *testing.T) *AuditCheck {
	t.Helper()
	check, err := b.core.VerifyAudit(t.Context())
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return check
}

// TestAuditChainDetectsTampering edits, deletes and adds events by hand and
// checks that VerifyAudit names the event and what happened to it.
func TestAuditChainDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, b chainBackend, ids []int64)
		// wantID is the event the problem is reported at (an index into
		// ids, or -1 for the head), wantReason a part of its reason.
		wantAt     int
		wantReason string
	}{
		{"detail edited", func(t *testing.T, b chainBackend, ids []int64) {
			b.exec(t, `UPDATE audit_events SET detail = $1 WHERE id = $2`, `{"n": 99}`, ids[2])
		}, 2, "was edited"},
		{"actor edited", func(t *testing.T, b chainBackend, ids []int64) {
			b.exec(t, `UPDATE audit_events SET actor = 'officer:sato' WHERE id = $1`, ids[1])
		}, 1, "was edited"},
		{"time edited", func(t *testing.T, b chainBackend, ids []int64) {
			b.exec(t, `UPDATE audit_events SET at = $1 WHERE id = $2`, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ids[3])
		}, 3, "was edited"},
		{"middle event deleted", func(t *testing.T, b chainBackend, ids []int64) {
			b.exec(t, `DELETE FROM audit_events WHERE id = $1`, ids[2])
		}, 3, "does not follow event"},
		{"first event deleted", func(t *testing.T, b chainBackend, ids []int64) {
			b.exec(t, `DELETE FROM audit_events WHERE id = $1`, ids[0])
		}, 1, "events before it were deleted"},
		{"newest event deleted", func(t *testing.T, b chainBackend, ids []int64) {
			b.exec(t, `DELETE FROM audit_events WHERE id = $1`, ids[4])
		}, -1, "the newest events were deleted"},
		{"event added by hand", func(t *testing.T, b chainBackend, ids []int64) {
			b.exec(t, `INSERT INTO audit_events (at, kind, actor, subject, detail) VALUES ($1, 'issuance', 'cli', 'x', '{}')`, time.Now())
		}, 5, "added outside kakuin"},
		{"event rehashed without its successor", func(t *testing.T, b chainBackend, ids []int64) {
			b.exec(t, `UPDATE audit_events SET subject = 'forged' WHERE id = $1`, ids[1])
			var e chainedEvent
			evs, err := readAudit(t.Context(), b.core.db.reader(), ids[0], 1)
			if err != nil {
				t.Fatal(err)
			}
			e = evs[0]
			b.exec(t, `UPDATE audit_events SET hash = $1 WHERE id = $2`, auditHash(e.prevHash, &e.AuditEvent), ids[1])
		}, 2, "does not follow event"},
	}
	for _, o := range chainOpeners {
		for _, tt := range tests {
			t.Run(o.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				b := o.open(t)
				b.migrateTo(t, 0)
				ids := b.appendEvents(t, 5)
				if check := b.verify(t); len(check.Problems) != 0 || check.Events != 5 || check.HeadID != ids[4] {
					t.Fatalf("before tampering: got %+v, want 5 events, head %d, no problem", check, ids[4])
				}
				tt.tamper(t, b, ids)
				check := b.verify(t)
				if len(check.Problems) == 0 {
					t.Fatal("tampering not detected")
				}
				p := check.Problems[0]
				wantID := int64(0)
				switch {
				case tt.wantAt == -1:
					wantID = ids[4]
				case tt.wantAt < len(ids):
					wantID = ids[tt.wantAt]
				default:
					wantID = p.ID // an added event: whatever id it got
				}
				if p.ID != wantID || !strings.Contains(p.Reason, tt.wantReason) {
					t.Errorf("first problem: got %d %q, want %d containing %q (all: %+v)", p.ID, p.Reason, wantID, tt.wantReason, check.Problems)
				}
			})
		}
	}
}

// TestAuditChainConcurrentAppends appends from many goroutines at once:
// the head lock must keep id order and chain order the same.
func TestAuditChainConcurrentAppends(t *testing.T) {
	for _, o := range chainOpeners {
		t.Run(o.name, func(t *testing.T) {
			b := o.open(t)
			b.migrateTo(t, 0)
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() { b.appendEvents(t, 10) })
			}
			wg.Wait()
			if check := b.verify(t); len(check.Problems) != 0 || check.Events != 80 {
				t.Errorf("got %d events, problems %+v; want 80 and none", check.Events, check.Problems)
			}
		})
	}
}

// TestAuditChainMigration logs events before migration 0003 and checks
// that the migration chains them and later events follow them.
func TestAuditChainMigration(t *testing.T) {
	for _, o := range chainOpeners {
		t.Run(o.name, func(t *testing.T) {
			b := o.open(t)
			b.migrateTo(t, 2)
			for n := range 3 {
				b.exec(t, `INSERT INTO audit_events (at, kind, actor, subject, detail) VALUES ($1, 'org.create', 'cli', $2, '{"k": 1}')`,
					time.Date(2026, 11, 1, 0, 0, n, 0, time.UTC), fmt.Sprint(n+1))
			}
			b.migrateTo(t, 0)
			b.appendEvents(t, 2)
			if check := b.verify(t); len(check.Problems) != 0 || check.Events != 5 {
				t.Errorf("got %d events, problems %+v; want 5 and none", check.Events, check.Problems)
			}
		})
	}
}
