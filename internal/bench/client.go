package bench

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

const (
	// maxResponseBytes bounds every response body read.
	maxResponseBytes = 1 << 20
	userAgent        = "kakuin-bench"
	badNonceType     = "urn:ietf:params:acme:error:badNonce"
)

// client is a minimal RFC 8555 client for one account, safe for concurrent
// use once the account is registered.
type client struct {
	http   *http.Client
	key    *ecdsa.PrivateKey
	dir    directory
	kid    string // the account URL, "" until registered
	nonces noncePool
	// compat, when not nil, keeps authorization fetches (write-locked) and
	// newOrders (read-locked) apart; see Options.PebbleCompat.
	compat *sync.RWMutex
	// onChain, when set, receives every chain the flow downloads and
	// checks (tests lint the leaves).
	onChain func(chain []byte)
}

// directory is the part of the directory object (RFC 8555 §7.1.1) the
// flow needs.
type directory struct {
	NewNonce   string `json:"newNonce"`
	NewAccount string `json:"newAccount"`
	NewOrder   string `json:"newOrder"`
}

// response is a fully read HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// problem is an error document (RFC 8555 §6.7, RFC 7807) or, when the body
// is not one, an HTTP status.
type problem struct {
	Type   string `json:"type"`
	Detail string `json:"detail"`
	Status int    `json:"status"`
}

func (p *problem) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", p.Status, p.Type, p.Detail)
}

// fetchDirectory reads the directory at url.
func (c *client) fetchDirectory(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("bench: directory: %w", err)
	}
	resp, err := c.do(req)
	if err != nil {
		return fmt.Errorf("bench: directory: %w", err)
	}
	if resp.status != http.StatusOK {
		return fmt.Errorf("bench: directory: %w", toProblem(resp))
	}
	if err := json.Unmarshal(resp.body, &c.dir); err != nil {
		return fmt.Errorf("bench: directory: %w", err)
	}
	if c.dir.NewNonce == "" || c.dir.NewAccount == "" || c.dir.NewOrder == "" {
		return errors.New("bench: directory lacks newNonce, newAccount or newOrder")
	}
	return nil
}

// do runs req, reads the body and keeps the response's Replay-Nonce.
func (c *client) do(req *http.Request) (*response, error) {
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	c.nonces.put(resp.Header.Get("Replay-Nonce"))
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// nonce returns a pooled nonce or, when none is left, a fresh one from
// newNonce (RFC 8555 §7.2).
func (c *client) nonce(ctx context.Context) (string, error) {
	if n := c.nonces.take(); n != "" {
		return n, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, c.dir.NewNonce, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.do(req)
	if err != nil {
		return "", fmt.Errorf("new nonce: %w", err)
	}
	if n := c.nonces.take(); n != "" {
		return n, nil
	}
	return "", fmt.Errorf("new nonce: HTTP %d without Replay-Nonce", resp.status)
}

// post sends a JWS-signed POST (RFC 8555 §6.2) of payload to url; a nil
// payload is a POST-as-GET (§6.3). accept, when not "", is the Accept
// header. A badNonce answer (§6.5) is retried once with the nonce it
// carried. Answers of 400 and above are returned as *problem.
func (c *client) post(ctx context.Context, url string, payload []byte, accept string) (*response, error) {
	for attempt := 0; ; attempt++ {
		nonce, err := c.nonce(ctx)
		if err != nil {
			return nil, err
		}
		body, err := signJWS(c.key, c.kid, nonce, url, payload)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/jose+json")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := c.do(req)
		if err != nil {
			return nil, err
		}
		if resp.status < http.StatusBadRequest {
			return resp, nil
		}
		p := toProblem(resp)
		if p.Type == badNonceType && attempt == 0 {
			continue
		}
		return nil, p
	}
}

// postJSON posts payload (marshalled unless nil) and decodes the answer
// into out.
func (c *client) postJSON(ctx context.Context, url string, payload any, out any) (*response, error) {
	var raw []byte
	if payload != nil {
		var err error
		if raw, err = json.Marshal(payload); err != nil {
			return nil, err
		}
	}
	resp, err := c.post(ctx, url, raw, "")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return nil, fmt.Errorf("decoding HTTP %d answer: %w", resp.status, err)
	}
	return resp, nil
}

// toProblem turns an error answer into a *problem, keeping the HTTP status
// when the body is not a problem document.
func toProblem(resp *response) *problem {
	var p problem
	if json.Unmarshal(resp.body, &p) != nil || p.Type == "" {
		p = problem{Type: "(no problem document)", Detail: truncate(string(resp.body), 200)}
	}
	p.Status = resp.status
	return &p
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
