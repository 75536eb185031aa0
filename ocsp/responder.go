package ocsp

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/httpcache"
)

// UnknownSigner signs "unknown" responses for serials an issuer never
// issued. *ca.Authority implements it.
type UnknownSigner interface {
	SignOCSPUnknown(ctx context.Context, issuerID string, serial *big.Int, hash crypto.Hash, validity time.Duration) ([]byte, time.Time, time.Time, error)
}

// Defaults of ResponderOptions.
const (
	DefaultCacheBytes = 64 << 20
	// unknownValidity is how long an "unknown" response is valid, and
	// unknownMaxAge how long HTTP caches may keep it: short, because a
	// replica that lags behind may answer unknown for a certificate issued
	// a moment ago.
	unknownValidity = time.Hour
	unknownMaxAge   = 5 * time.Minute
	// maxUnknownSigning bounds concurrent on-the-fly signatures; beyond it
	// the answer is tryLater, so a flood of made-up serials cannot take
	// the CPU.
	maxUnknownSigning = 2
	// changePoll is how often the responder asks the store which responses
	// changed, to drop its cached copies; changeOverlap re-reads a window
	// before the last change seen, for writes that committed late.
	changePoll    = 500 * time.Millisecond
	changeOverlap = 5 * time.Second
	changeBatch   = 10000
)

// ResponderOptions configures a Responder.
type ResponderOptions struct {
	Reader Reader
	// Issuers are the issuing CA certificates by issuer id ("ov", "ev"):
	// a request's issuer hashes pick one.
	Issuers map[string]*x509.Certificate
	// Unknown, when set, signs "unknown" for serials never issued; nil
	// answers those with unauthorized (RFC 5019 §2.2.3), as a responder
	// without keys must.
	Unknown UnknownSigner
	// CacheBytes bounds the in-memory response cache. Default
	// DefaultCacheBytes; negative turns the cache off.
	CacheBytes int
	Clock      func() time.Time
	Logger     *slog.Logger
}

// Responder answers OCSP requests (RFC 6960, RFC 5019) from stored
// responses. It is an http.Handler for POST /ocsp and GET /ocsp/{base64}.
type Responder struct {
	reader   Reader
	issuers  map[issuerKey]issuerRef // CertID issuer hashes -> issuer
	nIssuers int
	unknown  UnknownSigner
	sem      chan struct{}
	cache    *cache
	clock    func() time.Time
	log      *slog.Logger
}

// issuerKey is an issuer's CertID half for one hash algorithm, its
// hashes zero-padded to SHA-256's size: a key built with no allocation.
type issuerKey struct {
	hash              crypto.Hash
	nameHash, keyHash [sha256.Size]byte
}

func newIssuerKey(hash crypto.Hash, nameHash, keyHash []byte) issuerKey {
	k := issuerKey{hash: hash}
	copy(k.nameHash[:], nameHash)
	copy(k.keyHash[:], keyHash)
	return k
}

// issuerRef is an issuer as the responder knows it: its id, and its
// index in cache keys.
type issuerRef struct {
	id  string
	idx uint8
}

// NewResponder returns a Responder.
func NewResponder(opts ResponderOptions) (*Responder, error) {
	if opts.Reader == nil || len(opts.Issuers) == 0 {
		return nil, errors.New("ocsp: ResponderOptions.Reader and Issuers are required")
	}
	if len(opts.Issuers) > math.MaxUint8 {
		return nil, fmt.Errorf("ocsp: %d issuers, at most %d", len(opts.Issuers), math.MaxUint8)
	}
	rs := &Responder{reader: opts.Reader, issuers: map[issuerKey]issuerRef{}, nIssuers: len(opts.Issuers),
		unknown: opts.Unknown, sem: make(chan struct{}, maxUnknownSigning), clock: opts.Clock, log: opts.Logger}
	for i, id := range slices.Sorted(maps.Keys(opts.Issuers)) {
		halves, err := ca.CertIDIssuers(opts.Issuers[id])
		if err != nil {
			return nil, fmt.Errorf("ocsp: issuer %s: %w", id, err)
		}
		for _, h := range halves {
			rs.issuers[newIssuerKey(h.Hash, h.NameHash, h.KeyHash)] = issuerRef{id: id, idx: uint8(i)}
		}
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	rs.cache = newCache(opts.CacheBytes)
	if rs.clock == nil {
		rs.clock = time.Now
	}
	if rs.log == nil {
		rs.log = slog.Default()
	}
	return rs, nil
}

// Error responses (RFC 6960 §4.2.1): an OCSPResponse with only a status.
var (
	respMalformed    = []byte{0x30, 0x03, 0x0a, 0x01, 0x01}
	respInternal     = []byte{0x30, 0x03, 0x0a, 0x01, 0x02}
	respTryLater     = []byte{0x30, 0x03, 0x0a, 0x01, 0x03}
	respUnauthorized = []byte{0x30, 0x03, 0x0a, 0x01, 0x06}
)

const (
	contentTypeRequest  = "application/ocsp-request"
	contentTypeResponse = "application/ocsp-response"
)

// ServeHTTP implements the OCSP HTTP binding (RFC 6960 Appendix A, RFC
// 5019 §5): POST with the DER request as body, GET and HEAD with the
// base64 request as the last path segment (URL-encoded or not; a "/"
// inside the base64 is part of it).
func (rs *Responder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var der []byte
	switch r.Method {
	case http.MethodPost:
		if ct := r.Header.Get("Content-Type"); ct != "" && !strings.EqualFold(strings.TrimSpace(strings.Split(ct, ";")[0]), contentTypeRequest) {
			rs.fail(w, r, http.StatusUnsupportedMediaType, respMalformed, "Content-Type "+ct+" is not "+contentTypeRequest)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestSize))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			rs.fail(w, r, http.StatusRequestEntityTooLarge, respMalformed, fmt.Sprintf("request body over %d bytes", maxRequestSize))
			return
		}
		if err != nil {
			rs.fail(w, r, http.StatusBadRequest, respMalformed, "reading the request: "+err.Error())
			return
		}
		der = body
	case http.MethodGet, http.MethodHead:
		b64, ok := strings.CutPrefix(r.URL.Path, "/ocsp/")
		if !ok || b64 == "" {
			rs.fail(w, r, http.StatusOK, respMalformed, "GET needs the base64 request after /ocsp/")
			return
		}
		if len(b64) > maxRequestSize*4/3+4 {
			rs.fail(w, r, http.StatusRequestURITooLong, respMalformed, "request path too long")
			return
		}
		var err error
		if der, err = decodeBase64(b64); err != nil {
			rs.fail(w, r, http.StatusOK, respMalformed, "GET path is not base64: "+err.Error())
			return
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rs.answer(w, r, der)
}

// decodeBase64 reads standard base64, padded or not, and tolerates the
// URL-safe alphabet some clients use.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// answer serves the response for one DER request.
func (rs *Responder) answer(w http.ResponseWriter, r *http.Request, der []byte) {
	ctx := r.Context()
	id, err := parseRequest(der)
	if err != nil {
		rs.fail(w, r, http.StatusOK, respMalformed, err.Error())
		return
	}
	issuer, ok := rs.issuers[newIssuerKey(id.hash, id.nameHash, id.keyHash)]
	if !ok {
		rs.fail(w, r, http.StatusOK, respUnauthorized, "issuer not served here")
		return
	}
	now := rs.clock()
	// The key names the issuer the request asked about: a response cached
	// for a serial of one issuer must never answer for another.
	key, cacheable := responseKey(issuer.idx, id)
	if cacheable {
		buf := bufPool.Get().(*[]byte)
		defer bufPool.Put(buf)
		if resp, ok := rs.cache.get(key, now, *buf); ok {
			*buf = resp.der[:0]
			rs.write(w, r, resp, now, 0)
			return
		}
	}
	serial := serialKey(id.serial)
	stored, err := rs.reader.OCSPResponse(ctx, serial)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && stored.IssuerID != issuer.id):
		rs.answerUnknown(w, r, issuer.id, id, serial, now)
		return
	case err != nil && ctx.Err() != nil:
		return // the client went away
	case err != nil:
		rs.log.ErrorContext(ctx, "ocsp: reading response", "serial", serial, "err", err)
		rs.fail(w, r, http.StatusOK, respTryLater, "store unavailable")
		return
	}
	der = stored.SHA1
	if id.hash == crypto.SHA256 {
		der = stored.SHA256
	}
	resp := newResponse(der, stored.ThisUpdate, stored.NextUpdate)
	if !now.Before(resp.nextUpdate) {
		// Never serve a response past its nextUpdate (RFC 5019 §4).
		// Expected for an expired certificate (responses are no longer
		// refreshed); for a valid one the status service is not running.
		rs.log.DebugContext(ctx, "ocsp: stored response past its nextUpdate", "serial", serial)
		rs.fail(w, r, http.StatusOK, respTryLater, "response expired")
		return
	}
	if cacheable {
		rs.cache.put(key, resp)
	}
	rs.write(w, r, resp, now, 0)
}

// bufPool holds the buffers cached responses are copied into.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// responseKey is the cache key of a request to issuer, or false for a
// serial no certificate can have (not positive, or over 20 octets).
func responseKey(issuer uint8, id *certID) (cacheKey, bool) {
	k := cacheKey{issuer: issuer, hash: hashSHA1}
	if id.hash == crypto.SHA256 {
		k.hash = hashSHA256
	}
	if id.serial.Sign() <= 0 || id.serial.BitLen() > 8*serialLen {
		return k, false
	}
	id.serial.FillBytes(k.serial[:])
	return k, true
}

// answerUnknown answers a serial the issuer never issued: "unknown" when
// the responder can sign, unauthorized otherwise (never "good").
func (rs *Responder) answerUnknown(w http.ResponseWriter, r *http.Request, issuerID string, id *certID, serial string, now time.Time) {
	if rs.unknown == nil {
		rs.fail(w, r, http.StatusOK, respUnauthorized, "serial not issued by "+issuerID)
		return
	}
	select {
	case rs.sem <- struct{}{}:
		defer func() { <-rs.sem }()
	default:
		rs.fail(w, r, http.StatusOK, respTryLater, "too many unknown serials at once")
		return
	}
	der, this, next, err := rs.unknown.SignOCSPUnknown(r.Context(), issuerID, id.serial, id.hash, unknownValidity)
	if err != nil {
		rs.log.ErrorContext(r.Context(), "ocsp: signing unknown", "serial", serial, "err", err)
		rs.fail(w, r, http.StatusOK, respInternal, "signing failed")
		return
	}
	rs.write(w, r, newResponse(der, this, next), now, unknownMaxAge)
}

// serialKey formats a CertID serial as the store keys certificates; a
// negative or oversized serial gets a key no certificate has.
func serialKey(n *big.Int) string {
	if n.Sign() <= 0 || n.BitLen() > 8*serialLen {
		return "invalid:" + n.String()
	}
	return ca.SerialHex(n)
}

// response is one signed response ready to serve.
type response struct {
	der        []byte
	nextUpdate time.Time
	// headers holds the header values that do not change, formatted
	// once: Last-Modified (thisUpdate), Expires (nextUpdate) and ETag (the
	// first half of the DER's SHA-256).
	headers [headersLen]byte
}

// Layout of response.headers. http.TimeFormat is fixed-width in UTC.
const (
	timeLen    = 29 // len(http.TimeFormat); newResponse checks it
	etagLen    = 2 + 2*16
	headersLen = 2*timeLen + etagLen
	expiresAt  = timeLen
	etagAt     = 2 * timeLen
)

func newResponse(der []byte, this, next time.Time) response {
	r := response{der: der, nextUpdate: next}
	sum := sha256.Sum256(der)
	b := this.UTC().AppendFormat(r.headers[:0], http.TimeFormat)
	b = next.UTC().AppendFormat(b, http.TimeFormat)
	b = append(b, '"')
	b = hex.AppendEncode(b, sum[:16])
	b = append(b, '"')
	if len(b) != headersLen {
		panic("ocsp: response headers are not fixed-width") // a year past 9999
	}
	return r
}

// Header values shared by every response. Headers are set by direct map
// assignment with canonical keys: the responder's hot path.
var (
	hdrContentType = []string{contentTypeResponse}
)

// write sends a successful response with the RFC 5019 §6 caching headers:
// max-age no later than nextUpdate (capped by maxAge when positive),
// Last-Modified thisUpdate, Expires nextUpdate, and an ETag that
// If-None-Match can match for a 304.
func (rs *Responder) write(w http.ResponseWriter, r *http.Request, resp response, now time.Time, maxAge time.Duration) {
	age := resp.nextUpdate.Sub(now)
	if maxAge > 0 {
		age = min(age, maxAge)
	}
	// Every value is a substring of one string, in one array: two
	// allocations per response.
	var buf [headersLen + 96]byte
	b := append(buf[:0], resp.headers[:]...)
	b = append(b, "max-age="...)
	b = strconv.AppendInt(b, int64(max(0, age/time.Second)), 10)
	b = append(b, ", public, no-transform, must-revalidate"...)
	lengthAt := len(b)
	b = strconv.AppendInt(b, int64(len(resp.der)), 10)
	text := string(b)
	v := new([5]string)
	v[0], v[1], v[2] = text[:expiresAt], text[expiresAt:etagAt], text[etagAt:headersLen]
	v[3], v[4] = text[headersLen:lengthAt], text[lengthAt:]
	h := w.Header()
	h["Content-Type"] = hdrContentType
	h["Last-Modified"] = v[0:1:1]
	h["Expires"] = v[1:2:2]
	h["Etag"] = v[2:3:3]
	h["Cache-Control"] = v[3:4:4]
	if match := r.Header.Get("If-None-Match"); match != "" && httpcache.ETagMatches(match, v[2]) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Length"] = v[4:5:5]
	if r.Method == http.MethodHead {
		return
	}
	w.Write(resp.der)
}

// fail sends an unsuccessful OCSPResponse (never cached) and logs why.
func (rs *Responder) fail(w http.ResponseWriter, r *http.Request, code int, body []byte, why string) {
	rs.log.DebugContext(r.Context(), "ocsp request refused", "status", code, "response_status", body[4], "reason", why)
	h := w.Header()
	h.Set("Content-Type", contentTypeResponse)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// Run drops cached responses the store reports changed (a revocation, a
// refresh, by any process) until ctx ends, polling every changePoll.
func (rs *Responder) Run(ctx context.Context) {
	since := rs.clock().Add(-changeOverlap)
	t := time.NewTicker(changePoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		serials, newest, err := rs.reader.OCSPChangedSince(ctx, since, changeBatch)
		if err != nil {
			if ctx.Err() == nil {
				rs.log.WarnContext(ctx, "ocsp: polling changed responses", "err", err)
			}
			continue
		}
		for _, serial := range serials {
			var b [serialLen]byte
			// ca.SerialHex's 40 digits; anything else was never cached.
			if len(serial) != hex.EncodedLen(serialLen) {
				continue
			}
			if _, err := hex.Decode(b[:], []byte(serial)); err == nil {
				rs.cache.drop(b, rs.nIssuers)
			}
		}
		if len(serials) == changeBatch {
			since = newest // more to read: continue from the last seen
		} else {
			// Re-reading the last changeOverlap also drops a stale copy a
			// request put in the cache just after the previous poll.
			since = rs.clock().Add(-changeOverlap)
		}
	}
}
