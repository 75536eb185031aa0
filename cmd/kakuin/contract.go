package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// contractStatusCommands maps `kakuin contract suspend|resume|end` to the
// status they set.
var contractStatusCommands = map[string]string{
	"suspend": vetting.ContractSuspended,
	"resume":  vetting.ContractActive,
	"end":     vetting.ContractEnded,
}

// runContract implements `kakuin contract create|show|suspend|resume|end`.
func runContract(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin contract create --org ID [--plan per-certificate|monthly] [--slots N] [--profiles ov,ev] [--term-end YYYY-MM-DD] [--json] | " +
		"kakuin contract show CODE [--json] | kakuin contract suspend|resume|end CODE [--json] | kakuin contract add-coupon CODE --coupon NUMBER [--json]"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	fs := newFlagSet("contract "+args[0], env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	switch args[0] {
	case "create":
		var in vetting.ContractInput
		var profiles string
		fs.Int64Var(&in.OrganizationID, "org", 0, "organization `id` (from kakuin org create)")
		fs.StringVar(&in.Plan, "plan", vetting.PlanPerCertificate, "plan: per-certificate or monthly")
		fs.IntVar(&in.Slots, "slots", 1, "number of certificates the plan allows at once")
		fs.StringVar(&profiles, "profiles", "ov", "comma-separated certificate profiles the contract allows (ov, ev); the first is the default")
		lastDay := fs.String("term-end", "", "the last day of the contract's term, YYYY-MM-DD (empty: open-ended)")
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		if in.OrganizationID == 0 {
			return fmt.Errorf("%w: --org is required; %s", errUsage, usage)
		}
		var err error
		if in.TermEnd, err = termDay("--term-end", *lastDay, true); err != nil {
			return err
		}
		for _, p := range strings.Split(profiles, ",") {
			if p = strings.TrimSpace(p); p != "" {
				in.Profiles = append(in.Profiles, p)
			}
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.CreateContract(ctx, in, "cli")
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"code": c.Code},
				fmt.Sprintf("contract %s created for organization %d (plan %s, %d slot(s), profiles %s)",
					c.Code, c.OrganizationID, c.Plan, c.Slots, strings.Join(c.Profiles, ",")))
		})
	case "show":
		code, err := parseContractArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.Contract(ctx, code)
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{
				"code": c.Code, "org": c.OrganizationID, "plan": c.Plan, "slots": c.Slots, "coupons": c.Coupons,
				"profiles": c.Profiles, "status": c.Status, "created_at": c.CreatedAt,
				"term_start": c.TermStart, "term_end": c.TermEnd,
			}, fmt.Sprintf("%s\torg %d\t%s\t%d slot(s)\t%d coupon(s)\t%s\t%s\tterm %s", c.Code, c.OrganizationID, c.Plan, c.Slots, c.Coupons,
				strings.Join(c.Profiles, ","), c.Status, termText(c)))
		})
	case "term":
		first := fs.String("start", "", "the first day of the term, YYYY-MM-DD")
		last := fs.String("end", "", "the last day of the term, YYYY-MM-DD (empty: open-ended)")
		code, err := parseContractArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		start, err := termDay("--start", *first, false)
		if err != nil {
			return err
		}
		if start.IsZero() {
			return fmt.Errorf("--start is required: the first day of the term, as 2026-12-01")
		}
		start = start.AddDate(0, 0, -1) // termDay gives the day after
		end, err := termDay("--end", *last, true)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.SetContractTerm(ctx, code, start, end, "cli")
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, contractTermJSON(c), "contract "+c.Code+" term: "+termText(c))
		})
	case "add-coupon":
		coupon := fs.String("coupon", "", "the coupon number")
		code, err := parseContractArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.RedeemCoupon(ctx, code, *coupon, "cli")
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"code": c.Code, "slots": c.Slots, "coupons": c.Coupons},
				fmt.Sprintf("coupon added: contract %s now has %d license(s) (%d + %d coupon(s))", c.Code, max(c.Slots, 1)+c.Coupons,
					max(c.Slots, 1), c.Coupons))
		})
	case "suspend", "resume", "end":
		code, err := parseContractArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			status := contractStatusCommands[args[0]]
			if err := a.vetting.SetContractStatus(ctx, code, status, "cli"); err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"code": code, "status": status},
				contractStatusMessage(code, status))
		})
	default:
		return fmt.Errorf("%w: unknown subcommand %q; %s", errUsage, args[0], usage)
	}
}

// contractStatusMessage says what a contract's new status means for its
// customer.
func contractStatusMessage(code, status string) string {
	switch status {
	case vetting.ContractSuspended:
		return fmt.Sprintf("contract %s suspended: its ACME accounts can neither order nor finalize until `kakuin contract resume %s`", code, code)
	case vetting.ContractEnded:
		return fmt.Sprintf("contract %s ended: this is final; its ACME accounts can no longer order or finalize", code)
	}
	return fmt.Sprintf("contract %s is active", code)
}

// termDay reads a YYYY-MM-DD day of a term flag and returns the instant
// the day ends (00:00 UTC of the next day): the exclusive end of a term
// whose last day it is. Empty is the zero time when allowed.
func termDay(flag, v string, optional bool) (time.Time, error) {
	if v == "" {
		if optional {
			return time.Time{}, nil
		}
		return time.Time{}, fmt.Errorf("%s is required, as 2026-12-01", flag)
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want a day such as 2027-11-30", flag, v)
	}
	return d.AddDate(0, 0, 1), nil
}

// termText shows a contract's term by its first and last days.
func termText(c *vetting.Contract) string {
	if c.TermEnd == nil {
		return c.TermStart.UTC().Format(time.DateOnly) + " - (open-ended)"
	}
	return c.TermStart.UTC().Format(time.DateOnly) + " - " + c.TermEnd.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
}

func contractTermJSON(c *vetting.Contract) map[string]any {
	return map[string]any{"code": c.Code, "term_start": c.TermStart, "term_end": c.TermEnd}
}
