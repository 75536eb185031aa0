package acme_test

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/acme"
)

// faultyStore is the real store with failures injected into chosen calls.
type faultyStore struct {
	acme.Store
	// completeFailures is how many CompleteChallenge calls fail (as with a
	// busy or unreachable database) before they pass; negative: all fail.
	completeFailures atomic.Int64
	completeCalls    atomic.Int64
	// beforeFinalize, if set, runs before BeginFinalize: a change made by
	// another request between finalize's read and its BeginFinalize.
	beforeFinalize atomic.Pointer[func(ctx context.Context)]
}

func (f *faultyStore) CompleteChallenge(ctx context.Context, id int64, valid bool, problem []byte, at, expires time.Time) error {
	f.completeCalls.Add(1)
	if n := f.completeFailures.Load(); n != 0 {
		if n > 0 {
			f.completeFailures.Add(-1)
		}
		return errors.New("store: completing challenge: database is locked (SQLITE_BUSY)")
	}
	return f.Store.CompleteChallenge(ctx, id, valid, problem, at, expires)
}

func (f *faultyStore) BeginFinalize(ctx context.Context, orderID int64, at time.Time) error {
	if fn := f.beforeFinalize.Load(); fn != nil {
		(*fn)(ctx)
	}
	return f.Store.BeginFinalize(ctx, orderID, at)
}

// newFaultyEnv starts an environment whose server uses a faultyStore.
func newFaultyEnv(t *testing.T, opts envOptions) (*testEnv, *faultyStore) {
	t.Helper()
	f := &faultyStore{}
	opts.wrapStore = func(s acme.Store) acme.Store {
		f.Store = s
		return f
	}
	return newEnv(t, opts), f
}

// challengeOfType returns the authorization's challenge of type typ.
func challengeOfType(t *testing.T, c *xacme.Client, authzURL, typ string) *xacme.Challenge {
	t.Helper()
	az, err := c.GetAuthorization(context.Background(), authzURL)
	if err != nil {
		t.Fatalf("GetAuthorization: %v", err)
	}
	for _, ch := range az.Challenges {
		if ch.Type == typ {
			return ch
		}
	}
	t.Fatalf("authorization %s has no %s challenge", authzURL, typ)
	return nil
}

// challengeState is a challenge object as a client sees it.
type challengeState struct {
	Status string
	Error  struct{ Type, Detail string }
}

// challengeJSON fetches a challenge (POST-as-GET) at path.
func (e *testEnv) challengeJSON(t *testing.T, key crypto.Signer, kid, path string) challengeState {
	t.Helper()
	r := e.signedPost(t, path, rawJWS{key: key, kid: kid})
	var v challengeState
	if err := json.Unmarshal(r.body, &v); err != nil || r.status != http.StatusOK {
		t.Fatalf("challenge %s: got %d %s (%v)", path, r.status, r.body, err)
	}
	return v
}

// TestValidationResultRetried checks that a validation result whose
// recording fails a few times (a busy database) is retried and recorded.
func TestValidationResultRetried(t *testing.T) {
	tests := []struct {
		name       string
		failures   int64
		wantStatus string
		wantCalls  int64
	}{
		{"no failure", 0, acme.StatusValid, 1},
		{"recorded on the last attempt", acme.CompleteAttempts - 1, acme.StatusValid, acme.CompleteAttempts},
		{"never recorded", -1, acme.StatusProcessing, acme.CompleteAttempts},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, f := newFaultyEnv(t, envOptions{})
			f.completeFailures.Store(tc.failures)
			key := newECKey(t, elliptic.P256())
			c := e.register(t, key)
			name := fmt.Sprintf("retry%d.kakuin-interrupted.example.com", i)
			o, err := c.AuthorizeOrder(context.Background(), xacme.DomainIDs(name))
			if err != nil {
				t.Fatal(err)
			}
			ch := challengeOfType(t, c, o.AuthzURLs[0], acme.ChallengeHTTP01)
			e.fulfil(t, c, ch, name)
			if _, err := c.Accept(context.Background(), ch); err != nil {
				t.Fatalf("Accept: %v", err)
			}
			// Shutdown waits for the validation, retries included.
			if err := e.srv.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			got, err := e.store.GetChallenge(context.Background(), idOf(t, ch.URI))
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.wantStatus {
				t.Errorf("challenge status: got %q, want %q", got.Status, tc.wantStatus)
			}
			if n := f.completeCalls.Load(); n != tc.wantCalls {
				t.Errorf("CompleteChallenge calls: got %d, want %d", n, tc.wantCalls)
			}
		})
	}
}

// TestInterruptedValidationFails checks that Run fails a challenge whose
// result could not be recorded once it has been processing for longer than
// Policy.ValidationTimeout plus a grace minute, together with its
// authorization, so that a new order gets a new authorization; and that it
// leaves a younger one alone.
func TestInterruptedValidationFails(t *testing.T) {
	const validationTimeout = 10 * time.Second
	e, f := newFaultyEnv(t, envOptions{policy: acme.Policy{ValidationTimeout: validationTimeout}})
	f.completeFailures.Store(-1)
	ctx := context.Background()
	key := newECKey(t, elliptic.P256())
	c := e.register(t, key)
	kid := string(c.KID)
	const stale, young = "stale.kakuin-interrupted.example.com", "young.kakuin-interrupted.example.com"
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(stale, young))
	if err != nil {
		t.Fatal(err)
	}
	staleCh := challengeOfType(t, c, o.AuthzURLs[0], acme.ChallengeHTTP01)
	youngCh := challengeOfType(t, c, o.AuthzURLs[1], acme.ChallengeHTTP01)
	e.fulfil(t, c, staleCh, stale)
	if _, err := c.Accept(ctx, staleCh); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	// Wait until the server has given up recording the result (bounded,
	// so that a broken server fails instead of hanging).
	for deadline := time.Now().Add(20 * time.Second); f.completeCalls.Load() < acme.CompleteAttempts; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("CompleteChallenge called %d times, want %d", f.completeCalls.Load(), acme.CompleteAttempts)
		}
	}

	// Just before the cutoff nothing changes; the young challenge starts.
	e.offset.Store(int64(validationTimeout + time.Minute - time.Second))
	if err := e.store.StartChallenge(ctx, idOf(t, youngCh.URI), e.now()); err != nil {
		t.Fatalf("StartChallenge(young): %v", err)
	}
	acme.RunJanitor(ctx, e.srv)
	if got := e.challengeJSON(t, key, kid, e.pathOf(staleCh.URI)); got.Status != acme.StatusProcessing {
		t.Errorf("stale challenge before the cutoff: got %q, want processing", got.Status)
	}
	// Past it, the stale challenge and its authorization fail.
	e.offset.Store(int64(validationTimeout + time.Minute + 2*time.Second))
	acme.RunJanitor(ctx, e.srv)

	t.Run("stale challenge", func(t *testing.T) {
		got := e.challengeJSON(t, key, kid, e.pathOf(staleCh.URI))
		if got.Status != acme.StatusInvalid {
			t.Errorf("status: got %q, want invalid", got.Status)
		}
		want := struct{ Type, Detail string }{"urn:ietf:params:acme:error:serverInternal", "validation was interrupted; create a new order"}
		if got.Error != want {
			t.Errorf("error: got %+v, want %+v", got.Error, want)
		}
		az, err := c.GetAuthorization(ctx, o.AuthzURLs[0])
		if err != nil {
			t.Fatal(err)
		}
		if az.Status != xacme.StatusInvalid {
			t.Errorf("authorization: got %q, want invalid", az.Status)
		}
	})
	t.Run("young challenge", func(t *testing.T) {
		if got := e.challengeJSON(t, key, kid, e.pathOf(youngCh.URI)); got.Status != acme.StatusProcessing {
			t.Errorf("status: got %q, want processing", got.Status)
		}
	})
	t.Run("new order", func(t *testing.T) {
		f.completeFailures.Store(0)
		o2 := e.authorize(t, c, acme.ChallengeHTTP01, stale)
		if o2.AuthzURLs[0] == o.AuthzURLs[0] {
			t.Errorf("new order: got the interrupted authorization %s again, want a new one", o2.AuthzURLs[0])
		}
		if o2.Status != xacme.StatusReady {
			t.Errorf("new order: got %q, want ready", o2.Status)
		}
	})
}

// TestValidationInterruptedByCrash checks the life of a challenge whose
// server died while validating it: another server on the same database
// sees it processing (and refuses its siblings) until, the validation
// timeout and grace past, its Run fails it; then the name can be validated
// again.
func TestValidationInterruptedByCrash(t *testing.T) {
	ctx := context.Background()
	first := newEnv(t, envOptions{})
	key := newECKey(t, elliptic.P256())
	c := first.register(t, key)
	const name = "crash.kakuin-interrupted.example.com"
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(name))
	if err != nil {
		t.Fatal(err)
	}
	ch := challengeOfType(t, c, o.AuthzURLs[0], acme.ChallengeHTTP01)
	first.http01.set(ch.Token, blockResponse) // the validator waits
	if _, err := c.Accept(ctx, ch); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	// The process dies: its database connections go away, then its
	// validation ends without being able to record anything.
	first.store.Close()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := first.srv.Shutdown(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown: got %v, want context.Canceled", err)
	}

	second := newEnv(t, envOptions{shareWith: first})
	c2 := second.client(key)
	kid := second.baseURL + first.pathOf(string(c.KID))
	c2.KID = xacme.KeyID(kid)
	chPath, authzPath := first.pathOf(ch.URI), first.pathOf(o.AuthzURLs[0])
	dns := challengeOfType(t, c2, second.baseURL+authzPath, acme.ChallengeDNS01)
	t.Run("before the cutoff", func(t *testing.T) {
		r := second.signedPost(t, chPath, rawJWS{key: key, kid: kid, payload: []byte(`{}`)})
		if r.status != http.StatusOK || !jsonHas(r.body, "status", acme.StatusProcessing) {
			t.Errorf("challenge POST: got %d %s, want 200 processing", r.status, r.body)
		}
		r = second.signedPost(t, second.pathOf(dns.URI), rawJWS{key: key, kid: kid, payload: []byte(`{}`)})
		if got := r.problemType(); got != "malformed" {
			t.Errorf("sibling challenge POST: got %d %s, want malformed", r.status, r.body)
		}
		o2, err := c2.AuthorizeOrder(ctx, xacme.DomainIDs(name))
		if err != nil {
			t.Fatal(err)
		}
		if got := second.pathOf(o2.AuthzURLs[0]); got != authzPath {
			t.Errorf("new order: got authorization %s, want the processing one %s", got, authzPath)
		}
	})
	second.offset.Store(int64(30*time.Second + time.Minute + time.Second)) // default ValidationTimeout + grace
	acme.RunJanitor(ctx, second.srv)
	t.Run("after the cutoff", func(t *testing.T) {
		got := second.challengeJSON(t, key, kid, chPath)
		if got.Status != acme.StatusInvalid || got.Error.Detail != "validation was interrupted; create a new order" {
			t.Errorf("challenge: got %q %+v, want invalid, interrupted", got.Status, got.Error)
		}
		o3 := second.authorize(t, c2, acme.ChallengeHTTP01, name)
		if got := second.pathOf(o3.AuthzURLs[0]); got == authzPath {
			t.Errorf("new order: got the interrupted authorization %s again, want a new one", got)
		}
		if o3.Status != xacme.StatusReady {
			t.Errorf("new order: got %q, want ready", o3.Status)
		}
	})
}

// jsonHas reports whether the JSON object body has member name equal to
// the string value.
func jsonHas(body []byte, name, value string) bool {
	var m map[string]any
	return json.Unmarshal(body, &m) == nil && m[name] == value
}

// TestConcurrentChallengeStarts checks that of simultaneous requests to
// start the challenges of one authorization exactly one starts a
// validation; the others are refused and their challenges stay pending.
func TestConcurrentChallengeStarts(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	key := newECKey(t, elliptic.P256())
	c := e.register(t, key)
	kid := string(c.KID)
	for round := range 4 {
		name := fmt.Sprintf("race%d.kakuin-interrupted.example.com", round)
		o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(name))
		if err != nil {
			t.Fatal(err)
		}
		az, err := c.GetAuthorization(ctx, o.AuthzURLs[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range az.Challenges {
			if ch.Type == acme.ChallengeHTTP01 {
				e.http01.set(ch.Token, blockResponse)
			}
		}
		// Sign every request first, so that they are sent together.
		bodies := make([][]byte, len(az.Challenges))
		for i, ch := range az.Challenges {
			bodies[i] = rawJWS{key: key, kid: kid, nonce: e.nonce(t), url: ch.URI, payload: []byte(`{}`)}.encode(t)
		}
		statuses := make([]int, len(bodies))
		var wg sync.WaitGroup
		for i, ch := range az.Challenges {
			wg.Go(func() { statuses[i] = e.post(t, e.pathOf(ch.URI), bodies[i], "application/jose+json").status })
		}
		wg.Wait()
		started := 0
		for _, st := range statuses {
			if st == http.StatusOK {
				started++
			}
		}
		if started != 1 {
			t.Errorf("round %d: got statuses %v, want exactly one 200", round, statuses)
		}
		got, err := e.store.GetAuthorization(ctx, idOf(t, o.AuthzURLs[0]))
		if err != nil {
			t.Fatal(err)
		}
		notPending := 0
		for _, ch := range got.Challenges {
			if ch.Status != acme.StatusPending {
				notPending++
			}
		}
		if notPending != 1 {
			t.Errorf("round %d: got %d challenges started, want 1", round, notPending)
		}
	}
	// Cancel the validations still waiting for the http-01 responder.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	e.srv.Shutdown(cancelled)
}

// TestFinalizeAfterDeactivation checks that an authorization deactivated
// between finalize's read of the order and its start of issuance stops the
// issuance: orderNotReady, and the order is not processing.
func TestFinalizeAfterDeactivation(t *testing.T) {
	e, f := newFaultyEnv(t, envOptions{})
	ctx := context.Background()
	key := newECKey(t, elliptic.P256())
	c := e.register(t, key)
	const name = "deactivated.kakuin-interrupted.example.com"
	o := e.authorize(t, c, acme.ChallengeHTTP01, name)
	authzID := idOf(t, o.AuthzURLs[0])
	deactivate := func(ctx context.Context) {
		if err := e.store.DeactivateAuthorization(ctx, authzID); err != nil {
			t.Errorf("DeactivateAuthorization: %v", err)
		}
	}
	f.beforeFinalize.Store(&deactivate)
	csr := base64.RawURLEncoding.EncodeToString(newCSR(t, newECKey(t, elliptic.P256()), name))
	r := e.signedPost(t, e.pathOf(o.FinalizeURL), rawJWS{key: key, kid: string(c.KID), payload: []byte(`{"csr":"` + csr + `"}`)})
	if got := r.problemType(); got != "orderNotReady" || r.status != http.StatusForbidden {
		t.Errorf("finalize: got %d %s, want 403 orderNotReady", r.status, r.body)
	}
	if got, want := r.problem["detail"], "order is invalid, not ready"; got != want {
		t.Errorf("detail: got %q, want %q", got, want)
	}
	stored, err := e.store.GetOrder(ctx, idOf(t, o.URI))
	if err != nil {
		t.Fatal(err)
	}
	if stored.StoredStatus != acme.StatusPending || stored.CertSerial != "" {
		t.Errorf("order: got stored status %q and certificate %q, want pending without one", stored.StoredStatus, stored.CertSerial)
	}
}
