package bench

import (
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

func TestNameGen(t *testing.T) {
	tests := []struct {
		name   string
		domain string
		per    int
		flows  int
	}{
		{name: "one name per order", domain: "bench.example.jp", per: 1, flows: 50},
		{name: "many names per order", domain: "example.com", per: 7, flows: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newNameGen(tt.domain, tt.per)
			seen := map[string]bool{}
			for range tt.flows {
				names := g.next()
				if len(names) != tt.per {
					t.Fatalf("names per flow: got %d, want %d", len(names), tt.per)
				}
				for _, n := range names {
					if seen[n] {
						t.Errorf("name %q repeated", n)
					}
					seen[n] = true
					if !strings.HasSuffix(n, "."+tt.domain) {
						t.Errorf("name %q: not under %q", n, tt.domain)
					}
					if _, err := idna.Registration.ToASCII(n); err != nil {
						t.Errorf("name %q: not a valid host name: %v", n, err)
					}
				}
			}
		})
	}
	t.Run("runs differ", func(t *testing.T) {
		a, b := newNameGen("example.com", 1).next()[0], newNameGen("example.com", 1).next()[0]
		if a == b {
			t.Errorf("two runs both began with %q, want different names", a)
		}
	})
}
