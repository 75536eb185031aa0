// Package validation performs ACME challenge validation over the network:
// http-01 and dns-01 (RFC 8555 §8.3, §8.4) and tls-alpn-01 (RFC 8737).
//
// A *Validator implements the acme.Validator interface. It resolves names
// with github.com/miekg/dns against one configured resolver, refuses to
// connect to loopback, private and other special-purpose addresses unless
// told otherwise, and reports every failure as an *Error whose Type is the
// RFC 8555 §6.7 error type and whose Detail is safe to show to the client.
package validation
