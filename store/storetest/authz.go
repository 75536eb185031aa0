package storetest

import (
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/store"
)

func testAuthorizations(t *testing.T, b store.Backend) {
	acct := account(t, b)
	other := account(t, b)
	_, olderAzs := order(t, b, acct.ID, "reuse.example.com")
	_, azs := order(t, b, acct.ID, "reuse.example.com")
	newest := azs[0]
	_, dead := order(t, b, acct.ID, "dead.example.com")
	wantErr(t, "DeactivateAuthorization", b.DeactivateAuthorization(ctx(t), dead[0].ID), nil)

	t.Run("find reusable", func(t *testing.T) {
		pendingOrValid := []string{acme.StatusPending, acme.StatusValid}
		tests := []struct {
			name     string
			account  int64
			dnsName  string
			profile  string
			statuses []string
			at       time.Time
			want     int64 // 0: not found
		}{
			{"newest pending", acct.ID, "reuse.example.com", "ov", pendingOrValid, t0, newest.ID},
			{"status not wanted", acct.ID, "reuse.example.com", "ov", []string{acme.StatusValid}, t0, 0},
			{"no statuses", acct.ID, "reuse.example.com", "ov", nil, t0, 0},
			{"expired", acct.ID, "reuse.example.com", "ov", pendingOrValid, newest.Expires, 0},
			{"other name", acct.ID, "other.example.com", "ov", pendingOrValid, t0, 0},
			{"other account", other.ID, "reuse.example.com", "ov", pendingOrValid, t0, 0},
			{"deactivated", acct.ID, "dead.example.com", "ov", pendingOrValid, t0, 0},
			{"deactivated wanted", acct.ID, "dead.example.com", "ov", []string{acme.StatusDeactivated}, t0, dead[0].ID},
			{"other profile", acct.ID, "reuse.example.com", "ev", pendingOrValid, t0, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := b.FindReusableAuthz(ctx(t), tt.account, tt.dnsName, tt.profile, tt.statuses, tt.at)
				if tt.want == 0 {
					wantErr(t, "FindReusableAuthz", err, acme.ErrNotFound)
					return
				}
				wantErr(t, "FindReusableAuthz", err, nil)
				equal(t, "authorization id", got.ID, tt.want)
				if len(got.Challenges) != 3 {
					t.Errorf("challenges: got %d, want 3", len(got.Challenges))
				}
			})
		}
		if olderAzs[0].ID >= newest.ID {
			t.Errorf("authorization ids: got %d then %d, want ascending", olderAzs[0].ID, newest.ID)
		}
	})

	t.Run("valid authorization expiry", func(t *testing.T) {
		// A valid authorization is found until validation + reuse, long
		// after the pending one's expiry (the order lifetime).
		_, azs := order(t, b, acct.ID, "valid-reuse.example.com")
		validate(t, b, azs[0].Challenges[0].ID, true)
		valid := []string{acme.StatusValid}
		tests := []struct {
			name string
			at   time.Time
			want bool
		}{
			{"right after validation", t0, true},
			{"after the pending expiry", azs[0].Expires.Add(time.Hour), true},
			{"just before the reuse expiry", t0.Add(reuse - time.Microsecond), true},
			{"at the reuse expiry", t0.Add(reuse), false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := b.FindReusableAuthz(ctx(t), acct.ID, "valid-reuse.example.com", "ov", valid, tt.at)
				if !tt.want {
					wantErr(t, "FindReusableAuthz", err, acme.ErrNotFound)
					return
				}
				wantErr(t, "FindReusableAuthz", err, nil)
				equal(t, "authorization id", got.ID, azs[0].ID)
				equalTime(t, "Expires", got.Expires, t0.Add(reuse))
			})
		}
	})

	t.Run("get", func(t *testing.T) {
		got, err := b.GetAuthorization(ctx(t), newest.ID)
		wantErr(t, "GetAuthorization", err, nil)
		equal(t, "Challenges", got.Challenges, newest.Challenges)
		_, err = b.GetAuthorization(ctx(t), 1_000_000)
		wantErr(t, "GetAuthorization(missing)", err, acme.ErrNotFound)
		ch, err := b.GetChallenge(ctx(t), newest.Challenges[1].ID)
		wantErr(t, "GetChallenge", err, nil)
		equal(t, "challenge", *ch, newest.Challenges[1])
		_, err = b.GetChallenge(ctx(t), 1_000_000)
		wantErr(t, "GetChallenge(missing)", err, acme.ErrNotFound)
	})

	t.Run("deactivate", func(t *testing.T) {
		_, azs := order(t, b, acct.ID, "deact.example.com")
		tests := []struct {
			name string
			id   int64
			want error
		}{
			{"pending", azs[0].ID, nil},
			{"already deactivated", azs[0].ID, acme.ErrConflict},
			{"missing", 1_000_000, acme.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantErr(t, "DeactivateAuthorization", b.DeactivateAuthorization(ctx(t), tt.id), tt.want)
			})
		}
		got, err := b.GetAuthorization(ctx(t), azs[0].ID)
		wantErr(t, "GetAuthorization", err, nil)
		equal(t, "Status", got.Status, acme.StatusDeactivated)

		// A valid authorization can be deactivated too.
		_, valid := order(t, b, acct.ID, "deact-valid.example.com")
		validate(t, b, valid[0].Challenges[0].ID, true)
		wantErr(t, "DeactivateAuthorization(valid)", b.DeactivateAuthorization(ctx(t), valid[0].ID), nil)
		// An invalid one cannot.
		_, invalid := order(t, b, acct.ID, "deact-invalid.example.com")
		validate(t, b, invalid[0].Challenges[0].ID, false)
		wantErr(t, "DeactivateAuthorization(invalid)", b.DeactivateAuthorization(ctx(t), invalid[0].ID), acme.ErrConflict)
	})
}

// validate starts and completes a challenge.
func validate(t *testing.T, b store.Backend, challengeID int64, valid bool) {
	t.Helper()
	wantErr(t, "StartChallenge", b.StartChallenge(ctx(t), challengeID, t0), nil)
	var problem []byte
	if !valid {
		problem = []byte(`{"type":"urn:ietf:params:acme:error:incorrectResponse"}`)
	}
	wantErr(t, "CompleteChallenge", b.CompleteChallenge(ctx(t), challengeID, valid, problem, t0, t0.Add(reuse)), nil)
}
