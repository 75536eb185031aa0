package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// testRenewal checks the ARI windows an operator pulls forward:
// PullRenewalForward's selections, that it never pushes a window back, and
// its audit event.
func testRenewal(t *testing.T, b store.Backend) {
	acct, other := account(t, b), account(t, b)
	issuer := unique("storetest-ari-")
	cert := func(a *acme.Account, issuerID string, created time.Time) *acme.Certificate {
		c := revocable(issuerID, 0, t0.Add(-day), t0.Add(199*day))
		c.CreatedAt = created
		issue(t, b, a.ID, c)
		return c
	}
	old := cert(acct, issuer, t0.Add(-10*day))
	recent := cert(acct, issuer, t0.Add(-day))
	otherIssuer := cert(acct, unique("storetest-ari-other-"), t0.Add(-day))
	otherContract := cert(other, issuer, t0.Add(-day))
	expired := revocable(issuer, 0, t0.Add(-300*day), t0.Add(-100*day))
	issue(t, b, acct.ID, expired)
	revoked := cert(acct, issuer, t0.Add(-day))
	revoke(t, b, revoked.Serial, 4, t0)

	win := func(start time.Time) acme.RenewalWindow {
		return acme.RenewalWindow{Start: start, End: start.Add(day), ExplanationURL: "https://ca.example.com/incident/1"}
	}
	pull := func(sel acme.RenewalSelection, w acme.RenewalWindow) []string {
		t.Helper()
		got, err := b.PullRenewalForward(ctx(t), sel, w, t0, "operator:cli")
		wantErr(t, "PullRenewalForward", err, nil)
		slices.Sort(got)
		return got
	}
	sorted := func(s ...string) []string { return slices.Sorted(slices.Values(s)) }

	t.Run("none set", func(t *testing.T) {
		w, err := b.RenewalWindow(ctx(t), old.Serial)
		wantErr(t, "RenewalWindow", err, nil)
		if w != nil {
			t.Fatalf("RenewalWindow = %+v before any was set, want nil", w)
		}
	})
	t.Run("refused", func(t *testing.T) {
		for name, sel := range map[string]acme.RenewalSelection{"no criterion": {}, "empty serials": {Serials: []string{}}} {
			_, err := b.PullRenewalForward(ctx(t), sel, win(t0), t0, "operator:cli")
			wantErr(t, "PullRenewalForward "+name, err, vetting.ErrInvalid)
		}
		bad := acme.RenewalWindow{Start: t0, End: t0}
		_, err := b.PullRenewalForward(ctx(t), acme.RenewalSelection{All: true}, bad, t0, "operator:cli")
		wantErr(t, "PullRenewalForward of an empty window", err, vetting.ErrInvalid)
		if w, _ := b.RenewalWindow(ctx(t), old.Serial); w != nil {
			t.Fatalf("a refused pull set a window: %+v", w)
		}
	})
	t.Run("selections", func(t *testing.T) {
		equal(t, "by serial (revoked and expired skipped)",
			pull(acme.RenewalSelection{Serials: []string{recent.Serial, revoked.Serial, expired.Serial, "abcdef"}}, win(t0.Add(10*day))),
			[]string{recent.Serial})
		equal(t, "by issuer and issue date", pull(acme.RenewalSelection{IssuerID: issuer, IssuedBefore: t0.Add(-2 * day)}, win(t0.Add(9*day))),
			[]string{old.Serial})
		equal(t, "by contract", pull(acme.RenewalSelection{ContractCode: other.ContractCode}, win(t0.Add(8*day))),
			[]string{otherContract.Serial})
		equal(t, "all", pull(acme.RenewalSelection{All: true}, win(t0.Add(7*day))),
			sorted(old.Serial, recent.Serial, otherIssuer.Serial, otherContract.Serial))
		w, err := b.RenewalWindow(ctx(t), recent.Serial)
		wantErr(t, "RenewalWindow", err, nil)
		equalTime(t, "start", w.Start, t0.Add(7*day))
		equalTime(t, "end", w.End, t0.Add(8*day))
		equal(t, "explanation", w.ExplanationURL, "https://ca.example.com/incident/1")
		if w, _ := b.RenewalWindow(ctx(t), revoked.Serial); w != nil {
			t.Fatalf("a revoked certificate got a window: %+v", w)
		}
	})
	t.Run("never pushed back", func(t *testing.T) {
		equal(t, "later window", pull(acme.RenewalSelection{Serials: []string{recent.Serial}}, win(t0.Add(20*day))), []string(nil))
		equal(t, "same window", pull(acme.RenewalSelection{Serials: []string{recent.Serial}}, win(t0.Add(7*day))), []string(nil))
		w, _ := b.RenewalWindow(ctx(t), recent.Serial)
		equalTime(t, "start kept", w.Start, t0.Add(7*day))
	})
	t.Run("audit", func(t *testing.T) {
		var last *vetting.AuditEvent
		n := 0
		for _, e := range auditEvents(t, b) {
			if e.Kind == "renewal_window" {
				last, n = e, n+1
			}
		}
		// Two refused pulls wrote nothing; six pulls, two changing nothing.
		equal(t, "renewal_window events", n, 6)
		equal(t, "actor", last.Actor, "operator:cli")
		var d struct {
			Selection acme.RenewalSelection `json:"selection"`
			Count     int                   `json:"count"`
			Serials   []string              `json:"serials"`
		}
		if err := json.Unmarshal(last.Detail, &d); err != nil {
			t.Fatalf("detail %s: %v", last.Detail, err)
		}
		equal(t, "selection", d.Selection.Serials, []string{recent.Serial})
		equal(t, "count", d.Count, 0)
	})
}
