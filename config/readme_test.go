package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEHasReference checks that README.md carries the configuration
// reference: every table row of reference.md appears in it verbatim. After
// changing the configuration, regenerate reference.md and paste it into the
// README's "Configuration reference" section.
func TestREADMEHasReference(t *testing.T) {
	ref, err := os.ReadFile("reference.md")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(string(ref), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		rows++
		if !strings.Contains(string(readme), line) {
			t.Errorf("README.md lacks the reference row %q", line)
		}
	}
	if rows == 0 {
		t.Fatal("reference.md has no table rows")
	}
}
