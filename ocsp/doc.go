// Package ocsp is kakuin's revocation status service: the OCSP responder
// (RFC 6960, with the RFC 5019 lightweight profile: GET and POST), the
// partitioned CRLs (RFC 5280 §5, BR §7.2) and their publication, and the
// revocation path that keeps both current.
//
// Responses are signed ahead of time by package ca and stored: the first
// at issuance, a new one within the revoking request, and fresh ones by
// Service.Run before half their validity has passed. The Responder only
// reads them, so it runs on a read-only database role and a replica
// (`kakuin ocsp`) as well as inside `kakuin serve`.
package ocsp
