package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunBenchArguments(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const directory = "https://127.0.0.1:1/acme/directory"
	tests := []struct {
		name      string
		args      []string
		wantErr   string // substring of the error
		wantUsage bool   // whether the error is a usage error
	}{
		{name: "help", args: []string{"-h"}, wantErr: flag.ErrHelp.Error()},
		{name: "no directory", args: nil, wantErr: "--directory is required", wantUsage: true},
		{name: "directory not a URL", args: []string{"--directory", "127.0.0.1:14000"}, wantErr: "not an http(s) URL", wantUsage: true},
		{name: "directory ftp", args: []string{"--directory", "ftp://127.0.0.1/dir"}, wantErr: "not an http(s) URL", wantUsage: true},
		{name: "unknown flag", args: []string{"--directory", directory, "--nope"}, wantErr: "not defined", wantUsage: true},
		{name: "positional argument", args: []string{"--directory", directory, "extra"}, wantErr: `unexpected argument "extra"`, wantUsage: true},
		{name: "ca-file and insecure", args: []string{"--directory", directory, "--insecure", "--ca-file", notPEM}, wantErr: "exclude each other", wantUsage: true},
		{name: "missing ca-file", args: []string{"--directory", directory, "--ca-file", filepath.Join(dir, "absent.pem")}, wantErr: "no such file"},
		{name: "ca-file without certificate", args: []string{"--directory", directory, "--ca-file", notPEM}, wantErr: "holds no PEM certificate"},
		{name: "zero concurrency", args: []string{"--directory", directory, "--insecure", "-c", "0"}, wantErr: "bench: concurrency"},
		{name: "EAB key ID alone", args: []string{"--directory", directory, "--insecure", "--eab-kid", "k"}, wantErr: "bench: EAB"},
		{name: "server unreachable", args: []string{"--directory", directory, "--insecure", "-d", "1s"}, wantErr: "bench: directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := &cliEnv{stdout: &stdout, stderr: &stderr, lookupEnv: func(string) (string, bool) { return "", false }}
			err := runBench(context.Background(), env, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if got := errors.Is(err, errUsage); got != tt.wantUsage {
				t.Errorf("usage error: got %v, want %v", got, tt.wantUsage)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: got %q, want nothing", stdout.String())
			}
		})
	}
}
