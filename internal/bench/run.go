package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"sync"
	"time"
)

// flowTimeout bounds one flow, so that an order the server never finishes
// (an authorization held for vetting, say) counts as an error.
const flowTimeout = 30 * time.Second

// Run registers one account, shared by every worker, then runs
// opts.Concurrency workers, each obtaining certificates back to back for
// opts.Warmup plus opts.Duration. Only flows that end inside the measured
// window (after the warmup) count; flows still running when it closes are
// cancelled and ignored. When ctx ends early Run returns the partial result
// with ctx's error.
func Run(ctx context.Context, opts Options) (Result, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Result{}, err
	}
	var eabKey []byte
	if opts.EABKeyID != "" {
		if eabKey, err = decodeEABKey(opts.EABHMACKey); err != nil {
			return Result{}, err
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Result{}, fmt.Errorf("bench: account key: %w", err)
	}
	c := &client{http: opts.HTTPClient, key: key}
	if opts.PebbleCompat {
		c.compat = new(sync.RWMutex)
	}
	if err := c.fetchDirectory(ctx, opts.DirectoryURL); err != nil {
		return Result{}, err
	}
	if err := c.register(ctx, opts.EABKeyID, eabKey); err != nil {
		return Result{}, err
	}

	start := time.Now()
	rec := newRecorder(start.Add(opts.Warmup), start.Add(opts.Warmup+opts.Duration))
	runCtx, cancel := context.WithDeadline(ctx, rec.to)
	defer cancel()
	names := newNameGen(opts.Domain, opts.NamesPerOrder)
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Go(func() {
			for runCtx.Err() == nil {
				t0 := time.Now()
				err := c.timedFlow(runCtx, names.next())
				if err != nil && runCtx.Err() != nil {
					return // cut by the end of the run, not the server's doing
				}
				rec.record(t0, time.Now(), err)
			}
		})
	}
	wg.Wait()
	return rec.result(opts.Concurrency, time.Now()), ctx.Err()
}

// timedFlow runs one flow within flowTimeout.
func (c *client) timedFlow(ctx context.Context, names []string) error {
	ctx, cancel := context.WithTimeout(ctx, flowTimeout)
	defer cancel()
	return c.flow(ctx, names)
}
