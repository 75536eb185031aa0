package ocsp

import (
	"container/list"
	"sync"
	"time"
)

// cached is one response ready to serve.
type cached struct {
	key        string // hash byte + serial
	serial     string
	der        []byte
	etag       string
	thisUpdate time.Time
	nextUpdate time.Time
	// Header values that do not change, formatted once.
	lastModified, expires, length []string
}

// cache is a byte-bounded LRU of responses. Entries are dropped when the
// store reports their serial changed (Responder.Run), when they pass
// their nextUpdate, and when the budget needs room.
type cache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	lru      *list.List               // of *cached, most recent first
	byKey    map[string]*list.Element // key -> element
	bySerial map[string][]string      // serial -> keys
}

func newCache(maxBytes int) *cache {
	return &cache{maxBytes: maxBytes, lru: list.New(), byKey: map[string]*list.Element{}, bySerial: map[string][]string{}}
}

// size is an entry's share of the budget: the DER plus bookkeeping.
func (c *cached) size() int { return len(c.der) + len(c.key) + len(c.serial) + len(c.etag) + 320 }

func (c *cache) get(key string, now time.Time) *cached {
	if c.maxBytes <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil
	}
	e := el.Value.(*cached)
	if !now.Before(e.nextUpdate) {
		c.remove(el)
		return nil
	}
	c.lru.MoveToFront(el)
	return e
}

func (c *cache) put(e *cached) {
	if c.maxBytes <= 0 || e.size() > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[e.key]; ok {
		c.remove(el)
	}
	c.byKey[e.key] = c.lru.PushFront(e)
	c.bySerial[e.serial] = append(c.bySerial[e.serial], e.key)
	c.bytes += e.size()
	for c.bytes > c.maxBytes {
		c.remove(c.lru.Back())
	}
}

// drop forgets every cached response of the serials.
func (c *cache) drop(serials []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range serials {
		for _, k := range c.bySerial[s] {
			if el, ok := c.byKey[k]; ok {
				c.remove(el)
			}
		}
		delete(c.bySerial, s)
	}
}

// remove unlinks el; c.mu is held.
func (c *cache) remove(el *list.Element) {
	e := el.Value.(*cached)
	c.lru.Remove(el)
	delete(c.byKey, e.key)
	c.bytes -= e.size()
	keys := c.bySerial[e.serial]
	for i, k := range keys {
		if k == e.key {
			keys = append(keys[:i], keys[i+1:]...)
			break
		}
	}
	if len(keys) == 0 {
		delete(c.bySerial, e.serial)
	} else {
		c.bySerial[e.serial] = keys
	}
}

func (c *cache) stats() (entries, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}
