package storetest

import (
	"testing"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/store"
)

func testOrders(t *testing.T, b store.Backend) {
	acct := account(t, b)
	other := account(t, b)

	t.Run("create and get", func(t *testing.T) {
		nb, na := t0.Add(time.Hour), t0.Add(90*24*time.Hour)
		o := &acme.Order{AccountID: acct.ID,
			Identifiers: []acme.Identifier{{Type: "dns", Value: "WWW.example.com"}, {Type: "dns", Value: "example.com"}},
			Names:       []string{"example.com", "www.example.com"}, Profile: "ev",
			NotBefore: &nb, NotAfter: &na, Expires: t0.Add(7 * 24 * time.Hour), CreatedAt: t0}
		azs := []*acme.Authorization{newAuthz(acct.ID, "example.com", t0.Add(7*24*time.Hour)), newAuthz(0, "www.example.com", t0.Add(time.Hour))}
		wantErr(t, "CreateOrder", b.CreateOrder(ctx(t), o, azs), nil)
		if o.ID == 0 || len(o.AuthzIDs) != 2 || o.AuthzIDs[0] != azs[0].ID || o.AuthzIDs[1] != azs[1].ID {
			t.Fatalf("CreateOrder: got order %d with authorizations %v, want an id and [%d %d]", o.ID, o.AuthzIDs, azs[0].ID, azs[1].ID)
		}
		equal(t, "StoredStatus", o.StoredStatus, acme.StatusPending)
		equal(t, "AccountID of a new authorization without one", azs[1].AccountID, acct.ID)
		for _, az := range azs {
			for _, ch := range az.Challenges {
				if ch.ID == 0 || ch.AuthzID != az.ID {
					t.Errorf("challenge %s: got id %d of authorization %d, want an id of %d", ch.Type, ch.ID, ch.AuthzID, az.ID)
				}
			}
		}

		got, err := b.GetOrder(ctx(t), o.ID)
		wantErr(t, "GetOrder", err, nil)
		equal(t, "Identifiers", got.Identifiers, o.Identifiers)
		equal(t, "Names", got.Names, o.Names)
		equal(t, "AuthzIDs", got.AuthzIDs, o.AuthzIDs)
		equal(t, "AccountID", got.AccountID, acct.ID)
		equal(t, "StoredStatus", got.StoredStatus, acme.StatusPending)
		equal(t, "Profile", got.Profile, "ev")
		equalTimePtr(t, "NotBefore", got.NotBefore, &nb)
		equalTimePtr(t, "NotAfter", got.NotAfter, &na)
		equalTime(t, "Expires", got.Expires, o.Expires)
		equalTime(t, "CreatedAt", got.CreatedAt, t0)
		if got.Error != nil || got.CertSerial != "" {
			t.Errorf("new order: got error %q and serial %q, want none", got.Error, got.CertSerial)
		}

		// Reverse order, and repeated: results follow ids.
		ids := []int64{azs[1].ID, azs[0].ID, azs[1].ID}
		gotAzs, err := b.GetAuthorizations(ctx(t), ids)
		wantErr(t, "GetAuthorizations", err, nil)
		if len(gotAzs) != len(ids) {
			t.Fatalf("GetAuthorizations: got %d, want %d", len(gotAzs), len(ids))
		}
		for i, id := range ids {
			want := azs[0]
			if id == azs[1].ID {
				want = azs[1]
			}
			g := gotAzs[i]
			equal(t, "authorization id", g.ID, id)
			equal(t, "Identifier", g.Identifier, want.Identifier)
			equal(t, "Status", g.Status, acme.StatusPending)
			equal(t, "AccountID", g.AccountID, acct.ID)
			equalTime(t, "authorization Expires", g.Expires, want.Expires)
			equalTime(t, "authorization CreatedAt", g.CreatedAt, t0)
			equal(t, "Challenges", g.Challenges, want.Challenges)
		}
	})

	t.Run("reuse authorizations", func(t *testing.T) {
		first, firstAzs := order(t, b, acct.ID, "reuse.example.com")
		o := &acme.Order{AccountID: acct.ID, Names: []string{"new.example.com", "reuse.example.com"},
			Identifiers: []acme.Identifier{{Type: "dns", Value: "reuse.example.com"}, {Type: "dns", Value: "new.example.com"}},
			Profile:     "ov", Expires: t0.Add(time.Hour), AuthzIDs: []int64{firstAzs[0].ID}}
		fresh := newAuthz(acct.ID, "new.example.com", t0.Add(time.Hour))
		wantErr(t, "CreateOrder", b.CreateOrder(ctx(t), o, []*acme.Authorization{fresh}), nil)
		equal(t, "AuthzIDs", o.AuthzIDs, []int64{firstAzs[0].ID, fresh.ID})
		got, err := b.GetOrder(ctx(t), o.ID)
		wantErr(t, "GetOrder", err, nil)
		equal(t, "stored AuthzIDs", got.AuthzIDs, []int64{firstAzs[0].ID, fresh.ID})
		if got.ID == first.ID {
			t.Errorf("second order: got the first order's id")
		}
	})

	t.Run("not found", func(t *testing.T) {
		_, err := b.GetOrder(ctx(t), 1_000_000)
		wantErr(t, "GetOrder(missing)", err, acme.ErrNotFound)
		_, azs := order(t, b, acct.ID, "nf.example.com")
		_, err = b.GetAuthorizations(ctx(t), []int64{azs[0].ID, 1_000_000})
		wantErr(t, "GetAuthorizations(one missing)", err, acme.ErrNotFound)
		got, err := b.GetAuthorizations(ctx(t), nil)
		wantErr(t, "GetAuthorizations(none)", err, nil)
		if len(got) != 0 {
			t.Errorf("GetAuthorizations(none): got %d, want 0", len(got))
		}
		o := &acme.Order{AccountID: 1_000_000, Names: []string{"x.example.com"}, Profile: "ov", Expires: t0}
		wantErr(t, "CreateOrder(missing account)", b.CreateOrder(ctx(t), o, []*acme.Authorization{newAuthz(0, "x.example.com", t0)}), acme.ErrNotFound)
		if o.ID != 0 {
			t.Errorf("failed CreateOrder: got ID %d, want 0", o.ID)
		}
		o = &acme.Order{AccountID: acct.ID, Names: []string{"x.example.com"}, Profile: "ov", Expires: t0, AuthzIDs: []int64{1_000_000}}
		wantErr(t, "CreateOrder(missing authorization)", b.CreateOrder(ctx(t), o, nil), acme.ErrNotFound)
	})

	t.Run("find by names", func(t *testing.T) {
		older, _ := order(t, b, acct.ID, "b.find.example.com", "a.find.example.com")
		newer, _ := order(t, b, acct.ID, "a.find.example.com", "b.find.example.com")
		finalized, _ := readyOrder(t, b, acct.ID, "c.find.example.com")
		wantErr(t, "BeginFinalize", b.BeginFinalize(ctx(t), finalized.ID, t0), nil)
		names := []string{"a.find.example.com", "b.find.example.com"}
		tests := []struct {
			name    string
			account int64
			names   []string
			now     time.Time
			want    int64 // 0: not found
		}{
			{"newest of two", acct.ID, names, t0, newer.ID},
			{"subset", acct.ID, names[:1], t0, 0},
			{"superset", acct.ID, append(names, "c.find.example.com"), t0, 0},
			{"other account", other.ID, names, t0, 0},
			{"expired", acct.ID, names, older.Expires, 0},
			{"not pending", acct.ID, []string{"c.find.example.com"}, t0, 0},
			{"no names", acct.ID, nil, t0, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := b.FindOrderByNames(ctx(t), tt.account, tt.names, tt.now)
				if tt.want == 0 {
					wantErr(t, "FindOrderByNames", err, acme.ErrNotFound)
					return
				}
				wantErr(t, "FindOrderByNames", err, nil)
				equal(t, "order id", got.ID, tt.want)
				equal(t, "AuthzIDs", got.AuthzIDs, newer.AuthzIDs)
			})
		}
	})

	t.Run("list", func(t *testing.T) {
		lister := account(t, b)
		var ids []int64
		for range 5 {
			o, _ := order(t, b, lister.ID, "list.example.com")
			ids = append(ids, o.ID)
		}
		tests := []struct {
			name    string
			account int64
			after   int64
			limit   int
			want    []int64
		}{
			{"first page", lister.ID, 0, 2, ids[:2]},
			{"second page", lister.ID, ids[1], 2, ids[2:4]},
			{"last page", lister.ID, ids[3], 2, ids[4:]},
			{"past the end", lister.ID, ids[4], 2, nil},
			{"all", lister.ID, 0, 100, ids},
			{"zero limit", lister.ID, 0, 0, nil},
			{"other account", other.ID, 0, 100, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := b.ListOrderIDs(ctx(t), tt.account, tt.after, tt.limit)
				wantErr(t, "ListOrderIDs", err, nil)
				if len(got) != 0 || len(tt.want) != 0 {
					equal(t, "ids", got, tt.want)
				}
			})
		}
	})
}
