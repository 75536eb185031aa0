package acme

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// URL builders for the resources the server hands out (RFC 8555 §7.1).

// accountURL is the account resource (RFC 8555 §7.1.2), also its kid.
func (s *Server) accountURL(id int64) string {
	return s.baseURL + "/acme/acct/" + strconv.FormatInt(id, 10)
}

// ordersURL is the account's orders list (RFC 8555 §7.1.2.1).
func (s *Server) ordersURL(id int64) string { return s.accountURL(id) + "/orders" }

// orderURL is the order resource (RFC 8555 §7.1.3).
func (s *Server) orderURL(id int64) string {
	return s.baseURL + "/acme/order/" + strconv.FormatInt(id, 10)
}

// finalizeURL is the order's finalize resource (RFC 8555 §7.4).
func (s *Server) finalizeURL(id int64) string { return s.orderURL(id) + "/finalize" }

// authzURL is the authorization resource (RFC 8555 §7.1.4).
func (s *Server) authzURL(id int64) string {
	return s.baseURL + "/acme/authz/" + strconv.FormatInt(id, 10)
}

// challengeURL is the challenge resource (RFC 8555 §7.1.5).
func (s *Server) challengeURL(id int64) string {
	return s.baseURL + "/acme/chall/" + strconv.FormatInt(id, 10)
}

// certURL is the certificate resource (RFC 8555 §7.4.2).
func (s *Server) certURL(serial string) string { return s.baseURL + "/acme/cert/" + serial }

// issuerURL is where the certificate of the issuer issuerID is published.
func (s *Server) issuerURL(issuerID string) string {
	return s.baseURL + "/ca/" + issuerID + ".der"
}

// accountIDFromURL parses a kid (RFC 8555 §6.2) of the form
// BaseURL/acme/acct/{id}.
func (s *Server) accountIDFromURL(kid string) (int64, bool) {
	rest, ok := strings.CutPrefix(kid, s.baseURL+"/acme/acct/")
	if !ok {
		return 0, false
	}
	return parseID(rest)
}

// parseID parses a positive decimal resource id with no sign or leading zero.
func parseID(s string) (int64, bool) {
	if s == "" || len(s) > 18 || s[0] == '0' {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// idParam parses the {id} route parameter; what names the resource in the
// 404 problem.
func idParam(r *http.Request, what string) (int64, error) {
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		return 0, notFound(what)
	}
	return id, nil
}
