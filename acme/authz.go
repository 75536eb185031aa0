package acme

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// authzJSON is the authorization object (RFC 8555 §7.1.4).
type authzJSON struct {
	Identifier Identifier      `json:"identifier"`
	Status     string          `json:"status"`
	Expires    string          `json:"expires"`
	Challenges []challengeJSON `json:"challenges"`
	Wildcard   bool            `json:"wildcard,omitempty"`
	// Hold is kakuin's non-standard member on a pending authorization the
	// vetting gate holds: what it waits for (see hold.go).
	Hold *holdJSON `json:"hold,omitempty"`
}

// challengeJSON is the challenge object (RFC 8555 §7.1.5, §8).
type challengeJSON struct {
	Type      string          `json:"type"`
	URL       string          `json:"url"`
	Status    string          `json:"status"`
	Token     string          `json:"token"`
	Validated string          `json:"validated,omitempty"`
	Error     json.RawMessage `json:"error,omitempty"`
}

// challengeView renders c.
func (s *Server) challengeView(c *Challenge) challengeJSON {
	v := challengeJSON{Type: c.Type, URL: s.challengeURL(c.ID), Status: c.Status, Token: c.Token}
	if c.Validated != nil {
		v.Validated = timeString(*c.Validated)
	}
	if c.Status == StatusInvalid && len(c.Error) > 0 {
		v.Error = c.Error
	}
	return v
}

// authzView renders a at now. A wildcard authorization shows the base
// domain with "wildcard": true (RFC 8555 §7.1.4); a valid one shows only
// the challenge that validated it.
func (s *Server) authzView(a *Authorization, now time.Time) authzJSON {
	v := authzJSON{
		Identifier: a.Identifier,
		Status:     AuthzStatus(a, now),
		Expires:    timeString(a.Expires),
		Challenges: []challengeJSON{},
	}
	if base, ok := strings.CutPrefix(a.Identifier.Value, "*."); ok {
		v.Identifier.Value = base
		v.Wildcard = true
	}
	if v.Status == StatusPending {
		v.Hold = s.holdOf(a)
	}
	for i := range a.Challenges {
		c := &a.Challenges[i]
		if a.Status == StatusValid && c.Status != StatusValid {
			continue
		}
		v.Challenges = append(v.Challenges, s.challengeView(c))
	}
	return v
}

// loadAuthz fetches an authorization of acct.
func (s *Server) loadAuthz(ctx context.Context, id int64, acct *Account) (*Authorization, error) {
	a, err := s.store.GetAuthorization(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("authorization")
	}
	if err != nil {
		return nil, internal(err)
	}
	if a.AccountID != acct.ID {
		return nil, notYours("authorization")
	}
	return a, nil
}

// authzUpdateRequest is the payload of a POST to an authorization.
type authzUpdateRequest struct {
	Status string `json:"status"`
}

// authz implements POST-as-GET of an authorization (RFC 8555 §7.5) and its
// deactivation (§7.5.2). A pending authorization is sent with Retry-After:
// 1 s while one of its challenges is being validated, Policy.HoldRetryAfter
// while the vetting gate holds it, else 3 s.
func (s *Server) authz(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sr, err := s.verifyPOST(w, r, kidOnly)
	if err != nil {
		return err
	}
	id, err := idParam(r, "authorization")
	if err != nil {
		return err
	}
	a, err := s.loadAuthz(ctx, id, sr.account)
	if err != nil {
		return err
	}
	if !sr.postAsGet() {
		var req authzUpdateRequest
		if err := decodePayload(sr.payload, &req); err != nil {
			return err
		}
		if req.Status != StatusDeactivated {
			return malformed("an authorization can only be updated to status %q", StatusDeactivated)
		}
		if err := s.store.DeactivateAuthorization(ctx, a.ID); err != nil {
			if errors.Is(err, ErrConflict) {
				return malformed("authorization is %s; only pending or valid authorizations can be deactivated", AuthzStatus(a, s.clock()))
			}
			return internal(err)
		}
		if a, err = s.loadAuthz(ctx, id, sr.account); err != nil {
			return err
		}
	}
	v := s.authzView(a, s.clock())
	if v.Status == StatusPending {
		retry := 3
		for _, c := range a.Challenges {
			if c.Status == StatusProcessing {
				retry = 1
			}
		}
		if v.Hold != nil {
			retry = s.holdRetryAfter()
		}
		setRetryAfter(w, retry)
	}
	return writeJSON(w, http.StatusOK, v)
}
