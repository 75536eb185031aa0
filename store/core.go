package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// core implements the store interfaces on a database, in SQL both dialects
// run.
type core struct {
	db  database
	now func() time.Time

	nonceKeyMu sync.Mutex
	nonceKey   []byte
}

func newCore(db database, clock func() time.Time) *core {
	if clock == nil {
		clock = time.Now
	}
	return &core{db: db, now: clock}
}

// norm returns t as stored: UTC, truncated to the microsecond.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// normPtr is norm for optional times.
func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := norm(*t)
	return &n
}

// stamp returns t as stored, or the current time if t is zero.
func (s *core) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return norm(t)
}

// jsonText encodes v (a slice) as JSON text; nil encodes as [].
func jsonText[T any](v []T) string {
	if v == nil {
		v = []T{}
	}
	b, _ := json.Marshal(v) // cannot fail for the slices stored here
	return string(b)
}

// fromJSONText decodes a JSON array; an empty array gives nil.
func fromJSONText[T any](s, what string) ([]T, error) {
	var v []T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("store: reading %s: %w", what, err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// exists reports whether table has a row whose column equals key. table
// and column are constants of this package, never input.
func exists(ctx context.Context, c conn, table, column string, key any) (bool, error) {
	var one int
	err := c.queryRow(ctx, "SELECT 1 FROM "+table+" WHERE "+column+" = $1", key).Scan(&one)
	if errors.Is(err, errNoRows) {
		return false, nil
	}
	return err == nil, err
}

// missOrConflict explains a conditional update of a row of table that
// changed nothing: notFound if the row does not exist, conflict if it does.
func missOrConflict(ctx context.Context, c conn, table, column string, key any, what string, notFound, conflict error) error {
	ok, err := exists(ctx, c, table, column, key)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if !ok {
		return fmt.Errorf("store: %s: %w", what, notFound)
	}
	return fmt.Errorf("store: %s: %w", what, conflict)
}

// notFound turns errNoRows into the domain's not-found error.
func notFound(err error, what string, domain error) error {
	if errors.Is(err, errNoRows) {
		return fmt.Errorf("store: %s: %w", what, domain)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}
