package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kakuin/kakuin/ca"
)

// runOfficer implements `kakuin officer add|list`.
func runOfficer(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "kakuin officer add NAME --role specialist|approver|admin [--cert-dir DIR] [--json] | " +
		"kakuin officer cert NAME --cert-dir DIR [--json] | kakuin officer disable|enable NAME | kakuin officer list [--json]"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	fs := newFlagSet("officer "+args[0], env.stderr)
	cf := registerCommonFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	switch args[0] {
	case "add":
		role := fs.String("role", "", "specialist (records evidence), approver (also decides cases) or admin (also adds officers)")
		certDir := fs.String("cert-dir", "", "also issue the officer's admin API client certificate into this directory (NAME.pem, NAME.key)")
		pos, err := parseArgs(fs, args[1:], 1, usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			o, err := a.vetting.AddOfficer(ctx, pos[0], *role, "cli")
			if err != nil {
				return err
			}
			out := map[string]any{"id": o.ID, "name": o.Name, "role": o.Role}
			text := fmt.Sprintf("officer %s added as %s", o.Name, o.Role)
			if *certDir != "" {
				files, err := issueOfficerCert(ctx, a, o.Name, *certDir)
				if err != nil {
					return fmt.Errorf("officer %s was added, but %w (run kakuin officer cert)", o.Name, err)
				}
				out["cert"], out["key"] = files[0], files[1]
				text += fmt.Sprintf("; admin API client certificate %s, key %s", files[0], files[1])
			}
			return printResult(env.stdout, *asJSON, out, text)
		})
	case "cert":
		certDir := fs.String("cert-dir", "", "the directory to write NAME.pem and NAME.key to")
		pos, err := parseArgs(fs, args[1:], 1, usage)
		if err != nil {
			return err
		}
		if *certDir == "" {
			return fmt.Errorf("--cert-dir is required: where to write the certificate and its key")
		}
		return withApp(ctx, env, cf, func(a *app) error {
			files, err := issueOfficerCert(ctx, a, pos[0], *certDir)
			if err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"name": pos[0], "cert": files[0], "key": files[1]},
				fmt.Sprintf("admin API client certificate for %s: %s, key %s", pos[0], files[0], files[1]))
		})
	case "disable", "enable":
		pos, err := parseArgs(fs, args[1:], 1, usage)
		if err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			if err := a.vetting.SetOfficerActive(ctx, pos[0], args[0] == "enable", "cli"); err != nil {
				return err
			}
			return printResult(env.stdout, *asJSON, map[string]any{"name": pos[0], "status": args[0] + "d"},
				fmt.Sprintf("officer %s %sd", pos[0], args[0]))
		})
	case "list":
		if _, err := parseArgs(fs, args[1:], 0, usage); err != nil {
			return err
		}
		return withApp(ctx, env, cf, func(a *app) error {
			os, err := a.vetting.Officers(ctx)
			if err != nil {
				return err
			}
			list := make([]map[string]any, len(os))
			var text strings.Builder
			for i, o := range os {
				list[i] = map[string]any{"id": o.ID, "name": o.Name, "role": o.Role, "status": o.Status, "created_at": o.CreatedAt}
				fmt.Fprintf(&text, "%s\t%s\t%s\n", o.Name, o.Role, o.Status)
			}
			return printResult(env.stdout, *asJSON, map[string]any{"officers": list}, strings.TrimSuffix(text.String(), "\n"))
		})
	default:
		return fmt.Errorf("%w: unknown subcommand %q; %s", errUsage, args[0], usage)
	}
}

// issueOfficerCert issues an active officer's admin API client
// certificate from the officer CA, writes it and its key (mode 0600, never
// overwriting) into dir, and audits the issuance.
func issueOfficerCert(ctx context.Context, a *app, name, dir string) ([2]string, error) {
	var files [2]string
	if _, err := a.vetting.ActiveOfficer(ctx, name); err != nil {
		return files, err
	}
	oc, err := ca.IssueOfficerCert(a.cfg.CA.Dir, name, time.Now())
	if err != nil {
		return files, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return files, fmt.Errorf("--cert-dir: %w", err)
	}
	files = [2]string{filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")}
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			return files, fmt.Errorf("--cert-dir: %s exists (move the old files away first)", f)
		}
	}
	for i, data := range [][]byte{oc.CertPEM, oc.KeyPEM} {
		f, err := os.OpenFile(files[i], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return files, fmt.Errorf("--cert-dir: %w (move the old file away first)", err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return files, fmt.Errorf("--cert-dir: %w", err)
		}
	}
	return files, a.vetting.RecordOfficerCert(ctx, name, oc.Serial, oc.Expires, "cli")
}
