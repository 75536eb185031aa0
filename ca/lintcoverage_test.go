package ca

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kakuin/kakuin/internal/linttest"
)

// TestLinttestAllowListsMatchTheCA holds the test suite's allow-lists
// (internal/linttest) equal to the CA's pre-issuance ones, so that the
// linter over what was issued accepts exactly the warnings the CA accepts
// before signing.
func TestLinttestAllowListsMatchTheCA(t *testing.T) {
	tests := []struct {
		name  string
		ca    map[string]string
		suite linttest.Allow
	}{
		{"allowedWarnings = linttest.Subscriber", allowedWarnings, linttest.Subscriber},
		{"devAllowedWarnings = linttest.Dev", devAllowedWarnings, linttest.Dev},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := slices.Sorted(maps.Keys(tt.suite.Warnings)), slices.Sorted(maps.Keys(tt.ca))
			if !slices.Equal(got, want) || len(tt.suite.Sources) != 0 {
				t.Errorf("got %v (sources %v), want %v", got, tt.suite.Sources, want)
			}
		})
	}
}

// TestIssueCallsGoThroughIssue keeps every certificate this package's
// tests make linted: Authority.Issue is called only by the issue helper
// (and by the benchmarks, which lint outside their timed loops), DevTLS
// only by the devTLS helper, Init only by initCA and sharedCA, which lint
// what it wrote, or by tests where it refuses.
func TestIssueCallsGoThroughIssue(t *testing.T) {
	allowed := map[string][]string{ // called function -> the functions that may call it
		"Issue":  {"issue", "BenchmarkIssue", "BenchmarkIssueParallel"},
		"DevTLS": {"devTLS"},
		"Init":   {"initCA", "sharedCA", "TestInitRefusesToOverwrite", "TestInitRejectsBadOptions"},
	}
	files, err := filepath.Glob("*_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("test files: got %v, %v", files, err)
	}
	fset := token.NewFileSet()
	calls := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var callee string
				switch f := call.Fun.(type) {
				case *ast.Ident:
					callee = f.Name
				case *ast.SelectorExpr:
					callee = f.Sel.Name
				}
				callers, guarded := allowed[callee]
				if !guarded {
					return true
				}
				calls++
				if !slices.Contains(callers, fn.Name.Name) {
					t.Errorf("%s: %s calls %s; issue certificates through %s, which lint them (internal/linttest)",
						fset.Position(call.Pos()), fn.Name.Name, callee, strings.Join(callers, " or "))
				}
				return true
			})
		}
	}
	if calls < len(allowed) {
		t.Errorf("found %d guarded calls, want at least %d: is the scan looking at the right files?", calls, len(allowed))
	}
}
