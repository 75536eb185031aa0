package bench

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
)

// nameGen makes DNS names no earlier run has used, so that every flow
// validates afresh instead of reusing a valid authorization: a random
// per-run label plus a per-flow counter.
type nameGen struct {
	run    string
	domain string
	per    int
	seq    atomic.Int64
}

// newNameGen returns a generator of per names under domain for each flow.
func newNameGen(domain string, per int) *nameGen {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return &nameGen{run: hex.EncodeToString(b[:]), domain: domain, per: per}
}

// next returns the names of the next flow: n<i>-<flow>-<run>.<domain>.
func (g *nameGen) next() []string {
	n := g.seq.Add(1)
	out := make([]string, g.per)
	for i := range out {
		out[i] = fmt.Sprintf("n%d-%d-%s.%s", i, n, g.run, g.domain)
	}
	return out
}
