package bench

import (
	"errors"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{name: "empty", sorted: nil, p: 50, want: 0},
		{name: "one value p50", sorted: ms(7), p: 50, want: 7 * time.Millisecond},
		{name: "one value p99", sorted: ms(7), p: 99, want: 7 * time.Millisecond},
		{name: "two values p50", sorted: ms(1, 2), p: 50, want: 1 * time.Millisecond},
		{name: "two values p99", sorted: ms(1, 2), p: 99, want: 2 * time.Millisecond},
		{name: "1..100 p50", sorted: ms(hundred...), p: 50, want: 50 * time.Millisecond},
		{name: "1..100 p99", sorted: ms(hundred...), p: 99, want: 99 * time.Millisecond},
		{name: "1..100 p100", sorted: ms(hundred...), p: 100, want: 100 * time.Millisecond},
		{name: "ten values p99", sorted: ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), p: 99, want: 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRecorder(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	errA, errB := errors.New("first failure"), errors.New("second failure")
	type flow struct {
		start, end float64
		err        error
	}
	tests := []struct {
		name  string
		flows []flow
		now   float64
		want  Result
	}{
		{
			name: "warmup and late flows ignored",
			flows: []flow{
				{start: 0, end: 0.5},              // warmup
				{start: 0.9, end: 1.0},            // ends as the window opens: counted
				{start: 1.5, end: 2.0},            // counted
				{start: 10.5, end: 11.0},          // ends as the window closes: ignored
				{start: 0.2, end: 0.8, err: errA}, // warmup error ignored
			},
			now:  11.2,
			want: Result{Concurrency: 2, Certs: 2, Elapsed: 10 * time.Second, PerSecond: 0.2, P50: 100 * time.Millisecond, P99: 500 * time.Millisecond, Max: 500 * time.Millisecond},
		},
		{
			name: "errors counted with the first one's text",
			flows: []flow{
				{start: 1, end: 2, err: errA},
				{start: 1, end: 3, err: errB},
				{start: 2, end: 3.25},
			},
			now:  11,
			want: Result{Concurrency: 2, Certs: 1, Errors: 2, FirstError: "first failure", Elapsed: 10 * time.Second, PerSecond: 0.1, P50: 1250 * time.Millisecond, P99: 1250 * time.Millisecond, Max: 1250 * time.Millisecond},
		},
		{
			name:  "run cut short",
			flows: []flow{{start: 1, end: 3}},
			now:   5,
			want:  Result{Concurrency: 2, Certs: 1, Elapsed: 4 * time.Second, PerSecond: 0.25, P50: 2 * time.Second, P99: 2 * time.Second, Max: 2 * time.Second},
		},
		{
			name: "cancelled during warmup",
			now:  0.5,
			want: Result{Concurrency: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(at(1), at(11))
			for _, f := range tt.flows {
				r.record(at(f.start), at(f.end), f.err)
			}
			if got := r.result(2, at(tt.now)); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
