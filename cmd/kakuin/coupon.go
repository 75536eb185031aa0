package main

import (
	"context"
	"fmt"
	"strings"
)

// runCoupon implements `kakuin coupon issue`: a pack of coupons sold
// through a dealer.
func runCoupon(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin coupon issue --dealer CODE --count N [--json]"
	if err := onlySubcommand(args, "issue", usage); err != nil {
		return err
	}
	fs := newFlagSet("coupon issue", env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	dealer := fs.String("dealer", "", "the dealer's code, recorded with every coupon")
	count := fs.Int("count", 0, "how many coupons (a pack is at least 5)")
	if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
		return err
	}
	return withApp(ctx, env, cf, func(a *app) error {
		cs, err := a.vetting.IssueCoupons(ctx, *dealer, *count, "cli")
		if err != nil {
			return err
		}
		numbers := make([]string, len(cs))
		for i, c := range cs {
			numbers[i] = c.Number
		}
		return printResult(env.stdout, *asJSON, map[string]any{"pack": cs[0].Pack, "dealer": *dealer, "coupons": numbers,
			"expires_at": cs[0].ExpiresAt},
			fmt.Sprintf("pack %s of %d coupons for dealer %s, to be used by %s:\n%s", cs[0].Pack, len(cs), *dealer,
				cs[0].ExpiresAt.Format("2006-01-02"), strings.Join(numbers, "\n")))
	})
}
