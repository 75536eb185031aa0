package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/kakuin/kakuin/vetting"
)

// runOrg implements `kakuin org create|show`.
func runOrg(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin org create --name NAME --country CC --province ST --locality L [--name-ja NAME] [--json] | kakuin org show ID [--json]"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	fs := newFlagSet("org "+args[0], env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	switch args[0] {
	case "create":
		var in vetting.OrganizationInput
		fs.StringVar(&in.Name, "name", "", "legal name in English (the certificate's O)")
		fs.StringVar(&in.NameJa, "name-ja", "", "legal name in Japanese")
		fs.StringVar(&in.Country, "country", "", "ISO 3166-1 alpha-2 country code, e.g. JP")
		fs.StringVar(&in.Province, "province", "", "prefecture or state (the certificate's ST)")
		fs.StringVar(&in.Locality, "locality", "", "city (the certificate's L)")
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			o, err := a.vetting.CreateOrganization(ctx, in, "cli")
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"id": o.ID},
				fmt.Sprintf("organization %d created: %s (%s, %s, %s)", o.ID, o.Name, o.Country, o.Province, o.Locality))
		})
	case "show":
		pos, err := parseArgs(fs, args[1:], 1, usage)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("organization id %q is not a number", pos[0])
		}
		return withApp(ctx, env, cf, func(a *app) error {
			o, err := a.vetting.Organization(ctx, id)
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{
				"id": o.ID, "name": o.Name, "name_ja": o.NameJa, "country": o.Country,
				"province": o.Province, "locality": o.Locality, "created_at": o.CreatedAt,
			}, fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s", o.ID, o.Name, o.NameJa, o.Country, o.Province, o.Locality))
		})
	default:
		return fmt.Errorf("%w: unknown subcommand %q; %s", errUsage, args[0], usage)
	}
}
