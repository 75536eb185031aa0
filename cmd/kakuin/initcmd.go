package main

import (
	"context"
	"fmt"

	"github.com/kakuin/kakuin/ca"
)

// runInit implements `kakuin init`: it creates the CA hierarchy (a root and
// the OV and EV issuing CAs) in the configured CA directory.
func runInit(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("init", env.stderr)
	cf := registerCommonFlags(fs)
	keyType := fs.String("key-type", "", "CA key type: ecdsa-p384 (default), ecdsa-p256, rsa-2048, rsa-3072, rsa-4096")
	org := fs.String("org", "", "organization name in the CA certificates' subjects")
	country := fs.String("country", "", "country code in the CA certificates' subjects")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "kakuin init [--key-type T] [--org NAME] [--country CC] [--json]"); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	// The flags override the configuration's ca section and go through the
	// same validation as a file would.
	if *keyType != "" {
		cfg.CA.KeyType = *keyType
	}
	if *org != "" {
		cfg.CA.Organization = *org
	}
	if *country != "" {
		cfg.CA.Country = *country
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w (--key-type, --org and --country set ca.key_type, ca.organization and ca.country)", err)
	}
	opts := caInitOptions(cfg)
	if err := ca.Init(opts); err != nil {
		return err
	}
	return printResult(env.stdout, *asJSON, map[string]any{"dir": opts.Dir, "key_type": opts.KeyType},
		fmt.Sprintf("CA hierarchy created in %s (root, ov, ev; keys %s, mode 0600)", opts.Dir, opts.KeyType))
}

// runMigrate implements `kakuin migrate`: it applies the embedded
// migrations the database has not seen yet.
func runMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("migrate", env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "kakuin migrate [--json]"); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if applied == nil {
		applied = []string{}
	}
	human := fmt.Sprintf("applied %d migration(s) %v", len(applied), applied)
	if len(applied) == 0 {
		human = "database is up to date"
	}
	return printResult(env.stdout, *asJSON, map[string]any{"applied": applied}, human)
}
