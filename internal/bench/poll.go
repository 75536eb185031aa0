package bench

import (
	"context"
	"time"
)

// Poll intervals: short enough that a fast server is measured, not the
// client's sleep, and growing so that a slow one is not hammered. A
// server's Retry-After is deliberately ignored.
const (
	firstPollWait = 5 * time.Millisecond
	maxPollWait   = 250 * time.Millisecond
)

// nextPollWait is the wait after one of w.
func nextPollWait(w time.Duration) time.Duration {
	return min(2*w, maxPollWait)
}

// poll calls done after waits of 5 ms, 10 ms, 20 ms, … capped at 250 ms,
// until it reports true or an error, or ctx ends. With delayFirst false the
// first call comes at once, without a wait.
func poll(ctx context.Context, delayFirst bool, done func() (bool, error)) error {
	wait := firstPollWait
	timer := time.NewTimer(wait) // Go ≥ 1.23: Reset discards a stale tick
	defer timer.Stop()
	if delayFirst {
		if err := sleep(ctx, timer); err != nil {
			return err
		}
		wait = nextPollWait(wait)
	}
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		timer.Reset(wait)
		if err := sleep(ctx, timer); err != nil {
			return err
		}
		wait = nextPollWait(wait)
	}
}

// sleep waits for timer or the end of ctx.
func sleep(ctx context.Context, timer *time.Timer) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
