// Command kakuin is the kakuin certificate authority: the ACME server and
// every operator command, in one binary.
//
//	kakuin serve      run the ACME server (and, with --dev, everything it needs)
//	kakuin init       create the CA hierarchy (root, OV and EV issuing CAs)
//	kakuin migrate    apply database migrations
//	kakuin org        organizations
//	kakuin contract   contracts
//	kakuin eab        External Account Binding credentials
//	kakuin csr        check a CSR as finalize would
//	kakuin revoke     revoke a certificate
//	kakuin ocsp       run the OCSP responder and CRL endpoints alone
//	kakuin audit      verify the audit log's hash chain
//	kakuin officer    vetting officers
//	kakuin vet        vetting cases: the hold queue officers work
//	kakuin bench      load-test an ACME server
//
// Every command takes --config FILE and --data DIR, so a second shell can
// administer a running server; commands that create something take --json
// and print one JSON object.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one kakuin subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// commands is every subcommand, by name.
var commands = map[string]command{
	"serve":    {"run the ACME server", runServe},
	"init":     {"create the CA hierarchy (root, OV and EV issuing CAs)", runInit},
	"migrate":  {"apply database migrations", runMigrate},
	"org":      {"manage organizations and their contacts (create, show, contact, contacts)", runOrg},
	"contract": {"manage contracts (create, show, suspend, resume, end, term, add-coupon)", runContract},
	"eab":      {"manage External Account Binding credentials (create, revoke)", runEAB},
	"csr":      {"check a CSR as finalize would (PEM with either header, or DER)", runCSR},
	"revoke":   {"revoke a certificate (OCSP at once, its CRL within a minute)", runRevoke},
	"ocsp":     {"run the OCSP responder and CRL endpoints alone (read-only database)", runOCSP},
	"bench":    {"load-test an ACME server with the full issuance flow", runBench},
	"officer":  {"manage vetting officers (add, list)", runOfficer},
	"vet":      {"work vetting cases: list, show, evidence, approve, reject", runVet},
	"coupon":   {"issue a pack of coupons (licenses of per-certificate contracts)", runCoupon},
	"usage":    {"usage of a contract in a month, for invoicing (csv or json)", runUsage},
	"audit":    {"verify the audit log's hash chain (detects edited, deleted or added events)", runAudit},
	"renewal":  {"pull the ARI renewal window of certificates forward (mass renewal)", runRenewal},
}

// cliEnv is what commands read and write outside their arguments.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
}

// errUsage marks an error whose message already says how to call the command.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv}
	os.Exit(run(ctx, env, os.Args[1:]))
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "kakuin: unknown command %q\n\n", args[0])
		usage(env.stderr)
		return 2
	}
	if err := cmd.run(ctx, env, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errFlagParse) {
			return 2
		}
		fmt.Fprintf(env.stderr, "kakuin %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kakuin <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'kakuin <command> -h' for the flags of a command.")
}
