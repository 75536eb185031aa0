package vetting

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxContactField is the maximum length, in characters, of a contact's
// name, title and e-mail address.
const MaxContactField = 128

// ContactInput is what an operator enters for one contact of an
// organization.
type ContactInput struct {
	// Role is RoleApplicant, RoleRegistration, RoleTechnical or
	// RoleBilling.
	Role string
	Name string
	// Title is the person's position; required for the applicant, who must
	// have authority in the organization.
	Title string
	Email string
	// Phone is a Japanese number in any common notation; the registration
	// contact's may not be a mobile number.
	Phone string
}

// SetContact validates in and makes it the organization's current contact
// for the role, closing the previous one, with a "contact.set" audit
// event. The history of a role stays readable (Contacts with history).
func (s *Service) SetContact(ctx context.Context, orgID int64, in ContactInput, actor string) (*Contact, error) {
	c, err := checkContact(in, actor)
	if err != nil {
		return nil, err
	}
	if _, err := s.Organization(ctx, orgID); err != nil {
		return nil, err
	}
	c.OrganizationID, c.ChangedBy, c.ValidFrom = orgID, actor, s.now()
	ev, err := event(c.ValidFrom, "contact.set", actor, map[string]any{
		"role": c.Role, "name": c.Name, "title": c.Title, "email": c.Email, "phone": c.Phone,
	})
	if err != nil {
		return nil, err
	}
	if err := s.store.SetContact(ctx, c, ev); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, errorf(ErrNotFound, "organization %d not found", orgID)
		}
		return nil, fmt.Errorf("vetting: set %s contact of organization %d: %w", c.Role, orgID, err)
	}
	return c, nil
}

// Contacts returns the organization's current contacts, or with history
// every contact it has had, by role, oldest first.
func (s *Service) Contacts(ctx context.Context, orgID int64, history bool) ([]*Contact, error) {
	if _, err := s.Organization(ctx, orgID); err != nil {
		return nil, err
	}
	cs, err := s.store.Contacts(ctx, orgID, history)
	if err != nil {
		return nil, fmt.Errorf("vetting: contacts of organization %d: %w", orgID, err)
	}
	return cs, nil
}

// checkContact applies the FAQ's contact rules to in.
func checkContact(in ContactInput, actor string) (*Contact, error) {
	ie := &inputErrors{record: "contact"}
	c := &Contact{Role: in.Role, Name: strings.TrimSpace(in.Name), Title: strings.TrimSpace(in.Title)}
	if !slices.Contains(ContactRoles, in.Role) {
		ie.add("role", "must be one of %s (got %s)", strings.Join(ContactRoles, ", "), quote(in.Role))
	}
	text := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			ie.add(field, "is required")
		case !printable(v):
			ie.add(field, "must be text without control characters")
		case utf8.RuneCountInString(v) > MaxContactField:
			ie.add(field, "must be at most %d characters (got %d)", MaxContactField, utf8.RuneCountInString(v))
		}
	}
	text("name", c.Name, true)
	text("title", c.Title, in.Role == RoleApplicant)
	if addr, err := mail.ParseAddress(strings.TrimSpace(in.Email)); err != nil || addr.Name != "" || len(addr.Address) > MaxContactField {
		ie.add("email", "must be one e-mail address such as taro.yamada@example.co.jp, at most %d characters (got %s)",
			MaxContactField, quote(in.Email))
	} else {
		c.Email = addr.Address
	}
	var problem string
	if c.Phone, problem = normalizePhone(in.Phone); problem != "" {
		ie.add("phone", "%s", problem)
	} else if in.Role == RoleRegistration && isMobile(c.Phone) {
		ie.add("phone", "the registration contact cannot be reached at a mobile number (070, 080, 090): the CA verifies them "+
			"by calling the organization; give a landline or an IP phone (050) number (got %s)", quote(in.Phone))
	}
	checkActor(ie, actor)
	if err := ie.err(); err != nil {
		return nil, err
	}
	return c, nil
}
