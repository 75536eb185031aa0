package bench

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Options configures one load run.
type Options struct {
	// DirectoryURL is the server's ACME directory (RFC 8555 §7.1.1).
	DirectoryURL string
	// HTTPClient talks to the server. Nil means NewHTTPClient(TLSConfig,
	// Concurrency): keep-alive with an idle pool as large as the run.
	HTTPClient *http.Client
	// TLSConfig is the TLS trust used when HTTPClient is nil; nil means the
	// system roots.
	TLSConfig *tls.Config
	// EABKeyID and EABHMACKey bind the run's one account to an External
	// Account Binding credential (RFC 8555 §7.3.4) when the server requires
	// one. EABHMACKey is the base64url MAC key as the CA hands it out.
	EABKeyID   string
	EABHMACKey string
	// Concurrency is the number of workers, each running flows back to back.
	Concurrency int
	// Duration is the measured window. Warmup runs before it; flows that
	// end during the warmup are not counted.
	Duration time.Duration
	Warmup   time.Duration
	// NamesPerOrder is the number of DNS names per order; 0 means 1.
	NamesPerOrder int
	// Domain is the parent of the generated names; "" means bench.example.jp.
	Domain string
	// PebbleCompat works around lock-order deadlocks of Pebble v2.10.1
	// under concurrent load: its authorization handler holds the
	// authorization's write lock while it read-locks the store, and newOrder
	// holds the store's read lock while it read-locks every authorization,
	// so with any store writer queued both wait forever. With PebbleCompat
	// the workers never fetch an authorization while a newOrder is in
	// flight. Leave it off for any other server.
	PebbleCompat bool
}

// Limits on Options, so a typo cannot start an absurd run.
const (
	maxConcurrency   = 4096
	maxNamesPerOrder = 100
	defaultDomain    = "bench.example.jp"
)

// withDefaults checks opts and fills in its zero values.
func (opts Options) withDefaults() (Options, error) {
	switch {
	case opts.DirectoryURL == "":
		return opts, errors.New("bench: directory URL is required")
	case opts.Concurrency < 1 || opts.Concurrency > maxConcurrency:
		return opts, fmt.Errorf("bench: concurrency %d outside 1..%d", opts.Concurrency, maxConcurrency)
	case opts.Duration <= 0:
		return opts, errors.New("bench: duration must be positive")
	case opts.Warmup < 0:
		return opts, errors.New("bench: warmup must not be negative")
	case opts.NamesPerOrder < 0 || opts.NamesPerOrder > maxNamesPerOrder:
		return opts, fmt.Errorf("bench: names per order %d outside 1..%d", opts.NamesPerOrder, maxNamesPerOrder)
	case (opts.EABKeyID == "") != (opts.EABHMACKey == ""):
		return opts, errors.New("bench: EAB needs both a key ID and an HMAC key")
	}
	if opts.NamesPerOrder == 0 {
		opts.NamesPerOrder = 1
	}
	if opts.Domain == "" {
		opts.Domain = defaultDomain
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = NewHTTPClient(opts.TLSConfig, opts.Concurrency)
	}
	return opts, nil
}
