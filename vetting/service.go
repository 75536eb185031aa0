package vetting

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Options configures a Service.
type Options struct {
	// Store persists the records. Required.
	Store Store
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Rand is the source of contract codes, EAB key ids and HMAC keys; nil
	// means crypto/rand.Reader. Tests inject a deterministic reader.
	Rand io.Reader
	// Cases persists officers, vetting cases and approvals; nil leaves
	// those methods failing with an error that says so.
	Cases CaseStore
	// Directory is the independent business directory officers find the
	// number to call the registration contact at; nil: none configured
	// (the phone-verification evidence is then the officer's word).
	Directory Directory
	// HighRisk lists names that always need an officer's review: exact
	// names ("login.example.jp") and patterns with one leading "*." for
	// any name under a domain, or a "*" in a label ("*bank*.example").
	HighRisk []string
}

// Service is the registration authority. It validates operator input and
// persists records through the Store, each change together with its audit
// event. It implements acme.Vetting. A Service is safe for concurrent use.
type Service struct {
	store    Store
	cases    CaseStore
	dir      Directory
	highRisk []string
	clock    func() time.Time

	randMu sync.Mutex // serializes reads from an injected Rand
	rand   io.Reader
}

// New returns a Service. It panics if opts.Store is nil: that is a wiring
// bug, not a runtime condition.
func New(opts Options) *Service {
	if opts.Store == nil {
		panic("vetting: New: Options.Store is nil")
	}
	s := &Service{store: opts.Store, cases: opts.Cases, dir: opts.Directory, highRisk: opts.HighRisk, clock: opts.Clock, rand: opts.Rand}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	return s
}

// now returns the current time in UTC, truncated to the microsecond every
// supported database keeps.
func (s *Service) now() time.Time {
	return s.clock().UTC().Truncate(time.Microsecond)
}

// random fills b from the Service's random source.
func (s *Service) random(b []byte) error {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return fmt.Errorf("vetting: reading random bytes: %w", err)
	}
	return nil
}

// MaxActor is the maximum length of an actor name.
const MaxActor = 128

// checkActor validates who is making a change: required, printable, at most
// MaxActor bytes ("cli", "officer:tanaka", "acme:account/12").
func checkActor(ie *inputErrors, actor string) {
	switch {
	case strings.TrimSpace(actor) == "":
		ie.add("actor", "is required (who makes the change, e.g. \"cli\" or \"officer:tanaka\")")
	case len(actor) > MaxActor:
		ie.add("actor", "must be at most %d bytes", MaxActor)
	case !printable(actor):
		ie.add("actor", "must be printable text without control characters")
	}
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// event builds the audit event of a change; the Store appends it in the
// transaction that makes the change (and sets its Subject). detail must
// not hold secrets: the audit log is read by staff and exported.
func event(at time.Time, kind, actor string, detail any) (*AuditEvent, error) {
	d, err := json.Marshal(detail)
	if err != nil {
		return nil, fmt.Errorf("vetting: audit %s: %w", kind, err)
	}
	return &AuditEvent{At: at, Kind: kind, Actor: actor, Detail: d}, nil
}
