package acme

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kakuin/kakuin/ca"
)

// RenewalWindow is an ARI suggested window (RFC 9773 §4.2): when the
// client should renew, and optionally a page saying why.
type RenewalWindow struct {
	Start          time.Time
	End            time.Time
	ExplanationURL string
}

// RenewalSelection picks the certificates whose ARI window an operator
// pulls forward: those matching every criterion set, or every one with
// All. Only unrevoked, unexpired certificates are ever picked.
type RenewalSelection struct {
	Serials      []string  `json:"serials,omitempty"`
	IssuerID     string    `json:"issuer,omitempty"`
	ContractCode string    `json:"contract,omitempty"`
	IssuedBefore time.Time `json:"issued_before,omitzero"`
	All          bool      `json:"all,omitempty"`
}

// SuggestedWindow is the default ARI window of a certificate valid from
// notBefore to notAfter (inclusive): the first half of the last third of
// its validity. A client renewing at the window's end still has a sixth of
// the validity (33 days of 200) to retry before expiry.
func SuggestedWindow(notBefore, notAfter time.Time) RenewalWindow {
	validity := notAfter.Add(time.Second).Sub(notBefore)
	start := notBefore.Add(validity - validity/3)
	return RenewalWindow{Start: start, End: start.Add(validity / 6)}
}

// renewNow is the window of a certificate to replace at once, revoked or
// with a compromised key: wholly in the past (RFC 9773 §4.2).
func renewNow(now time.Time) RenewalWindow {
	return RenewalWindow{Start: now.Add(-2 * time.Hour), End: now.Add(-time.Hour)}
}

// renewalInfoJSON is a RenewalInfo object (RFC 9773 §4.2).
type renewalInfoJSON struct {
	SuggestedWindow struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"suggestedWindow"`
	ExplanationURL string `json:"explanationURL,omitempty"`
}

// renewalInfo implements GET renewalInfo/{certID} (RFC 9773 §4): the
// suggested window of a certificate this CA issued, unauthenticated, with
// Retry-After saying when to ask again. The window is the earliest of the
// default (SuggestedWindow), one an operator set (kakuin renewal), and now
// for a revoked certificate or one whose key is blocked.
func (s *Server) renewalInfo(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cert, _, err := s.certByARIID(ctx, chi.URLParam(r, "certID"))
	switch {
	case errors.Is(err, errCertIDSyntax):
		return malformed("%q is %s", chi.URLParam(r, "certID"), err)
	case errors.Is(err, errCertIDUnknown), errors.Is(err, errCertIDIssuer):
		return notFound("certificate")
	case err != nil:
		return err
	}
	now := s.clock()
	win, err := s.renewalWindow(ctx, cert, now)
	if err != nil {
		return internal(err)
	}
	var body renewalInfoJSON
	body.SuggestedWindow.Start = win.Start.UTC().Format(time.RFC3339)
	body.SuggestedWindow.End = win.End.UTC().Format(time.RFC3339)
	body.ExplanationURL = win.ExplanationURL
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.policy.RenewalInfoRetryAfter/time.Second))))
	return writeJSON(w, http.StatusOK, body)
}

// renewalWindow is the window renewalInfo suggests for cert at now: now
// for a revoked certificate or a blocked key, else the earlier of the
// default and the operator's.
func (s *Server) renewalWindow(ctx context.Context, cert *Certificate, now time.Time) (RenewalWindow, error) {
	if cert.RevokedAt != nil {
		return renewNow(now), nil
	}
	if blocked, err := s.store.IsKeyBlocked(ctx, cert.KeyHash); err != nil || blocked {
		return renewNow(now), err
	}
	win := SuggestedWindow(cert.NotBefore, cert.NotAfter)
	set, err := s.store.RenewalWindow(ctx, cert.Serial)
	if err == nil && set != nil && set.Start.Before(win.Start) {
		win = *set
	}
	return win, err
}

// Why an ARI certificate identifier names no certificate of this CA.
var (
	errCertIDSyntax  = errors.New("not an ARI certificate identifier (base64url of the AKI, a dot, base64url of the serial)")
	errCertIDUnknown = errors.New("a certificate this CA did not issue")
	errCertIDIssuer  = errors.New("a certificate with another issuer's key identifier")
)

// certByARIID finds the certificate an ARI certificate identifier names
// (RFC 9773 §4.1): base64url(authorityKeyIdentifier) "." base64url(serial
// number octets). It returns the certificate and its serial; the errors
// above (the serial is set for the last two), or a problem.
func (s *Server) certByARIID(ctx context.Context, certID string) (*Certificate, string, error) {
	aki, serial, ok := strings.Cut(certID, ".")
	akiBytes, err1 := base64.RawURLEncoding.DecodeString(aki)
	serialBytes, err2 := base64.RawURLEncoding.DecodeString(serial)
	if !ok || err1 != nil || err2 != nil || len(akiBytes) == 0 || len(serialBytes) == 0 || len(serialBytes) > 21 {
		return nil, "", errCertIDSyntax
	}
	hex := ca.SerialHex(new(big.Int).SetBytes(serialBytes))
	cert, err := s.store.GetCertificate(ctx, hex)
	if errors.Is(err, ErrNotFound) {
		return nil, hex, errCertIDUnknown
	}
	if err != nil {
		return nil, hex, internal(err)
	}
	leaf, err := x509.ParseCertificate(cert.DER)
	if err != nil {
		return nil, hex, internal(err)
	}
	if !bytes.Equal(leaf.AuthorityKeyId, akiBytes) {
		return nil, hex, errCertIDIssuer
	}
	return cert, hex, nil
}
