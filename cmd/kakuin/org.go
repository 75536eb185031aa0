package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// runOrg implements `kakuin org create|show|contact|contacts`.
func runOrg(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin org create --name NAME --country CC --province ST --locality L [--name-ja NAME] " +
		"[--registration-number N] [--phone P] [--json] | kakuin org show ID [--json] | " +
		"kakuin org contact ID --role applicant|registration|technical|billing --name N [--title T] --email E --phone P [--json] | " +
		"kakuin org contacts ID [--history] [--json]"
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
		fs.StringVar(&in.RegistrationNumber, "registration-number", "", "registration number; for JP the 13-digit corporate number")
		fs.StringVar(&in.Phone, "phone", "", "the organization's main phone number")
		fs.StringVar(&in.BusinessCategory, "business-category", "", "EV business category: Private Organization (default), Government Entity, Business Entity or Non-Commercial Entity")
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
		id, err := parseOrgArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			o, err := a.vetting.Organization(ctx, id)
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{
				"id": o.ID, "name": o.Name, "name_ja": o.NameJa, "country": o.Country,
				"province": o.Province, "locality": o.Locality, "registration_number": o.RegistrationNumber,
				"phone": o.Phone, "business_category": o.BusinessCategory, "created_at": o.CreatedAt,
			}, fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", o.ID, o.Name, o.NameJa, o.Country, o.Province, o.Locality,
				o.RegistrationNumber, o.Phone))
		})
	case "contact":
		var in vetting.ContactInput
		fs.StringVar(&in.Role, "role", "", "applicant, registration, technical or billing")
		fs.StringVar(&in.Name, "name", "", "the person's name")
		fs.StringVar(&in.Title, "title", "", "the person's title (required for the applicant)")
		fs.StringVar(&in.Email, "email", "", "e-mail address")
		fs.StringVar(&in.Phone, "phone", "", "phone number (no mobile number for the registration contact)")
		id, err := parseOrgArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			c, err := a.vetting.SetContact(ctx, id, in, "cli")
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, contactJSON(c),
				fmt.Sprintf("%s contact of organization %d is now %s (%s, %s); the previous one is kept in the history",
					c.Role, id, c.Name, c.Email, c.Phone))
		})
	case "contacts":
		history := fs.Bool("history", false, "list every contact the organization has had, not only the current ones")
		id, err := parseOrgArg(fs, args[1:], usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			cs, err := a.vetting.Contacts(ctx, id, *history)
			if err != nil {
				return err
			}
			list := make([]map[string]any, len(cs))
			var text strings.Builder
			for i, c := range cs {
				list[i] = contactJSON(c)
				until := "current"
				if c.ValidTo != nil {
					until = "until " + c.ValidTo.Format(time.RFC3339)
				}
				fmt.Fprintf(&text, "%s\t%s\t%s\t%s\t%s\tfrom %s\t%s\n", c.Role, c.Name, c.Title, c.Email, c.Phone,
					c.ValidFrom.Format(time.RFC3339), until)
			}
			return printResult(env.stdout, *asJSON, map[string]any{"organization": id, "contacts": list},
				strings.TrimSuffix(text.String(), "\n"))
		})
	default:
		return fmt.Errorf("%w: unknown subcommand %q; %s", errUsage, args[0], usage)
	}
}

// parseOrgArg parses the flags and the one positional argument of an org
// subcommand, an organization id.
func parseOrgArg(fs *flag.FlagSet, args []string, usage string) (int64, error) {
	pos, err := parseArgs(fs, args, 1, usage)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("organization id %q is not a positive number", pos[0])
	}
	return id, nil
}

func contactJSON(c *vetting.Contact) map[string]any {
	return map[string]any{"id": c.ID, "role": c.Role, "name": c.Name, "title": c.Title, "email": c.Email,
		"phone": c.Phone, "valid_from": c.ValidFrom, "valid_to": c.ValidTo, "changed_by": c.ChangedBy}
}
