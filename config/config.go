package config

// Config is kakuin's whole configuration. The zero value plus
// ApplyDefaults is a valid development configuration.
type Config struct {
	// Listen is the host:port the ACME, OCSP and CRL server listens on.
	Listen string `json:"listen"`
	// BaseURL is the public URL clients reach the server at, as
	// scheme://host[:port] with no path or trailing slash; the ACME
	// directory is at base_url/acme/directory. Empty means "https://" +
	// listen (with "localhost" for an unspecified host). Must be https
	// (RFC 8555 §6.1) except in dev mode.
	BaseURL string `json:"base_url"`
	// HTTPListen is the host:port of the plain-HTTP listener that
	// publishes what relying parties fetch: the CA certificates (AIA
	// caIssuers) and the CRLs. The Baseline Requirements (7.1.2) want
	// http:// URLs for these in certificates.
	HTTPListen string `json:"http_listen"`
	// HTTPBaseURL is the http:// URL, scheme://host[:port] with no path,
	// that certificates name for the CA certificates and CRLs. Empty means
	// "http://" + http_listen. It is baked into the CA and leaf
	// certificates: choose it once.
	HTTPBaseURL string `json:"http_base_url"`
	// AdminListen is the host:port of the vetting officers' admin API
	// (JSON under /admin), served over HTTPS with the server's TLS
	// certificate and only to TLS client certificates from the officer CA
	// (`kakuin officer add --cert-dir`). Empty turns it off. Needs TLS
	// (tls.cert_file and tls.key_file, or dev mode).
	AdminListen string `json:"admin_listen"`
	// DataDir holds everything kakuin keeps on disk by default: the SQLite
	// database, the CA directory and the development TLS certificate.
	DataDir string `json:"data_dir"`
	// Dev turns on development mode: self-signed TLS under data_dir/tls,
	// migrations on start, validation of private addresses, non-standard
	// challenge ports and validation.always_valid. Never in production.
	Dev bool `json:"dev"`
	// Database selects and tunes the store.
	Database Database `json:"database"`
	// TLS is the server's own certificate.
	TLS TLS `json:"tls"`
	// CA holds the issuing hierarchy's keys and certificates.
	CA CA `json:"ca"`
	// ACME is the RFC 8555 server's policy and directory metadata.
	ACME ACME `json:"acme"`
	// Validation configures challenge validation (RFC 8555 §8).
	Validation Validation `json:"validation"`
	// OCSP configures the OCSP responder and the signing of its responses.
	OCSP OCSP `json:"ocsp"`
	// CRL configures the partitioned CRLs.
	CRL CRL `json:"crl"`
	// Vetting configures the vetting gate that holds orders for officers.
	Vetting Vetting `json:"vetting"`
	// Log configures logging.
	Log Log `json:"log"`

	// derived remembers the values ApplyDefaults computed from other
	// settings, so that a later ApplyDefaults recomputes them when those
	// settings change and leaves explicit values alone.
	derived derived
	// origin names the environment variable or flag that set a key, for
	// validation messages.
	origin map[string]string
}

// Database selects and tunes the store.
type Database struct {
	// Driver selects the database: "sqlite" (embedded, one file) or
	// "postgres".
	Driver string `json:"driver"`
	// DSN is the data source name. For sqlite a file path, default
	// data_dir/kakuin.db; for postgres a URL such as
	// postgres://kakuin@db.example/kakuin (required). May contain a
	// password: never log it.
	DSN string `json:"dsn"`
	// MaxConns is the maximum number of open connections (1-1000).
	MaxConns int `json:"max_conns"`
	// MigrateOnStart applies pending schema migrations when the server
	// starts. Default true in dev mode, false otherwise (run
	// `kakuin migrate`).
	MigrateOnStart *bool `json:"migrate_on_start"`
}

// TLS is the server's own certificate.
type TLS struct {
	// CertFile is the PEM certificate chain the server presents. Set both
	// files or neither. Empty in dev mode means a self-signed certificate
	// generated at data_dir/tls/cert.pem; empty otherwise means plain HTTP,
	// for a server behind a TLS-terminating proxy.
	CertFile string `json:"cert_file"`
	// KeyFile is the PEM private key of cert_file (data_dir/tls/key.pem in
	// dev mode when both are empty).
	KeyFile string `json:"key_file"`
}

// CA holds the issuing hierarchy's keys and certificates.
type CA struct {
	// Dir holds the root and issuing CA certificates and keys. Default
	// data_dir/ca.
	Dir string `json:"dir"`
	// KeyType is the key `kakuin init` generates for new CAs: ecdsa-p256,
	// ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096.
	KeyType string `json:"key_type"`
	// Organization is the CA's subject O for `kakuin init` (letters,
	// digits, space and ' , - . : =; at most 64 characters).
	Organization string `json:"organization"`
	// Country is the CA's subject C for `kakuin init`, an ISO 3166-1
	// alpha-2 code such as JP.
	Country string `json:"country"`
	// EVPolicyOID is the CA's own EV policy OID in dotted form (e.g.
	// 1.3.6.1.4.1.99999.1.1), asserted in EV certificates after the
	// CA/Browser Forum's 2.23.140.1.1; outside the reserved arc 2.23.140.
	// Empty means the reserved OID alone.
	EVPolicyOID string `json:"ev_policy_oid"`
}

// ACME is the RFC 8555 server's policy and directory metadata.
type ACME struct {
	// TermsOfService is the URL of the subscriber agreement, published in
	// the directory (RFC 8555 §7.1.1). Empty means none.
	TermsOfService string `json:"terms_of_service"`
	// Website is the CA's web site, published in the directory.
	Website string `json:"website"`
	// CAAIdentities are the domain names CAA records name to authorize
	// this CA (RFC 8555 §7.1.1, RFC 8659), e.g. ["ca.example.com"].
	CAAIdentities []string `json:"caa_identities"`
	// AllowWildcards permits wildcard identifiers such as *.example.com.
	// Off by default: the service checks site content per name.
	AllowWildcards bool `json:"allow_wildcards"`
	// MaxNames is the maximum number of identifiers in one order (1-1000).
	MaxNames int `json:"max_names"`
	// EABMaxAccounts is how many ACME accounts one EAB credential may bind
	// (1-1000).
	EABMaxAccounts int `json:"eab_max_accounts"`
	// OrderLifetime is how long a new order and its new authorizations
	// stay usable (1m-720h).
	OrderLifetime Duration `json:"order_lifetime"`
	// AuthzReuse is how long a valid authorization is reused for new
	// orders, at most the 200 days (4800h) the Baseline Requirements allow
	// for reusing domain validation today.
	AuthzReuse Duration `json:"authz_reuse"`
	// NonceLifetime is how long a replay nonce stays acceptable (10s-24h).
	NonceLifetime Duration `json:"nonce_lifetime"`
	// ProcessingTimeout is how long an order may stay processing before
	// the background sweep fails it as interrupted (a process died while
	// finalizing); the client's next run starts a new order (30s-1h).
	ProcessingTimeout Duration `json:"processing_timeout"`
	// RenewalInfoRetryAfter is the Retry-After of an ARI renewalInfo
	// response (RFC 9773 §4.3), 1m-24h: how soon a window pulled forward
	// with kakuin renewal reaches clients.
	RenewalInfoRetryAfter Duration `json:"renewal_info_retry_after"`
}

// Validation configures challenge validation (RFC 8555 §8).
type Validation struct {
	// HTTP01Port is the port http-01 validation connects to. RFC 8555 §8.3
	// and the Baseline Requirements fix it at 80; other ports only in dev
	// mode.
	HTTP01Port int `json:"http01_port"`
	// TLSALPN01Port is the port tls-alpn-01 validation connects to.
	// RFC 8737 §3 fixes it at 443; other ports only in dev mode.
	TLSALPN01Port int `json:"tlsalpn01_port"`
	// DNSResolver is the host:port of the recursive resolver for dns-01,
	// CAA and address lookups. Empty means the system resolver.
	DNSResolver string `json:"dns_resolver"`
	// AllowPrivate permits validating names that resolve to private,
	// loopback or link-local addresses. Default false; true in dev mode.
	AllowPrivate *bool `json:"allow_private"`
	// Timeout bounds one challenge validation (1s-120s).
	Timeout Duration `json:"timeout"`
	// AlwaysValid skips validation and treats every challenge as valid.
	// For benchmarks only: refused unless dev is set.
	AlwaysValid bool `json:"always_valid"`
}

// OCSP configures the OCSP responder (RFC 6960, RFC 5019) and the signing
// of its responses.
type OCSP struct {
	// Disabled turns OCSP off: leaves carry no AIA OCSP URL, no response is
	// signed and /ocsp is not served; CRLs alone carry revocation status
	// (the Baseline Requirements make OCSP optional).
	Disabled bool `json:"disabled"`
	// ResponseValidity is how long a response is valid: nextUpdate -
	// thisUpdate, counted inclusively (8h-240h, BR §4.9.10). Responses are re-signed before
	// half of it has passed.
	ResponseValidity Duration `json:"response_validity"`
	// SignWithIssuer signs responses with the issuing CA's key instead of
	// a delegated OCSP responder certificate.
	SignWithIssuer bool `json:"sign_with_issuer"`
	// ResponderValidity is the lifetime of a delegated responder
	// certificate, at least twice response_validity (at most 2160h). Each
	// signing process issues its own, with a key kept only in memory, and
	// rotates it before a response would outlive it.
	ResponderValidity Duration `json:"responder_validity"`
	// CacheBytes bounds the responder's in-memory cache of responses
	// (0 = default 64 MiB; -1 turns it off).
	CacheBytes int `json:"cache_bytes"`
}

// CRL configures the partitioned CRLs (RFC 5280 §5, BR §7.2).
type CRL struct {
	// Shards is the number of CRL partitions per issuer a new certificate
	// is assigned to (1-4096). A certificate keeps its partition when this
	// changes.
	Shards int `json:"shards"`
	// Validity is how long each CRL is valid: nextUpdate - thisUpdate,
	// counted inclusively (at most 240h, BR §4.9.7), and more than
	// interval plus an hour.
	Validity Duration `json:"validity"`
	// Interval is how often every partition is re-signed even without a
	// revocation (1m-24h). A revocation re-signs its partition within a
	// minute.
	Interval Duration `json:"interval"`
}

// Vetting configures the vetting gate that holds orders for officers.
type Vetting struct {
	// HighRisk lists names whose orders always wait for an officer's
	// review: exact names ("login.example.jp"), "*.example.jp" for every
	// name under a domain, or patterns with "*" matching any characters
	// ("*bank*"). Lower case, letters, digits, '-', '.' and '*'.
	HighRisk []string `json:"high_risk"`
	// DirectoryFile is a JSON business directory (an array of entries with
	// country, registration_number, name, address, phone) that officers
	// call registration contacts from: phone verification then records the
	// listed number, and an unlisted organization is vetted on documents.
	// Empty: none. It stands in for a credit-research company's service.
	DirectoryFile string `json:"directory_file"`
	// Contact is whom a customer whose order is held can ask (the vetting
	// desk's e-mail address or phone), shown in the held authorization's
	// "hold" object. Empty shows none.
	Contact string `json:"contact"`
	// HoldRetryAfter is the Retry-After of a held authorization (1s-10m).
	// Clients poll that often and give up after about 30 polls (certbot)
	// or 100 (lego), then succeed on their next run after approval.
	HoldRetryAfter Duration `json:"hold_retry_after"`
	// HoldRecheck is how often the server asks the vetting gate again about
	// held authorizations, releasing approved ones (1s-10m).
	HoldRecheck Duration `json:"hold_recheck"`
}

// Log configures logging.
type Log struct {
	// Level is the minimum level logged: debug, info, warn or error.
	Level string `json:"level"`
	// Format selects the log format: "text" (human-readable) or "json"
	// (one object per line).
	Format string `json:"format"`
}
