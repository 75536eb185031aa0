package bench

import (
	"fmt"
	"time"
)

// Result is the outcome of a run. Durations are in nanoseconds in JSON.
type Result struct {
	Concurrency int `json:"concurrency"`
	// Certs is the number of flows that ended with a parsed certificate
	// inside the measured window.
	Certs int `json:"certs"`
	// Errors is the number of flows that failed inside the measured
	// window; FirstError is the text of the first of them.
	Errors     int    `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Elapsed is the measured window (shorter than Options.Duration only
	// when the run was cancelled).
	Elapsed   time.Duration `json:"elapsed_ns"`
	PerSecond float64       `json:"certs_per_second"`
	// P50, P99 and Max are flow latencies, newOrder to parsed chain.
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// String renders r on one line.
func (r Result) String() string {
	s := fmt.Sprintf("C=%d certs=%d errors=%d elapsed=%s rate=%.1f certs/s p50=%s p99=%s max=%s",
		r.Concurrency, r.Certs, r.Errors, r.Elapsed.Round(time.Millisecond), r.PerSecond,
		r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond))
	if r.FirstError != "" {
		s += " first_error=" + r.FirstError
	}
	return s
}
