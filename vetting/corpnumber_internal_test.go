package vetting

import (
	"strings"
	"testing"
)

func TestCheckCorporateNumber(t *testing.T) {
	tests := []struct {
		name, number, wantProblem string
	}{
		{"National Tax Agency", "7000012050002", ""},
		{"check digit 9", "9" + "000000000000", ""}, // Σ = 0: 9 - 0
		{"wrong check digit", "8000012050002", "check digit does not match"},
		{"swapped digits", "7000012500002", "check digit does not match"},
		{"12 digits", "000012050002", "13-digit corporate number"},
		{"14 digits", "70000120500020", "13-digit corporate number"},
		{"hyphens", "7-0000-1205-0002", "digits only"},
		{"full-width digits", "７００００１２０５０００２", "digits only"},
		{"empty", "", "13-digit corporate number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkCorporateNumber(tt.number)
			if (tt.wantProblem == "") != (got == "") || !strings.Contains(got, tt.wantProblem) {
				t.Errorf("checkCorporateNumber(%q): got %q, want %q", tt.number, got, tt.wantProblem)
			}
		})
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, in, want, wantProblem string
		mobile                      bool
	}{
		{"Tokyo landline", "03-1234-5678", "0312345678", "", false},
		{"parentheses and spaces", "(03) 1234 5678", "0312345678", "", false},
		{"international", "+81 3 1234 5678", "0312345678", "", false},
		{"international with trunk zero", "+81 (0)3-1234-5678", "0312345678", "", false},
		{"IP phone", "050-1234-5678", "05012345678", "", false},
		{"toll-free", "0120-123-456", "0120123456", "", false},
		{"mobile 090", "090-1234-5678", "09012345678", "", true},
		{"mobile 080", "+81 80 1234 5678", "08012345678", "", true},
		{"mobile 070", "07012345678", "07012345678", "", true},
		{"empty", " ", "", "is required", false},
		{"letters", "03-1234-ABCD", "", "only digits", false},
		{"too short", "03-1234", "", "10 or 11 digits", false},
		{"no leading zero", "312345678", "", "10 or 11 digits", false},
		{"foreign", "+1 212 555 0100", "", "Japanese number", false},
		{"plus inside", "03+1234", "", "only digits", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := normalizePhone(tt.in)
			if got != tt.want || !strings.Contains(problem, tt.wantProblem) || (tt.wantProblem == "") != (problem == "") {
				t.Errorf("normalizePhone(%q): got %q, %q; want %q, %q", tt.in, got, problem, tt.want, tt.wantProblem)
			}
			if got != "" && isMobile(got) != tt.mobile {
				t.Errorf("isMobile(%q): got %v, want %v", got, !tt.mobile, tt.mobile)
			}
		})
	}
}
