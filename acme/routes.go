package acme

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Route patterns (RFC 8555 §7.1). Every URL the server hands out is
// BaseURL + one of these with the placeholders filled in.
const (
	pathDirectory  = "/acme/directory"
	pathNewNonce   = "/acme/new-nonce"
	pathNewAccount = "/acme/new-account"
	pathNewOrder   = "/acme/new-order"
	pathRevokeCert = "/acme/revoke-cert"
	pathKeyChange  = "/acme/key-change"
	pathAccount    = "/acme/acct/{id}"
	pathOrders     = "/acme/acct/{id}/orders"
	pathOrder      = "/acme/order/{id}"
	pathFinalize   = "/acme/order/{id}/finalize"
	pathAuthz      = "/acme/authz/{id}"
	pathChallenge  = "/acme/chall/{id}"
	pathCert       = "/acme/cert/{serial}"
	// pathRenewalInfo is RFC 9773 §4's renewalInfo; clients append
	// "/" and the ARI certificate identifier.
	pathRenewalInfo = "/acme/renewal-info"
)

// handlerFunc is an ACME handler: it writes a successful response or
// returns an error that the wrapper renders as a problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one row of the routing table.
type route struct {
	method  string
	pattern string
	handle  handlerFunc
}

// routes is the whole ACME surface, top to bottom. GET on a POST route is
// answered 405 with a problem (RFC 8555 §6.3: resources are fetched with
// POST-as-GET).
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, pathDirectory, s.directory},
		{http.MethodHead, pathNewNonce, s.newNonce},
		{http.MethodGet, pathNewNonce, s.newNonce},
		{http.MethodPost, pathNewAccount, s.newAccount},
		{http.MethodPost, pathNewOrder, s.newOrder},
		{http.MethodPost, pathRevokeCert, s.revokeCert},
		{http.MethodPost, pathKeyChange, s.keyChange},
		{http.MethodPost, pathAccount, s.account},
		{http.MethodPost, pathOrders, s.ordersList},
		{http.MethodPost, pathOrder, s.order},
		{http.MethodPost, pathFinalize, s.finalize},
		{http.MethodPost, pathAuthz, s.authz},
		{http.MethodPost, pathChallenge, s.challenge},
		{http.MethodPost, pathCert, s.cert},
		{http.MethodGet, pathRenewalInfo + "/{certID}", s.renewalInfo},
	}
}

// Handler returns the HTTP handler serving every route under "/acme/".
// Anything else is a 404 problem.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	for _, rt := range s.routes() {
		r.Method(rt.method, rt.pattern, s.wrap(rt.pattern, rt.handle))
	}
	r.NotFound(s.wrap("notFound", func(http.ResponseWriter, *http.Request) error {
		return notFound("resource")
	}))
	r.MethodNotAllowed(s.wrap("methodNotAllowed", s.methodNotAllowed))
	return r
}

// methodNotAllowed answers a method the route does not serve; for POST
// resources it explains POST-as-GET.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	p := malformed("method %s not allowed; resources are fetched with POST-as-GET (RFC 8555 §6.3)", r.Method).
		withStatus(http.StatusMethodNotAllowed)
	p.allow = http.MethodPost
	switch r.URL.Path {
	case pathDirectory:
		p.allow = http.MethodGet
		p.Detail = "method " + r.Method + " not allowed; use GET"
	default:
		if strings.HasPrefix(r.URL.Path, pathRenewalInfo+"/") {
			p.allow = http.MethodGet
			p.Detail = "method " + r.Method + " not allowed; renewal information is fetched with GET (RFC 9773 §4.1)"
		}
	case pathNewNonce:
		p.allow = "GET, HEAD"
		p.Detail = "method " + r.Method + " not allowed; use HEAD or GET"
	}
	return p
}
