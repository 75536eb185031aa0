// Package bench is kakuin's load generator: it runs the whole ACME issuance
// flow (RFC 8555 §7.4: newOrder → authorization → challenge → finalize →
// download) with C concurrent workers against any RFC 8555 server and
// reports certificates per second and latency percentiles.
//
// The server must validate every challenge without contacting anyone
// (kakuin's dev-only validation.always_valid, Pebble's
// PEBBLE_VA_ALWAYS_VALID=1). The package carries its own small ACME client
// rather than golang.org/x/crypto/acme, whose order polling sleeps at least
// a second whenever a server answers "processing", which would measure the
// client's sleep instead of the server.
package bench
