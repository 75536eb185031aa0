// Package acme is kakuin's RFC 8555 protocol server: the directory, nonces,
// JWS request authentication, accounts bound by External Account Binding,
// orders, authorizations, challenges, finalization, certificate download and
// revocation, rendered as RFC 8555 §6.7 problem documents on failure.
//
// The package speaks HTTP and JSON only. Persistence (Store), the
// registration authority (Vetting), signing (Issuer) and challenge
// validation (Validator) are interfaces declared here and implemented by
// other packages; New wires them into a Server whose Handler serves every
// route under "/acme/".
package acme
