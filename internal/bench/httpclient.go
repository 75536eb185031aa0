package bench

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// NewHTTPClient returns an HTTP client for a run of the given concurrency:
// keep-alive connections with an idle pool larger than the number of
// workers, so that no request waits for a new TCP and TLS handshake, and
// no proxy. tlsConfig may be nil (system roots); it is cloned.
func NewHTTPClient(tlsConfig *tls.Config, concurrency int) *http.Client {
	idle := 2*max(concurrency, 1) + 16
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig.Clone(),
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		MaxIdleConns:          idle,
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}
