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
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), ch.ID), nil)
		wantErr(t, "StartChallenge again", b.StartChallenge(ctx(t), ch.ID), acme.ErrConflict)
		got, err := b.GetChallenge(ctx(t), ch.ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "Status after start", got.Status, acme.StatusProcessing)

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

		wantErr(t, "CompleteChallenge again", b.CompleteChallenge(ctx(t), ch.ID, true, nil, at, at.Add(reuse)), acme.ErrConflict)
		// The authorization is no longer pending: its other challenges cannot start.
		wantErr(t, "StartChallenge(other challenge)", b.StartChallenge(ctx(t), azs[0].Challenges[1].ID), acme.ErrConflict)
	})

	t.Run("invalid", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "invalid.example.com")
		ch := azs[0].Challenges[2]
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), ch.ID), nil)
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
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), ch.ID), nil)
		if err := b.CompleteChallenge(ctx(t), ch.ID, true, nil, t0, time.Time{}); err == nil {
			t.Fatalf("CompleteChallenge(valid, zero expiry): got nil error, want an error")
		}
		got, err := b.GetChallenge(ctx(t), ch.ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "Status after a refused completion", got.Status, acme.StatusProcessing)
	})

	t.Run("missing", func(t *testing.T) {
		wantErr(t, "StartChallenge(missing)", b.StartChallenge(ctx(t), 1_000_000), acme.ErrNotFound)
		wantErr(t, "CompleteChallenge(missing)", b.CompleteChallenge(ctx(t), 1_000_000, true, nil, t0, t0.Add(reuse)), acme.ErrNotFound)
	})

	t.Run("authorization not pending", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "deactivated.example.com")
		wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), azs[0].Challenges[0].ID), nil)
		wantErr(t, "DeactivateAuthorization", b.DeactivateAuthorization(ctx(t), azs[0].ID), nil)
		wantErr(t, "StartChallenge(deactivated authorization)", b.StartChallenge(ctx(t), azs[0].Challenges[1].ID), acme.ErrConflict)
		wantErr(t, "CompleteChallenge(deactivated authorization)", b.CompleteChallenge(ctx(t), azs[0].Challenges[0].ID, true, nil, t0, t0.Add(reuse)), acme.ErrConflict)
		got, err := b.GetChallenge(ctx(t), azs[0].Challenges[0].ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "Status of the challenge of a deactivated authorization", got.Status, acme.StatusProcessing)
	})

	t.Run("two challenges of one authorization", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "two.example.com")
		a, c := azs[0].Challenges[0], azs[0].Challenges[1]
		wantErr(t, "StartChallenge(a)", b.StartChallenge(ctx(t), a.ID), nil)
		wantErr(t, "StartChallenge(b)", b.StartChallenge(ctx(t), c.ID), nil)
		wantErr(t, "CompleteChallenge(a, invalid)", b.CompleteChallenge(ctx(t), a.ID, false, problem, t0, t0.Add(reuse)), nil)
		wantErr(t, "CompleteChallenge(b, valid)", b.CompleteChallenge(ctx(t), c.ID, true, nil, t0, t0.Add(reuse)), acme.ErrConflict)
		got, err := b.GetAuthorization(ctx(t), azs[0].ID)
		wantErr(t, "GetAuthorization", err, nil)
		equal(t, "authorization Status", got.Status, acme.StatusInvalid)
		equal(t, "losing challenge Status", got.Challenges[1].Status, acme.StatusProcessing)
	})

	t.Run("concurrent completions", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "race.example.com")
		chs := azs[0].Challenges
		for _, ch := range chs {
			wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), ch.ID), nil)
		}
		errs := make([]error, len(chs))
		var wg sync.WaitGroup
		for i, ch := range chs {
			wg.Go(func() { errs[i] = b.CompleteChallenge(ctx(t), ch.ID, i%2 == 0, problem, t0, t0.Add(reuse)) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Errorf("challenges %d and %d both completed, want one", winner, i)
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
		equal(t, "winning challenge Status", got.Challenges[winner].Status, want)
	})
}
