package bench

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestNextPollWait(t *testing.T) {
	want := []time.Duration{5, 10, 20, 40, 80, 160, 250, 250}
	w := firstPollWait
	for i, ms := range want {
		if got := w; got != ms*time.Millisecond {
			t.Errorf("wait %d: got %v, want %v", i, got, ms*time.Millisecond)
		}
		w = nextPollWait(w)
	}
}

func TestPoll(t *testing.T) {
	errServer := errors.New("server said no")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name       string
		ctx        context.Context
		delayFirst bool
		doneAfter  int   // calls until done reports true
		failAt     int   // call that fails, 0 for none
		wantCalls  int   // calls made
		wantErr    error // nil for success
	}{
		{name: "done at once", ctx: context.Background(), doneAfter: 1, wantCalls: 1},
		{name: "done on third call", ctx: context.Background(), doneAfter: 3, wantCalls: 3},
		{name: "delayed first call", ctx: context.Background(), delayFirst: true, doneAfter: 2, wantCalls: 2},
		{name: "error stops polling", ctx: context.Background(), doneAfter: 5, failAt: 2, wantCalls: 2, wantErr: errServer},
		{name: "cancelled after first call", ctx: cancelled, doneAfter: 5, wantCalls: 1, wantErr: context.Canceled},
		{name: "cancelled before delayed first call", ctx: cancelled, delayFirst: true, doneAfter: 5, wantCalls: 0, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := poll(tt.ctx, tt.delayFirst, func() (bool, error) {
				calls++
				if calls == tt.failAt {
					return false, errServer
				}
				return calls >= tt.doneAfter, nil
			})
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("error: got %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("calls: got %d, want %d", calls, tt.wantCalls)
			}
		})
	}
}
