package vetting

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeDirectory(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "directory.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFileDirectoryLookup(t *testing.T) {
	d, err := OpenFileDirectory(writeDirectory(t, `[
		{"country": "jp", "registration_number": "7000012050002", "name": "National Tax Agency", "address": "Chiyoda-ku", "phone": "03-3581-4161"},
		{"country": "JP", "name": "Example  Trading KK", "phone": "+81 6 1234 5678"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		q         DirectoryQuery
		wantPhone string
	}{
		{"by registration number", DirectoryQuery{Country: "JP", RegistrationNumber: "7000012050002", Name: "another name"}, "0335814161"},
		{"by name, case and spaces folded", DirectoryQuery{Country: "jp", Name: "example trading kk"}, "0612345678"},
		{"unknown number falls back to the name", DirectoryQuery{Country: "JP", RegistrationNumber: "9000000000000", Name: "Example Trading KK"}, "0612345678"},
		{"other country", DirectoryQuery{Country: "US", Name: "Example Trading KK"}, ""},
		{"not listed", DirectoryQuery{Country: "JP", Name: "Unlisted KK"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := d.Lookup(context.Background(), tt.q)
			if tt.wantPhone == "" {
				if !errors.Is(err, ErrNotListed) {
					t.Fatalf("got %+v, %v; want ErrNotListed", e, err)
				}
				return
			}
			if err != nil || e.Phone != tt.wantPhone || !strings.HasPrefix(e.Source, "file:") {
				t.Fatalf("got %+v, %v; want phone %s from the file", e, err, tt.wantPhone)
			}
		})
	}
}

func TestFileDirectoryRefusesBadFiles(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not JSON", `{"name": "x"}`, "not a JSON array"},
		{"bad check digit", `[{"country": "JP", "registration_number": "1000012050002", "name": "A KK", "phone": "03-1234-5678"}]`,
			`entry 1 ("A KK"): registration_number check digit does not match`},
		{"bad phone", `[{"country": "JP", "name": "A KK", "phone": "call us"}]`, `entry 1 ("A KK"): phone must hold only digits`},
		{"no country", `[{"name": "A KK", "phone": "03-1234-5678"}]`, "country must be a 2-letter code"},
		{"no name", `[{"country": "JP", "phone": "03-1234-5678"}]`, "name is required"},
		{"number twice", `[{"country": "JP", "registration_number": "7000012050002", "name": "A", "phone": "0312345678"},
			{"country": "JP", "registration_number": "7000012050002", "name": "B", "phone": "0312345678"}]`, "entry 2 (\"B\"): registration number 7000012050002 is listed twice"},
		{"name twice", `[{"country": "JP", "name": "A KK", "phone": "0312345678"}, {"country": "JP", "name": "a  kk", "phone": "0312345679"}]`,
			`entry 2 ("a  kk"): name is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenFileDirectory(writeDirectory(t, tt.content))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := OpenFileDirectory(filepath.Join(t.TempDir(), "absent.json")); err == nil || !strings.Contains(err.Error(), "absent.json") {
		t.Errorf("missing file: got %v, want an error naming it", err)
	}
}
