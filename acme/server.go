package acme

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Policy defaults (see Policy).
const (
	defaultMaxNames              = 100
	defaultEABMaxAccounts        = 1
	defaultOrderLifetime         = 7 * 24 * time.Hour
	defaultAuthzReuse            = 200 * 24 * time.Hour
	defaultNonceLifetime         = 15 * time.Minute
	defaultValidationTimeout     = 30 * time.Second
	defaultProcessingTimeout     = 5 * time.Minute
	defaultHoldRetryAfter        = 10 * time.Second
	defaultRenewalInfoRetryAfter = 6 * time.Hour
	defaultHoldRecheck           = 2 * time.Second
	// minProcessingTimeout keeps ProcessingTimeout above the longest a
	// live finalization takes (issuanceTimeout, then completeTimeout).
	minProcessingTimeout = issuanceTimeout + completeTimeout

	// ordersPageSize is how many order URLs one page of an account's orders
	// list holds (RFC 8555 §7.1.2.1).
	ordersPageSize = 100
	// maxBodyBytes bounds every request body.
	maxBodyBytes = 64 << 10
	// issuanceTimeout bounds signing and storing one certificate; lego
	// gives up after 30 s.
	issuanceTimeout = 20 * time.Second
	// janitorInterval is how often Run does its background work.
	janitorInterval = time.Minute
	// validationGrace is how long past Policy.ValidationTimeout a challenge
	// may stay processing before Run fails it as interrupted: more than
	// recording the result takes (completeTimeout, retries included), and
	// room for the clocks of processes sharing a database to differ.
	validationGrace = time.Minute
)

// interruptedDetail is the detail of the problem of an order failed because
// its finalization was interrupted.
const interruptedDetail = "issuance was interrupted; create a new order"

// interruptedValidationDetail is the detail of the problem of a challenge
// failed because its validation was interrupted.
const interruptedValidationDetail = "validation was interrupted; create a new order"

// Server is an RFC 8555 ACME server. Create it with New, serve Handler, run
// Run for background work and call Shutdown before exiting.
type Server struct {
	store     Store
	vetting   Vetting
	issuer    Issuer
	revoker   Revoker
	validator Validator
	baseURL   string
	policy    Policy
	meta      Meta
	clock     func() time.Time
	log       *slog.Logger
	metrics   *metrics
	nonces    *nonceSource

	// ordersPageSize is ordersPageSize except in tests.
	ordersPageSize int

	// bgCtx parents every asynchronous validation; cancelBg aborts them.
	bgCtx    context.Context
	cancelBg context.CancelFunc
	mu       sync.Mutex // guards closing and the Add side of inflight
	closing  bool
	inflight sync.WaitGroup
}

// New validates opts, fills the Policy defaults documented on Policy and
// returns a Server. Metrics are registered with opts.Registerer if set.
func New(opts Options) (*Server, error) {
	switch {
	case opts.Store == nil:
		return nil, errors.New("acme: Options.Store is required")
	case opts.Vetting == nil:
		return nil, errors.New("acme: Options.Vetting is required")
	case opts.Issuer == nil:
		return nil, errors.New("acme: Options.Issuer is required")
	case opts.Validator == nil:
		return nil, errors.New("acme: Options.Validator is required")
	case opts.Revoker == nil:
		return nil, errors.New("acme: Options.Revoker is required")
	}
	if err := checkBaseURL(opts.BaseURL); err != nil {
		return nil, err
	}
	p, err := withDefaults(opts.Policy)
	if err != nil {
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	return &Server{
		store:          opts.Store,
		vetting:        opts.Vetting,
		issuer:         opts.Issuer,
		revoker:        opts.Revoker,
		validator:      opts.Validator,
		baseURL:        opts.BaseURL,
		policy:         p,
		meta:           opts.Meta,
		clock:          clock,
		log:            log,
		metrics:        m,
		nonces:         &nonceSource{store: opts.Store, clock: clock, lifetime: p.NonceLifetime},
		ordersPageSize: ordersPageSize,
		bgCtx:          bg,
		cancelBg:       cancel,
	}, nil
}

// checkBaseURL accepts scheme://host[:port] with no path, query or trailing
// slash.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("acme: Options.BaseURL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(s, "/") {
		return fmt.Errorf("acme: Options.BaseURL %q must be scheme://host[:port] with no path or trailing slash", s)
	}
	return nil
}

// withDefaults fills the zero fields of p and refuses negative ones.
func withDefaults(p Policy) (Policy, error) {
	if p.MaxNames < 0 || p.EABMaxAccounts < 0 || p.OrderLifetime < 0 || p.AuthzReuse < 0 ||
		p.NonceLifetime < 0 || p.ValidationTimeout < 0 || p.ProcessingTimeout < 0 || p.HoldRetryAfter < 0 || p.HoldRecheck < 0 || p.RenewalInfoRetryAfter < 0 {
		return p, errors.New("acme: Options.Policy: negative values are not allowed")
	}
	if p.ProcessingTimeout != 0 && p.ProcessingTimeout < minProcessingTimeout {
		return p, fmt.Errorf("acme: Options.Policy.ProcessingTimeout %v is shorter than issuance may take (at least %v)",
			p.ProcessingTimeout, minProcessingTimeout)
	}
	setDefault(&p.MaxNames, defaultMaxNames)
	setDefault(&p.EABMaxAccounts, defaultEABMaxAccounts)
	setDefault(&p.OrderLifetime, defaultOrderLifetime)
	setDefault(&p.AuthzReuse, defaultAuthzReuse)
	setDefault(&p.NonceLifetime, defaultNonceLifetime)
	setDefault(&p.ValidationTimeout, defaultValidationTimeout)
	setDefault(&p.ProcessingTimeout, defaultProcessingTimeout)
	setDefault(&p.HoldRetryAfter, defaultHoldRetryAfter)
	setDefault(&p.RenewalInfoRetryAfter, defaultRenewalInfoRetryAfter)
	setDefault(&p.HoldRecheck, defaultHoldRecheck)
	return p, nil
}

// setDefault sets *v to def when it is the zero value.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Run does the server's background work until ctx is done, once when it
// starts and then every minute: it forgets redeemed nonces that have
// expired; it fails orders that have been processing for longer than
// Policy.ProcessingTimeout (their finalization was interrupted, e.g. by a
// crash) with a serverInternal problem, so that clients polling them stop
// and create a new order (RFC 8555 §7.4); and it fails challenges that have
// been processing for longer than Policy.ValidationTimeout plus a grace
// minute (their validation was interrupted, or its result could not be
// recorded) with a serverInternal problem, together with their pending
// authorizations, so that the name is not blocked until the authorization
// expires and the next order gets a new authorization (RFC 8555 §7.5.1).
// Every Policy.HoldRecheck it asks the vetting gate again about the
// challenges it holds (releaseHolds). It returns ctx's error.
func (s *Server) Run(ctx context.Context) error {
	t := time.NewTicker(janitorInterval)
	defer t.Stop()
	holds := time.NewTicker(s.policy.HoldRecheck)
	defer holds.Stop()
	s.janitor(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			s.janitor(ctx)
		case <-holds.C:
			s.releaseHolds(ctx)
		}
	}
}

// janitor does one round of Run's background work.
func (s *Server) janitor(ctx context.Context) {
	now := s.clock()
	if err := s.store.DeleteExpiredNonces(ctx, now); err != nil && ctx.Err() == nil {
		s.log.Error("acme: delete expired nonces", "err", err)
	}
	p := newProblem(probServerInternal, interruptedDetail)
	n, err := s.store.FailInterruptedOrders(ctx, now.Add(-s.policy.ProcessingTimeout), problemJSON(p))
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Error("acme: fail interrupted orders", "err", err)
	case n > 0:
		s.log.Warn("acme: failed orders whose issuance was interrupted", "orders", n,
			"processing_timeout", s.policy.ProcessingTimeout.String())
	}
	p = newProblem(probServerInternal, interruptedValidationDetail)
	n, err = s.store.FailInterruptedChallenges(ctx, now.Add(-(s.policy.ValidationTimeout + validationGrace)), problemJSON(p))
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Error("acme: fail interrupted challenges", "err", err)
	case n > 0:
		s.log.Warn("acme: failed challenges whose validation was interrupted", "challenges", n,
			"validation_timeout", s.policy.ValidationTimeout.String())
	}
}

// Shutdown stops starting new challenge validations and waits for those in
// flight. If ctx ends first, the remaining validations are cancelled (they
// record a failed validation) and Shutdown returns ctx's error once they
// have finished.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancelBg()
		return nil
	case <-ctx.Done():
		s.cancelBg()
		<-done
		return ctx.Err()
	}
}

// isClosing reports whether Shutdown has been called.
func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// goAsync runs f in a goroutine tracked by Shutdown; it reports false if the
// server is shutting down and f was not started.
func (s *Server) goAsync(f func(ctx context.Context)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		f(s.bgCtx)
	}()
	return true
}
