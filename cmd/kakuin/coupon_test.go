package main

import (
	"strings"
	"testing"
)

// TestCoupons: a pack of coupons is issued, one is redeemed on a
// per-certificate contract (one more license), and every misuse is refused
// with what is wrong, on both backends.
func TestCoupons(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t, backend)
			mustCLI(t, db.args("migrate")...)
			org := jsonString(oneJSON(t, mustCLI(t, db.args("org", "create", "--name", "Example KK", "--country", "JP",
				"--province", "Tokyo", "--locality", "Chiyoda-ku", "--json")...).stdout)["id"])
			code := jsonString(oneJSON(t, mustCLI(t, db.args("contract", "create", "--org", org, "--json")...).stdout)["code"])
			other := jsonString(oneJSON(t, mustCLI(t, db.args("contract", "create", "--org", org, "--json")...).stdout)["code"])
			monthly := jsonString(oneJSON(t, mustCLI(t, db.args("contract", "create", "--org", org, "--plan", "monthly", "--json")...).stdout)["code"])

			pack := oneJSON(t, mustCLI(t, db.args("coupon", "issue", "--dealer", "D-042", "--count", "5", "--json")...).stdout)
			coupons, _ := pack["coupons"].([]any)
			if len(coupons) != 5 || !strings.HasPrefix(coupons[0].(string), "KC") || len(coupons[0].(string)) < 12 {
				t.Fatalf("coupon issue: got %v, want 5 coupon numbers of 12+ characters", pack)
			}
			first := coupons[0].(string)
			added := oneJSON(t, mustCLI(t, db.args("contract", "add-coupon", code, "--coupon", strings.ToLower(first), "--json")...).stdout)
			if jsonString(added["coupons"]) != "1" {
				t.Errorf("add-coupon: got %v, want 1 coupon on the contract", added)
			}
			if show := oneJSON(t, mustCLI(t, db.args("contract", "show", code, "--json")...).stdout); jsonString(show["coupons"]) != "1" {
				t.Errorf("contract show: got %v, want 1 coupon", show)
			}

			for _, tt := range []struct {
				name string
				args []string
				want string
			}{
				{"coupon used twice", []string{"contract", "add-coupon", other, "--coupon", first}, "was already used on contract " + code},
				{"coupon on a monthly contract", []string{"contract", "add-coupon", monthly, "--coupon", coupons[1].(string)}, "has slots, not licenses"},
				{"unknown coupon", []string{"contract", "add-coupon", code, "--coupon", "KC0000000000000000"}, "does not exist"},
				{"short coupon number", []string{"contract", "add-coupon", code, "--coupon", "KC12"}, "12 or more characters"},
				{"pack of four", []string{"coupon", "issue", "--dealer", "D-042", "--count", "4"}, "packs of 5 to 1000"},
				{"bad dealer code", []string{"coupon", "issue", "--dealer", "D 042", "--count", "5"}, "dealer code"},
			} {
				r := runCLI(t, db.args(tt.args...)...)
				if r.code != 1 || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
					t.Errorf("%s: got exit %d, stdout %q, stderr %q; want exit 1 saying %q", tt.name, r.code, r.stdout, r.stderr, tt.want)
				}
			}
			if show := oneJSON(t, mustCLI(t, db.args("contract", "show", other, "--json")...).stdout); jsonString(show["coupons"]) != "0" {
				t.Errorf("the contract a used coupon was refused for: got %v, want no coupon", show)
			}
		})
	}
}
