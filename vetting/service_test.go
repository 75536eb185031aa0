package vetting

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The acme.Vetting interface, restated: package acme imports vetting, so
// this guard cannot name it.
var _ interface {
	EABCredential(ctx context.Context, kid string) (*EABCredential, *Contract, error)
	Contract(ctx context.Context, code string) (*Contract, error)
	Organization(ctx context.Context, id int64) (*Organization, error)
} = (*Service)(nil)

// testNow is the fixed time of every test service.
var testNow = time.Date(2026, 11, 25, 9, 30, 0, 123456789, time.FixedZone("JST", 9*3600))

// testStored is testNow as the Service records it: UTC, microseconds.
var testStored = time.Date(2026, 11, 25, 0, 30, 0, 123456000, time.UTC)

// seeded returns a deterministic random source.
func seeded(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// newTestService returns a Service over a fresh memStore with a fixed clock
// and the deterministic random source of seed.
func newTestService(t *testing.T, seed byte) (*Service, *memStore) {
	t.Helper()
	m := newMemStore()
	return New(Options{Store: m, Clock: func() time.Time { return testNow }, Rand: seeded(seed)}), m
}

// goodOrg is a valid organization input.
func goodOrg() OrganizationInput {
	return OrganizationInput{
		Name:     "Example Trust Systems Co., Ltd.",
		NameJa:   "株式会社エグザンプル",
		Country:  "JP",
		Province: "Tokyo-to",
		Locality: "Shibuya-ku",
	}
}

// mustOrgContract creates an organization and a contract with the given
// input (OrganizationID filled in).
func mustOrgContract(t *testing.T, s *Service, in ContractInput) (*Organization, *Contract) {
	t.Helper()
	ctx := context.Background()
	o, err := s.CreateOrganization(ctx, goodOrg(), "cli")
	if err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	in.OrganizationID = o.ID
	c, err := s.CreateContract(ctx, in, "cli")
	if err != nil {
		t.Fatalf("CreateContract: %v", err)
	}
	return o, c
}

// checkInvalid fails unless err wraps ErrInvalid, is an *InputError naming
// field, and its message contains each of want.
func checkInvalid(t *testing.T, err error, field string, want ...string) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got error %v, want one wrapping ErrInvalid", err)
	}
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("got error %T %v, want *InputError", err, err)
	}
	found := false
	for _, f := range ie.Fields {
		if f.Field == field {
			found = true
		}
	}
	if !found {
		t.Errorf("got fields %v, want one named %q", ie.Fields, field)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "vetting: ") {
		t.Errorf("got message %q, want prefix \"vetting: \"", msg)
	}
	if !strings.Contains(msg, field+": ") {
		t.Errorf("got message %q, want it to name %q", msg, field)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("got message %q, want it to contain %q", msg, w)
		}
	}
}

func TestNewPanicsWithoutStore(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("got no panic, want one for a nil Store")
		}
	}()
	New(Options{})
}

func TestNowIsUTCMicroseconds(t *testing.T) {
	s, _ := newTestService(t, 1)
	got := s.now()
	want := testStored
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestActorRules(t *testing.T) {
	tests := []struct {
		name  string
		actor string
		want  string // "" = valid
	}{
		{"cli", "cli", ""},
		{"officer", "officer:tanaka", ""},
		{"max length", strings.Repeat("a", MaxActor), ""},
		{"empty", "", "is required"},
		{"spaces", "   ", "is required"},
		{"too long", strings.Repeat("a", MaxActor+1), "at most 128 bytes"},
		{"newline", "cli\nforged line", "control characters"},
		{"invalid utf-8", "cli\xff", "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t, 1)
			_, err := s.CreateOrganization(context.Background(), goodOrg(), tt.actor)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			checkInvalid(t, err, "actor", tt.want)
		})
	}
}
