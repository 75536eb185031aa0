package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/store"
)

func testChallenges(t *testing.T, b store.Backend) {
	acct := account(t, b)
	problem := []byte(`{"type":"urn:ietf:params:acme:error:connection","detail":"refused"}`)

	t.Run("valid", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "valid.example.com")
		ch := azs[0].Challenges[0]
		wantErr(t, "CompleteChallenge(pending)", b.CompleteChallenge(ctx(t), ch.ID, true, nil, t0, t0.Add(reuse)), acme.ErrConflict)
		got, err := b.GetChallenge(ctx(t), ch.ID)
		wantErr(t, "GetChallenge", err, nil)
		equalTimePtr(t, "ValidationStarted before start", got.ValidationStarted, nil)
		started := t0.Add(time.Second)
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), ch.ID, started), nil)
		wantErr(t, "StartChallenge again", b.StartChallenge(ctx(t), ch.ID, started), acme.ErrConflict)
		got, err = b.GetChallenge(ctx(t), ch.ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "Status after start", got.Status, acme.StatusProcessing)
		equalTimePtr(t, "ValidationStarted", got.ValidationStarted, &started)

		at := t0.Add(time.Minute)
		wantErr(t, "CompleteChallenge", b.CompleteChallenge(ctx(t), ch.ID, true, problem, at, at.Add(reuse)), nil)
		got, err = b.GetChallenge(ctx(t), ch.ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "Status", got.Status, acme.StatusValid)
		equalTimePtr(t, "Validated", got.Validated, &at)
		if got.Error != nil {
			t.Errorf("Error of a valid challenge: got %s, want none", got.Error)
		}
		az, err := b.GetAuthorization(ctx(t), azs[0].ID)
		wantErr(t, "GetAuthorization", err, nil)
		equal(t, "authorization Status", az.Status, acme.StatusValid)
		equalTime(t, "authorization Expires", az.Expires, at.Add(reuse))
		equal(t, "challenge in authorization", az.Challenges[0], *got)

		wantErr(t, "CompleteChallenge again", b.CompleteChallenge(ctx(t), ch.ID, true, nil, at, at.Add(reuse)), acme.ErrConflict)
		// The authorization is no longer pending: its other challenges cannot start.
		wantErr(t, "StartChallenge(other challenge)", b.StartChallenge(ctx(t), azs[0].Challenges[1].ID, at), acme.ErrConflict)
	})

	t.Run("invalid", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "invalid.example.com")
		ch := azs[0].Challenges[2]
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), ch.ID, t0), nil)
		wantErr(t, "CompleteChallenge", b.CompleteChallenge(ctx(t), ch.ID, false, problem, t0, t0.Add(reuse)), nil)
		got, err := b.GetChallenge(ctx(t), ch.ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "Status", got.Status, acme.StatusInvalid)
		equal(t, "Error", string(got.Error), string(problem))
		if got.Validated != nil {
			t.Errorf("Validated of an invalid challenge: got %v, want nil", got.Validated)
		}
		az, err := b.GetAuthorization(ctx(t), azs[0].ID)
		wantErr(t, "GetAuthorization", err, nil)
		equal(t, "authorization Status", az.Status, acme.StatusInvalid)
		equalTime(t, "authorization Expires (unchanged)", az.Expires, azs[0].Expires)
		equal(t, "challenge in authorization", az.Challenges[2], *got)
	})

	t.Run("valid without expiry", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "noexpiry.example.com")
		ch := azs[0].Challenges[0]
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), ch.ID, t0), nil)
		if err := b.CompleteChallenge(ctx(t), ch.ID, true, nil, t0, time.Time{}); err == nil {
			t.Fatalf("CompleteChallenge(valid, zero expiry): got nil error, want an error")
		}
		got, err := b.GetChallenge(ctx(t), ch.ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "Status after a refused completion", got.Status, acme.StatusProcessing)
	})

	t.Run("missing", func(t *testing.T) {
		wantErr(t, "StartChallenge(missing)", b.StartChallenge(ctx(t), 1_000_000, t0), acme.ErrNotFound)
		wantErr(t, "CompleteChallenge(missing)", b.CompleteChallenge(ctx(t), 1_000_000, true, nil, t0, t0.Add(reuse)), acme.ErrNotFound)
	})

	t.Run("authorization not pending", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "deactivated.example.com")
		wantErr(t, "DeactivateAuthorization", b.DeactivateAuthorization(ctx(t), azs[0].ID), nil)
		wantErr(t, "StartChallenge(deactivated authorization)", b.StartChallenge(ctx(t), azs[0].Challenges[1].ID, t0), acme.ErrConflict)
		got, err := b.GetChallenge(ctx(t), azs[0].Challenges[1].ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "Status of a refused challenge", got.Status, acme.StatusPending)
	})

	t.Run("processing challenge of a deactivated authorization", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "deactivated-processing.example.com")
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), azs[0].Challenges[0].ID, t0), nil)
		wantErr(t, "DeactivateAuthorization", b.DeactivateAuthorization(ctx(t), azs[0].ID), nil)
		wantErr(t, "CompleteChallenge(deactivated authorization)", b.CompleteChallenge(ctx(t), azs[0].Challenges[0].ID, true, nil, t0, t0.Add(reuse)), acme.ErrConflict)
		got, err := b.GetChallenge(ctx(t), azs[0].Challenges[0].ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "Status of the challenge of a deactivated authorization", got.Status, acme.StatusProcessing)
	})

	t.Run("two challenges of one authorization", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "two.example.com")
		a, c := azs[0].Challenges[0], azs[0].Challenges[1]
		wantErr(t, "StartChallenge(a)", b.StartChallenge(ctx(t), a.ID, t0), nil)
		wantErr(t, "StartChallenge(b) while a is processing", b.StartChallenge(ctx(t), c.ID, t0), acme.ErrConflict)
		got, err := b.GetAuthorization(ctx(t), azs[0].ID)
		wantErr(t, "GetAuthorization", err, nil)
		equal(t, "refused challenge Status", got.Challenges[1].Status, acme.StatusPending)
		wantErr(t, "CompleteChallenge(a, invalid)", b.CompleteChallenge(ctx(t), a.ID, false, problem, t0, t0.Add(reuse)), nil)
		wantErr(t, "StartChallenge(b) of the invalid authorization", b.StartChallenge(ctx(t), c.ID, t0), acme.ErrConflict)
	})

	t.Run("concurrent starts", func(t *testing.T) {
		// Several rounds, each racing the three challenges of a new
		// authorization: exactly one start may win each time.
		for round := range 5 {
			_, azs := order(t, b, acct.ID, unique("start-race-")+".example.com")
			chs := azs[0].Challenges
			errs := make([]error, len(chs))
			var wg sync.WaitGroup
			for i, ch := range chs {
				wg.Go(func() { errs[i] = b.StartChallenge(ctx(t), ch.ID, t0) })
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil:
					if winner >= 0 {
						t.Errorf("round %d: challenges %d and %d both started, want one", round, winner, i)
					}
					winner = i
				case !errors.Is(err, acme.ErrConflict):
					t.Errorf("round %d: StartChallenge: got error %v, want nil or %v", round, err, acme.ErrConflict)
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no StartChallenge succeeded, want one", round)
			}
			got, err := b.GetAuthorization(ctx(t), azs[0].ID)
			wantErr(t, "GetAuthorization", err, nil)
			for i, ch := range got.Challenges {
				want := acme.StatusPending
				if i == winner {
					want = acme.StatusProcessing
				}
				equal(t, "challenge "+ch.Type+" Status", ch.Status, want)
			}
		}
	})

	t.Run("concurrent completions", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "race.example.com")
		ch := azs[0].Challenges[0]
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), ch.ID, t0), nil)
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = b.CompleteChallenge(ctx(t), ch.ID, i%2 == 0, problem, t0, t0.Add(reuse)) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Errorf("completions %d and %d both succeeded, want one", winner, i)
				}
				winner = i
			case !errors.Is(err, acme.ErrConflict):
				t.Errorf("CompleteChallenge: got error %v, want nil or %v", err, acme.ErrConflict)
			}
		}
		if winner < 0 {
			t.Fatalf("no CompleteChallenge succeeded, want one")
		}
		got, err := b.GetAuthorization(ctx(t), azs[0].ID)
		wantErr(t, "GetAuthorization", err, nil)
		want := acme.StatusInvalid
		if winner%2 == 0 {
			want = acme.StatusValid
		}
		equal(t, "authorization Status", got.Status, want)
		equal(t, "challenge Status", got.Challenges[0].Status, want)
	})

	t.Run("fail interrupted", func(t *testing.T) { testFailInterruptedChallenges(t, b, acct.ID) })
}

// testFailInterruptedChallenges checks the sweep of challenges whose
// validation was interrupted. Its times are far before t0, so that the
// processing challenges of the other subtests (started at t0) are not
// affected.
func testFailInterruptedChallenges(t *testing.T, b store.Backend, accountID int64) {
	long := t0.Add(-30 * 24 * time.Hour)
	cutoff := long.Add(5 * time.Minute)
	start := func(name string, at time.Time) *acme.Authorization {
		_, azs := order(t, b, accountID, name)
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), azs[0].Challenges[0].ID, at), nil)
		return azs[0]
	}
	stale := start("stale-challenge.example.com", long)
	atCutoff := start("cutoff-challenge.example.com", cutoff)
	fresh := start("fresh-challenge.example.com", cutoff.Add(time.Second))
	deactivated := start("deactivated-stale-challenge.example.com", long)
	wantErr(t, "DeactivateAuthorization", b.DeactivateAuthorization(ctx(t), deactivated.ID), nil)
	completed := start("completed-challenge.example.com", long)
	wantErr(t, "CompleteChallenge", b.CompleteChallenge(ctx(t), completed.Challenges[0].ID, true, nil, long, long.Add(reuse)), nil)
	_, pendingAzs := order(t, b, accountID, "pending-challenge.example.com")
	pending := pendingAzs[0]
	interrupted := []byte(`{"type":"urn:ietf:params:acme:error:serverInternal","detail":"validation was interrupted; create a new order"}`)

	n, err := b.FailInterruptedChallenges(ctx(t), cutoff, interrupted)
	wantErr(t, "FailInterruptedChallenges", err, nil)
	equal(t, "challenges failed", n, int64(2)) // stale and deactivated
	n, err = b.FailInterruptedChallenges(ctx(t), cutoff, interrupted)
	wantErr(t, "FailInterruptedChallenges again", err, nil)
	equal(t, "challenges failed again", n, int64(0))

	tests := []struct {
		name            string
		az              *acme.Authorization
		wantChallenge   string
		wantError       string
		wantAuthz       string
		wantSiblingsNew bool // the other challenges may still start
	}{
		{"started before the cutoff", stale, acme.StatusInvalid, string(interrupted), acme.StatusInvalid, false},
		{"started at the cutoff", atCutoff, acme.StatusProcessing, "", acme.StatusPending, false},
		{"started after the cutoff", fresh, acme.StatusProcessing, "", acme.StatusPending, false},
		{"authorization deactivated", deactivated, acme.StatusInvalid, string(interrupted), acme.StatusDeactivated, false},
		{"completed", completed, acme.StatusValid, "", acme.StatusValid, false},
		{"never started", pending, acme.StatusPending, "", acme.StatusPending, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.GetAuthorization(ctx(t), tt.az.ID)
			wantErr(t, "GetAuthorization", err, nil)
			equal(t, "authorization Status", got.Status, tt.wantAuthz)
			equal(t, "challenge Status", got.Challenges[0].Status, tt.wantChallenge)
			equal(t, "challenge Error", string(got.Challenges[0].Error), tt.wantError)
			for _, sib := range got.Challenges[1:] {
				equal(t, "sibling "+sib.Type+" Status", sib.Status, acme.StatusPending)
			}
			err = b.StartChallenge(ctx(t), got.Challenges[1].ID, t0)
			if tt.wantSiblingsNew {
				wantErr(t, "StartChallenge(sibling)", err, nil)
			} else {
				wantErr(t, "StartChallenge(sibling)", err, acme.ErrConflict)
			}
		})
	}
	// The interrupted validation cannot record its result afterwards.
	wantErr(t, "CompleteChallenge(interrupted)", b.CompleteChallenge(ctx(t), stale.Challenges[0].ID, true, nil, t0, t0.Add(reuse)), acme.ErrConflict)
}
