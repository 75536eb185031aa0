package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kakuin/kakuin/admin"
	"github.com/kakuin/kakuin/vetting"
)

// runVet implements `kakuin vet list|show|evidence|approve|reject`: the
// vetting officers' work on the hold queue.
func runVet(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin vet list [--status open|approved|rejected|all] [--json] | kakuin vet show CASE [--json] | " +
		"kakuin vet directory --org ID [--json] | kakuin vet open --org ID --kind identity|domain|high-risk [--level ov|ev] [--subject NAME] --officer NAME --reason TEXT | " +
		"kakuin vet evidence CASE --officer NAME --item ITEM --note TEXT | " +
		"kakuin vet approve CASE --officer NAME [--note TEXT] [--owner-consent TEXT] | " +
		"kakuin vet reject CASE --officer NAME --reason TEXT"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	fs := newFlagSet("vet "+args[0], env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	show := func(c *vetting.Case, headline string) error {
		return printResult(env.stdout, *asJSON, admin.CaseJSON(c), headline+caseText(c))
	}
	switch args[0] {
	case "list":
		status := fs.String("status", vetting.CaseOpen, "open, approved, rejected or all")
		limit := fs.Int("limit", 100, "at most this many cases, newest first")
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		st := *status
		if st == "all" {
			st = ""
		}
		return withApp(ctx, env, cf, func(a *app) error {
			cs, err := a.vetting.Cases(ctx, st, *limit)
			if err != nil {
				return err
			}
			list := make([]map[string]any, len(cs))
			var text strings.Builder
			for i, c := range cs {
				list[i] = admin.CaseJSON(c)
				fmt.Fprintf(&text, "%d\t%s\t%s\torg %d\t%s\t%s\t%s\n", c.ID, c.Status, c.Kind, c.OrganizationID, c.Level, c.Subject, c.Reason)
			}
			if len(cs) == 0 {
				text.WriteString("no cases\n")
			}
			return printResult(env.stdout, *asJSON, map[string]any{"cases": list}, strings.TrimSuffix(text.String(), "\n"))
		})
	case "directory":
		var org int64
		fs.Int64Var(&org, "org", 0, "the organization's id")
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			e, err := a.vetting.DirectoryListing(ctx, org)
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"organization": org, "name": e.Name, "phone": e.Phone,
				"address": e.Address, "registration_number": e.RegistrationNumber, "source": e.Source},
				fmt.Sprintf("%s (%s), %s: call %s (source %s)", e.Name, e.RegistrationNumber, e.Address, e.Phone, e.Source))
		})
	case "open":
		var in vetting.CaseInput
		fs.Int64Var(&in.OrganizationID, "org", 0, "the organization's id")
		fs.StringVar(&in.Kind, "kind", "", "identity, domain or high-risk")
		fs.StringVar(&in.Level, "level", "", "identity cases: ov or ev")
		fs.StringVar(&in.Subject, "subject", "", "domain cases: the registered domain; high-risk cases: the name")
		fs.StringVar(&in.Reason, "reason", "", "why the case is opened")
		officer := fs.String("officer", "", "the officer opening it")
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, opened, err := a.vetting.OpenCase(ctx, in, *officer)
			if err != nil {
				return err
			}
			head := fmt.Sprintf("case %d opened\n", c.ID)
			if !opened {
				head = fmt.Sprintf("case %d was already open for this question\n", c.ID)
			}
			return show(c, head)
		})
	case "show":
		id, err := parseCaseArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.Case(ctx, id)
			if err != nil {
				return err
			}
			return show(c, "")
		})
	case "evidence":
		officer := fs.String("officer", "", "the officer recording it (kakuin officer list)")
		item := fs.String("item", "", "the checklist item (kakuin vet show lists what the case needs)")
		note := fs.String("note", "", "what was checked, against which source")
		id, err := parseCaseArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			e, err := a.vetting.RecordEvidence(ctx, id, *officer, *item, *note)
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"case": id, "id": e.ID, "item": e.Item, "officer": e.RecordedBy},
				fmt.Sprintf("case %d: %s recorded by %s", id, e.Item, e.RecordedBy))
		})
	case "approve":
		officer := fs.String("officer", "", "the approving officer")
		note := fs.String("note", "", "the approval's note (optional)")
		consent := fs.String("owner-consent", "", "domain cases: the domain owner's consent, when another organization owns it")
		id, err := parseCaseArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.Approve(ctx, id, *officer, *note, *consent)
			if err != nil {
				return err
			}
			head := fmt.Sprintf("case %d approved by %s; held orders flow on the clients' next run\n", id, *officer)
			if c.Status == vetting.CaseOpen {
				head = fmt.Sprintf("case %d: first approval by %s recorded; an EV case needs a second approver\n", id, *officer)
			}
			return show(c, head)
		})
	case "reject":
		officer := fs.String("officer", "", "the rejecting officer")
		reason := fs.String("reason", "", "why, as the customer's ACME client will show it")
		id, err := parseCaseArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.Reject(ctx, id, *officer, *reason)
			if err != nil {
				return err
			}
			return show(c, fmt.Sprintf("case %d rejected by %s\n", id, *officer))
		})
	default:
		return fmt.Errorf("%w: unknown subcommand %q; %s", errUsage, args[0], usage)
	}
}

// parseCaseArg parses the flags and the one positional argument of a vet
// subcommand, a case number.
func parseCaseArg(fs *flag.FlagSet, args []string, usage string) (int64, error) {
	pos, err := parseArgs(fs, args, 1, usage)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "case:"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("case %q is not a positive number", pos[0])
	}
	return id, nil
}

// caseText shows a case as an officer reads it, with what its checklist
// still lacks.
func caseText(c *vetting.Case) string {
	var b strings.Builder
	fmt.Fprintf(&b, "case %d: %s %s, organization %d", c.ID, c.Kind, strings.ToUpper(c.Level), c.OrganizationID)
	if c.Subject != "" {
		fmt.Fprintf(&b, ", %s", c.Subject)
	}
	fmt.Fprintf(&b, "\nstatus: %s", c.Status)
	if c.DecidedAt != nil {
		fmt.Fprintf(&b, " by %s at %s", c.DecidedBy, c.DecidedAt.Format(time.RFC3339))
		if c.DecisionNote != "" {
			fmt.Fprintf(&b, ": %s", c.DecisionNote)
		}
	}
	fmt.Fprintf(&b, "\nopened %s by %s: %s\n", c.OpenedAt.Format(time.RFC3339), c.OpenedBy, c.Reason)
	required, _ := vetting.Checklist(c.Kind, c.Level)
	for _, item := range required {
		done := "MISSING"
		for _, e := range c.Evidence {
			if e.Item == item {
				done = fmt.Sprintf("%s (%s): %s", e.RecordedBy, e.RecordedAt.Format(time.DateOnly), e.Note)
			}
		}
		fmt.Fprintf(&b, "  [%s] %s\n", item, done)
	}
	for _, a := range c.Approvals {
		fmt.Fprintf(&b, "  approved by %s at %s\n", a.Officer, a.ApprovedAt.Format(time.RFC3339))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
