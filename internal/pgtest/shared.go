package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// shared is the one cluster per test binary that NewDatabase starts.
var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
	n       atomic.Int64
}

// NewDatabase returns the DSN of a fresh, empty database in the test
// binary's shared cluster, starting that cluster on first use. The database
// is dropped when the test ends. It fails the test (it does not skip) when
// the cluster cannot be started, e.g. without the postgresql-15 package. The
// test binary's TestMain must call Shutdown.
func NewDatabase(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		shared.cluster, shared.err = Start(Options{})
	})
	if shared.err != nil {
		t.Fatalf("pgtest: %v", shared.err)
	}
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), shared.n.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn, err := shared.cluster.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := shared.cluster.DropDatabase(ctx, name); err != nil {
			t.Error(err)
		}
	})
	return dsn
}

// Shutdown stops the shared cluster, if NewDatabase started one. Call it
// from TestMain after m.Run. NewDatabase fails after Shutdown.
func Shutdown() error {
	shared.once.Do(func() { shared.err = errors.New("pgtest: NewDatabase called after Shutdown") })
	if shared.cluster == nil {
		return nil
	}
	return shared.cluster.Close()
}
