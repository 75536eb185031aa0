package ocsp

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/httpcache"
)

// crlMaxAge is how long HTTP caches may keep a CRL: CRLs are re-signed
// within a minute of a revocation, so a longer cache would hide it.
const crlMaxAge = 60

// PartitionsPath is where the JSON array of every CRL partition URL is
// published (what CCADB asks a CA to disclose for partitioned CRLs).
const PartitionsPath = "/crl/partitions.json"

// CRLPublisher serves the CRL partitions at the URLs certificates name
// (ca.CRLPath) and their list at PartitionsPath. It is an http.Handler
// for /crl/.
type CRLPublisher struct {
	reader  Reader
	baseURL string
	log     *slog.Logger

	mu     sync.Mutex
	cached map[ShardRef]*StoredCRL // the last CRL served per partition
}

// NewCRLPublisher returns a publisher whose partition list names URLs
// under baseURL (the plain-HTTP base URL certificates use).
func NewCRLPublisher(reader Reader, baseURL string, log *slog.Logger) *CRLPublisher {
	if log == nil {
		log = slog.Default()
	}
	return &CRLPublisher{reader: reader, baseURL: strings.TrimRight(baseURL, "/"), log: log, cached: map[ShardRef]*StoredCRL{}}
}

// ServeHTTP serves GET and HEAD of /crl/<issuer>/<shard>.crl as
// application/pkix-crl (RFC 5280 §4.2.1.13, RFC 2585 §4.2) and of
// PartitionsPath; a partition that does not exist is 404.
func (p *CRLPublisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == PartitionsPath {
		p.servePartitions(w, r)
		return
	}
	ref, ok := parseCRLPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	crl, err := p.current(r, ref)
	if errors.Is(err, ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		p.log.ErrorContext(r.Context(), "ocsp: reading CRL", "issuer", ref.IssuerID, "shard", ref.Shard, "err", err)
		http.Error(w, "CRL temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	etag := fmt.Sprintf(`"%s-%d-%d"`, ref.IssuerID, ref.Shard, crl.Number)
	h := w.Header()
	h.Set("Content-Type", "application/pkix-crl")
	h.Set("Cache-Control", fmt.Sprintf("max-age=%d, public, no-transform, must-revalidate", crlMaxAge))
	h.Set("Last-Modified", crl.ThisUpdate.UTC().Format(http.TimeFormat))
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && httpcache.ETagMatches(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && r.Header.Get("If-None-Match") == "" &&
		!crl.ThisUpdate.Truncate(time.Second).After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(crl.DER)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(crl.DER)
}

// current returns the partition's current CRL, from memory when its
// number has not changed (CRLs can be tens of megabytes).
func (p *CRLPublisher) current(r *http.Request, ref ShardRef) (*StoredCRL, error) {
	n, err := p.reader.CRLNumber(r.Context(), ref.IssuerID, ref.Shard)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	c := p.cached[ref]
	p.mu.Unlock()
	if c != nil && c.Number == n {
		return c, nil
	}
	c, err = p.reader.CRL(r.Context(), ref.IssuerID, ref.Shard)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if old := p.cached[ref]; old == nil || old.Number < c.Number {
		p.cached[ref] = c
	}
	p.mu.Unlock()
	return c, nil
}

// servePartitions writes the JSON array of every partition's URL.
func (p *CRLPublisher) servePartitions(w http.ResponseWriter, r *http.Request) {
	refs, err := p.reader.CRLShards(r.Context())
	if err != nil {
		p.log.ErrorContext(r.Context(), "ocsp: listing CRL partitions", "err", err)
		http.Error(w, "CRL list temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	urls := make([]string, 0, len(refs))
	for _, ref := range refs {
		urls = append(urls, p.baseURL+ca.CRLPath(ref.IssuerID, ref.Shard))
	}
	body, _ := json.Marshal(urls) // cannot fail
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "max-age=300, public")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(append(body, '\n'))
}

// parseCRLPath reads /crl/<issuer>/<shard>.crl, the shape ca.CRLPath
// writes, with a canonical decimal shard.
func parseCRLPath(path string) (ShardRef, bool) {
	rest, ok := strings.CutPrefix(path, "/crl/")
	if !ok {
		return ShardRef{}, false
	}
	issuer, file, ok := strings.Cut(rest, "/")
	if !ok || issuer == "" || strings.Contains(file, "/") {
		return ShardRef{}, false
	}
	num, ok := strings.CutSuffix(file, ".crl")
	if !ok {
		return ShardRef{}, false
	}
	shard, err := strconv.Atoi(num)
	if err != nil || shard < 0 || shard >= ca.MaxCRLShards || strconv.Itoa(shard) != num {
		return ShardRef{}, false
	}
	return ShardRef{IssuerID: issuer, Shard: shard}, true
}
