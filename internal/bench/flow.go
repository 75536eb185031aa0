package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
)

// order is an order object (RFC 8555 §7.1.3).
type order struct {
	Status         string   `json:"status"`
	Authorizations []string `json:"authorizations"`
	Finalize       string   `json:"finalize"`
	Certificate    string   `json:"certificate"`
	Error          *problem `json:"error"`
}

// authorization is an authorization object (RFC 8555 §7.1.4).
type authorization struct {
	Status     string      `json:"status"`
	Challenges []challenge `json:"challenges"`
}

// challenge is a challenge object (RFC 8555 §7.1.5, §8).
type challenge struct {
	Type   string `json:"type"`
	URL    string `json:"url"`
	Status string `json:"status"`
}

// identifier is an order identifier (RFC 8555 §9.7.7).
type identifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// flow obtains one certificate for names: newOrder (RFC 8555 §7.4),
// POST-as-GET of each authorization and a POST {} to its http-01 challenge
// (§7.5.1), polling the order until ready, finalize with a CSR for a fresh
// P-256 key, polling until valid, then the download of the chain (§7.4.2),
// which must parse and name the CSR's key and names.
func (c *client) flow(ctx context.Context, names []string) error {
	ids := make([]identifier, len(names))
	for i, n := range names {
		ids[i] = identifier{Type: "dns", Value: n}
	}
	var o order
	if c.compat != nil {
		c.compat.RLock()
	}
	resp, err := c.postJSON(ctx, c.dir.NewOrder, map[string]any{"identifiers": ids}, &o)
	if c.compat != nil {
		c.compat.RUnlock()
	}
	if err != nil {
		return fmt.Errorf("new order: %w", err)
	}
	orderURL := resp.header.Get("Location")
	if orderURL == "" {
		return errors.New("new order: no Location header")
	}
	for _, u := range o.Authorizations {
		if err := c.authorize(ctx, u); err != nil {
			return err
		}
	}
	if err := c.waitOrder(ctx, orderURL, &o, false, "ready"); err != nil {
		return fmt.Errorf("waiting for ready: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: names}, key)
	if err != nil {
		return err
	}
	csrReq := map[string]string{"csr": base64.RawURLEncoding.EncodeToString(csr)}
	if _, err := c.postJSON(ctx, o.Finalize, csrReq, &o); err != nil {
		return fmt.Errorf("finalize: %w", err)
	}
	// After a "processing" answer the first poll waits: issuance takes a
	// moment anywhere, and Pebble v2.10.1 deadlocks when an order GET
	// overlaps the end of its asynchronous issuance (wfe.Order read-locks
	// the order twice while ca.CompleteOrder waits to write-lock it).
	if err := c.waitOrder(ctx, orderURL, &o, true, "valid"); err != nil {
		return fmt.Errorf("waiting for valid: %w", err)
	}
	if o.Certificate == "" {
		return errors.New("valid order without certificate URL")
	}
	resp, err = c.post(ctx, o.Certificate, nil, "application/pem-certificate-chain")
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if err := checkChain(resp.body, &key.PublicKey, names); err != nil {
		return err
	}
	if c.onChain != nil {
		c.onChain(resp.body)
	}
	return nil
}

// authorize fetches the authorization at url and, unless it is already
// valid, responds to its http-01 challenge.
func (c *client) authorize(ctx context.Context, url string) error {
	var z authorization
	if c.compat != nil {
		c.compat.Lock()
	}
	_, err := c.postJSON(ctx, url, nil, &z)
	if c.compat != nil {
		c.compat.Unlock()
	}
	if err != nil {
		return fmt.Errorf("authorization: %w", err)
	}
	if z.Status == "valid" {
		return nil
	}
	if z.Status != "pending" {
		return fmt.Errorf("authorization status %q", z.Status)
	}
	for _, ch := range z.Challenges {
		if ch.Type == "http-01" {
			var got challenge
			if _, err := c.postJSON(ctx, ch.URL, struct{}{}, &got); err != nil {
				return fmt.Errorf("challenge: %w", err)
			}
			return nil
		}
	}
	return errors.New("authorization offers no http-01 challenge")
}

// waitOrder polls the order at url into o, which holds its last known
// state, until its status is one of want; "invalid" ends the wait with the
// order's error. With delay the first poll waits (see poll).
func (c *client) waitOrder(ctx context.Context, url string, o *order, delay bool, want ...string) error {
	check := func() (bool, error) {
		switch {
		case slices.Contains(want, o.Status):
			return true, nil
		case o.Status == "invalid" && o.Error != nil:
			return false, fmt.Errorf("order invalid: %w", o.Error)
		case o.Status == "invalid":
			return false, errors.New("order invalid")
		}
		return false, nil
	}
	if done, err := check(); done || err != nil {
		return err
	}
	return poll(ctx, delay, func() (bool, error) {
		*o = order{}
		if _, err := c.postJSON(ctx, url, nil, o); err != nil {
			return false, err
		}
		return check()
	})
}

// checkChain parses a PEM certificate chain (RFC 8555 §7.4.2) and checks
// that its leaf certifies pub for every one of names.
func checkChain(chain []byte, pub *ecdsa.PublicKey, names []string) error {
	var certs []*x509.Certificate
	for rest := chain; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("chain: unexpected PEM block %q", block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("chain: %w", err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return errors.New("chain: no certificate")
	}
	leaf := certs[0]
	if !pub.Equal(leaf.PublicKey) {
		return errors.New("chain: leaf does not certify the CSR's key")
	}
	for _, n := range names {
		if !slices.Contains(leaf.DNSNames, n) {
			return fmt.Errorf("chain: leaf lacks %s", n)
		}
	}
	return nil
}
