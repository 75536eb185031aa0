package vetting

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func goodContact(role string) ContactInput {
	return ContactInput{Role: role, Name: "Yamada Taro", Title: "Director", Email: "taro.yamada@example.co.jp", Phone: "03-1234-5678"}
}

// TestOrganizationRegistrationNumberAndPhone checks the organization's new
// fields: the corporate number's check digit for JP, and the phone.
func TestOrganizationRegistrationNumberAndPhone(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(in *OrganizationInput)
		wantNumber string
		wantPhone  string
		wantField  string // the field refused, "" when accepted
		wantText   string
	}{
		{"corporate number and phone", func(in *OrganizationInput) { in.RegistrationNumber, in.Phone = "7000012050002", "+81 3-1234-5678" },
			"7000012050002", "0312345678", "", ""},
		{"neither", func(in *OrganizationInput) {}, "", "", "", ""},
		{"wrong check digit", func(in *OrganizationInput) { in.RegistrationNumber = "1000012050002" },
			"", "", "registration_number", "check digit does not match"},
		{"corporate number too short", func(in *OrganizationInput) { in.RegistrationNumber = "700001205000" },
			"", "", "registration_number", "13-digit corporate number"},
		{"foreign registration number", func(in *OrganizationInput) {
			in.Country, in.Province, in.Locality, in.RegistrationNumber = "DE", "Bayern", "Muenchen", "HRB 12345"
		}, "HRB 12345", "", "", ""},
		{"phone with letters", func(in *OrganizationInput) { in.Phone = "03-CALL-NOW" }, "", "", "phone", "only digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m := newTestService(t, 1)
			in := goodOrg()
			tt.edit(&in)
			o, err := s.CreateOrganization(context.Background(), in, "cli")
			if tt.wantField != "" {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Fields[0].Field != tt.wantField || !strings.Contains(ie.Fields[0].Problem, tt.wantText) {
					t.Fatalf("got %v, want %s refused with %q", err, tt.wantField, tt.wantText)
				}
				if len(m.audit) != 0 || len(m.orgs) != 0 {
					t.Errorf("a refused organization left %d records and %d audit events", len(m.orgs), len(m.audit))
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if o.RegistrationNumber != tt.wantNumber || o.Phone != tt.wantPhone {
				t.Errorf("got number %q phone %q, want %q %q", o.RegistrationNumber, o.Phone, tt.wantNumber, tt.wantPhone)
			}
		})
	}
}

func TestSetContactHistory(t *testing.T) {
	s, m := newTestService(t, 1)
	ctx := context.Background()
	o, err := s.CreateOrganization(ctx, goodOrg(), "cli")
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.SetContact(ctx, o.ID, goodContact(RoleRegistration), "officer:sato")
	if err != nil {
		t.Fatal(err)
	}
	next := goodContact(RoleRegistration)
	next.Name, next.Phone = "Suzuki Hanako", "050-1111-2222" // IP phones are accepted
	second, err := s.SetContact(ctx, o.ID, next, "officer:sato")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetContact(ctx, o.ID, goodContact(RoleTechnical), "cli"); err != nil {
		t.Fatal(err)
	}
	current, err := s.Contacts(ctx, o.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(current) != 2 || current[0].ID != second.ID || current[0].Phone != "05011112222" || current[1].Role != RoleTechnical {
		t.Errorf("current contacts: got %+v, want the second registration contact and the technical one", current)
	}
	all, err := s.Contacts(ctx, o.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].ID != first.ID || all[0].ValidTo == nil || !all[0].ValidTo.Equal(second.ValidFrom) {
		t.Errorf("history: got %+v, want the first registration contact closed when the second started", all)
	}
	if got := m.audit[len(m.audit)-1]; got.Kind != "contact.set" || got.Actor != "cli" || got.Subject != "1" {
		t.Errorf("audit event: got %+v, want contact.set by cli about organization 1", got)
	}
}

func TestSetContactRefused(t *testing.T) {
	tests := []struct {
		name      string
		orgID     int64
		edit      func(in *ContactInput)
		wantErr   error
		wantField string
		wantText  string
	}{
		{"registration contact with a mobile number", 1, func(in *ContactInput) { in.Phone = "090-1234-5678" },
			ErrInvalid, "phone", "cannot be reached at a mobile number"},
		{"registration contact with an international mobile number", 1, func(in *ContactInput) { in.Phone = "+81 80 1234 5678" },
			ErrInvalid, "phone", "mobile number"},
		{"unknown role", 1, func(in *ContactInput) { in.Role = "ceo" }, ErrInvalid, "role", "must be one of"},
		{"applicant without a title", 1, func(in *ContactInput) { in.Role, in.Title = RoleApplicant, " " }, ErrInvalid, "title", "is required"},
		{"no name", 1, func(in *ContactInput) { in.Name = "" }, ErrInvalid, "name", "is required"},
		{"e-mail with a display name", 1, func(in *ContactInput) { in.Email = "Taro <taro@example.jp>" }, ErrInvalid, "email", "one e-mail address"},
		{"not an e-mail address", 1, func(in *ContactInput) { in.Email = "taro" }, ErrInvalid, "email", "one e-mail address"},
		{"unknown organization", 99, func(in *ContactInput) {}, ErrNotFound, "", "organization 99 not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m := newTestService(t, 1)
			if _, err := s.CreateOrganization(context.Background(), goodOrg(), "cli"); err != nil {
				t.Fatal(err)
			}
			in := goodContact(RoleRegistration)
			tt.edit(&in)
			_, err := s.SetContact(context.Background(), tt.orgID, in, "cli")
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("got %v, want %v containing %q", err, tt.wantErr, tt.wantText)
			}
			var ie *InputError
			if tt.wantField != "" && (!errors.As(err, &ie) || ie.Fields[0].Field != tt.wantField) {
				t.Errorf("got %v, want field %s refused", err, tt.wantField)
			}
			if len(m.contacts) != 0 || len(m.audit) != 1 {
				t.Errorf("a refused contact left %d contacts and %d audit events (want 0 and the org's 1)", len(m.contacts), len(m.audit))
			}
		})
	}
}
