package httpcache

import "testing"

func TestETagMatches(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`"x", "abc"`, true},
		{`*`, true},
		{`"abd"`, false},
		{`abc`, false},
		{``, false},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			if got := ETagMatches(tt.header, `"abc"`); got != tt.want {
				t.Errorf("ETagMatches(%q): got %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}
