package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBin makes dir with the given executable files.
func fakeBin(t *testing.T, dir string, names ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	all := []string{"initdb", "pg_ctl", "postgres"}
	onPath := fakeBin(t, filepath.Join(root, "path"), all...)
	partial := fakeBin(t, filepath.Join(root, "partial"), "initdb", "pg_ctl")
	fakeBin(t, filepath.Join(root, "lib", "13", "bin"), all...)
	v15 := fakeBin(t, filepath.Join(root, "lib", "15", "bin"), all...)
	fakeBin(t, filepath.Join(root, "lib", "16", "bin"), "initdb")
	glob := filepath.Join(root, "lib", "*", "bin")
	empty := filepath.Join(root, "none", "*", "bin")

	// lookIn finds initdb in the first of dirs that has it, as on a PATH.
	lookIn := func(dirs ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, d := range dirs {
				if _, err := os.Stat(filepath.Join(d, name)); err == nil {
					return filepath.Join(d, name), nil
				}
			}
			return "", errors.New("not found")
		}
	}
	tests := []struct {
		name    string
		path    func(string) (string, error)
		pattern string
		want    string // "" means errNoBinaries
	}{
		{"on PATH", lookIn(onPath, partial), glob, onPath},
		{"incomplete on PATH, newest complete under lib", lookIn(partial, onPath), glob, v15},
		{"nowhere", lookIn(partial), empty, ""},
		{"empty PATH", lookIn(), empty, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findBinDirIn(tt.path, tt.pattern)
			if tt.want == "" {
				if !errors.Is(err, errNoBinaries) {
					t.Fatalf("got %q, %v, want %v", got, err, errNoBinaries)
				}
				if !strings.Contains(err.Error(), "apt-get install postgresql-15") {
					t.Errorf("error %q does not say which package to install", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}
