package ca

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/kakuin/kakuin/internal/httpcache"
)

// Content types of published CA certificates (RFC 2585 §4.1, RFC 7468).
const (
	contentTypeDER = "application/pkix-cert"
	contentTypePEM = "application/x-pem-file"
)

// caCacheControl lets clients and CDNs cache CA certificates for a day;
// they change only when the operator replaces the hierarchy.
const caCacheControl = "public, max-age=86400"

// servedFile is one published CA certificate.
type servedFile struct {
	body        []byte
	contentType string
	etag        string
}

// servedFiles prepares /ca/{root,ov,ev}.{der,pem}.
func servedFiles(a *Authority) map[string]servedFile {
	files := make(map[string]servedFile)
	add := func(id string, cert *x509.Certificate) {
		for _, f := range []servedFile{
			{body: cert.Raw, contentType: contentTypeDER},
			{body: certPEM(cert.Raw), contentType: contentTypePEM},
		} {
			sum := sha256.Sum256(f.body)
			f.etag = `"` + hex.EncodeToString(sum[:16]) + `"`
			ext := ".der"
			if f.contentType == contentTypePEM {
				ext = ".pem"
			}
			files[id+ext] = f
		}
	}
	add(IssuerRoot, a.root)
	for _, id := range a.Issuers() {
		add(id, a.issuers[id].cert)
	}
	return files
}

// ServeHTTP publishes the CA certificates the AIA caIssuers URLs point at
// (RFC 5280 §4.2.2.1): GET or HEAD /ca/{root,ov,ev}.der as
// application/pkix-cert and /ca/{id}.pem as application/x-pem-file, with
// an ETag and a one-day Cache-Control. Anything else under /ca/ is 404.
func (a *Authority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/ca/")
	f, found := a.files[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", caCacheControl)
	h.Set("ETag", f.etag)
	if match := r.Header.Get("If-None-Match"); match != "" && httpcache.ETagMatches(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(f.body)
}

// RootPEM returns the root certificate as PEM, for trust stores.
func (a *Authority) RootPEM() []byte { return append([]byte(nil), a.rootPEM...) }

// IssuerCertificate returns the certificate of "root", "ov" or "ev". The
// certificate is shared: do not modify it.
func (a *Authority) IssuerCertificate(id string) (*x509.Certificate, bool) {
	if id == IssuerRoot {
		return a.root, true
	}
	iss, ok := a.issuers[id]
	if !ok {
		return nil, false
	}
	return iss.cert, true
}

// Issuers returns the ids of the issuing CAs that sign leaves ("ov", "ev"),
// in a fixed order; the root is not among them.
func (a *Authority) Issuers() []string {
	ids := make([]string, 0, len(issuerProfiles))
	for _, p := range issuerProfiles {
		ids = append(ids, profiles[p].issuerID)
	}
	return ids
}
