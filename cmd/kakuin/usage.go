package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// runUsage implements `kakuin usage`: what an invoice for one contract and
// month is made from.
func runUsage(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin usage --contract CODE --month YYYY-MM [--format csv|json]"
	fs := newFlagSet("usage", env.stderr)
	cf := registerCommonFlags(fs)
	code := fs.String("contract", "", "10-digit contract code")
	month := fs.String("month", "", "the month, as 2026-11")
	format := fs.String("format", "csv", "csv (one row per issuance, then per day or the license count) or json")
	if _, err := parseArgs(fs, args, 0, usage); err != nil {
		return err
	}
	if err := vetting.ValidateContractCode(*code); err != nil {
		return fmt.Errorf("--contract: %w", err)
	}
	m, err := time.Parse("2006-01", *month)
	if err != nil {
		return fmt.Errorf("--month %q: want a month such as 2026-11", *month)
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("--format %q: want csv or json", *format)
	}
	return withApp(ctx, env, cf, func(a *app) error {
		c, err := a.vetting.Contract(ctx, *code)
		if err != nil {
			return err
		}
		certs, err := a.store.ContractCertificates(ctx, c.Code)
		if err != nil {
			return err
		}
		r := vetting.BuildUsage(c, m, certs)
		if *format == "json" {
			return json.NewEncoder(env.stdout).Encode(r)
		}
		return writeUsageCSV(env, r)
	})
}

// writeUsageCSV writes the report as CSV records whose first field says
// what the record is: issuance, day (monthly plans) or licenses.
func writeUsageCSV(env *cliEnv, r *vetting.UsageReport) error {
	w := csv.NewWriter(env.stdout)
	w.Write([]string{"record", "contract", "month", "plan", "limit", "serial", "names", "issued_at", "not_after", "revoked_at", "date", "in_use"})
	base := []string{r.Contract, r.Month, r.Plan, strconv.Itoa(r.Limit)}
	row := func(kind string, rest ...string) { w.Write(append(append([]string{kind}, base...), rest...)) }
	for _, c := range r.Issuances {
		revoked := ""
		if c.RevokedAt != nil {
			revoked = c.RevokedAt.UTC().Format(time.RFC3339)
		}
		row("issuance", c.Serial, strings.Join(c.Names, " "), c.IssuedAt.UTC().Format(time.RFC3339),
			c.NotAfter.UTC().Format(time.RFC3339), revoked, "", "")
	}
	for _, d := range r.Days {
		row("day", "", "", "", "", "", d.Date, strconv.Itoa(d.Slots))
	}
	if r.Plan != vetting.PlanMonthly {
		row("licenses", "", "", "", "", "", "", strconv.Itoa(r.LicensesUsed))
		row("licenses-new", "", "", "", "", "", "", strconv.Itoa(r.LicensesNew))
	}
	w.Flush()
	return w.Error()
}
