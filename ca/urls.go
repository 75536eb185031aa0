package ca

import (
	"fmt"
	"net/url"
	"strings"
)

// checkHTTPURL validates a base or endpoint URL that goes into AIA or CRL
// distribution points: BR §7.1.2.7.7, §7.1.2.10.3 and §7.1.2.11.2 allow
// only plain http:// there (relying parties fetch them to check https).
// It returns the URL without a trailing slash.
func checkHTTPURL(field, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("ca: %s: %w", field, err)
	}
	if u.Scheme != "http" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("ca: %s %q must be a plain http:// URL (BR §7.1.2.7.7: AIA and CRL URLs use http, not https)", field, raw)
	}
	return strings.TrimRight(raw, "/"), nil
}
