package storetest

import (
	"slices"
	"sync"
	"testing"

	"github.com/kakuin/kakuin/migrations"
	"github.com/kakuin/kakuin/store"
)

func allMigrations(t *testing.T) []string {
	t.Helper()
	ms, err := migrations.List(migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	return names
}

func testMigrate(t *testing.T, open func(t *testing.T) store.Backend) {
	t.Run("idempotent", func(t *testing.T) {
		b := open(t)
		pend, err := b.Pending(ctx(t))
		wantErr(t, "Pending before Migrate", err, nil)
		equal(t, "Pending before Migrate", pend, allMigrations(t))
		got, err := b.Migrate(ctx(t))
		wantErr(t, "first Migrate", err, nil)
		equal(t, "first Migrate applied", got, allMigrations(t))
		for i := range 2 {
			got, err := b.Migrate(ctx(t))
			wantErr(t, "Migrate again", err, nil)
			if len(got) != 0 {
				t.Errorf("Migrate #%d: got %v applied, want none", i+2, got)
			}
		}
		pend, err = b.Pending(ctx(t))
		wantErr(t, "Pending after Migrate", err, nil)
		if len(pend) != 0 {
			t.Errorf("Pending after Migrate: got %v, want none", pend)
		}
		wantErr(t, "Ping", b.Ping(ctx(t)), nil)
	})
	t.Run("concurrent", func(t *testing.T) {
		b := open(t)
		var wg sync.WaitGroup
		results := make([][]string, 4)
		errs := make([]error, len(results))
		for i := range results {
			wg.Go(func() { results[i], errs[i] = b.Migrate(ctx(t)) })
		}
		wg.Wait()
		var applied []string
		for i := range results {
			wantErr(t, "concurrent Migrate", errs[i], nil)
			applied = append(applied, results[i]...)
		}
		// Each migration once, whichever caller applied it.
		slices.Sort(applied)
		equal(t, "migrations applied by all callers together", applied, allMigrations(t))
	})
}
