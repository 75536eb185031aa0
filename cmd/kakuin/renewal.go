package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/vetting"
)

// Bounds of `kakuin renewal pull-forward --within`.
const (
	minRenewalWithin = time.Hour
	maxRenewalWithin = 30 * 24 * time.Hour
)

// runRenewal implements `kakuin renewal pull-forward`: an operator pulls
// the ARI window (RFC 9773) of certificates forward, so that ARI clients
// (certbot, lego) replace them early, e.g. ahead of a mass revocation.
func runRenewal(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin renewal pull-forward (--serial HEX[,HEX...] | --issuer ID | --contract CODE | --issued-before DAY | --all) [--start TIME] [--within DURATION] [--explanation URL] [--json]"
	if err := onlySubcommand(args, "pull-forward", usage); err != nil {
		return err
	}
	fs := newFlagSet("renewal pull-forward", env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	serials := fs.String("serial", "", "the certificates' serial numbers in hex, comma-separated")
	issuer := fs.String("issuer", "", "every certificate of the issuing CA with this id (as in /ca/<id>.der)")
	contract := fs.String("contract", "", "every certificate of the contract's accounts")
	issuedBefore := fs.String("issued-before", "", "only certificates issued before this day (2026-12-01) or time (RFC 3339)")
	all := fs.Bool("all", false, "every unrevoked, unexpired certificate")
	start := fs.String("start", "", "the window's start (RFC 3339); default now")
	within := fs.Duration("within", 24*time.Hour, "the window's length: clients renew at a random time in it (1h to 720h)")
	explanation := fs.String("explanation", "", "a page telling customers why (the window's explanationURL)")
	if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
		return err
	}
	sel, err := renewalSelection(*serials, *issuer, *contract, *issuedBefore, *all)
	if err != nil {
		return err
	}
	if *within < minRenewalWithin || *within > maxRenewalWithin {
		return fmt.Errorf("--within %s: want 1h to 720h", *within)
	}
	if *explanation != "" {
		if u, err := url.Parse(*explanation); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("--explanation %q: want an absolute http or https URL", *explanation)
		}
	}
	now := time.Now()
	win := acme.RenewalWindow{Start: now, ExplanationURL: *explanation}
	if *start != "" {
		if win.Start, err = time.Parse(time.RFC3339, *start); err != nil {
			return fmt.Errorf("--start %q: want a time such as 2026-12-03T09:00:00Z", *start)
		}
	}
	win.End = win.Start.Add(*within)
	return withApp(ctx, env, cf, func(a *app) error {
		changed, err := a.store.PullRenewalForward(ctx, sel, win, now, "operator:cli")
		if err != nil {
			return err
		}
		human := fmt.Sprintf("ARI window of %d certificate(s) pulled forward to %s – %s; ARI clients see it when they next ask (within %s)",
			len(changed), win.Start.UTC().Format(time.RFC3339), win.End.UTC().Format(time.RFC3339),
			a.cfg.ACME.RenewalInfoRetryAfter.Duration)
		if missed := missedSerials(sel.Serials, changed); len(missed) > 0 {
			human += "\nunchanged (unknown, revoked, expired, or already due no later): " + strings.Join(missed, ", ")
		}
		return printResult(env.stdout, *asJSON, map[string]any{"serials": nonNilStrings(changed), "start": win.Start.UTC(),
			"end": win.End.UTC(), "explanation_url": win.ExplanationURL}, human)
	})
}

// renewalSelection reads the selection flags of `kakuin renewal pull-forward`.
func renewalSelection(serials, issuer, contract, issuedBefore string, all bool) (acme.RenewalSelection, error) {
	sel := acme.RenewalSelection{IssuerID: issuer, ContractCode: contract, All: all}
	if issuer != "" && issuer != ca.IssuerOV && issuer != ca.IssuerEV {
		return sel, fmt.Errorf("--issuer %q: want %s or %s, the issuing CAs of leaves", issuer, ca.IssuerOV, ca.IssuerEV)
	}
	if serials != "" {
		for s := range strings.SplitSeq(serials, ",") {
			hex, err := parseSerialFlag(strings.TrimSpace(s))
			if err != nil {
				return sel, fmt.Errorf("--serial: %w", err)
			}
			sel.Serials = append(sel.Serials, hex)
		}
	}
	if contract != "" {
		if err := vetting.ValidateContractCode(contract); err != nil {
			return sel, fmt.Errorf("--contract: %w", err)
		}
	}
	if issuedBefore != "" {
		t, err := time.Parse(time.DateOnly, issuedBefore)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, issuedBefore); err != nil {
				return sel, fmt.Errorf("--issued-before %q: want a day such as 2026-12-01 or a time such as 2026-12-01T09:00:00Z", issuedBefore)
			}
		}
		sel.IssuedBefore = t
	}
	picked := sel.Serials != nil || issuer != "" || contract != "" || issuedBefore != ""
	switch {
	case all && picked:
		return sel, fmt.Errorf("--all selects every certificate: give it alone, or drop it and keep the other criteria")
	case !all && !picked:
		return sel, fmt.Errorf("say which certificates: --serial, --issuer, --contract, --issued-before (combined with AND), or --all")
	}
	return sel, nil
}

// missedSerials are the serials asked for that were not changed.
func missedSerials(asked, changed []string) []string {
	var out []string
	for _, s := range asked {
		if !slices.Contains(changed, s) {
			out = append(out, s)
		}
	}
	return out
}

// nonNilStrings makes a nil list print as [] in JSON.
func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
