package vetting

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCreateOrganizationValid(t *testing.T) {
	tests := []struct {
		name string
		in   OrganizationInput
		want Organization
	}{
		{
			name: "typical",
			in:   goodOrg(),
			want: Organization{Name: "Example Trust Systems Co., Ltd.", NameJa: "株式会社エグザンプル", Country: "JP", Province: "Tokyo-to", Locality: "Shibuya-ku"},
		},
		{
			name: "every allowed character",
			in:   OrganizationInput{Name: "O'Neil, Smith-Jones. Ltd: A=B 42", Country: "US", Province: "New York", Locality: "St. Louis"},
			want: Organization{Name: "O'Neil, Smith-Jones. Ltd: A=B 42", Country: "US", Province: "New York", Locality: "St. Louis"},
		},
		{
			name: "normalised: country case, surrounding spaces",
			in:   OrganizationInput{Name: "  Example KK ", NameJa: "  例  ", Country: "jp", Province: " Osaka-fu", Locality: "Yokohama-shi Nishi-ku "},
			want: Organization{Name: "Example KK", NameJa: "例", Country: "JP", Province: "Osaka-fu", Locality: "Yokohama-shi Nishi-ku"},
		},
		{
			name: "maximum lengths",
			in:   OrganizationInput{Name: strings.Repeat("A", 64), NameJa: strings.Repeat("株", 128), Country: "Jp", Province: strings.Repeat("p", 64), Locality: strings.Repeat("l", 64)},
			want: Organization{Name: strings.Repeat("A", 64), NameJa: strings.Repeat("株", 128), Country: "JP", Province: strings.Repeat("p", 64), Locality: strings.Repeat("l", 64)},
		},
		{
			name: "no Japanese name",
			in:   OrganizationInput{Name: "Example", Country: "DE", Province: "Bayern", Locality: "Muenchen"},
			want: Organization{Name: "Example", Country: "DE", Province: "Bayern", Locality: "Muenchen"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m := newTestService(t, 1)
			got, err := s.CreateOrganization(context.Background(), tt.in, "cli")
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			want := tt.want
			want.ID = 1
			want.CreatedAt = testStored
			want.BusinessCategory = BusinessCategories[0] // the default
			if *got != want {
				t.Errorf("got %+v, want %+v", *got, want)
			}
			stored, err := m.GetOrganization(context.Background(), got.ID)
			if err != nil || *stored != want {
				t.Errorf("stored %+v (%v), want %+v", stored, err, want)
			}
		})
	}
}

func TestCreateOrganizationInvalid(t *testing.T) {
	with := func(f func(*OrganizationInput)) OrganizationInput {
		in := goodOrg()
		f(&in)
		return in
	}
	tests := []struct {
		name  string
		in    OrganizationInput
		field string
		want  []string
	}{
		{"name empty", with(func(i *OrganizationInput) { i.Name = "" }), "name", []string{"is required"}},
		{"name spaces only", with(func(i *OrganizationInput) { i.Name = "    " }), "name", []string{"spaces only"}},
		{"name 65 characters", with(func(i *OrganizationInput) { i.Name = strings.Repeat("A", 65) }), "name", []string{"at most 64 characters (got 65)"}},
		{"name ampersand", with(func(i *OrganizationInput) { i.Name = "Smith & Sons" }), "name", []string{"write 'and' instead of '&'"}},
		{"name accented letter", with(func(i *OrganizationInput) { i.Name = "Café Ltd" }), "name", []string{"'é' is not allowed", "letters A-Z"}},
		{"name Japanese", with(func(i *OrganizationInput) { i.Name = "株式会社" }), "name", []string{"'株' is not allowed"}},
		{"name at sign", with(func(i *OrganizationInput) { i.Name = "a@b" }), "name", []string{"'@' is not allowed"}},
		{"name slash", with(func(i *OrganizationInput) { i.Name = "A/B" }), "name", []string{"'/' is not allowed"}},
		{"name newline", with(func(i *OrganizationInput) { i.Name = "A\nB" }), "name", []string{`'\n' is not allowed`}},
		{"name tab", with(func(i *OrganizationInput) { i.Name = "A\tB" }), "name", []string{`'\t' is not allowed`}},
		{"name invalid utf-8", with(func(i *OrganizationInput) { i.Name = "A\xffB" }), "name", []string{"(invalid UTF-8) is not allowed"}},
		{"name_ja 129 characters", with(func(i *OrganizationInput) { i.NameJa = strings.Repeat("株", 129) }), "name_ja", []string{"at most 128 characters (got 129)"}},
		{"name_ja control character", with(func(i *OrganizationInput) { i.NameJa = "株式\x00会社" }), "name_ja", []string{"control characters"}},
		{"name_ja invalid utf-8", with(func(i *OrganizationInput) { i.NameJa = "株\xff" }), "name_ja", []string{"valid UTF-8"}},
		{"country empty", with(func(i *OrganizationInput) { i.Country = "" }), "country", []string{"2-letter ISO 3166-1 code"}},
		{"country one letter", with(func(i *OrganizationInput) { i.Country = "J" }), "country", []string{"2-letter", `"J"`}},
		{"country three letters", with(func(i *OrganizationInput) { i.Country = "JPN" }), "country", []string{"2-letter"}},
		{"country digit", with(func(i *OrganizationInput) { i.Country = "J1" }), "country", []string{"2-letter"}},
		{"country with space", with(func(i *OrganizationInput) { i.Country = " JP" }), "country", []string{"2-letter"}},
		{"country non-ASCII letter upper-casing to ASCII", with(func(i *OrganizationInput) { i.Country = "ıt" }), "country", []string{"2-letter"}},
		{"country full-width", with(func(i *OrganizationInput) { i.Country = "ＪＰ" }), "country", []string{"2-letter"}},
		{"province empty", with(func(i *OrganizationInput) { i.Province = "" }), "province", []string{"is required"}},
		{"province spaces only", with(func(i *OrganizationInput) { i.Province = " " }), "province", []string{"spaces only"}},
		{"province 65 characters", with(func(i *OrganizationInput) { i.Province = strings.Repeat("p", 65) }), "province", []string{"at most 64"}},
		{"province ampersand", with(func(i *OrganizationInput) { i.Province = "Trinidad & Tobago" }), "province", []string{"'and'"}},
		{"province with number", with(func(i *OrganizationInput) { i.Province = "Tokyo-to 1" }), "province", []string{"only the prefecture or state", "number"}},
		{"province Japanese", with(func(i *OrganizationInput) { i.Province = "東京都" }), "province", []string{"'東' is not allowed"}},
		{"locality empty", with(func(i *OrganizationInput) { i.Locality = "" }), "locality", []string{"is required"}},
		{"locality spaces only", with(func(i *OrganizationInput) { i.Locality = "   " }), "locality", []string{"spaces only"}},
		{"locality 65 characters", with(func(i *OrganizationInput) { i.Locality = strings.Repeat("l", 65) }), "locality", []string{"at most 64"}},
		{"locality with street and number (FAQ)", with(func(i *OrganizationInput) { i.Locality = "Shibuya-ku, jingumae 1-5-1" }), "locality", []string{"only the city", "no town, street, block or building number", "'1'"}},
		{"locality with chome", with(func(i *OrganizationInput) { i.Locality = "Chiyoda-ku 2-chome" }), "locality", []string{"only the city"}},
		{"locality ampersand", with(func(i *OrganizationInput) { i.Locality = "A & B" }), "locality", []string{"'and'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m := newTestService(t, 1)
			o, err := s.CreateOrganization(context.Background(), tt.in, "cli")
			if o != nil {
				t.Errorf("got organization %+v, want nil", o)
			}
			checkInvalid(t, err, tt.field, tt.want...)
			if n := len(m.orgs); n != 0 {
				t.Errorf("got %d stored organizations, want 0", n)
			}
			if n := len(m.events()); n != 0 {
				t.Errorf("got %d audit events, want 0", n)
			}
		})
	}
}

func TestCreateOrganizationReportsEveryField(t *testing.T) {
	s, _ := newTestService(t, 1)
	_, err := s.CreateOrganization(context.Background(), OrganizationInput{Name: "A & B", Country: "Japan", Province: "", Locality: "Shibuya-ku 1"}, "")
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want *InputError", err)
	}
	var got []string
	for _, f := range ie.Fields {
		got = append(got, f.Field)
	}
	want := []string{"name", "country", "province", "locality", "actor"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got fields %v, want %v", got, want)
	}
}

func TestCreateOrganizationAudit(t *testing.T) {
	s, m := newTestService(t, 1)
	o, err := s.CreateOrganization(context.Background(), goodOrg(), "officer:tanaka")
	if err != nil {
		t.Fatal(err)
	}
	ev := m.events()
	if len(ev) != 1 {
		t.Fatalf("got %d events, want 1", len(ev))
	}
	e := ev[0]
	if e.Kind != "org.create" || e.Actor != "officer:tanaka" || e.Subject != "1" || !e.At.Equal(o.CreatedAt) {
		t.Errorf("got event %+v, want org.create by officer:tanaka about 1 at %v", e, o.CreatedAt)
	}
	var d map[string]any
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatalf("detail %s: %v", e.Detail, err)
	}
	if d["name"] != o.Name || d["country"] != "JP" || d["locality"] != "Shibuya-ku" {
		t.Errorf("got detail %v, want the organization's fields", d)
	}
}

func TestOrganization(t *testing.T) {
	s, _ := newTestService(t, 1)
	ctx := context.Background()
	o, err := s.CreateOrganization(ctx, goodOrg(), "cli")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      int64
		wantErr error
	}{
		{"existing", o.ID, nil},
		{"unknown", 99, ErrNotFound},
		{"zero", 0, ErrNotFound},
		{"negative", -1, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Organization(ctx, tt.id)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "not found") {
					t.Errorf("got %q, want it to say not found", err)
				}
				return
			}
			if *got != *o {
				t.Errorf("got %+v, want %+v", *got, *o)
			}
		})
	}
}
