package ocsp_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	_ "crypto/md5" // registers MD5 for the unsupported-hash CertID
	"crypto/rand"
	_ "crypto/sha512" // registers SHA-512 for the unsupported-hash CertID
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	xocsp "golang.org/x/crypto/ocsp"

	"github.com/kakuin/kakuin/ca"
)

// OCSPResponseStatus values of unsuccessful responses (RFC 6960 §4.2.1).
var (
	respMalformed    = []byte{0x30, 0x03, 0x0a, 0x01, 0x01}
	respTryLater     = []byte{0x30, 0x03, 0x0a, 0x01, 0x03}
	respUnauthorized = []byte{0x30, 0x03, 0x0a, 0x01, 0x06}
)

// CertID hash algorithm OIDs.
var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidMD5    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
	oidNonce  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
)

// do sends method to the test server's path with the header and body and
// returns the response and its body.
func (e *testEnv) do(t *testing.T, method, path string, header http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.server.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := e.server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// postDER POSTs a DER request as application/ocsp-request.
func (e *testEnv) postDER(t *testing.T, der []byte) (*http.Response, []byte) {
	t.Helper()
	return e.do(t, http.MethodPost, "/ocsp", http.Header{"Content-Type": {"application/ocsp-request"}}, der)
}

// getDER GETs a DER request as padded standard base64 in the path.
func (e *testEnv) getDER(t *testing.T, der []byte) (*http.Response, []byte) {
	t.Helper()
	return e.do(t, http.MethodGet, "/ocsp/"+base64.StdEncoding.EncodeToString(der), nil, nil)
}

// ocspRequest is xocsp.CreateRequest for cert under issuer with hash.
func ocspRequest(t *testing.T, cert, issuer *x509.Certificate, hash crypto.Hash) []byte {
	t.Helper()
	der, err := xocsp.CreateRequest(cert, issuer, &xocsp.RequestOptions{Hash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// serialOnly is a certificate carrying only a serial, enough for
// xocsp.CreateRequest and ParseResponseForCert.
func serialOnly(n *big.Int) *x509.Certificate { return &x509.Certificate{SerialNumber: n} }

// randomSerial draws a serial no certificate in the environment has.
func randomSerial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 150))
	if err != nil {
		t.Fatal(err)
	}
	return n.Add(n, big.NewInt(1))
}

// checkUnsuccessful checks that body is exactly the unsuccessful
// OCSPResponse want and that xocsp reads it as that status.
func checkUnsuccessful(t *testing.T, body, want []byte) {
	t.Helper()
	if !bytes.Equal(body, want) {
		t.Errorf("body: got %x, want %x", body, want)
	}
	_, err := xocsp.ParseResponse(body, nil)
	var re xocsp.ResponseError
	if !errors.As(err, &re) || re.Status != xocsp.ResponseStatus(want[4]) {
		t.Errorf("ParseResponse: got %v, want ResponseError %v", err, xocsp.ResponseStatus(want[4]))
	}
}

// maxAge returns the max-age of a Cache-Control header, -1 when absent.
func maxAge(t *testing.T, cc string) int {
	t.Helper()
	for _, d := range strings.Split(cc, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(d), "max-age="); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("Cache-Control %q: %v", cc, err)
			}
			return n
		}
	}
	return -1
}

// issuerHashes returns the issuer half of a CertID hashed with h (RFC 6960
// §4.1.1): the hashes of the issuer's subject and subjectPublicKey bits.
func issuerHashes(t *testing.T, issuer *x509.Certificate, h crypto.Hash) (nameHash, keyHash []byte) {
	t.Helper()
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(issuer.RawSubjectPublicKeyInfo, &spki); err != nil {
		t.Fatal(err)
	}
	n, k := h.New(), h.New()
	n.Write(issuer.RawSubject)
	k.Write(spki.PublicKey.RightAlign())
	return n.Sum(nil), k.Sum(nil)
}

// rawCertID is one CertID of a hand-built request.
type rawCertID struct {
	oid               asn1.ObjectIdentifier
	nameHash, keyHash []byte
	serial            *big.Int
}

// certIDOf is the CertID of serial under issuer hashed with h, named by oid.
func certIDOf(t *testing.T, issuer *x509.Certificate, h crypto.Hash, oid asn1.ObjectIdentifier, serial *big.Int) rawCertID {
	t.Helper()
	n, k := issuerHashes(t, issuer, h)
	return rawCertID{oid: oid, nameHash: n, keyHash: k, serial: serial}
}

// encodeRequest encodes an unsigned OCSPRequest (RFC 6960 §4.1.1) listing
// ids, with a nonce requestExtension (RFC 8954) when nonce is not nil.
func encodeRequest(ids []rawCertID, nonce []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // OCSPRequest
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // tbsRequest
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // requestList
				for _, id := range ids {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // Request
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // reqCert
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1ObjectIdentifier(id.oid)
								b.AddASN1NULL()
							})
							b.AddASN1OctetString(id.nameHash)
							b.AddASN1OctetString(id.keyHash)
							b.AddASN1BigInt(id.serial)
						})
					})
				}
			})
			if nonce != nil {
				b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // Extensions
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // Extension
							b.AddASN1ObjectIdentifier(oidNonce)
							b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
								b.AddASN1OctetString(nonce)
							})
						})
					})
				})
			}
		})
	})
	return b.BytesOrPanic()
}

// otherCA is a freshly generated self-signed CA the responder does not
// serve.
func otherCA(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Other CA", Organization: []string{"Other"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestEncodeRequest checks the hand-built requests against
// xocsp.CreateRequest, so the tests below send what they mean to.
func TestEncodeRequest(t *testing.T) {
	issuer := otherCA(t)
	serial := big.NewInt(0x1234567)
	for _, tc := range []struct {
		name string
		hash crypto.Hash
		oid  asn1.ObjectIdentifier
	}{
		{"SHA-1", crypto.SHA1, oidSHA1},
		{"SHA-256", crypto.SHA256, oidSHA256},
		{"SHA-512", crypto.SHA512, oidSHA512},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := encodeRequest([]rawCertID{certIDOf(t, issuer, tc.hash, tc.oid, serial)}, nil)
			want := ocspRequest(t, serialOnly(serial), issuer, tc.hash)
			if !bytes.Equal(got, want) {
				t.Errorf("got %x, want %x", got, want)
			}
		})
	}
}

func TestResponderGETAndPOST(t *testing.T) {
	e := newEnv(t, envOptions{})
	// A request whose base64 holds '/' and '+' exercises every encoding.
	var c *issued
	var der []byte
	for range 30 {
		c = e.issue(t, nil)
		der = ocspRequest(t, c.cert, c.issuer, crypto.SHA1)
		if b64 := base64.StdEncoding.EncodeToString(der); strings.Contains(b64, "/") && strings.Contains(b64, "+") {
			break
		}
		der = nil
	}
	if der == nil {
		t.Fatal("no request with '/' and '+' in its base64 after 30 certificates")
	}
	b64 := base64.StdEncoding.EncodeToString(der)
	resp, want := e.postDER(t, der)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: got HTTP %d, want 200", resp.StatusCode)
	}
	r, err := xocsp.ParseResponseForCert(want, c.cert, c.issuer)
	if err != nil || r.Status != xocsp.Good {
		t.Fatalf("POST: got %v (err %v), want a good response", r, err)
	}
	escape := strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D")
	for _, tc := range []struct{ name, path string }{
		{"base64", "/ocsp/" + b64},
		{"URL-encoded base64", "/ocsp/" + escape.Replace(b64)},
		{"unpadded base64", "/ocsp/" + base64.RawStdEncoding.EncodeToString(der)},
		{"URL-safe alphabet", "/ocsp/" + base64.RawURLEncoding.EncodeToString(der)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.do(t, http.MethodGet, tc.path, nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got HTTP %d, want 200", resp.StatusCode)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("got %x, want the POST answer %x", body, want)
			}
		})
	}
}

func TestResponderGETDoubleSlash(t *testing.T) {
	e := newEnv(t, envOptions{})
	issuer, _ := e.authority.IssuerCertificate(ca.IssuerOV)
	// An unknown serial is answered (signed "unknown") for any serial, so
	// draw serials until the base64 holds "//", which a path cleaner would
	// collapse.
	var serial *big.Int
	var b64 string
	for range 100000 {
		serial = randomSerial(t)
		b64 = base64.StdEncoding.EncodeToString(ocspRequest(t, serialOnly(serial), issuer, crypto.SHA1))
		if strings.Contains(b64, "//") {
			break
		}
		b64 = ""
	}
	if b64 == "" {
		t.Fatal("no request with \"//\" in its base64")
	}
	resp, body := e.do(t, http.MethodGet, "/ocsp/"+b64, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /ocsp/%s: got HTTP %d, want 200", b64, resp.StatusCode)
	}
	r, err := xocsp.ParseResponseForCert(body, serialOnly(serial), issuer)
	if err != nil {
		t.Fatalf("GET /ocsp/%s: %v (%x)", b64, err, body)
	}
	if r.Status != xocsp.Unknown || r.SerialNumber.Cmp(serial) != 0 {
		t.Errorf("got status %d serial %x, want unknown %x", r.Status, r.SerialNumber, serial)
	}
}

func TestResponderHashAlgorithms(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.issue(t, nil)
	for _, tc := range []struct {
		name string
		hash crypto.Hash
	}{
		{"SHA-1", crypto.SHA1},
		{"SHA-256", crypto.SHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(t, c, tc.hash)
			if r.Status != xocsp.Good {
				t.Errorf("status: got %d, want good", r.Status)
			}
			if r.IssuerHash != tc.hash {
				t.Errorf("CertID hash: got %v, want %v", r.IssuerHash, tc.hash)
			}
			if r.SerialNumber.Cmp(c.cert.SerialNumber) != 0 {
				t.Errorf("serial: got %x, want %x", r.SerialNumber, c.cert.SerialNumber)
			}
		})
	}
}

func TestResponderCachingHeaders(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.issue(t, nil)
	der := ocspRequest(t, c.cert, c.issuer, crypto.SHA1)
	path := "/ocsp/" + base64.StdEncoding.EncodeToString(der)
	resp, body := e.do(t, http.MethodGet, path, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got HTTP %d, want 200", resp.StatusCode)
	}
	r, err := xocsp.ParseResponseForCert(body, c.cert, c.issuer)
	if err != nil {
		t.Fatal(err)
	}
	h := resp.Header
	if got := h.Get("Content-Type"); got != "application/ocsp-response" {
		t.Errorf("Content-Type: got %q, want application/ocsp-response", got)
	}
	cc := h.Get("Cache-Control")
	for _, d := range []string{"public", "no-transform"} {
		if !strings.Contains(cc, d) {
			t.Errorf("Cache-Control: got %q, want it to contain %s", cc, d)
		}
	}
	if n, limit := maxAge(t, cc), int(r.NextUpdate.Sub(e.clock())/time.Second); n <= 0 || n > limit {
		t.Errorf("Cache-Control max-age: got %d, want 1..%d (nextUpdate - now)", n, limit)
	}
	if got, err := http.ParseTime(h.Get("Last-Modified")); err != nil || !got.Equal(r.ThisUpdate) {
		t.Errorf("Last-Modified: got %q, want thisUpdate %v", h.Get("Last-Modified"), r.ThisUpdate)
	}
	if got, err := http.ParseTime(h.Get("Expires")); err != nil || !got.Equal(r.NextUpdate) {
		t.Errorf("Expires: got %q, want nextUpdate %v", h.Get("Expires"), r.NextUpdate)
	}
	etag := h.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	t.Run("HEAD", func(t *testing.T) {
		resp, got := e.do(t, http.MethodHead, path, nil, nil)
		if resp.StatusCode != http.StatusOK || len(got) != 0 {
			t.Errorf("got HTTP %d with %d body bytes, want 200 and none", resp.StatusCode, len(got))
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("Content-Length: got %d, want %d", resp.ContentLength, len(body))
		}
		for _, k := range []string{"Content-Type", "Cache-Control", "Last-Modified", "Expires", "ETag"} {
			if got, want := resp.Header.Get(k), h.Get(k); got != want {
				t.Errorf("%s: got %q, want %q as GET", k, got, want)
			}
		}
	})

	for _, tc := range []struct {
		name        string
		ifNoneMatch string
		want        int
	}{
		{"matching ETag", etag, http.StatusNotModified},
		{"weak matching ETag", "W/" + etag, http.StatusNotModified},
		{"ETag in a list", `"other", ` + etag, http.StatusNotModified},
		{"star", "*", http.StatusNotModified},
		{"other ETag", `"other"`, http.StatusOK},
	} {
		t.Run("If-None-Match "+tc.name, func(t *testing.T) {
			resp, got := e.do(t, http.MethodGet, path, http.Header{"If-None-Match": {tc.ifNoneMatch}}, nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("got HTTP %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == http.StatusNotModified && len(got) != 0 {
				t.Errorf("304 with %d body bytes, want none", len(got))
			}
			if tc.want == http.StatusOK && !bytes.Equal(got, body) {
				t.Errorf("got %x, want %x", got, body)
			}
		})
	}
}

func TestResponderUnknownSerial(t *testing.T) {
	for _, tc := range []struct {
		name string
		hash crypto.Hash
	}{
		{"SHA-1", crypto.SHA1},
		{"SHA-256", crypto.SHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			issuer, _ := e.authority.IssuerCertificate(ca.IssuerOV)
			serial := randomSerial(t)
			resp, body := e.getDER(t, ocspRequest(t, serialOnly(serial), issuer, tc.hash))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got HTTP %d, want 200", resp.StatusCode)
			}
			r, err := xocsp.ParseResponseForCert(body, serialOnly(serial), issuer)
			if err != nil {
				t.Fatalf("ParseResponseForCert: %v (%x)", err, body)
			}
			if r.Status != xocsp.Unknown || r.IssuerHash != tc.hash {
				t.Errorf("got status %d hash %v, want unknown %v", r.Status, r.IssuerHash, tc.hash)
			}
			if n := maxAge(t, resp.Header.Get("Cache-Control")); n < 0 || n > 300 {
				t.Errorf("max-age: got %d, want 0..300", n)
			}
		})
	}
}

func TestResponderUnknownSerialUnauthorized(t *testing.T) {
	e := newEnv(t, envOptions{noUnknownSigner: true})
	c := e.issue(t, nil)
	t.Run("unknown serial", func(t *testing.T) {
		resp, body := e.getDER(t, ocspRequest(t, serialOnly(randomSerial(t)), c.issuer, crypto.SHA1))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("got HTTP %d, want 200", resp.StatusCode)
		}
		checkUnsuccessful(t, body, respUnauthorized)
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control: got %q, want no-store", got)
		}
	})
	t.Run("issued serial", func(t *testing.T) {
		if r := e.post(t, c, crypto.SHA256); r.Status != xocsp.Good {
			t.Errorf("got status %d, want good", r.Status)
		}
	})
}

func TestResponderBadRequests(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.issue(t, nil)
	good := ocspRequest(t, c.cert, c.issuer, crypto.SHA1)
	ctRequest := http.Header{"Content-Type": {"application/ocsp-request"}}
	for _, tc := range []struct {
		name     string
		method   string
		path     string
		header   http.Header
		body     []byte
		wantHTTP int
		want     []byte // the OCSPResponse body
	}{
		{"truncated DER", http.MethodPost, "/ocsp", ctRequest, good[:len(good)-5], http.StatusOK, respMalformed},
		{"garbage", http.MethodPost, "/ocsp", ctRequest, []byte("this is not an OCSP request"), http.StatusOK, respMalformed},
		{"DER but not a request", http.MethodPost, "/ocsp", ctRequest, []byte{0x30, 0x03, 0x02, 0x01, 0x00}, http.StatusOK, respMalformed},
		{"trailing data", http.MethodPost, "/ocsp", ctRequest, append(append([]byte{}, good...), 0), http.StatusOK, respMalformed},
		{"empty POST", http.MethodPost, "/ocsp", ctRequest, nil, http.StatusOK, respMalformed},
		{"GET path not base64", http.MethodGet, "/ocsp/!!!", nil, nil, http.StatusOK, respMalformed},
		{"empty GET path", http.MethodGet, "/ocsp/", nil, nil, http.StatusOK, respMalformed},
		{"GET without path", http.MethodGet, "/ocsp", nil, nil, http.StatusOK, respMalformed},
		{"GET base64 of garbage", http.MethodGet, "/ocsp/" + base64.StdEncoding.EncodeToString([]byte("garbage")), nil, nil,
			http.StatusOK, respMalformed},
		{"GET path too long", http.MethodGet, "/ocsp/" + strings.Repeat("A", 14000), nil, nil, http.StatusRequestURITooLong, respMalformed},
		{"unknown issuer", http.MethodPost, "/ocsp", ctRequest, ocspRequest(t, c.cert, otherCA(t), crypto.SHA1),
			http.StatusOK, respUnauthorized},
		{"unknown issuer by GET", http.MethodGet, "/ocsp/" + base64.StdEncoding.EncodeToString(ocspRequest(t, c.cert, otherCA(t), crypto.SHA256)),
			nil, nil, http.StatusOK, respUnauthorized},
		{"body over 10 KiB", http.MethodPost, "/ocsp", ctRequest, make([]byte, 10<<10+1), http.StatusRequestEntityTooLarge, respMalformed},
		{"body of 10 KiB", http.MethodPost, "/ocsp", ctRequest, make([]byte, 10<<10), http.StatusOK, respMalformed},
		{"wrong Content-Type", http.MethodPost, "/ocsp", http.Header{"Content-Type": {"text/plain"}}, good,
			http.StatusUnsupportedMediaType, respMalformed},
		{"SHA-512 CertID", http.MethodPost, "/ocsp", ctRequest,
			encodeRequest([]rawCertID{certIDOf(t, c.issuer, crypto.SHA512, oidSHA512, c.cert.SerialNumber)}, nil), http.StatusOK, respMalformed},
		{"MD5 CertID", http.MethodPost, "/ocsp", ctRequest,
			encodeRequest([]rawCertID{certIDOf(t, c.issuer, crypto.MD5, oidMD5, c.cert.SerialNumber)}, nil), http.StatusOK, respMalformed},
		{"two certificates", http.MethodPost, "/ocsp", ctRequest, encodeRequest([]rawCertID{
			certIDOf(t, c.issuer, crypto.SHA1, oidSHA1, c.cert.SerialNumber),
			certIDOf(t, c.issuer, crypto.SHA1, oidSHA1, randomSerial(t)),
		}, nil), http.StatusOK, respMalformed},
		{"empty request list", http.MethodPost, "/ocsp", ctRequest, encodeRequest(nil, nil), http.StatusOK, respMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.do(t, tc.method, tc.path, tc.header, tc.body)
			if resp.StatusCode != tc.wantHTTP {
				t.Errorf("HTTP status: got %d, want %d", resp.StatusCode, tc.wantHTTP)
			}
			checkUnsuccessful(t, body, tc.want)
		})
	}

	t.Run("Content-Type with parameters", func(t *testing.T) {
		resp, body := e.do(t, http.MethodPost, "/ocsp", http.Header{"Content-Type": {"Application/OCSP-Request; charset=binary"}}, good)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got HTTP %d, want 200", resp.StatusCode)
		}
		if r, err := xocsp.ParseResponseForCert(body, c.cert, c.issuer); err != nil || r.Status != xocsp.Good {
			t.Errorf("got %v (err %v), want a good response", r, err)
		}
	})
	for _, method := range []string{http.MethodPut, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			resp, _ := e.do(t, method, "/ocsp", ctRequest, good)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("got HTTP %d, want 405", resp.StatusCode)
			}
			if got := resp.Header.Get("Allow"); got != "GET, HEAD, POST" {
				t.Errorf("Allow: got %q, want \"GET, HEAD, POST\"", got)
			}
		})
	}
}

func TestResponderNonceIgnored(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.issue(t, nil)
	for _, tc := range []struct {
		name string
		hash crypto.Hash
		oid  asn1.ObjectIdentifier
	}{
		{"SHA-1", crypto.SHA1, oidSHA1},
		{"SHA-256", crypto.SHA256, oidSHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der := encodeRequest([]rawCertID{certIDOf(t, c.issuer, tc.hash, tc.oid, c.cert.SerialNumber)},
				[]byte("0123456789abcdef0123456789abcdef"))
			resp, body := e.postDER(t, der)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got HTTP %d, want 200", resp.StatusCode)
			}
			r, err := xocsp.ParseResponseForCert(body, c.cert, c.issuer)
			if err != nil {
				t.Fatalf("ParseResponseForCert: %v (%x)", err, body)
			}
			if r.Status != xocsp.Good {
				t.Errorf("status: got %d, want good", r.Status)
			}
			if len(r.Extensions) != 0 {
				t.Errorf("response extensions: got %v, want none (the nonce is not echoed)", r.Extensions)
			}
		})
	}
}

// TestResponderCachedIssuerMismatch asks for an OV certificate's serial
// under the EV issuer: the serial was never issued by EV, so the answer is
// "unknown", whether or not the OV response is cached.
func TestResponderCachedIssuerMismatch(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.issue(t, nil)
	ev, _ := e.authority.IssuerCertificate(ca.IssuerEV)
	if c.IssuerID == ca.IssuerEV {
		t.Fatalf("certificate issued by %s, want ov", c.IssuerID)
	}
	evRequest := ocspRequest(t, c.cert, ev, crypto.SHA1)
	check := func(t *testing.T) {
		t.Helper()
		_, body := e.getDER(t, evRequest)
		r, err := xocsp.ParseResponse(body, nil)
		if err != nil {
			t.Fatalf("ParseResponse: %v (%x)", err, body)
		}
		if r.Status != xocsp.Unknown {
			t.Errorf("status: got %d, want unknown (%d)", r.Status, xocsp.Unknown)
		}
	}
	t.Run("uncached", check)
	if r := e.post(t, c, crypto.SHA1); r.Status != xocsp.Good { // caches the OV response
		t.Fatalf("OV request: got status %d, want good", r.Status)
	}
	t.Run("OV response cached", check)
}

func TestResponderCacheInvalidation(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.responder.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	c := e.issue(t, nil)
	der := ocspRequest(t, c.cert, c.issuer, crypto.SHA1)
	status := func() int {
		t.Helper()
		_, body := e.getDER(t, der)
		r, err := xocsp.ParseResponseForCert(body, c.cert, c.issuer)
		if err != nil {
			t.Fatalf("ParseResponseForCert: %v (%x)", err, body)
		}
		return r.Status
	}
	if got := status(); got != xocsp.Good {
		t.Fatalf("before revocation: got status %d, want good", got)
	}
	must(t, e.service.Revoke(ctx, c.Serial, ca.ReasonKeyCompromise, "test"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := status()
		if got == xocsp.Revoked {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after the revocation: got status %d, want revoked", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestResponderExpiredResponse(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.issue(t, nil)
	if r := e.post(t, c, crypto.SHA1); r.Status != xocsp.Good { // caches the SHA-1 answer
		t.Fatalf("got status %d, want good", r.Status)
	}
	e.advance(c.OCSP.NextUpdate.Sub(e.clock()) + time.Second)
	for _, tc := range []struct {
		name string
		hash crypto.Hash
	}{
		{"SHA-1 (cached)", crypto.SHA1},
		{"SHA-256", crypto.SHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.getDER(t, ocspRequest(t, c.cert, c.issuer, tc.hash))
			if resp.StatusCode != http.StatusOK {
				t.Errorf("got HTTP %d, want 200", resp.StatusCode)
			}
			checkUnsuccessful(t, body, respTryLater)
		})
	}
}
