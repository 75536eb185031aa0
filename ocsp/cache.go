package ocsp

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"
)

// The response cache keeps signed responses in ring buffers of bytes,
// indexed by maps whose keys and values hold no pointers, the design of
// freecache and bigcache: however many responses it holds, the garbage
// collector has a handful of objects to mark instead of several per
// response. With 100,000 certificates the pointer-rich LRU it replaces
// made each GC cycle mark for ~90 ms, which set the responder's p99.
//
// Eviction is first in, first out: writing a response overwrites the
// oldest ones in its shard. Responses are also forgotten when the store
// reports their serial changed (drop) and when they pass nextUpdate.

// cacheKey identifies one response: which issuer and CertID hash the
// request named, and the serial (ca.SerialHex's 20 octets).
type cacheKey struct {
	issuer uint8
	hash   uint8
	serial [serialLen]byte
}

const serialLen = 20

// cacheKey.hash values.
const (
	hashSHA1   = 1
	hashSHA256 = 2
)

// Entry layout in a ring: a fixed header, then the DER.
//
//	0   size       uint32, the whole entry; 0 marks padding to the ring's end
//	4   derLen     uint32
//	8   issuer     uint8
//	9   hash       uint8
//	10  serial     [20]byte
//	32  nextUpdate int64 Unix nanoseconds
//	40  headers    response.headers, formatted once
const entryHeader = 40 + headersLen + 4 // padded to 8 bytes

// Shard sizing: a ring must hold the largest response, and more shards
// than the budget can fill only waste it.
const (
	maxShards    = 16
	minShardSize = 64 << 10
)

type cache struct {
	seed   maphash.Seed // picks a key's shard
	shards []cacheShard
}

type cacheShard struct {
	mu    sync.Mutex
	index map[cacheKey]uint64 // key -> absolute position of its entry
	ring  []byte
	head  uint64 // absolute position of the next entry
	tail  uint64 // absolute position of the oldest entry not yet evicted
}

// newCache returns a cache of at most maxBytes of entries, or one that
// holds nothing when maxBytes is not positive.
func newCache(maxBytes int) *cache {
	c := &cache{seed: maphash.MakeSeed()}
	if maxBytes <= 0 {
		return c
	}
	n := min(maxShards, max(1, maxBytes/minShardSize))
	c.shards = make([]cacheShard, n)
	rings := allocRings(&c.shards[0], n, maxBytes/n)
	for i := range c.shards {
		c.shards[i] = cacheShard{index: map[cacheKey]uint64{}, ring: rings[i]}
	}
	return c
}

func (c *cache) shard(k cacheKey) *cacheShard {
	return &c.shards[maphash.Bytes(c.seed, k.serial[:])%uint64(len(c.shards))]
}

// get copies k's response into dst and returns it, or reports false when
// k is not cached or its response has passed nextUpdate at now.
func (c *cache) get(k cacheKey, now time.Time, dst []byte) (response, bool) {
	if len(c.shards) == 0 {
		return response{}, false
	}
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	pos, ok := s.index[k]
	if !ok {
		return response{}, false
	}
	e := s.ring[pos%uint64(len(s.ring)):]
	r := response{nextUpdate: time.Unix(0, int64(binary.LittleEndian.Uint64(e[32:])))}
	if !now.Before(r.nextUpdate) {
		delete(s.index, k)
		return response{}, false
	}
	copy(r.headers[:], e[40:])
	r.der = append(dst[:0], e[entryHeader:entryHeader+binary.LittleEndian.Uint32(e[4:])]...)
	return r, true
}

// put stores r under k, evicting the oldest entries of k's shard to make
// room. A response larger than a shard is not cached.
func (c *cache) put(k cacheKey, r response) {
	if len(c.shards) == 0 {
		return
	}
	s := c.shard(k)
	size := uint64(entryHeader + len(r.der))
	ringSize := uint64(len(s.ring))
	if size > ringSize {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start, off := s.head, s.head%ringSize
	if off+size > ringSize {
		// Entries never wrap: pad to the ring's end and start over.
		start += ringSize - off
		off = 0
	}
	// Free what the padding and the entry overwrite, then mark the
	// padding so evict steps over it on the next lap.
	if start+size > ringSize {
		s.evict(start + size - ringSize)
	}
	if pad := s.head % ringSize; start != s.head && ringSize-pad >= entryHeader {
		binary.LittleEndian.PutUint32(s.ring[pad:], 0)
	}
	e := s.ring[off : off+size]
	binary.LittleEndian.PutUint32(e[0:], uint32(size))
	binary.LittleEndian.PutUint32(e[4:], uint32(len(r.der)))
	e[8], e[9] = k.issuer, k.hash
	copy(e[10:30], k.serial[:])
	binary.LittleEndian.PutUint64(e[32:], uint64(r.nextUpdate.UnixNano()))
	copy(e[40:], r.headers[:])
	copy(e[entryHeader:], r.der)
	s.index[k] = start
	s.head = start + size
}

// evict forgets every entry that starts before limit; s.mu is held.
func (s *cacheShard) evict(limit uint64) {
	ringSize := uint64(len(s.ring))
	for s.tail < s.head && s.tail < limit {
		off := s.tail % ringSize
		if ringSize-off < entryHeader {
			s.tail += ringSize - off // too short for an entry: padding
			continue
		}
		e := s.ring[off:]
		size := uint64(binary.LittleEndian.Uint32(e))
		if size == 0 {
			s.tail += ringSize - off
			continue
		}
		k := cacheKey{issuer: e[8], hash: e[9]}
		copy(k.serial[:], e[10:30])
		if pos, ok := s.index[k]; ok && pos == s.tail {
			delete(s.index, k)
		}
		s.tail += size
	}
}

// drop forgets the responses of serial for every issuer and hash.
func (c *cache) drop(serial [serialLen]byte, issuers int) {
	if len(c.shards) == 0 {
		return
	}
	for i := range issuers {
		for _, h := range [...]uint8{hashSHA1, hashSHA256} {
			k := cacheKey{issuer: uint8(i), hash: h, serial: serial}
			s := c.shard(k)
			s.mu.Lock()
			delete(s.index, k)
			s.mu.Unlock()
		}
	}
}

// len reports how many responses are cached.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.index)
		s.mu.Unlock()
	}
	return n
}
