package bench

import (
	"slices"
	"sync"
	"time"
)

// recorder collects the outcome of flows that end inside the measured
// window [from, to).
type recorder struct {
	from, to time.Time

	mu        sync.Mutex
	latencies []time.Duration
	errors    int
	firstErr  string
}

// newRecorder returns a recorder for the window [from, to).
func newRecorder(from, to time.Time) *recorder {
	return &recorder{from: from, to: to}
}

// record notes a flow that ran from start to end with outcome err; flows
// ending outside the window are ignored.
func (r *recorder) record(start, end time.Time, err error) {
	if end.Before(r.from) || !end.Before(r.to) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errors++
		if r.firstErr == "" {
			r.firstErr = err.Error()
		}
		return
	}
	r.latencies = append(r.latencies, end.Sub(start))
}

// result summarises the window as seen at now (the window is cut short
// when the run ended before it did).
func (r *recorder) result(concurrency int, now time.Time) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := r.to
	if now.Before(end) {
		end = now
	}
	res := Result{
		Concurrency: concurrency,
		Certs:       len(r.latencies),
		Errors:      r.errors,
		FirstError:  r.firstErr,
		Elapsed:     max(end.Sub(r.from), 0),
	}
	if res.Elapsed > 0 {
		res.PerSecond = float64(res.Certs) / res.Elapsed.Seconds()
	}
	sorted := slices.Clone(r.latencies)
	slices.Sort(sorted)
	res.P50 = percentile(sorted, 50)
	res.P99 = percentile(sorted, 99)
	res.Max = percentile(sorted, 100)
	return res
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted: the smallest value with at least p% of the values at or below
// it; 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// rank = ceil(p/100 · n), computed in integers to avoid float error.
	rank := int((int64(p*100)*int64(n) + 9999) / 10000)
	return sorted[min(max(rank, 1), n)-1]
}
