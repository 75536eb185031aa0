package main

import (
	"context"
	"fmt"
	"strings"

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
	const usage = "kakuin contract create --org ID [--plan per-certificate|monthly] [--slots N] [--profiles ov,ev] [--json] | " +
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
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		if in.OrganizationID == 0 {
			return fmt.Errorf("%w: --org is required; %s", errUsage, usage)
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
		pos, err := parseArgs(fs, args[1:], 1, usage)
		if err != nil {
			return err
		}
		if err := vetting.ValidateContractCode(pos[0]); err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.Contract(ctx, pos[0])
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{
				"code": c.Code, "org": c.OrganizationID, "plan": c.Plan, "slots": c.Slots, "coupons": c.Coupons,
				"profiles": c.Profiles, "status": c.Status, "created_at": c.CreatedAt,
			}, fmt.Sprintf("%s\torg %d\t%s\t%d slot(s)\t%d coupon(s)\t%s\t%s", c.Code, c.OrganizationID, c.Plan, c.Slots, c.Coupons,
				strings.Join(c.Profiles, ","), c.Status))
		})
	case "add-coupon":
		coupon := fs.String("coupon", "", "the coupon number")
		pos, err := parseArgs(fs, args[1:], 1, usage)
		if err != nil {
			return err
		}
		if err := vetting.ValidateContractCode(pos[0]); err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.RedeemCoupon(ctx, pos[0], *coupon, "cli")
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"code": c.Code, "slots": c.Slots, "coupons": c.Coupons},
				fmt.Sprintf("coupon added: contract %s now has %d license(s) (%d + %d coupon(s))", c.Code, max(c.Slots, 1)+c.Coupons,
					max(c.Slots, 1), c.Coupons))
		})
	case "suspend", "resume", "end":
		pos, err := parseArgs(fs, args[1:], 1, usage)
		if err != nil {
			return err
		}
		if err := vetting.ValidateContractCode(pos[0]); err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			status := contractStatusCommands[args[0]]
			if err := a.vetting.SetContractStatus(ctx, pos[0], status, "cli"); err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"code": pos[0], "status": status},
				contractStatusMessage(pos[0], status))
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
