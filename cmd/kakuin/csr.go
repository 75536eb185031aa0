package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/vetting"
)

// runCSR implements `kakuin csr check FILE`: it reads a CSR as a customer
// sends it (PEM with the "CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST"
// header, or DER; "-" for standard input) and says whether kakuin would
// accept its key and names at finalize, and why not.
func runCSR(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin csr check FILE|- [--names a.example,b.example] [--json]"
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	fs := newFlagSet("csr check", env.stderr)
	names := fs.String("names", "", "comma-separated DNS names the CSR must carry exactly (an order's names)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseArgs(fs, args[1:], 1, usage)
	if err != nil {
		return err
	}
	data, err := readInput(env, pos[0])
	if err != nil {
		return err
	}
	csr, err := ca.ParseCSR(data)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	got := csrNames(csr)
	var problems []string
	if err := ca.CheckPublicKey(csr.PublicKey); err != nil {
		var ke *ca.KeyError
		if errors.As(err, &ke) {
			problems = append(problems, "key: "+ke.Reason)
		} else {
			problems = append(problems, "key: "+err.Error())
		}
	}
	if n := len(csr.IPAddresses) + len(csr.EmailAddresses) + len(csr.URIs); n > 0 {
		problems = append(problems, fmt.Sprintf("names: %d IP, e-mail or URI subjectAltName(s); only DNS names are certified", n))
	}
	if len(got) == 0 {
		problems = append(problems, "names: no DNS name in the subjectAltName or the common name")
	}
	if *names != "" {
		want := splitNames(*names)
		if missing, extra := setDiff(want, got), setDiff(got, want); len(missing)+len(extra) > 0 {
			problems = append(problems, fmt.Sprintf("names: differ from --names (missing %v, extra %v)", missing, extra))
		}
	}
	// The subject's rules, with the CSR's own names as the order's when
	// --names is not given.
	orderNames := got
	if *names != "" {
		orderNames = splitNames(*names)
	}
	for _, p := range vetting.CSRSubjectProblems(csr.RawSubject, orderNames) {
		problems = append(problems, "subject: "+p)
	}
	result := map[string]any{"ok": len(problems) == 0, "names": got, "key": describeKey(csr.PublicKey), "problems": problems}
	if problems == nil {
		result["problems"] = []string{}
	}
	human := fmt.Sprintf("CSR %s: key %s, names %s", pos[0], describeKey(csr.PublicKey), strings.Join(got, ", "))
	if err := printResult(env.stdout, *asJSON, result, human); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("kakuin would refuse this CSR (badCSR): %s", strings.Join(problems, "; "))
	}
	return nil
}

// readInput reads a file, or standard input for "-", at most 1 MiB.
func readInput(env *cliEnv, path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		if env.stdin == nil {
			return nil, errors.New("no standard input to read the CSR from")
		}
		r = env.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return io.ReadAll(io.LimitReader(r, 1<<20))
}

// csrNames returns the CSR's DNS names as finalize sees them: the
// subjectAltName DNS names plus the CN, lower-cased, sorted, without
// duplicates.
func csrNames(csr *x509.CertificateRequest) []string {
	names := splitNames(strings.Join(csr.DNSNames, ","))
	if cn := strings.ToLower(strings.TrimSpace(csr.Subject.CommonName)); cn != "" && !slices.Contains(names, cn) {
		names = append(names, cn)
		slices.Sort(names)
	}
	return names
}

// splitNames splits a comma-separated list into sorted, lower-case,
// de-duplicated names.
func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), ".")); n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// setDiff returns the elements of a not in b.
func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// describeKey names a public key for people: "ECDSA P-256", "RSA 2048".
func describeKey(pub any) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}
