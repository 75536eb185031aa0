// Package admin is the vetting officers' JSON API, served under /admin on
// its own HTTPS listener that requires a TLS client certificate from the
// officer CA (ca.IssueOfficerCert, `kakuin officer add --cert-dir`): the
// certificate's common name is the officer. It drives the same
// vetting.Service as the `kakuin vet` and `kakuin officer` commands, which
// enforces roles and separation of duties and audits every decision.
package admin
