package acme

import (
	"encoding/pem"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// maxSerialHexLen bounds a serial in a URL (20 octets, RFC 5280 §4.1.2.2,
// plus a sign octet).
const maxSerialHexLen = 42

// cert implements certificate download (RFC 8555 §7.4.2): POST-as-GET by
// the account that ordered it; the leaf then the issuer chain as
// application/pem-certificate-chain, with Link rel="up" to the issuer
// certificate.
func (s *Server) cert(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.verifyPOST(w, r, kidOnly)
	if err != nil {
		return err
	}
	serial, ok := parseSerial(chi.URLParam(r, "serial"))
	if !ok {
		return notFound("certificate")
	}
	if !sr.postAsGet() {
		return malformed("a certificate is fetched with POST-as-GET (empty payload)")
	}
	c, err := s.store.GetCertificate(r.Context(), serial)
	if errors.Is(err, ErrNotFound) {
		return notFound("certificate")
	}
	if err != nil {
		return internal(err)
	}
	if c.AccountID != sr.account.ID {
		return notYours("certificate")
	}
	body := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER})
	body = append(body, c.ChainPEM...)
	w.Header().Add("Link", link(s.issuerURL(c.IssuerID), "up"))
	w.Header().Set("Content-Type", "application/pem-certificate-chain")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

// parseSerial accepts a hex serial and returns it in lower case.
func parseSerial(s string) (string, bool) {
	if s == "" || len(s) > maxSerialHexLen {
		return "", false
	}
	s = strings.ToLower(s)
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return "", false
		}
	}
	return s, true
}
