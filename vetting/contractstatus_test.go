package vetting

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSetContractStatus(t *testing.T) {
	tests := []struct {
		name    string
		from    string // the contract's status before; "" means no contract (code below)
		code    string // used when from is ""
		to      string
		actor   string
		want    string // the contract's status after
		wantErr error
		wantMsg string
	}{
		{name: "suspend", from: ContractActive, to: ContractSuspended, actor: "cli", want: ContractSuspended},
		{name: "resume", from: ContractSuspended, to: ContractActive, actor: "officer:tanaka", want: ContractActive},
		{name: "end an active contract", from: ContractActive, to: ContractEnded, actor: "cli", want: ContractEnded},
		{name: "end a suspended contract", from: ContractSuspended, to: ContractEnded, actor: "cli", want: ContractEnded},
		{name: "suspend twice", from: ContractSuspended, to: ContractSuspended, actor: "cli", want: ContractSuspended},
		{name: "resume an ended contract", from: ContractEnded, to: ContractActive, actor: "cli", want: ContractEnded,
			wantErr: ErrInactive, wantMsg: "has ended and cannot be resumed: an ended contract is final"},
		{name: "suspend an ended contract", from: ContractEnded, to: ContractSuspended, actor: "cli", want: ContractEnded,
			wantErr: ErrInactive, wantMsg: "has ended and cannot be suspended"},
		{name: "unknown status", from: ContractActive, to: "paused", actor: "cli", want: ContractActive,
			wantErr: ErrInvalid, wantMsg: `status: must be "active", "suspended" or "ended" (got "paused")`},
		{name: "empty status", from: ContractActive, to: "", actor: "cli", want: ContractActive, wantErr: ErrInvalid, wantMsg: "status: must be"},
		{name: "no actor", from: ContractActive, to: ContractSuspended, actor: "", want: ContractActive, wantErr: ErrInvalid, wantMsg: "actor: is required"},
		{name: "malformed code", code: "12345", to: ContractSuspended, actor: "cli", wantErr: ErrInvalid, wantMsg: "10 digits"},
		{name: "unknown contract", code: "1000000008", to: ContractSuspended, actor: "cli", wantErr: ErrNotFound, wantMsg: "contract 1000000008 not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, m := newTestService(t, 1)
			code := tt.code
			if tt.from != "" {
				_, c := mustOrgContract(t, s, ContractInput{})
				m.setContractStatus(c.Code, tt.from)
				code = c.Code
			}
			before := len(m.events())
			err := s.SetContractStatus(ctx, code, tt.to, tt.actor)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg)) {
				t.Fatalf("got error %v, want %v with %q", err, tt.wantErr, tt.wantMsg)
			}
			if tt.from != "" {
				c, err := s.Contract(ctx, code)
				if err != nil {
					t.Fatal(err)
				}
				if c.Status != tt.want {
					t.Errorf("status: got %q, want %q", c.Status, tt.want)
				}
			}
			evs := m.events()[before:]
			if tt.wantErr != nil || tt.from == tt.to {
				if len(evs) != 0 {
					t.Errorf("got %d audit events, want none: %+v", len(evs), evs)
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("got %d audit events, want 1", len(evs))
			}
			checkStatusEvent(t, evs[0], code, tt.actor, tt.from, tt.to)
		})
	}
}

// checkStatusEvent checks a "contract.status" audit event.
func checkStatusEvent(t *testing.T, e AuditEvent, code, actor, from, to string) {
	t.Helper()
	if e.Kind != "contract.status" || e.Subject != code || e.Actor != actor || !e.At.Equal(testStored) {
		t.Errorf("event: got %s about %s by %s at %v, want contract.status about %s by %s at %v",
			e.Kind, e.Subject, e.Actor, e.At, code, actor, testStored)
	}
	var d map[string]string
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatalf("detail %s: %v", e.Detail, err)
	}
	if d["from"] != from || d["to"] != to || len(d) != 2 {
		t.Errorf("detail: got %v, want from %q to %q", d, from, to)
	}
}

// racingStore changes a contract's status behind the Service's back just
// before the Service's first SetContractStatus reaches the store, as
// another process would.
type racingStore struct {
	*memStore
	code, status string
	raced        bool
}

func (r *racingStore) SetContractStatus(ctx context.Context, code, from, to string, audit *AuditEvent) error {
	if !r.raced {
		r.raced = true
		r.setContractStatus(r.code, r.status)
	}
	return r.memStore.SetContractStatus(ctx, code, from, to, audit)
}

// TestSetContractStatusConcurrentChange checks that the status change is
// decided on, and audited from, the status the contract really has when
// another change lands in between.
func TestSetContractStatusConcurrentChange(t *testing.T) {
	tests := []struct {
		name     string
		raceTo   string // what the other process sets
		to       string
		want     string
		wantErr  error
		wantFrom string // the audited "from"; "" means no event
	}{
		{"suspended meanwhile, then ended", ContractSuspended, ContractEnded, ContractEnded, nil, ContractSuspended},
		{"ended meanwhile, then suspended", ContractEnded, ContractSuspended, ContractEnded, ErrInactive, ""},
		{"suspended meanwhile, then suspended", ContractSuspended, ContractSuspended, ContractSuspended, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			setup, m := newTestService(t, 1)
			_, c := mustOrgContract(t, setup, ContractInput{})
			r := &racingStore{memStore: m, code: c.Code, status: tt.raceTo}
			s := New(Options{Store: r, Clock: setup.clock, Rand: seeded(2)})
			before := len(m.events())
			err := s.SetContractStatus(ctx, c.Code, tt.to, "cli")
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			got, err := s.Contract(ctx, c.Code)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want {
				t.Errorf("status: got %q, want %q", got.Status, tt.want)
			}
			evs := m.events()[before:]
			if tt.wantFrom == "" {
				if len(evs) != 0 {
					t.Errorf("got %d audit events, want none", len(evs))
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("got %d audit events, want 1", len(evs))
			}
			checkStatusEvent(t, evs[0], c.Code, "cli", tt.wantFrom, tt.to)
		})
	}
}
