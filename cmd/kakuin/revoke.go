package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/ocsp"
)

// runRevoke implements `kakuin revoke --serial S --reason R`: an operator
// revokes a certificate (BR §4.9.1). The OCSP response is re-signed at
// once with this process's CA keys; running servers re-sign the CRL
// partition within a minute.
func runRevoke(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin revoke --serial HEX --reason NAME|CODE [--json]"
	fs := newFlagSet("revoke", env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	serialFlag := fs.String("serial", "", "the certificate's serial number in hex (colons allowed)")
	reasonFlag := fs.String("reason", "", "RFC 5280 reason: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation or privilegeWithdrawn (or its code)")
	if _, err := parseArgs(fs, args, 0, usage); err != nil {
		return err
	}
	serial, err := parseSerialFlag(*serialFlag)
	if err != nil {
		return fmt.Errorf("--serial: %w", err)
	}
	if *reasonFlag == "" {
		return fmt.Errorf("--reason is required: one of unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn")
	}
	reason, err := ca.ParseReason(*reasonFlag)
	if err != nil {
		return fmt.Errorf("--reason: %w", err)
	}
	if err := ca.CheckSubscriberReason(reason); err != nil {
		return fmt.Errorf("--reason: %w", err)
	}
	return withApp(ctx, env, cf, func(a *app) error {
		cfg := a.cfg
		if err := checkCAExists(cfg); err != nil {
			return err
		}
		authority, err := ca.Load(caOptions(cfg, a.store))
		if err != nil {
			return err
		}
		svc, err := ocsp.NewService(ocsp.ServiceOptions{Store: a.store, Signer: authority, OCSP: !cfg.OCSP.Disabled,
			CRLShards: cfg.CRL.Shards, CRLValidity: cfg.CRL.Validity.Duration, CRLInterval: cfg.CRL.Interval.Duration,
			// The command prints its own result; only problems are logged.
			Logger: slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		if err != nil {
			return err
		}
		err = svc.Revoke(ctx, serial, reason, "operator:cli")
		switch {
		case errors.Is(err, ocsp.ErrNotFound):
			return fmt.Errorf("no certificate with serial %s", serial)
		case errors.Is(err, ca.ErrAlreadyRevoked):
			return fmt.Errorf("certificate %s is already revoked", serial)
		case err != nil:
			return err
		}
		cs, err := a.store.CertificateStatus(ctx, serial)
		if err != nil {
			return err
		}
		human := fmt.Sprintf("certificate %s revoked (%s) at %s; OCSP answers revoked now, its CRL partition %s is re-signed within a minute",
			serial, ca.ReasonName(reason), cs.RevokedAt.UTC().Format("2006-01-02T15:04:05Z"), ca.CRLPath(cs.IssuerID, cs.CRLShard))
		if reason == ca.ReasonKeyCompromise {
			human += "\nthe key is blocked, and every other unexpired certificate with it was revoked too"
		}
		return printResult(env.stdout, *asJSON, map[string]any{"serial": serial, "reason": ca.ReasonName(reason),
			"reason_code": reason, "revoked_at": cs.RevokedAt.UTC(), "issuer": cs.IssuerID, "crl_shard": cs.CRLShard}, human)
	})
}

// parseSerialFlag reads a serial as operators copy it (openssl prints
// "Serial Number: 5e:2a:..." or hex), and returns it as ca.SerialHex.
func parseSerialFlag(s string) (string, error) {
	if s == "" {
		return "", errors.New("is required: the certificate's serial number in hex")
	}
	h := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")))
	n, ok := new(big.Int).SetString(h, 16)
	if !ok || n.Sign() <= 0 {
		return "", fmt.Errorf("%q is not a hex serial number", s)
	}
	if n.BitLen() > 160 {
		return "", fmt.Errorf("%q is longer than 20 octets (RFC 5280 §4.1.2.2)", s)
	}
	return ca.SerialHex(n), nil
}
