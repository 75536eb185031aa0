package vetting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrNotListed: the directory has no entry for the organization. The FAQ's
// answer is documents by post (a seal certificate) instead of the call.
var ErrNotListed = errors.New("vetting: organization not listed in the directory")

// Directory is an independent business directory (the FAQ names a
// credit-research company): where a vetting officer finds the number to
// call the registration contact at, one the applicant did not supply
// (EV Guidelines 11.5, "verified method of communication").
type Directory interface {
	// Lookup finds the organization by registration number, else by legal
	// name; an error wrapping ErrNotListed when it is not listed.
	Lookup(ctx context.Context, q DirectoryQuery) (*DirectoryEntry, error)
}

// DirectoryQuery is what the CA knows of the organization it looks up.
type DirectoryQuery struct {
	Country            string
	RegistrationNumber string
	Name               string
}

// DirectoryEntry is one organization as the directory lists it.
type DirectoryEntry struct {
	Country            string `json:"country"`
	RegistrationNumber string `json:"registration_number"`
	Name               string `json:"name"`
	Address            string `json:"address"`
	// Phone is the listed number, normalized to national digits.
	Phone string `json:"phone"`
	// Source names the directory, recorded with the evidence.
	Source string `json:"-"`
}

// FileDirectory is a Directory read from a JSON file: an array of entries
// with country, registration_number, name, address and phone. It stands
// in for a credit-research company's service in tests and development.
type FileDirectory struct {
	source   string
	byNumber map[string]*DirectoryEntry // country + "/" + registration number
	byName   map[string]*DirectoryEntry // country + "/" + folded name
}

var _ Directory = (*FileDirectory)(nil)

// OpenFileDirectory reads and checks the directory file at path: every
// entry needs a 2-letter country, a name and a valid Japanese phone; JP
// registration numbers must pass the corporate-number check; no number or
// name may be listed twice. Errors name the entry to fix.
func OpenFileDirectory(path string) (*FileDirectory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vetting: directory: %w", err)
	}
	var entries []DirectoryEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("vetting: directory %s: not a JSON array of entries: %w", path, err)
	}
	d := &FileDirectory{source: "file:" + path, byNumber: map[string]*DirectoryEntry{}, byName: map[string]*DirectoryEntry{}}
	for i := range entries {
		e := &entries[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("vetting: directory %s: entry %d (%s): %s", path, i+1, quote(e.Name), fmt.Sprintf(format, args...))
		}
		e.Country = strings.ToUpper(strings.TrimSpace(e.Country))
		e.Name = strings.TrimSpace(e.Name)
		e.RegistrationNumber = strings.TrimSpace(e.RegistrationNumber)
		e.Source = d.source
		switch {
		case !isCountry(e.Country):
			return nil, bad("country must be a 2-letter code (got %s)", quote(e.Country))
		case e.Name == "":
			return nil, bad("name is required")
		}
		if e.Country == "JP" && e.RegistrationNumber != "" {
			if p := checkCorporateNumber(e.RegistrationNumber); p != "" {
				return nil, bad("registration_number %s", p)
			}
		}
		var p string
		if e.Phone, p = normalizePhone(e.Phone); p != "" {
			return nil, bad("phone %s", p)
		}
		if e.RegistrationNumber != "" {
			k := e.Country + "/" + e.RegistrationNumber
			if d.byNumber[k] != nil {
				return nil, bad("registration number %s is listed twice", e.RegistrationNumber)
			}
			d.byNumber[k] = e
		}
		k := e.Country + "/" + foldName(e.Name)
		if d.byName[k] != nil {
			return nil, bad("name is listed twice")
		}
		d.byName[k] = e
	}
	return d, nil
}

// foldName compares names case-insensitively with runs of spaces as one.
func foldName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// Lookup implements Directory.
func (d *FileDirectory) Lookup(_ context.Context, q DirectoryQuery) (*DirectoryEntry, error) {
	country := strings.ToUpper(q.Country)
	e := d.byNumber[country+"/"+strings.TrimSpace(q.RegistrationNumber)]
	if e == nil {
		e = d.byName[country+"/"+foldName(q.Name)]
	}
	if e == nil {
		return nil, fmt.Errorf("%w: %s %s %s (%s)", ErrNotListed, country, q.RegistrationNumber, quote(q.Name), d.source)
	}
	c := *e
	return &c, nil
}

// DirectoryListing looks the organization up in the configured directory:
// its listing, or an error wrapping ErrNotListed (then the organization
// must send documents, a seal certificate, instead of the phone call);
// ErrInvalid when no directory is configured.
func (s *Service) DirectoryListing(ctx context.Context, orgID int64) (*DirectoryEntry, error) {
	if s.dir == nil {
		return nil, errorf(ErrInvalid, "no business directory is configured (vetting.directory_file)")
	}
	o, err := s.Organization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	e, err := s.dir.Lookup(ctx, DirectoryQuery{Country: o.Country, RegistrationNumber: o.RegistrationNumber, Name: o.Name})
	if errors.Is(err, ErrNotListed) {
		return nil, &kindError{kind: ErrNotListed, cause: err, msg: fmt.Sprintf("vetting: organization %d (%s) is not listed in the "+
			"business directory: it must send a seal certificate (record the documents item) instead of the phone call", o.ID, o.Name)}
	}
	return e, err
}
