package acme

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options configures a Server. Zero values of Policy fields take the
// documented defaults.
type Options struct {
	Store     Store
	Vetting   Vetting
	Issuer    Issuer
	Revoker   Revoker
	Validator Validator
	// BaseURL is scheme://host[:port] with no trailing slash; every resource
	// URL is BaseURL + "/acme/...", the directory BaseURL + "/acme/directory".
	BaseURL string
	Policy  Policy
	Meta    Meta
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Registerer receives the server's Prometheus metrics; nil means none.
	Registerer prometheus.Registerer
}

// Policy holds the issuance policy knobs.
type Policy struct {
	// AllowWildcards permits "*.example.com" identifiers. Default false.
	AllowWildcards bool
	// MaxNames is the maximum number of identifiers per order. Default 100.
	MaxNames int
	// EABMaxAccounts is how many accounts one EAB credential may bind.
	// Default 1.
	EABMaxAccounts int
	// OrderLifetime is how long a new order (and its new pending
	// authorizations) lives. Default 7 days.
	OrderLifetime time.Duration
	// AuthzReuse is how long a valid authorization is reused for new orders
	// (and thus its expiry). Default 200 days (BR 4.2.1 domain validation
	// data reuse).
	AuthzReuse time.Duration
	// NonceLifetime is how long a nonce stays acceptable. Default 15 minutes.
	NonceLifetime time.Duration
	// ValidationTimeout bounds one challenge validation. Default 30s.
	ValidationTimeout time.Duration
	// ProcessingTimeout is how long an order may stay processing before
	// Server.Run fails it as interrupted (its finalizing process died).
	// Default 5 minutes; at least 30s, longer than issuance can take.
	ProcessingTimeout time.Duration
	// HoldRetryAfter is the Retry-After sent with an authorization the
	// vetting gate holds, and its challenge. Clients poll that often and
	// give up after about 30 polls (certbot) or 100 (lego); they succeed
	// on their next run once officers have approved. Default 10s.
	HoldRetryAfter time.Duration
	// HoldRecheck is how often Server.Run asks the vetting gate again about
	// held challenges, releasing those officers approved and failing those
	// they rejected. Default 2s.
	HoldRecheck time.Duration
	// HoldContact is who a customer whose order is held can ask, shown in
	// the authorization's "hold" object (e.g. an e-mail address and phone
	// number of the vetting desk). Default none.
	HoldContact string
	// RenewalInfoRetryAfter is the Retry-After of a renewalInfo response
	// (RFC 9773 §4.3): how often ARI clients ask again, so how soon a
	// window an operator pulls forward reaches them. Default 6 hours.
	RenewalInfoRetryAfter time.Duration
}

// Meta is the directory's "meta" object (RFC 8555 §7.1.1).
type Meta struct {
	TermsOfService string
	Website        string
	CAAIdentities  []string
}
