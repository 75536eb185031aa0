package vetting

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// officerName is an officer's login name: lower-case letters, digits and
// . _ -, starting with a letter, 2 to 32 characters.
var officerName = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,31}$`)

// roleRank orders the roles: each may do what the ones below it may.
var roleRank = map[string]int{RoleSpecialist: 1, RoleApprover: 2, RoleAdmin: 3}

// errNoCases is returned by the case methods of a Service without a
// CaseStore: a wiring mistake, said plainly.
var errNoCases = errors.New("vetting: this Service has no case store (Options.Cases)")

// OfficerActor is the audit actor of an officer's action.
func OfficerActor(name string) string { return "officer:" + name }

// AddOfficer creates an active officer with the role, with an
// "officer.add" audit event. actor is who adds them: "cli" (the operator
// at the server) or an admin officer's actor.
func (s *Service) AddOfficer(ctx context.Context, name, role, actor string) (*Officer, error) {
	if s.cases == nil {
		return nil, errNoCases
	}
	ie := &inputErrors{record: "officer"}
	if !officerName.MatchString(name) {
		ie.add("name", "must be 2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter (got %s)", quote(name))
	}
	if roleRank[role] == 0 {
		ie.add("role", "must be %s, %s or %s (got %s)", RoleSpecialist, RoleApprover, RoleAdmin, quote(role))
	}
	checkActor(ie, actor)
	if err := ie.err(); err != nil {
		return nil, err
	}
	if by, ok := officerOf(actor); ok {
		if _, err := s.officer(ctx, by, RoleAdmin, "add officers"); err != nil {
			return nil, err
		}
	}
	o := &Officer{Name: name, Role: role, Status: OfficerActive, CreatedAt: s.now()}
	ev, err := event(o.CreatedAt, "officer.add", actor, map[string]any{"name": name, "role": role})
	if err != nil {
		return nil, err
	}
	if err := s.cases.CreateOfficer(ctx, o, ev); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return nil, errorf(ErrDuplicate, "officer %s already exists", name)
		}
		return nil, fmt.Errorf("vetting: add officer %s: %w", name, err)
	}
	return o, nil
}

// Officers lists every officer by name.
func (s *Service) Officers(ctx context.Context) ([]*Officer, error) {
	if s.cases == nil {
		return nil, errNoCases
	}
	return s.cases.ListOfficers(ctx)
}

// officerOf returns the officer name of an "officer:NAME" actor.
func officerOf(actor string) (string, bool) {
	const prefix = "officer:"
	if len(actor) > len(prefix) && actor[:len(prefix)] == prefix {
		return actor[len(prefix):], true
	}
	return "", false
}

// checkOfficerName refuses a name no officer can have, before anything is
// looked up or audited.
func checkOfficerName(name string) error {
	if !officerName.MatchString(name) {
		return errorf(ErrInvalid, "officer name %s is not a valid login name (kakuin officer list shows them)", quote(name))
	}
	return nil
}

// officer returns the named officer if they are active and hold at least
// the role need; what names the action for the refusal's message.
func (s *Service) officer(ctx context.Context, name, need, what string) (*Officer, error) {
	o, err := s.cases.GetOfficer(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(ErrForbidden, "no officer named %s (kakuin officer add creates one)", quote(name))
	}
	if err != nil {
		return nil, fmt.Errorf("vetting: officer %s: %w", name, err)
	}
	if o.Status != OfficerActive {
		return nil, errorf(ErrForbidden, "officer %s is %s", name, o.Status)
	}
	if roleRank[o.Role] < roleRank[need] {
		return nil, errorf(ErrForbidden, "officer %s is a %s: to %s needs the %s role", name, o.Role, what, need)
	}
	return o, nil
}

// ActiveOfficer returns the named officer if they are active, else an
// error wrapping ErrForbidden: how the admin API checks who is calling.
func (s *Service) ActiveOfficer(ctx context.Context, name string) (*Officer, error) {
	if s.cases == nil {
		return nil, errNoCases
	}
	if err := checkOfficerName(name); err != nil {
		return nil, errorf(ErrForbidden, "%s", err.Error()[len("vetting: "):])
	}
	return s.officer(ctx, name, RoleSpecialist, "use the admin API")
}

// RecordOfficerCert appends an "officer.cert" audit event for a client
// certificate issued to an active officer (serial and expiry; the key is
// never recorded); an unknown or disabled officer is ErrForbidden.
func (s *Service) RecordOfficerCert(ctx context.Context, name, serial string, expires time.Time, actor string) error {
	if _, err := s.ActiveOfficer(ctx, name); err != nil {
		return err
	}
	ev, err := event(s.now(), "officer.cert", actor, map[string]any{"officer": name, "serial": serial, "expires": expires})
	if err != nil {
		return err
	}
	ev.Subject = name
	return s.store.AppendAudit(ctx, ev)
}

// SetOfficerActive enables or disables an officer ("officer.enable",
// "officer.disable" audit events). A disabled officer's every request and
// command is refused, which is how their client certificate stops working.
// actor is "cli" or an admin officer's actor.
func (s *Service) SetOfficerActive(ctx context.Context, name string, active bool, actor string) error {
	if s.cases == nil {
		return errNoCases
	}
	if err := checkOfficerName(name); err != nil {
		return err
	}
	if by, ok := officerOf(actor); ok {
		if _, err := s.officer(ctx, by, RoleAdmin, "enable or disable officers"); err != nil {
			return err
		}
	}
	status, kind := OfficerActive, "officer.enable"
	if !active {
		status, kind = OfficerDisabled, "officer.disable"
	}
	ev, err := event(s.now(), kind, actor, map[string]any{"name": name})
	if err != nil {
		return err
	}
	if err := s.cases.SetOfficerStatus(ctx, name, status, ev); err != nil {
		if errors.Is(err, ErrNotFound) {
			return errorf(ErrNotFound, "no officer named %s", name)
		}
		return fmt.Errorf("vetting: set officer %s %s: %w", name, status, err)
	}
	return nil
}
