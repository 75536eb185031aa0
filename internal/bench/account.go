package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// newAccountRequest is the newAccount payload (RFC 8555 §7.3).
type newAccountRequest struct {
	TermsOfServiceAgreed   bool            `json:"termsOfServiceAgreed"`
	ExternalAccountBinding json.RawMessage `json:"externalAccountBinding,omitempty"`
}

// register creates the client's account (RFC 8555 §7.3), bound to the EAB
// credential (§7.3.4) when eabKeyID is not "", and keeps its URL as kid.
func (c *client) register(ctx context.Context, eabKeyID string, eabKey []byte) error {
	req := newAccountRequest{TermsOfServiceAgreed: true}
	if eabKeyID != "" {
		eab, err := eabJWS(c.key, eabKeyID, eabKey, c.dir.NewAccount)
		if err != nil {
			return err
		}
		req.ExternalAccountBinding = eab
	}
	var acct struct {
		Status string `json:"status"`
	}
	resp, err := c.postJSON(ctx, c.dir.NewAccount, req, &acct)
	if err != nil {
		return fmt.Errorf("bench: new account: %w", err)
	}
	loc := resp.header.Get("Location")
	if loc == "" {
		return errors.New("bench: new account: no Location header")
	}
	if acct.Status != "valid" {
		return fmt.Errorf("bench: new account: status %q, want valid", acct.Status)
	}
	c.kid = loc
	return nil
}
