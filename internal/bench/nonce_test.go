package bench

import (
	"fmt"
	"testing"
)

func TestNoncePool(t *testing.T) {
	tests := []struct {
		name string
		put  []string
		want []string // successive takes, "" meaning empty
	}{
		{name: "empty", want: []string{""}},
		{name: "newest first", put: []string{"a", "b", "c"}, want: []string{"c", "b", "a", ""}},
		{name: "empty nonce ignored", put: []string{"a", "", "b"}, want: []string{"b", "a", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p noncePool
			for _, n := range tt.put {
				p.put(n)
			}
			for i, want := range tt.want {
				if got := p.take(); got != want {
					t.Errorf("take %d: got %q, want %q", i, got, want)
				}
			}
		})
	}
	t.Run("bounded, oldest dropped", func(t *testing.T) {
		var p noncePool
		for i := range maxPooledNonces + 10 {
			p.put(fmt.Sprint(i))
		}
		n := 0
		last := ""
		for v := p.take(); v != ""; v = p.take() {
			n++
			last = v
		}
		if n != maxPooledNonces {
			t.Errorf("pooled: got %d, want %d", n, maxPooledNonces)
		}
		if want := "10"; last != want {
			t.Errorf("oldest kept: got %q, want %q", last, want)
		}
	})
}
