package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/linttest"
)

// caFiles are the files `kakuin init` writes into the CA directory.
var caFiles = []string{"root.pem", "root.key", "ov.pem", "ov.key", "ev.pem", "ev.key"}

// TestInit checks `kakuin init`: the CA hierarchy is created with private
// keys readable by the owner only, --json prints one object, and a second
// init is refused without touching the existing CA.
func TestInit(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	o := oneJSON(t, mustCLI(t, "init", "--data", dir, "--org", "Example Trust", "--country", "JP", "--json").stdout)
	if got := jsonString(o["dir"]); got != caDir {
		t.Errorf("init --json dir: got %q, want %q", got, caDir)
	}
	if got := jsonString(o["key_type"]); got != "ecdsa-p384" {
		t.Errorf("init --json key_type: got %q, want %q", got, "ecdsa-p384")
	}
	before := map[string][]byte{}
	for _, name := range caFiles {
		path := filepath.Join(caDir, name)
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.HasSuffix(name, ".key") && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode got %v, want 0600", name, fi.Mode().Perm())
		}
		before[name], _ = os.ReadFile(path)
	}
	block, _ := pem.Decode(before["root.pem"])
	if block == nil {
		t.Fatal("root.pem: no PEM block")
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("root.pem: %v", err)
	}
	if got := root.Subject.Organization; len(got) != 1 || got[0] != "Example Trust" {
		t.Errorf("root O: got %v, want [Example Trust]", got)
	}
	if !root.IsCA {
		t.Errorf("root: IsCA got false, want true")
	}
	// The root and the OV and EV issuing CAs pass zlint
	// (ca.TestInitCertificates checks their profile field by field).
	for _, name := range []string{"root.pem", "ov.pem", "ev.pem"} {
		linttest.PEM(t, before[name])
	}

	r := runCLI(t, "init", "--data", dir)
	if r.code != 1 {
		t.Errorf("second init: exit code got %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, "already initialized") || !strings.Contains(r.stderr, caDir) {
		t.Errorf("second init: stderr got %q, want it to say %s is already initialized", r.stderr, caDir)
	}
	if r.stdout != "" {
		t.Errorf("second init: stdout got %q, want nothing", r.stdout)
	}
	for _, name := range caFiles {
		if got, _ := os.ReadFile(filepath.Join(caDir, name)); !bytes.Equal(got, before[name]) {
			t.Errorf("second init changed %s", name)
		}
	}
}

// TestInitRefusals checks that `kakuin init` with bad arguments creates no
// CA at all and says what to fix.
func TestInitRefusals(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr []string
	}{
		{name: "unknown key type", args: []string{"--key-type", "ed25519"}, wantErr: []string{`"ed25519"`, "ecdsa-p384", "rsa-2048"}},
		{name: "3-letter country", args: []string{"--country", "JPN"}, wantErr: []string{`"JPN"`, "ISO 3166-1"}},
		{name: "ca.key_type in the config", args: []string{"--config", "KEYTYPE"}, wantErr: []string{"ca.key_type", "dsa-1024"}},
		{name: "organization with &", args: []string{"--org", "Smith & Sons"}, wantErr: []string{"'&'"}},
		{name: "organization with <", args: []string{"--org", "Evil <CA>"}, wantErr: []string{"'<'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"init", "--data", dir}, tt.args...)
			for i, a := range args {
				if a == "KEYTYPE" {
					cfg := filepath.Join(t.TempDir(), "kakuin.json")
					if err := os.WriteFile(cfg, []byte(`{"ca": {"key_type": "dsa-1024"}}`), 0o600); err != nil {
						t.Fatal(err)
					}
					args[i] = cfg
				}
			}
			r := runCLI(t, args...)
			_, statErr := os.Stat(filepath.Join(dir, "ca", "root.pem"))
			if r.code != 1 {
				t.Errorf("exit code: got %d, want 1\nstdout: %s", r.code, r.stdout)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr: got %q, want it to contain %q", r.stderr, want)
				}
			}
			if !errors.Is(statErr, fs.ErrNotExist) {
				t.Errorf("root.pem after a refused init: got %v, want it absent", statErr)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for a running command writing and
// the test reading at the same time.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveResult is what one in-process `kakuin serve` did.
type serveResult struct {
	cliResult
	// served: serve printed its banner (it listened) and was stopped
	// by the test.
	served bool
}

// serveInProcess runs `kakuin serve args...` in-process until it exits. Should it
// start serving instead (it prints its banner), the test stops it through
// its context and reports served, so that it never hangs.
func serveInProcess(t *testing.T, args ...string) serveResult {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, lookupEnv: func(string) (string, bool) { return "", false }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, env, append([]string{"serve"}, args...)) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	served := false
	for {
		select {
		case code := <-done:
			return serveResult{cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}, served}
		case <-tick.C:
			if !served && strings.Contains(stdout.String(), "kakuin is serving") {
				served = true
				cancel()
			}
		}
	}
}

// TestServeRefusals checks that `kakuin serve` refuses to start, before it
// listens, when the configuration is unsafe or the CA is missing.
func TestServeRefusals(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr []string
	}{
		{name: "bench-always-valid without dev", args: []string{"--bench-always-valid"},
			wantErr: []string{"validation.always_valid", "refused outside dev mode", "--bench-always-valid"}},
		{name: "no CA without dev", args: nil, wantErr: []string{"no CA hierarchy", "run `kakuin init` first"}},
		{name: "http01 port 8080 without dev", args: []string{"--http01-port", "8080"},
			wantErr: []string{"validation.http01_port", "must be 80 outside dev mode"}},
		{name: "bad listen address", args: []string{"--dev", "--listen", "localhost"}, wantErr: []string{"listen", "host:port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--data", dir, "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"}, tt.args...)
			r := serveInProcess(t, args...)
			if r.served {
				t.Fatalf("serve started listening, want a refusal\nstderr: %s", r.stderr)
			}
			if r.code != 1 {
				t.Errorf("exit code: got %d, want 1", r.code)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr: got %q, want it to contain %q", r.stderr, want)
				}
			}
			if strings.Contains(r.stdout, "kakuin is serving") {
				t.Errorf("stdout: got %q, want no serving banner", r.stdout)
			}
			for _, name := range caFiles {
				if _, err := os.Stat(filepath.Join(dir, "ca", name)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("ca/%s after a refused serve: got %v, want it absent (no CA created without --dev)", name, err)
				}
			}
		})
	}
}

// TestServeUnmigrated checks that `kakuin serve` without --dev (so without
// migrate_on_start) refuses a database that `kakuin migrate` has not set
// up, telling the operator to run it, instead of serving errors.
func TestServeUnmigrated(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, "init", "--data", dir)
	for _, name := range []string{"root.pem", "ov.pem", "ev.pem"} {
		data, err := os.ReadFile(filepath.Join(dir, "ca", name))
		if err != nil {
			t.Fatal(err)
		}
		linttest.PEM(t, data)
	}
	r := serveInProcess(t, "--data", dir, "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0")
	if r.served {
		t.Fatalf("serve without --dev on an unmigrated database started listening; want a refusal telling to run `kakuin migrate`")
	}
	if r.code != 1 {
		t.Errorf("exit code: got %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, "kakuin migrate") {
		t.Errorf("stderr: got %q, want it to tell to run `kakuin migrate`", r.stderr)
	}
}

// TestDatabaseFileMode checks that the embedded database, which holds the
// EAB HMAC keys, is readable by its owner only, even in a data directory
// the operator created with a looser mode.
func TestDatabaseFileMode(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "migrate", "--data", dir)
	fi, err := os.Stat(filepath.Join(dir, "kakuin.db"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("kakuin.db mode: got %v, want 0600 (it holds the EAB HMAC keys)", perm)
	}
}
