package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/acme/validation"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/config"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// tlsFiles are the server certificate, its key and the PEM clients trust.
type tlsFiles struct {
	CertFile, KeyFile string
	// TrustPEM is what ACME clients must trust to reach kakuin ("" when
	// the operator's own certificate is used).
	TrustPEM string
}

// serverTLS returns the configured TLS files, generating the dev TLS CA and
// certificate on the first dev start; nil means plain HTTP (a production
// server behind a TLS-terminating proxy).
func serverTLS(cfg *config.Config) (*tlsFiles, error) {
	if !cfg.TLSGenerated() {
		if cfg.TLS.CertFile == "" {
			return nil, nil // plain HTTP behind a TLS-terminating proxy
		}
		return &tlsFiles{CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile}, nil
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if h, _, err := net.SplitHostPort(cfg.Listen); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
		hosts = append(hosts, h)
	}
	files, err := ca.DevTLS(ca.DevTLSOptions{Dir: filepath.Dir(cfg.TLS.CertFile), Hosts: hosts})
	if err != nil {
		return nil, err
	}
	return &tlsFiles{CertFile: files.CertFile, KeyFile: files.KeyFile, TrustPEM: files.TrustPEM}, nil
}

// newValidator returns the challenge validator, or the bench-only
// alwaysValid fake when the configuration asks for it (config refuses that
// outside dev mode).
func newValidator(cfg *config.Config, logger *slog.Logger) (acme.Validator, error) {
	if cfg.Validation.AlwaysValid {
		logger.Warn("BENCHMARK MODE: every challenge is treated as valid without validation")
		return alwaysValid{}, nil
	}
	return validation.New(validation.Options{
		HTTPPort:     cfg.Validation.HTTP01Port,
		TLSALPNPort:  cfg.Validation.TLSALPN01Port,
		Resolver:     cfg.Validation.DNSResolver,
		AllowPrivate: *cfg.Validation.AllowPrivate,
		Timeout:      cfg.Validation.Timeout.Duration,
		UserAgent:    "kakuin-validation",
		Logger:       logger,
	})
}

// alwaysValid is a fake validator for load tests only: it passes every
// challenge without any network request.
type alwaysValid struct{}

func (alwaysValid) Validate(context.Context, string, string, string, string) error { return nil }

// CheckCAA permits every name: the load test's names have no DNS.
func (alwaysValid) CheckCAA(context.Context, string, []string, string, string) error { return nil }

// acmePolicy maps the configuration onto the ACME server's policy.
func acmePolicy(cfg *config.Config) acme.Policy {
	return acme.Policy{
		AllowWildcards:        cfg.ACME.AllowWildcards,
		MaxNames:              cfg.ACME.MaxNames,
		EABMaxAccounts:        cfg.ACME.EABMaxAccounts,
		OrderLifetime:         cfg.ACME.OrderLifetime.Duration,
		AuthzReuse:            cfg.ACME.AuthzReuse.Duration,
		NonceLifetime:         cfg.ACME.NonceLifetime.Duration,
		ProcessingTimeout:     cfg.ACME.ProcessingTimeout.Duration,
		ValidationTimeout:     cfg.Validation.Timeout.Duration,
		HoldRetryAfter:        cfg.Vetting.HoldRetryAfter.Duration,
		HoldRecheck:           cfg.Vetting.HoldRecheck.Duration,
		HoldContact:           cfg.Vetting.Contact,
		RenewalInfoRetryAfter: cfg.ACME.RenewalInfoRetryAfter.Duration,
	}
}

// printBanner tells the operator where the server is and what to do next.
func printBanner(w io.Writer, cfg *config.Config, trustPEM string) {
	dir := cfg.BaseURL + "/acme/directory"
	var b strings.Builder
	fmt.Fprintf(&b, "kakuin is serving on %s (database: %s)\n", cfg.Listen, cfg.Database.Driver)
	fmt.Fprintf(&b, "  ACME directory: %s\n", dir)
	if trustPEM != "" {
		fmt.Fprintf(&b, "  TLS trust PEM:  %s   (certbot: REQUESTS_CA_BUNDLE=..., lego: LEGO_CA_CERTIFICATES=...)\n", trustPEM)
	}
	fmt.Fprintf(&b, "  CA root:        %s\n", filepath.Join(cfg.CA.Dir, ca.IssuerRoot+".pem"))
	if cfg.Dev {
		data := "--data " + cfg.DataDir
		fmt.Fprintf(&b, "\nNext, in another shell:\n")
		fmt.Fprintf(&b, "  kakuin org create %s --name \"Example KK\" --country JP --province Tokyo --locality Chiyoda-ku --json\n", data)
		fmt.Fprintf(&b, "  kakuin contract create %s --org ID --plan per-certificate --json\n", data)
		fmt.Fprintf(&b, "  kakuin eab create %s --contract CODE --json\n", data)
		fmt.Fprintf(&b, "then on the web server:\n")
		fmt.Fprintf(&b, "  REQUESTS_CA_BUNDLE=%s certbot certonly --standalone --server %s \\\n", trustPEM, dir)
		fmt.Fprintf(&b, "    --eab-kid KID --eab-hmac-key=HMAC --agree-tos --register-unsafely-without-email -d www.example.jp\n")
		fmt.Fprintf(&b, "The order waits until vetting officers approve the organization and its domain:\n")
		fmt.Fprintf(&b, "  kakuin officer add %s NAME --role approver; kakuin vet list %s; kakuin vet show %s CASE\n", data, data, data)
		fmt.Fprintf(&b, "  kakuin vet evidence %s CASE --officer NAME --item ITEM --note TEXT; kakuin vet approve %s CASE --officer OTHER\n", data, data)
		fmt.Fprintf(&b, "and the same certbot command then obtains the certificate.\n")
	}
	io.WriteString(w, b.String())
}

// newVetting returns the registration authority on db, with the vetting
// gate's configuration and the business directory, if any.
func newVetting(cfg *config.Config, db store.Backend) (*vetting.Service, error) {
	opts := vetting.Options{Store: db, Cases: db, HighRisk: cfg.Vetting.HighRisk}
	if cfg.Vetting.DirectoryFile != "" {
		dir, err := vetting.OpenFileDirectory(cfg.Vetting.DirectoryFile)
		if err != nil {
			return nil, fmt.Errorf("vetting.directory_file: %w", err)
		}
		opts.Directory = dir
	}
	return vetting.New(opts), nil
}
