package acme

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kakuin/kakuin/vetting"
)

// minAuthzRemaining is how long a reused authorization must still live.
const minAuthzRemaining = time.Hour

// orderJSON is the order object (RFC 8555 §7.1.3).
type orderJSON struct {
	Status         string          `json:"status"`
	Expires        string          `json:"expires"`
	Identifiers    []Identifier    `json:"identifiers"`
	Authorizations []string        `json:"authorizations"`
	Finalize       string          `json:"finalize"`
	Certificate    string          `json:"certificate,omitempty"`
	Error          json.RawMessage `json:"error,omitempty"`
	Profile        string          `json:"profile,omitempty"`
}

// orderView renders o with its authorizations at now.
func (s *Server) orderView(o *Order, authzs []*Authorization, now time.Time) orderJSON {
	v := orderJSON{
		Profile:        o.Profile,
		Status:         EffectiveStatus(o, authzs, now),
		Expires:        timeString(o.Expires),
		Identifiers:    o.Identifiers,
		Authorizations: make([]string, len(o.AuthzIDs)),
		Finalize:       s.finalizeURL(o.ID),
	}
	for i, id := range o.AuthzIDs {
		v.Authorizations[i] = s.authzURL(id)
	}
	if v.Status == StatusValid && o.CertSerial != "" {
		v.Certificate = s.certURL(o.CertSerial)
	}
	if v.Status == StatusInvalid {
		v.Error = orderError(o, authzs, now)
	}
	return v
}

// writeOrder sends the order with its Location and, while it is
// processing, a Retry-After.
func (s *Server) writeOrder(w http.ResponseWriter, status int, o *Order, authzs []*Authorization) error {
	v := s.orderView(o, authzs, s.clock())
	if v.Status == StatusProcessing {
		setRetryAfter(w, 1)
	}
	w.Header().Set("Location", s.orderURL(o.ID))
	return writeJSON(w, status, v)
}

// loadOrder fetches an order of acct with its authorizations.
func (s *Server) loadOrder(ctx context.Context, id int64, acct *Account) (*Order, []*Authorization, error) {
	o, err := s.store.GetOrder(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, notFound("order")
	}
	if err != nil {
		return nil, nil, internal(err)
	}
	if o.AccountID != acct.ID {
		return nil, nil, notYours("order")
	}
	authzs, err := s.store.GetAuthorizations(ctx, o.AuthzIDs)
	if err != nil {
		return nil, nil, internal(err)
	}
	return o, authzs, nil
}

// order implements POST-as-GET of an order (RFC 8555 §7.1.3, §7.4).
func (s *Server) order(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.verifyPOST(w, r, kidOnly)
	if err != nil {
		return err
	}
	id, err := idParam(r, "order")
	if err != nil {
		return err
	}
	if !sr.postAsGet() {
		return malformed("an order is fetched with POST-as-GET (empty payload)")
	}
	o, authzs, err := s.loadOrder(r.Context(), id, sr.account)
	if err != nil {
		return err
	}
	return s.writeOrder(w, http.StatusOK, o, authzs)
}

// newOrderRequest is the newOrder payload (RFC 8555 §7.4).
type newOrderRequest struct {
	Identifiers []Identifier `json:"identifiers"`
	NotBefore   string       `json:"notBefore"`
	NotAfter    string       `json:"notAfter"`
	// Profile picks a certificate profile (draft-ietf-acme-profiles §4);
	// empty means the contract's default.
	Profile string `json:"profile"`
	// Replaces is the ARI identifier of the certificate the order
	// replaces (RFC 9773 §5).
	Replaces string `json:"replaces"`
}

// newOrder implements RFC 8555 §7.4. The account's contract must be active;
// the order gets the contract's first (default) profile. A pending or ready
// order of the same account for the same names is returned instead of a
// new one — with 201 like a new order, because x/crypto/acme accepts only
// 201 here and certbot and lego accept it too. Otherwise valid or pending
// authorizations of the account are reused per name (a valid one until its
// expiry, Policy.AuthzReuse after validation, less minAuthzRemaining), the
// others created with one challenge of each type, all in one
// Store.CreateOrder.
func (s *Server) newOrder(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sr, err := s.verifyPOST(w, r, kidOnly)
	if err != nil {
		return err
	}
	if sr.postAsGet() {
		return malformed("newOrder needs a JSON object payload")
	}
	var req newOrderRequest
	if err := decodePayload(sr.payload, &req); err != nil {
		return err
	}
	if req.NotBefore != "" || req.NotAfter != "" {
		return malformed("notBefore and notAfter are not supported; the validity period follows the certificate profile")
	}
	ids, err := s.checkIdentifiers(req.Identifiers)
	if err != nil {
		return err
	}
	acct := sr.account
	contract, err := s.activeContract(ctx, acct)
	if err != nil {
		return err
	}
	profile, err := orderProfile(contract, req.Profile)
	if err != nil {
		return err
	}
	now := s.clock()
	names := sortedNames(ids.names)

	existing, err := s.store.FindOrderByNames(ctx, acct.ID, names, now)
	switch {
	case err == nil:
		authzs, err := s.store.GetAuthorizations(ctx, existing.AuthzIDs)
		if err != nil {
			return internal(err)
		}
		if st := EffectiveStatus(existing, authzs, now); st == StatusPending || st == StatusReady {
			return s.writeOrder(w, http.StatusCreated, existing, authzs)
		}
	case !errors.Is(err, ErrNotFound):
		return internal(err)
	}

	var replaces string
	if req.Replaces != "" {
		if replaces, err = s.replacedSerial(ctx, req.Replaces); err != nil {
			return err
		}
	}
	if _, err := s.checkLifecycle(ctx, contract, profile, names, now, replaces); err != nil {
		return err
	}
	o := &Order{
		AccountID:    acct.ID,
		StoredStatus: StatusPending,
		Identifiers:  ids.echo,
		Names:        names,
		Profile:      profile,
		Replaces:     replaces,
		Expires:      now.Add(s.policy.OrderLifetime),
	}
	var reused, created []*Authorization
	for _, name := range ids.names {
		a, err := s.store.FindReusableAuthz(ctx, acct.ID, name, o.Profile,
			[]string{StatusValid, StatusPending}, now.Add(minAuthzRemaining))
		if err == nil && a.Status == StatusValid {
			// Domain control is still proven; the vetting behind it may
			// have aged out. Ask the gate again before reusing it.
			clear, err := s.gateReuse(ctx, acct, o.Profile, name)
			if err != nil {
				return err
			}
			if !clear {
				a, err = nil, ErrNotFound // a new authorization, held after its challenge
			}
		}
		if err == nil {
			reused = append(reused, a)
			o.AuthzIDs = append(o.AuthzIDs, a.ID)
			if a.Expires.Before(o.Expires) {
				o.Expires = a.Expires
			}
			continue
		}
		if !errors.Is(err, ErrNotFound) {
			return internal(err)
		}
		a, err = newAuthorization(acct.ID, name, now.Add(s.policy.OrderLifetime))
		if err != nil {
			return internal(err)
		}
		a.Profile = o.Profile
		created = append(created, a)
	}
	if err := s.store.CreateOrder(ctx, o, created); err != nil {
		return internal(err)
	}
	s.log.InfoContext(ctx, "acme order created", "account", acct.ID, "order", o.ID,
		"names", len(names), "reused_authzs", len(reused), "profile", o.Profile)
	return s.writeOrder(w, http.StatusCreated, o, append(reused, created...))
}

// orderProfile is the profile a newOrder gets: the requested one, which
// must exist (invalidProfile) and be one the contract allows
// (invalidProfile, naming those it does), or the contract's default.
func orderProfile(c *vetting.Contract, requested string) (string, error) {
	if requested == "" {
		return c.Profiles[0], nil
	}
	if _, ok := profileDescriptions[requested]; !ok {
		return "", newProblem(probInvalidProfile, "profile %q is not offered; the directory's meta.profiles lists ov and ev", requested)
	}
	if !slices.Contains(c.Profiles, requested) {
		return "", newProblem(probInvalidProfile, "contract %s does not allow the %s profile; it allows %s", c.Code, requested,
			strings.Join(c.Profiles, ", "))
	}
	return requested, nil
}

// gateReuse asks the vetting gate whether a valid authorization of the
// account for name may serve an order of the profile: true when the gate
// is clear (renewals while the approvals are fresh); false when it holds,
// so that a new authorization is created and held after its challenge. A
// rejection refuses the order with the officer's reason.
func (s *Server) gateReuse(ctx context.Context, acct *Account, profile, name string) (bool, error) {
	res, err := s.gate(ctx, acct.ContractCode, profile, strings.TrimPrefix(name, "*."))
	switch {
	case err != nil:
		return false, internal(err)
	case res.Rejected:
		return false, rejection(res)
	}
	return !res.Held, nil
}

// checkLifecycle applies the contract's plan and the reissue rules to a
// certificate of the profile for names, replacing the certificate with
// serial replaces ("" for none): it refuses names the plan has no room for
// (a monthly plan's slots, or a license plan's licenses, all held by other
// name sets; renewals and reissues of a held set, and replacements, which
// take the replaced certificate's place, pass) and what the reissue rules
// forbid (EV: once, within 25 days; a license plan's name change: within
// 25 days). It returns the certificates the new one replaces, to revoke as
// superseded once it is issued.
func (s *Server) checkLifecycle(ctx context.Context, c *vetting.Contract, profile string, names []string, now time.Time, replaces string) ([]string, error) {
	certs, err := s.store.ContractCertificates(ctx, c.Code)
	if err != nil {
		return nil, internal(err)
	}
	held := vetting.HeldNameSets(c, certs, now)
	var replaced *vetting.IssuedCertificate
	if replaces != "" {
		i := slices.IndexFunc(certs, func(ct vetting.IssuedCertificate) bool { return ct.Serial == replaces })
		if i < 0 {
			return nil, malformed("replaces names certificate %s, which is not one of contract %s's", replaces, c.Code)
		}
		replaced = &certs[i]
		if err := vetting.CheckReplacement(c, replaced, names, now); err != nil {
			return nil, err
		}
		held = vetting.WithoutReplaced(c, held, certs, replaced, now)
	}
	if err := vetting.CheckPlan(c, names, held); err != nil {
		return nil, err
	}
	superseded, err := vetting.CheckReissue(profile, names, certs, now)
	if err != nil {
		return nil, err
	}
	if replaced != nil && replaced.RevokedAt == nil && !slices.Contains(superseded, replaced.Serial) {
		superseded = append(superseded, replaced.Serial)
	}
	return superseded, nil
}

// replacedSerial reads a newOrder's "replaces" (RFC 9773 §5), an ARI
// certificate identifier of a certificate this CA issued, and returns its
// serial, or malformed saying what is wrong.
func (s *Server) replacedSerial(ctx context.Context, certID string) (string, error) {
	_, serial, err := s.certByARIID(ctx, certID)
	switch {
	case errors.Is(err, errCertIDSyntax):
		return "", malformed("replaces %q is %s", certID, err)
	case errors.Is(err, errCertIDUnknown), errors.Is(err, errCertIDIssuer):
		return "", malformed("replaces names certificate %s, %s", serial, err)
	case err != nil:
		return "", err
	}
	return serial, nil
}

// activeContract returns the account's contract if it is active and allows
// at least one profile.
func (s *Server) activeContract(ctx context.Context, acct *Account) (*vetting.Contract, error) {
	c, err := s.vetting.Contract(ctx, acct.ContractCode)
	if err != nil {
		return nil, internal(err)
	}
	if c.Status != vetting.ContractActive {
		return nil, unauthorized("contract %s is %s", c.Code, c.Status)
	}
	if now := s.clock(); !c.InTerm(now) {
		if now.Before(c.TermStart) {
			return nil, unauthorized("contract %s's term starts on %s", c.Code, c.TermStart.Format(time.DateOnly))
		}
		return nil, unauthorized("contract %s's term ended on %s; its term must be renewed (kakuin contract term)", c.Code,
			c.TermEnd.Format(time.DateOnly))
	}
	if len(c.Profiles) == 0 {
		return nil, unauthorized("contract %s allows no certificate profile", c.Code)
	}
	return c, nil
}

// newAuthorization builds a pending authorization for name with one pending
// challenge per type (RFC 8555 §7.1.4); a wildcard name gets dns-01 only
// (§7.1.3).
func newAuthorization(accountID int64, name string, expires time.Time) (*Authorization, error) {
	a := &Authorization{
		AccountID:  accountID,
		Identifier: Identifier{Type: "dns", Value: name},
		Status:     StatusPending,
		Expires:    expires,
	}
	types := []string{ChallengeHTTP01, ChallengeDNS01, ChallengeTLSALPN01}
	if strings.HasPrefix(name, "*.") {
		types = []string{ChallengeDNS01}
	}
	for _, t := range types {
		tok, err := newToken()
		if err != nil {
			return nil, err
		}
		a.Challenges = append(a.Challenges, Challenge{Type: t, Token: tok, Status: StatusPending})
	}
	return a, nil
}

// newToken returns a challenge token: 32 random bytes, base64url (RFC 8555
// §8.3 asks for at least 128 bits of entropy).
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
