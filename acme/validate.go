package acme

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Recording a validation result (Server.complete) is tried completeAttempts
// times, waiting completeBackoff before the second try and twice as long
// before each next one, all within completeTimeout: a busy or briefly
// unreachable database must not leave the challenge processing.
const (
	completeAttempts = 4
	completeBackoff  = 100 * time.Millisecond
)

// validationJob is one challenge validation to run in the background.
type validationJob struct {
	challengeID int64
	typ         string
	name        string // without "*."
	token       string
	keyAuth     string // token "." base64url(thumbprint) (RFC 8555 §8.1)
	accountID   int64
	// contractCode and profile are what the vetting gate decides for.
	contractCode string
	profile      string
}

// problemTyper is implemented by validation errors that name their RFC 8555
// error type (see Validator).
type problemTyper interface{ ProblemType() string }

// validate runs the validator with a context bounded by
// Policy.ValidationTimeout and detached from the request that started it,
// checks CAA once the challenge is met (validationCAA), then records the
// result.
func (s *Server) validate(bg context.Context, job validationJob) {
	ctx, cancel := context.WithTimeout(bg, s.policy.ValidationTimeout)
	defer cancel()
	err := s.validator.Validate(ctx, job.typ, job.name, job.token, job.keyAuth)
	var p *problem
	if err != nil {
		p = validationProblem(err)
	} else {
		p = s.validationCAA(ctx, job)
	}
	if p == nil {
		// Domain control is proven and CAA permits; the vetting gate
		// decides the rest.
		s.gateJob(ctx, job)
		return
	}
	if bg.Err() != nil {
		p = newProblem(probServerInternal, "validation interrupted: the server is shutting down")
	}
	s.complete(job, p)
}

// validationProblem maps a validation error to the problem stored on the
// challenge (RFC 8555 §7.1.5): its ProblemType() if it has one, else
// incorrectResponse; the detail is its ClientDetail(), which the validator
// writes for clients, and never the error's message.
func validationProblem(err error) *problem {
	typ := probIncorrectResponse
	var pt problemTyper
	if errors.As(err, &pt) {
		if t := strings.TrimPrefix(pt.ProblemType(), errNS); t != "" {
			typ = t
		}
	}
	detail := "the response did not satisfy the challenge"
	var cd clientDetailer
	hasDetail := errors.As(err, &cd)
	if hasDetail {
		detail = cd.ClientDetail()
	}
	if errors.Is(err, context.DeadlineExceeded) && typ == probIncorrectResponse {
		typ = "connection"
		if !hasDetail {
			detail = "validation timed out"
		}
	}
	return newProblem(typ, "%s", detail)
}

// complete records the validation result (nil problem: valid), retrying a
// failed write (see completeAttempts). A valid authorization expires
// Policy.AuthzReuse after its validation (BR §4.2.1 domain validation data
// reuse): until then FindReusableAuthz offers it to new orders, and its
// object shows that expiry (RFC 8555 §7.1.4). A result that cannot be
// recorded leaves the challenge processing until Run fails it as
// interrupted.
func (s *Server) complete(job validationJob, p *problem) {
	s.completeAt(job, p, s.clock())
}

// completeAt is complete with the validation time at: when domain control
// was proven, which for a challenge the vetting gate held is before now.
func (s *Server) completeAt(job validationJob, p *problem, at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), completeTimeout)
	defer cancel()
	result := "valid"
	var pj []byte
	if p != nil {
		result = strings.TrimPrefix(p.Type, errNS)
		pj = problemJSON(p)
	}
	s.metrics.validation(job.typ, result)
	wait := completeBackoff
	for attempt := 1; ; attempt++ {
		err := s.store.CompleteChallenge(ctx, job.challengeID, p == nil, pj, at, at.Add(s.policy.AuthzReuse))
		if err == nil {
			break
		}
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) || attempt == completeAttempts || ctx.Err() != nil {
			s.log.Error("acme: record validation result", "challenge", job.challengeID, "attempts", attempt, "err", err)
			return
		}
		s.log.Warn("acme: record validation result; retrying", "challenge", job.challengeID, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 2
	}
	s.log.Info("acme validation", "account", job.accountID, "challenge", job.challengeID,
		"type", job.typ, "name", job.name, "result", result)
}
