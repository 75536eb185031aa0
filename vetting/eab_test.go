package vetting

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestEncodeHMAC(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		want string
	}{
		{"empty", nil, ""},
		{"url alphabet, no padding", []byte{0xfb, 0xff}, "-_8"},
		{"one byte", []byte{0}, "AA"},
		{"32 bytes", bytes.Repeat([]byte{0xff}, 32), strings.Repeat("_", 42) + "8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EncodeHMAC(tt.key); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEABLifecycle(t *testing.T) {
	ctx := context.Background()
	s, m := newTestService(t, 1)
	_, c := mustOrgContract(t, s, ContractInput{Profiles: []string{"ev"}})

	e, err := s.CreateEAB(ctx, c.Code, "cli")
	if err != nil {
		t.Fatalf("CreateEAB: %v", err)
	}
	if !strings.HasPrefix(e.KeyID, "kak_") || len(e.KeyID) != 4+22 {
		t.Errorf("got kid %q, want kak_ and 22 base64url characters", e.KeyID)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(e.KeyID[4:]); err != nil || len(raw) != 16 {
		t.Errorf("got kid %q (%v), want 16 random bytes", e.KeyID, err)
	}
	if len(e.HMACKey) != 32 {
		t.Errorf("got %d-byte HMAC key, want 32", len(e.HMACKey))
	}
	if e.ContractCode != c.Code || e.Status != CredentialActive || e.RevokedAt != nil {
		t.Errorf("got %+v, want an active credential of %s", e, c.Code)
	}

	// A second credential of the same contract is independent.
	e2, err := s.CreateEAB(ctx, c.Code, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if e2.KeyID == e.KeyID || bytes.Equal(e2.HMACKey, e.HMACKey) {
		t.Errorf("got a second credential sharing kid or key with the first")
	}

	gotE, gotC, err := s.EABCredential(ctx, e.KeyID)
	if err != nil {
		t.Fatalf("EABCredential: %v", err)
	}
	if gotE.KeyID != e.KeyID || !bytes.Equal(gotE.HMACKey, e.HMACKey) || gotC.Code != c.Code || gotC.Profiles[0] != "ev" {
		t.Errorf("got %+v, %+v, want the credential and its contract", gotE, gotC)
	}

	if err := s.RevokeEAB(ctx, e.KeyID, "officer:sato"); err != nil {
		t.Fatalf("RevokeEAB: %v", err)
	}
	stored := m.creds[e.KeyID]
	if stored.Status != CredentialRevoked || stored.RevokedAt == nil || !stored.RevokedAt.Equal(testStored) {
		t.Errorf("got stored %+v, want revoked at %v", stored, testStored)
	}
	_, _, err = s.EABCredential(ctx, e.KeyID)
	if !errors.Is(err, ErrInactive) || !strings.Contains(err.Error(), "EAB credential "+e.KeyID+" revoked") {
		t.Errorf("after revocation: got %v, want ErrInactive \"EAB credential ... revoked\"", err)
	}
	err = s.RevokeEAB(ctx, e.KeyID, "cli")
	if !errors.Is(err, ErrInactive) || !strings.Contains(err.Error(), "already revoked") {
		t.Errorf("second revocation: got %v, want ErrInactive \"already revoked\"", err)
	}
	// The other credential still works.
	if _, _, err := s.EABCredential(ctx, e2.KeyID); err != nil {
		t.Errorf("other credential: got %v, want nil", err)
	}
}

func TestEABCredentialErrors(t *testing.T) {
	ctx := context.Background()
	s, m := newTestService(t, 1)
	_, active := mustOrgContract(t, s, ContractInput{})
	_, suspended := mustOrgContract(t, s, ContractInput{})
	_, ended := mustOrgContract(t, s, ContractInput{})
	kid := func(c *Contract) string {
		e, err := s.CreateEAB(ctx, c.Code, "cli")
		if err != nil {
			t.Fatal(err)
		}
		return e.KeyID
	}
	activeKid, suspendedKid, endedKid := kid(active), kid(suspended), kid(ended)
	if err := s.SetContractStatus(ctx, suspended.Code, ContractSuspended, "cli"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetContractStatus(ctx, ended.Code, ContractEnded, "cli"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		kid        string
		wantErr    error
		wantMsg    string
		wantLookup bool
	}{
		{"active", activeKid, nil, "", true},
		{"unknown", "kak_AAAAAAAAAAAAAAAAAAAAAA", ErrNotFound, "unknown EAB key id", true},
		{"empty", "", ErrNotFound, "unknown EAB key id", false},
		{"no prefix", "AAAAAAAAAAAAAAAAAAAAAA", ErrNotFound, "unknown EAB key id", false},
		{"prefix only", "kak_", ErrNotFound, "unknown EAB key id", false},
		{"not base64url", "kak_AA+A/A==", ErrNotFound, "unknown EAB key id", false},
		{"huge", "kak_" + strings.Repeat("A", 100000), ErrNotFound, "unknown EAB key id", false},
		{"suspended contract", suspendedKid, ErrInactive, "contract " + suspended.Code + " is suspended", true},
		{"ended contract", endedKid, ErrInactive, "contract " + ended.Code + " is ended", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := m.credLookups
			e, c, err := s.EABCredential(ctx, tt.kid)
			if got := m.credLookups > before; got != tt.wantLookup {
				t.Errorf("got store lookup %v, want %v", got, tt.wantLookup)
			}
			if tt.wantErr == nil {
				if err != nil || e == nil || c == nil {
					t.Fatalf("got %v, %v, %v, want a credential and contract", e, c, err)
				}
				return
			}
			if e != nil || c != nil {
				t.Errorf("got %v, %v with an error, want nils", e, c)
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want %v with %q", err, tt.wantErr, tt.wantMsg)
			}
			if len(err.Error()) > 200 {
				t.Errorf("got a %d-byte message, want it short", len(err.Error()))
			}
		})
	}
}

func TestCreateEABErrors(t *testing.T) {
	ctx := context.Background()
	s, m := newTestService(t, 1)
	_, suspended := mustOrgContract(t, s, ContractInput{})
	if err := s.SetContractStatus(ctx, suspended.Code, ContractSuspended, "cli"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		code    string
		actor   string
		wantErr error
		wantMsg string
	}{
		{"bad code", "12345", "cli", ErrInvalid, "must be 10 digits"},
		{"typo", "1000000007", "cli", ErrInvalid, "check digit"},
		{"unknown contract", "1000000008", "cli", ErrNotFound, "contract 1000000008 not found"},
		{"suspended contract", suspended.Code, "cli", ErrInactive, "contract " + suspended.Code + " is suspended"},
		{"no actor", suspended.Code, "", ErrInvalid, "actor: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(m.events())
			e, err := s.CreateEAB(ctx, tt.code, tt.actor)
			if e != nil || !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, %v, want %v with %q", e, err, tt.wantErr, tt.wantMsg)
			}
			if n := len(m.events()); n != before {
				t.Errorf("got %d new audit events, want 0", n-before)
			}
		})
	}
}

func TestRevokeEABErrors(t *testing.T) {
	s, _ := newTestService(t, 1)
	tests := []struct {
		name    string
		kid     string
		actor   string
		wantErr error
		wantMsg string
	}{
		{"unknown", "kak_AAAAAAAAAAAAAAAAAAAAAA", "cli", ErrNotFound, "unknown EAB key id"},
		{"malformed", "not-a-kid", "cli", ErrInvalid, "kid: must be an EAB key id"},
		{"no actor", "kak_AAAAAAAAAAAAAAAAAAAAAA", "", ErrInvalid, "actor: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.RevokeEAB(context.Background(), tt.kid, tt.actor)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want %v with %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestCreateEABRetriesTakenKeyID(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	setup := New(Options{Store: m, Rand: seeded(9)})
	_, c := mustOrgContract(t, setup, ContractInput{})
	// Two services with the same random stream draw the same first kid.
	s1 := New(Options{Store: m, Rand: seeded(4)})
	s2 := New(Options{Store: m, Rand: seeded(4)})
	e1, err := s1.CreateEAB(ctx, c.Code, "cli")
	if err != nil {
		t.Fatal(err)
	}
	e2, err := s2.CreateEAB(ctx, c.Code, "cli")
	if err != nil {
		t.Fatalf("got %v, want a retry with a fresh key id", err)
	}
	if e1.KeyID == e2.KeyID || bytes.Equal(e1.HMACKey, e2.HMACKey) {
		t.Errorf("got kid %s twice or the same key, want fresh ones", e1.KeyID)
	}
}

// TestAuditHasNoKeyMaterial runs the whole lifecycle and checks every audit
// event: kind, actor, subject, a JSON object as detail, and no trace of any
// HMAC key in any encoding.
func TestAuditHasNoKeyMaterial(t *testing.T) {
	ctx := context.Background()
	s, m := newTestService(t, 2)
	_, c := mustOrgContract(t, s, ContractInput{})
	var keys [][]byte
	var kids []string
	for range 3 {
		e, err := s.CreateEAB(ctx, c.Code, "cli")
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, e.HMACKey)
		kids = append(kids, e.KeyID)
	}
	if err := s.RevokeEAB(ctx, kids[0], "officer:sato"); err != nil {
		t.Fatal(err)
	}
	want := []struct{ kind, actor, subject string }{
		{"org.create", "cli", "1"},
		{"contract.create", "cli", c.Code},
		{"eab.create", "cli", kids[0]},
		{"eab.create", "cli", kids[1]},
		{"eab.create", "cli", kids[2]},
		{"eab.revoke", "officer:sato", kids[0]},
	}
	ev := m.events()
	if len(ev) != len(want) {
		t.Fatalf("got %d events, want %d", len(ev), len(want))
	}
	for i, e := range ev {
		if e.Kind != want[i].kind || e.Actor != want[i].actor || e.Subject != want[i].subject {
			t.Errorf("event %d: got %s by %s about %s, want %s by %s about %s", i, e.Kind, e.Actor, e.Subject, want[i].kind, want[i].actor, want[i].subject)
		}
		if e.ID != int64(i+1) || !e.At.Equal(testStored) {
			t.Errorf("event %d: got id %d at %v, want id %d at %v", i, e.ID, e.At, i+1, testStored)
		}
		if len(e.Detail) == 0 || e.Detail[0] != '{' {
			t.Errorf("event %d: got detail %s, want a JSON object", i, e.Detail)
		}
		if strings.HasPrefix(e.Kind, "eab.") && !strings.Contains(string(e.Detail), c.Code) {
			t.Errorf("event %d: got detail %s, want the contract code", i, e.Detail)
		}
		all := e.Kind + e.Actor + e.Subject + string(e.Detail)
		for _, k := range keys {
			for _, enc := range []string{
				string(k), EncodeHMAC(k), base64.StdEncoding.EncodeToString(k),
				base64.URLEncoding.EncodeToString(k), hex.EncodeToString(k), EncodeHMAC(k[:8]),
			} {
				if strings.Contains(all, enc) {
					t.Errorf("event %d (%s) contains HMAC key material %q", i, e.Kind, enc)
				}
			}
		}
	}
}

func TestEABAuditFailureHidesKey(t *testing.T) {
	ctx := context.Background()
	s, m := newTestService(t, 1)
	_, c := mustOrgContract(t, s, ContractInput{})
	m.failAudit = errors.New("audit table locked")
	e, err := s.CreateEAB(ctx, c.Code, "cli")
	if e != nil || !errors.Is(err, m.failAudit) {
		t.Fatalf("got %v, %v, want the audit error and no credential", e, err)
	}
	if len(m.creds) != 0 {
		t.Errorf("got %d stored credentials, want none without their audit event", len(m.creds))
	}
	if strings.Contains(err.Error(), "kak_") {
		t.Errorf("error %q names the key id of a credential that does not exist", err)
	}
}

// Times stored for EAB credentials come from the injected clock.
func TestEABCreatedAtUsesClock(t *testing.T) {
	s, _ := newTestService(t, 1)
	_, c := mustOrgContract(t, s, ContractInput{})
	e, err := s.CreateEAB(context.Background(), c.Code, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if want := testStored; !e.CreatedAt.Equal(want) {
		t.Errorf("got %v, want %v", e.CreatedAt, want)
	}
}

func TestCreateEABConcurrent(t *testing.T) {
	s, m := newTestService(t, 5)
	_, c := mustOrgContract(t, s, ContractInput{})
	const n = 16
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := s.CreateEAB(context.Background(), c.Code, "cli")
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("got %v, want nil", err)
		}
	}
	if got := len(m.creds); got != n {
		t.Errorf("got %d credentials, want %d", got, n)
	}
}
