package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// runEAB implements `kakuin eab create|revoke`.
func runEAB(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin eab create --contract CODE [--json] | kakuin eab list --contract CODE [--json] | kakuin eab revoke KID [--json]"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	fs := newFlagSet("eab "+args[0], env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	switch args[0] {
	case "create":
		code := fs.String("contract", "", "10-digit contract code")
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		if err := vetting.ValidateContractCode(*code); err != nil {
			return fmt.Errorf("--contract: %w", err)
		}
		return withApp(ctx, env, cf, func(a *app) error {
			e, err := a.vetting.CreateEAB(ctx, *code, "cli")
			if err != nil {
				return err
			}
			hmac := vetting.EncodeHMAC(e.HMACKey)
			return printResult(env.stdout, *asJSON,
				map[string]any{"kid": e.KeyID, "hmac": hmac, "contract": e.ContractCode},
				fmt.Sprintf("EAB credential for contract %s (the HMAC key is shown only now):\n  kid:  %s\n  hmac: %s\n"+
					"certbot: --eab-kid %s --eab-hmac-key=%s\nlego:    --eab --kid %s --hmac=%s",
					e.ContractCode, e.KeyID, hmac, e.KeyID, hmac, e.KeyID, hmac))
		})
	case "list":
		code := fs.String("contract", "", "10-digit contract code")
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		if err := vetting.ValidateContractCode(*code); err != nil {
			return fmt.Errorf("--contract: %w", err)
		}
		return withApp(ctx, env, cf, func(a *app) error {
			creds, err := a.vetting.EABCredentials(ctx, *code)
			if err != nil {
				return err
			}
			list := make([]map[string]any, len(creds))
			var text strings.Builder
			for i, c := range creds {
				list[i] = map[string]any{"kid": c.KeyID, "status": c.Status, "created_at": c.CreatedAt, "revoked_at": c.RevokedAt}
				fmt.Fprintf(&text, "%s\t%s\tcreated %s\n", c.KeyID, c.Status, c.CreatedAt.Format(time.RFC3339))
			}
			if len(creds) == 0 {
				text.WriteString("no EAB credentials\n")
			}
			return printResult(env.stdout, *asJSON, map[string]any{"contract": *code, "credentials": list}, strings.TrimSuffix(text.String(), "\n"))
		})
	case "revoke":
		pos, err := parseArgs(fs, args[1:], 1, usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			if err := a.vetting.RevokeEAB(ctx, pos[0], "cli"); err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"kid": pos[0], "status": vetting.CredentialRevoked},
				fmt.Sprintf("EAB credential %s revoked; accounts already bound with it keep working", pos[0]))
		})
	default:
		return fmt.Errorf("%w: unknown subcommand %q; %s", errUsage, args[0], usage)
	}
}
