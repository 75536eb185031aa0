package main

import (
	"crypto/x509"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/kakuin/kakuin/config"
	"github.com/kakuin/kakuin/ocsp"
)

// ocspPath is where the OCSP responder is served; leaves name
// http_base_url + ocspPath in their AIA.
const ocspPath = "/ocsp"

// statusHandler serves revocation status: the OCSP responder (nil when
// OCSP is off) and the CRLs.
type statusHandler struct {
	responder *ocsp.Responder
	crl       *ocsp.CRLPublisher
}

// issuerSource gives the issuing CA certificates.
type issuerSource interface {
	Issuers() []string
	IssuerCertificate(id string) (*x509.Certificate, bool)
}

// newStatusHandler builds the responder and CRL publisher on reader. A
// non-nil unknown signs "unknown" for serials never issued.
func newStatusHandler(cfg *config.Config, reader ocsp.Reader, issuers issuerSource, unknown ocsp.UnknownSigner, logger *slog.Logger) (*statusHandler, error) {
	h := &statusHandler{crl: ocsp.NewCRLPublisher(reader, cfg.HTTPBaseURL, logger)}
	if cfg.OCSP.Disabled {
		return h, nil
	}
	certs := map[string]*x509.Certificate{}
	for _, id := range issuers.Issuers() {
		certs[id], _ = issuers.IssuerCertificate(id)
	}
	r, err := ocsp.NewResponder(ocsp.ResponderOptions{Reader: reader, Issuers: certs, Unknown: unknown,
		CacheBytes: cfg.OCSP.CacheBytes, Logger: logger})
	if err != nil {
		return nil, err
	}
	h.responder = r
	return h, nil
}

// wrap routes /ocsp and /ocsp/... to the responder ahead of next: a
// ServeMux would clean the base64 of a GET request ("//" inside it) and
// redirect.
func (h *statusHandler) wrap(next http.Handler) http.Handler {
	if h.responder == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == ocspPath || strings.HasPrefix(p, ocspPath+"/") {
			h.responder.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// issuerMap serves issuing CA certificates read from the CA directory as
// an issuerSource.
type issuerMap map[string]*x509.Certificate

func (m issuerMap) Issuers() []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (m issuerMap) IssuerCertificate(id string) (*x509.Certificate, bool) {
	c, ok := m[id]
	return c, ok
}
