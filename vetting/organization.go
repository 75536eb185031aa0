package vetting

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxNameJa is the maximum length, in characters, of an organization's
// Japanese name.
const MaxNameJa = 128

// OrganizationInput is what an operator enters to create an organization.
type OrganizationInput struct {
	// Name is the legal name in English, the subject O of certificates.
	Name string
	// NameJa is the legal name in Japanese (optional).
	NameJa string
	// Country is the ISO 3166-1 alpha-2 code; any case.
	Country string
	// Province is the prefecture or state only, e.g. "Tokyo-to".
	Province string
	// Locality is the city only, e.g. "Shibuya-ku".
	Locality string
	// RegistrationNumber is the registering agency's number (optional
	// until identity vetting): for JP the 13-digit corporate number, whose
	// check digit is verified.
	RegistrationNumber string
	// Phone is the organization's main number (optional), Japanese.
	Phone string
	// BusinessCategory is the EV business category; empty means "Private
	// Organization".
	BusinessCategory string
}

// MaxRegistrationNumber is the maximum length of a registration number
// outside Japan.
const MaxRegistrationNumber = 64

// CreateOrganization validates in and stores the organization with an
// "org.create" audit event. Invalid input returns an *InputError (wrapping
// ErrInvalid) naming every bad field.
func (s *Service) CreateOrganization(ctx context.Context, in OrganizationInput, actor string) (*Organization, error) {
	o, err := checkOrganization(in, actor)
	if err != nil {
		return nil, err
	}
	o.CreatedAt = s.now()
	ev, err := event(o.CreatedAt, "org.create", actor, map[string]any{
		"name": o.Name, "name_ja": o.NameJa, "country": o.Country,
		"province": o.Province, "locality": o.Locality, "registration_number": o.RegistrationNumber, "phone": o.Phone,
		"business_category": o.BusinessCategory,
	})
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateOrganization(ctx, o, ev); err != nil {
		return nil, fmt.Errorf("vetting: create organization %s: %w", quote(o.Name), err)
	}
	return o, nil
}

// Organization returns the organization with the given id; the error wraps
// ErrNotFound if there is none. Part of acme.Vetting.
func (s *Service) Organization(ctx context.Context, id int64) (*Organization, error) {
	if id <= 0 {
		return nil, errorf(ErrNotFound, "organization %d not found", id)
	}
	o, err := s.store.GetOrganization(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, &kindError{kind: ErrNotFound, cause: err, msg: fmt.Sprintf("vetting: organization %d not found", id)}
	}
	if err != nil {
		return nil, fmt.Errorf("vetting: get organization %d: %w", id, err)
	}
	return o, nil
}

// checkOrganization applies the subject rules of the FAQ (REQUIREMENTS.md
// "CSR and subject rules") to in and returns the normalized record.
func checkOrganization(in OrganizationInput, actor string) (*Organization, error) {
	ie := &inputErrors{record: "organization"}
	o := &Organization{}

	var p string
	if o.Name, p = checkDNField(in.Name); p != "" {
		ie.add("name", "%s", p)
	}

	o.NameJa = strings.TrimSpace(in.NameJa)
	switch {
	case !printable(o.NameJa):
		ie.add("name_ja", "must be valid UTF-8 text without control characters")
	case utf8.RuneCountInString(o.NameJa) > MaxNameJa:
		ie.add("name_ja", "must be at most %d characters (got %d)", MaxNameJa, utf8.RuneCountInString(o.NameJa))
	}

	o.Country = strings.ToUpper(in.Country)
	if !isCountry(in.Country) {
		ie.add("country", "must be a 2-letter ISO 3166-1 code such as JP (got %s)", quote(in.Country))
	}

	if o.Province, p = checkPlace(in.Province, "the prefecture or state", `"Tokyo-to" or "Osaka-fu"`); p != "" {
		ie.add("province", "%s", p)
	}
	if o.Locality, p = checkPlace(in.Locality, "the city, ward, town or village", `"Shibuya-ku" or "Yokohama-shi Nishi-ku"`); p != "" {
		ie.add("locality", "%s", p)
	}
	o.RegistrationNumber = strings.TrimSpace(in.RegistrationNumber)
	switch {
	case o.RegistrationNumber == "":
	case o.Country == "JP":
		if p := checkCorporateNumber(o.RegistrationNumber); p != "" {
			ie.add("registration_number", "%s", p)
		}
	case len(o.RegistrationNumber) > MaxRegistrationNumber || !printable(o.RegistrationNumber):
		ie.add("registration_number", "must be text of at most %d bytes", MaxRegistrationNumber)
	}
	o.BusinessCategory = in.BusinessCategory
	if o.BusinessCategory == "" {
		o.BusinessCategory = BusinessCategories[0]
	}
	if !slices.Contains(BusinessCategories, o.BusinessCategory) {
		ie.add("business_category", "must be one of %s (got %s)", strings.Join(BusinessCategories, ", "), quote(in.BusinessCategory))
	}
	if strings.TrimSpace(in.Phone) != "" {
		if o.Phone, p = normalizePhone(in.Phone); p != "" {
			ie.add("phone", "%s", p)
		}
	}
	checkActor(ie, actor)
	if err := ie.err(); err != nil {
		return nil, err
	}
	return o, nil
}

// checkPlace checks a province or locality: a subject attribute that names
// a place only, so it must not hold a street, block or building number
// (FAQ: "Shibuya-ku, jingumae 1-5-1" is refused).
func checkPlace(v, what, example string) (string, string) {
	t, p := checkDNField(v)
	if p != "" {
		return t, p
	}
	if d, ok := firstDigit(t); ok {
		return t, fmt.Sprintf("must name only %s, e.g. %s: no town, street, block or building number (found digit %q in %s)",
			what, example, d, quote(t))
	}
	return t, ""
}

// isCountry reports whether c is two ASCII letters, in any case.
func isCountry(c string) bool {
	letter := func(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }
	return len(c) == 2 && letter(c[0]) && letter(c[1])
}
