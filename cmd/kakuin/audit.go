package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// errAuditBroken is the failure of `kakuin audit verify` when the log does
// not verify; its problems are already printed.
var errAuditBroken = errors.New("the audit log does not verify")

// runAudit implements `kakuin audit verify`: it recomputes the audit log's
// hash chain and exits 1 naming each event edited, deleted or added by
// hand.
func runAudit(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin audit verify [--json]"
	if err := onlySubcommand(args, "verify", usage); err != nil {
		return err
	}
	fs := newFlagSet("audit verify", env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
		return err
	}
	return withApp(ctx, env, cf, func(a *app) error {
		check, err := a.store.VerifyAudit(ctx)
		if err != nil {
			return err
		}
		head := hex.EncodeToString(check.HeadHash)
		problems := make([]map[string]any, 0, len(check.Problems))
		var text strings.Builder
		for _, p := range check.Problems {
			problems = append(problems, map[string]any{"event": p.ID, "reason": p.Reason})
			fmt.Fprintf(&text, "  %s\n", p.Reason)
		}
		if check.MoreProblems > 0 {
			fmt.Fprintf(&text, "  ... and %d more\n", check.MoreProblems)
		}
		ok := len(check.Problems) == 0
		summary := fmt.Sprintf("audit log verified: %d events, head event %d, hash %s", check.Events, check.HeadID, head)
		if !ok {
			summary = fmt.Sprintf("audit log BROKEN: %d problems in %d events:\n%s", len(check.Problems)+check.MoreProblems,
				check.Events, strings.TrimSuffix(text.String(), "\n"))
		}
		err = printResult(env.stdout, *asJSON, map[string]any{"ok": ok, "events": check.Events, "head_id": check.HeadID,
			"head_hash": head, "problems": problems, "more_problems": check.MoreProblems}, summary)
		if err == nil && !ok {
			err = errAuditBroken
		}
		return err
	})
}
