// Package httpcache holds the HTTP caching rules kakuin's published
// resources (CA certificates, OCSP responses, CRLs) share.
package httpcache

import "strings"

// ETagMatches implements the If-None-Match comparison (RFC 9110 §13.1.2):
// weak comparison, any listed tag or "*".
func ETagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
