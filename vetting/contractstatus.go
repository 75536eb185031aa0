package vetting

import (
	"context"
	"errors"
	"fmt"
)

// maxStatusAttempts bounds how often SetContractStatus re-reads a contract
// that a concurrent change updated under it.
const maxStatusAttempts = 3

// SetContractStatus changes a contract's status to status and records a
// "contract.status" audit event with the old and the new status ("from",
// "to") in the same transaction. A suspended contract binds no new ACME
// accounts or EAB credentials, and its accounts can neither order nor
// finalize until it is active again; an ended contract stays ended (ended
// is final: resuming or suspending it is refused, wrapping ErrInactive).
// Setting the status a contract already has changes nothing and records
// no event. A malformed code or an unknown status is an error wrapping
// ErrInvalid, an unknown contract ErrNotFound.
func (s *Service) SetContractStatus(ctx context.Context, code, status, actor string) error {
	ie := &inputErrors{record: "contract status change"}
	switch status {
	case ContractActive, ContractSuspended, ContractEnded:
	default:
		ie.add("status", "must be %q, %q or %q (got %s)", ContractActive, ContractSuspended, ContractEnded, quote(status))
	}
	checkActor(ie, actor)
	if err := ie.err(); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		c, err := s.Contract(ctx, code)
		if err != nil {
			return err
		}
		if c.Status == status {
			return nil
		}
		if c.Status == ContractEnded {
			verb := "resumed"
			if status == ContractSuspended {
				verb = "suspended"
			}
			return errorf(ErrInactive, "contract %s has ended and cannot be %s: an ended contract is final (create a new contract instead)",
				c.Code, verb)
		}
		at := s.now()
		ev, err := event(at, "contract.status", actor, map[string]any{"from": c.Status, "to": status})
		if err != nil {
			return err
		}
		err = s.store.SetContractStatus(ctx, c.Code, c.Status, status, ev)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrConflict) && attempt+1 < maxStatusAttempts:
			continue // changed meanwhile: decide again on the new status
		case errors.Is(err, ErrConflict):
			return &kindError{kind: ErrConflict, cause: err,
				msg: fmt.Sprintf("vetting: contract %s keeps changing while its status is being set; try again", c.Code)}
		default:
			return fmt.Errorf("vetting: set status of contract %s to %s: %w", c.Code, status, err)
		}
	}
}
