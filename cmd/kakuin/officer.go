package main

import (
	"context"
	"fmt"
	"strings"
)

// runOfficer implements `kakuin officer add|list`.
func runOfficer(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin officer add NAME --role specialist|approver|admin [--json] | kakuin officer list [--json]"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	fs := newFlagSet("officer "+args[0], env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	switch args[0] {
	case "add":
		role := fs.String("role", "", "specialist (records evidence), approver (also decides cases) or admin (also adds officers)")
		pos, err := parseArgs(fs, args[1:], 1, usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			o, err := a.vetting.AddOfficer(ctx, pos[0], *role, "cli")
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"id": o.ID, "name": o.Name, "role": o.Role},
				fmt.Sprintf("officer %s added as %s", o.Name, o.Role))
		})
	case "list":
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			os, err := a.vetting.Officers(ctx)
			if err != nil {
				return err
			}
			list := make([]map[string]any, len(os))
			var text strings.Builder
			for i, o := range os {
				list[i] = map[string]any{"id": o.ID, "name": o.Name, "role": o.Role, "status": o.Status, "created_at": o.CreatedAt}
				fmt.Fprintf(&text, "%s\t%s\t%s\n", o.Name, o.Role, o.Status)
			}
			return printResult(env.stdout, *asJSON, map[string]any{"officers": list}, strings.TrimSuffix(text.String(), "\n"))
		})
	default:
		return fmt.Errorf("%w: unknown subcommand %q; %s", errUsage, args[0], usage)
	}
}
