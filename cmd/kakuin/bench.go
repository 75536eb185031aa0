package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/kakuin/kakuin/internal/bench"
)

// maxCAFileBytes bounds the --ca-file read.
const maxCAFileBytes = 1 << 20

// runBench implements `kakuin bench`: the full ACME issuance flow (RFC 8555
// §7.4) with C concurrent workers against a running server whose challenge
// validation always passes (kakuin serve --dev --bench-always-valid, or
// Pebble with PEBBLE_VA_ALWAYS_VALID=1). It prints certificates per second
// and latency percentiles, one JSON object with --json.
func runBench(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	directory := fs.String("directory", "", "ACME directory `URL` (required)")
	caFile := fs.String("ca-file", "", "PEM `file` of the CA certificates to trust for the server's TLS")
	insecure := fs.Bool("insecure", false, "do not verify the server's TLS certificate")
	eabKID := fs.String("eab-kid", "", "External Account Binding key `ID`")
	eabHMAC := fs.String("eab-hmac", "", "External Account Binding base64url HMAC `key`")
	concurrency := fs.Int("c", 16, "concurrent workers")
	duration := fs.Duration("d", 20*time.Second, "measured duration")
	warmup := fs.Duration("warmup", 3*time.Second, "unmeasured warmup before the measured duration")
	names := fs.Int("names", 1, "DNS names per order")
	domain := fs.String("domain", "", "parent domain of the generated names (default bench.example.jp)")
	pebbleCompat := fs.Bool("pebble-compat", false, "work around Pebble v2.10.1 lock-order deadlocks (never fetch an authorization during a newOrder)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: kakuin bench --directory URL [--ca-file PEM | --insecure] [--eab-kid K --eab-hmac H] [-c 16] [-d 20s] [--warmup 3s] [--names 1] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if err := checkDirectoryURL(*directory); err != nil {
		return err
	}
	if *caFile != "" && *insecure {
		return fmt.Errorf("%w: --ca-file and --insecure exclude each other", errUsage)
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case *insecure:
		tlsConfig.InsecureSkipVerify = true
	case *caFile != "":
		pool, err := readCAFile(*caFile)
		if err != nil {
			return err
		}
		tlsConfig.RootCAs = pool
	}
	res, err := bench.Run(ctx, bench.Options{
		DirectoryURL:  *directory,
		TLSConfig:     tlsConfig,
		EABKeyID:      *eabKID,
		EABHMACKey:    *eabHMAC,
		Concurrency:   *concurrency,
		Duration:      *duration,
		Warmup:        *warmup,
		NamesPerOrder: *names,
		Domain:        *domain,
		PebbleCompat:  *pebbleCompat,
	})
	if err != nil && res.Concurrency == 0 {
		return err // nothing ran
	}
	if *asJSON {
		if werr := json.NewEncoder(env.stdout).Encode(res); werr != nil {
			return werr
		}
	} else {
		fmt.Fprintln(env.stdout, res)
	}
	return err
}

// checkDirectoryURL requires an absolute http or https URL.
func checkDirectoryURL(s string) error {
	if s == "" {
		return fmt.Errorf("%w: --directory is required", errUsage)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: --directory %q is not an http(s) URL", errUsage, s)
	}
	return nil
}

// readCAFile reads a PEM bundle of trusted CA certificates.
func readCAFile(path string) (*x509.CertPool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCAFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxCAFileBytes {
		return nil, fmt.Errorf("--ca-file %s is larger than %d bytes", path, maxCAFileBytes)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", path)
	}
	return pool, nil
}
