package ocsp_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/ocsp"
)

var oidIssuingDistributionPoint = asn1.ObjectIdentifier{2, 5, 29, 28}

// idpURI returns the distributionPoint fullName URI of a CRL's critical
// issuingDistributionPoint (RFC 5280 §5.2.5).
func idpURI(t *testing.T, rl *x509.RevocationList) string {
	t.Helper()
	for _, ext := range rl.Extensions {
		if !ext.Id.Equal(oidIssuingDistributionPoint) {
			continue
		}
		in := cryptobyte.String(ext.Value)
		var seq, dp, full, uri cryptobyte.String
		if !ext.Critical || !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
			!seq.ReadASN1(&dp, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
			!dp.ReadASN1(&full, cbasn1.Tag(0).Constructed().ContextSpecific()) || !dp.Empty() ||
			!full.ReadASN1(&uri, cbasn1.Tag(6).ContextSpecific()) || !full.Empty() {
			t.Fatalf("IDP %x (critical %v): not a critical IDP with one URI", ext.Value, ext.Critical)
		}
		return string(uri)
	}
	t.Fatal("no issuingDistributionPoint extension")
	return ""
}

// partitions fetches and decodes the partition list.
func (e *testEnv) partitions(t *testing.T) []string {
	t.Helper()
	resp, body := e.do(t, http.MethodGet, ocsp.PartitionsPath, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got HTTP %d, want 200", ocsp.PartitionsPath, resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", got)
	}
	var urls []string
	if err := json.Unmarshal(body, &urls); err != nil {
		t.Fatalf("%s: %v (%q)", ocsp.PartitionsPath, err, body)
	}
	return urls
}

func TestCRLPublisherServe(t *testing.T) {
	e := newEnv(t, envOptions{})
	if err := e.service.UpdateCRLs(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored, err := e.store.CRL(context.Background(), ca.IssuerOV, 0)
	if err != nil {
		t.Fatal(err)
	}
	const path = "/crl/ov/0.crl"
	resp, body := e.do(t, http.MethodGet, path, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got HTTP %d, want 200", resp.StatusCode)
	}
	if !bytes.Equal(body, stored.DER) {
		t.Errorf("body: got %d bytes, want the stored CRL (%d bytes)", len(body), len(stored.DER))
	}
	h := resp.Header
	if got := h.Get("Content-Type"); got != "application/pkix-crl" {
		t.Errorf("Content-Type: got %q, want application/pkix-crl", got)
	}
	if n := maxAge(t, h.Get("Cache-Control")); n <= 0 {
		t.Errorf("Cache-Control: got %q, want a positive max-age", h.Get("Cache-Control"))
	}
	lastModified, err := http.ParseTime(h.Get("Last-Modified"))
	if err != nil || !lastModified.Equal(stored.ThisUpdate) {
		t.Errorf("Last-Modified: got %q, want thisUpdate %v", h.Get("Last-Modified"), stored.ThisUpdate)
	}
	etag := h.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	t.Run("HEAD", func(t *testing.T) {
		resp, got := e.do(t, http.MethodHead, path, nil, nil)
		if resp.StatusCode != http.StatusOK || len(got) != 0 {
			t.Errorf("got HTTP %d with %d body bytes, want 200 and none", resp.StatusCode, len(got))
		}
		if resp.ContentLength != int64(len(stored.DER)) {
			t.Errorf("Content-Length: got %d, want %d", resp.ContentLength, len(stored.DER))
		}
		if got := resp.Header.Get("ETag"); got != etag {
			t.Errorf("ETag: got %q, want %q", got, etag)
		}
	})
	for _, tc := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"If-None-Match", http.Header{"If-None-Match": {etag}}, http.StatusNotModified},
		{"If-None-Match other", http.Header{"If-None-Match": {`"other"`}}, http.StatusOK},
		{"If-Modified-Since thisUpdate", http.Header{"If-Modified-Since": {h.Get("Last-Modified")}}, http.StatusNotModified},
		{"If-Modified-Since earlier", http.Header{"If-Modified-Since": {lastModified.Add(-time.Hour).Format(http.TimeFormat)}},
			http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, got := e.do(t, http.MethodGet, path, tc.header, nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("got HTTP %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == http.StatusNotModified && len(got) != 0 {
				t.Errorf("304 with %d body bytes, want none", len(got))
			}
		})
	}
	for _, p := range []string{
		"/crl/ov/99.crl",  // no such partition
		"/crl/ov/4.crl",   // one past the last
		"/crl/xx/0.crl",   // no such issuer
		"/crl/ov/01.crl",  // not canonical
		"/crl/ov/+0.crl",  // not canonical
		"/crl/ov/-1.crl",  // negative
		"/crl/ov/0",       // no suffix
		"/crl/ov/0.crl/x", // trailing segment
		"/crl//0.crl",     // no issuer
		"/crl/ov/",        // no file
	} {
		t.Run("GET "+p, func(t *testing.T) {
			if resp, _ := e.do(t, http.MethodGet, p, nil, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("got HTTP %d, want 404", resp.StatusCode)
			}
		})
	}
	t.Run("POST", func(t *testing.T) {
		if resp, _ := e.do(t, http.MethodPost, path, nil, nil); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("got HTTP %d, want 405", resp.StatusCode)
		}
	})
}

func TestCRLPublisherBeforeFirstCRL(t *testing.T) {
	e := newEnv(t, envOptions{})
	if resp, _ := e.do(t, http.MethodGet, "/crl/ov/0.crl", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /crl/ov/0.crl: got HTTP %d, want 404", resp.StatusCode)
	}
	if got := e.partitions(t); len(got) != 0 {
		t.Errorf("partitions: got %q, want []", got)
	}
}

// TestCRLPublisherNewCRL checks that a re-signed partition is served at
// once, with a new ETag.
func TestCRLPublisherNewCRL(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.issue(t, nil)
	must(t, e.service.UpdateCRLs(context.Background()))
	path := ca.CRLPath(c.IssuerID, c.CRLShard)
	resp, old := e.do(t, http.MethodGet, path, nil, nil) // the publisher keeps it in memory
	oldETag := resp.Header.Get("ETag")
	e.advance(time.Minute)
	must(t, e.service.Revoke(context.Background(), c.Serial, ca.ReasonKeyCompromise, "test"))
	must(t, e.service.UpdateCRLs(context.Background()))
	resp, body := e.do(t, http.MethodGet, path, http.Header{"If-None-Match": {oldETag}}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("If-None-Match with the old ETag: got HTTP %d, want 200", resp.StatusCode)
	}
	if resp.Header.Get("ETag") == oldETag || bytes.Equal(body, old) {
		t.Errorf("got the old CRL (ETag %s)", oldETag)
	}
	if crlEntry(e.parseCRL(t, c.IssuerID, body), c.cert.SerialNumber) == nil {
		t.Errorf("served CRL does not list %s", c.Serial)
	}
}

func TestCRLPartitions(t *testing.T) {
	e := newEnv(t, envOptions{})
	// Certificates in every OV partition, to compare their CRL DP.
	byShard := map[int]*issued{}
	for i := 0; len(byShard) < 4; i++ {
		if i == 60 {
			t.Fatalf("60 certificates filled only partitions %v", byShard)
		}
		c := e.issue(t, nil)
		byShard[c.CRLShard] = c
	}
	must(t, e.service.UpdateCRLs(context.Background()))
	urls := e.partitions(t)
	var want []string
	for _, issuer := range []string{ca.IssuerEV, ca.IssuerOV} {
		for shard := range 4 {
			want = append(want, fmt.Sprintf("%s/crl/%s/%d.crl", testBase, issuer, shard))
		}
	}
	if got := slices.Sorted(slices.Values(urls)); !slices.Equal(got, want) {
		t.Fatalf("partitions: got %q, want %q", urls, want)
	}
	for _, url := range urls {
		t.Run(url, func(t *testing.T) {
			path := strings.TrimPrefix(url, testBase)
			resp, body := e.do(t, http.MethodGet, path, nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got HTTP %d, want 200", resp.StatusCode)
			}
			issuer, _, _ := strings.Cut(strings.TrimPrefix(path, "/crl/"), "/")
			rl := e.parseCRL(t, issuer, body)
			if got := idpURI(t, rl); got != url {
				t.Errorf("IDP URI: got %q, want %q", got, url)
			}
			if issuer != ca.IssuerOV {
				return
			}
			var shard int
			if _, err := fmt.Sscanf(path, "/crl/ov/%d.crl", &shard); err != nil {
				t.Fatal(err)
			}
			c := byShard[shard]
			if len(c.cert.CRLDistributionPoints) != 1 || c.cert.CRLDistributionPoints[0] != url {
				t.Errorf("CRL DP of %s (partition %d): got %q, want [%q]", c.Serial, shard, c.cert.CRLDistributionPoints, url)
			}
		})
	}
}
