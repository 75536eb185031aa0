package ocsp

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"
)

var cacheEpoch = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func testKey(i int) cacheKey {
	k := cacheKey{issuer: uint8(i % 2), hash: hashSHA1 + uint8(i/2%2)}
	binary.BigEndian.PutUint64(k.serial[12:], uint64(i))
	return k
}

func testResponse(rng *rand.Rand, size int) response {
	der := make([]byte, size)
	for i := range der {
		der[i] = byte(rng.IntN(256))
	}
	this := cacheEpoch.Add(time.Duration(rng.IntN(1000)) * time.Minute)
	return newResponse(der, this, this.Add(96*time.Hour))
}

// checkInvariants verifies that every indexed position holds its key's
// entry and lies within the last lap of the ring.
func checkInvariants(t *testing.T, c *cache) {
	t.Helper()
	for i := range c.shards {
		s := &c.shards[i]
		ringSize := uint64(len(s.ring))
		if s.tail > s.head {
			t.Fatalf("shard %d: tail %d beyond head %d", i, s.tail, s.head)
		}
		for k, pos := range s.index {
			e := s.ring[pos%ringSize:]
			size := uint64(binary.LittleEndian.Uint32(e))
			if pos < s.tail || pos+size > s.head || s.head-pos > ringSize {
				t.Fatalf("shard %d: key %v at %d (size %d) outside [tail %d, head %d]", i, k, pos, size, s.tail, s.head)
			}
			if e[8] != k.issuer || e[9] != k.hash || !bytes.Equal(e[10:30], k.serial[:]) {
				t.Fatalf("shard %d: position %d holds another key than %v", i, pos, k)
			}
		}
	}
}

// TestCacheAgainstModel drives the cache with random puts, gets and drops
// and checks each hit against the last response put for that key: a hit
// is never stale, never another key's, and the newest put always hits.
func TestCacheAgainstModel(t *testing.T) {
	for _, budget := range []int{minShardSize, 3 * minShardSize, 40 * minShardSize} {
		rng := rand.New(rand.NewPCG(1, uint64(budget)))
		c := newCache(budget)
		model := map[cacheKey]response{}
		var buf []byte
		for op := range 20000 {
			k := testKey(rng.IntN(400))
			switch rng.IntN(10) {
			case 0:
				c.drop(k.serial, 2)
				for i := range 2 {
					for _, h := range [...]uint8{hashSHA1, hashSHA256} {
						delete(model, cacheKey{issuer: uint8(i), hash: h, serial: k.serial})
					}
				}
				if _, ok := c.get(k, cacheEpoch, buf); ok {
					t.Fatalf("op %d: dropped key still cached", op)
				}
			case 1, 2, 3, 4:
				r := testResponse(rng, 50+rng.IntN(3000))
				c.put(k, r)
				model[k] = r
				got, ok := c.get(k, cacheEpoch, buf)
				if !ok {
					t.Fatalf("op %d (budget %d): the response just put is not cached", op, budget)
				}
				buf = got.der
			default:
				got, ok := c.get(k, cacheEpoch, buf)
				if !ok {
					continue
				}
				want, inModel := model[k]
				if !inModel {
					t.Fatalf("op %d: hit for a key never put or dropped", op)
				}
				if !bytes.Equal(got.der, want.der) || got.headers != want.headers ||
					!got.nextUpdate.Equal(want.nextUpdate) {
					t.Fatalf("op %d: got a response other than the last one put", op)
				}
				buf = got.der
			}
			if op%500 == 0 {
				checkInvariants(t, c)
			}
		}
		checkInvariants(t, c)
		if budget >= 40*minShardSize && c.len() < 300 {
			t.Errorf("budget %d holds %d responses, want most of the 400 keys", budget, c.len())
		}
	}
}

func TestCacheBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	c := newCache(4 * minShardSize)
	total := 0
	for i := range c.shards {
		total += len(c.shards[i].ring)
	}
	if total > 4*minShardSize {
		t.Fatalf("rings hold %d bytes, budget %d", total, 4*minShardSize)
	}
	for i := range 50000 {
		c.put(testKey(i), testResponse(rng, 800))
	}
	checkInvariants(t, c)
	// Every entry takes 864 bytes, so at most budget/864 stay indexed:
	// the index does not grow with the number of keys ever put.
	if got, most := c.len(), 4*minShardSize/(entryHeader+800); got > most || got < most/2 {
		t.Errorf("%d responses indexed, want between %d and %d", got, most/2, most)
	}
}

func TestCacheExpiry(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	c := newCache(minShardSize)
	r := testResponse(rng, 100)
	c.put(testKey(1), r)
	if _, ok := c.get(testKey(1), r.nextUpdate.Add(-time.Nanosecond), nil); !ok {
		t.Fatal("response before its nextUpdate not served")
	}
	if _, ok := c.get(testKey(1), r.nextUpdate, nil); ok {
		t.Fatal("response served at its nextUpdate")
	}
	if c.len() != 0 {
		t.Errorf("expired response still indexed")
	}
}

func TestCacheOversizeAndOff(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	c := newCache(minShardSize)
	c.put(testKey(1), testResponse(rng, minShardSize))
	if _, ok := c.get(testKey(1), cacheEpoch, nil); ok {
		t.Error("a response larger than a shard was cached")
	}
	off := newCache(-1)
	off.put(testKey(1), testResponse(rng, 100))
	if _, ok := off.get(testKey(1), cacheEpoch, nil); ok {
		t.Error("a disabled cache served a response")
	}
	off.drop(testKey(1).serial, 2)
}

// BenchmarkCacheGet measures a hit, copied into a reused buffer.
func BenchmarkCacheGet(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	c := newCache(64 << 20)
	for i := range 50000 {
		c.put(testKey(i), testResponse(rng, 800))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 2048)
		i := 0
		for pb.Next() {
			r, ok := c.get(testKey(i%50000), cacheEpoch, buf)
			if !ok {
				b.Fatal("miss")
			}
			buf = r.der
			i++
		}
	})
}
