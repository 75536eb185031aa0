// Package vetting is kakuin's registration authority: the records a CA's
// vetting staff keep about its customers and the rules for entering them.
//
// It covers organizations (whose vetted data becomes the subject of every
// certificate issued to them, with the registration number whose check
// digit it verifies), their contacts and the history of each role,
// contracts (a 10-digit code with a check digit binding an organization to
// a plan) and External Account Binding credentials (RFC 8555 §7.3.4) that
// tie ACME accounts to a contract. Every change is appended to the audit
// log, a hash chain the store keeps.
//
// Vetting cases, domain approvals and the issuance hold come later.
//
// The Service validates operator input and returns errors wrapping
// ErrInvalid, ErrNotFound, ErrInactive or ErrDuplicate whose message says
// what to fix; invalid input is reported as an *InputError listing every
// bad field. Persistence is behind the Store interface, implemented by
// package store.
package vetting
