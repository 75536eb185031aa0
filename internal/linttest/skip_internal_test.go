package linttest

import (
	"slices"
	"testing"

	"github.com/zmap/zlint/v3/lint"
)

// TestSkippedLintsExist: every lint the checks skip exists in zlint, and
// only those are missing from the registry the checks run, so a renamed
// lint is noticed rather than silently run or silently skipped.
func TestSkippedLintsExist(t *testing.T) {
	all := lint.GlobalRegistry().Names()
	for name, why := range skipped {
		if !slices.Contains(all, name) || why == "" {
			t.Errorf("skipped lint %s (%q): not a zlint lint with a reason", name, why)
		}
	}
	if got, want := len(registry().Names()), len(all)-len(skipped); got != want {
		t.Errorf("registry: got %d lints, want %d (all %d but the skipped)", got, want, len(all))
	}
}
