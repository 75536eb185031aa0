-- 0004_organization_contacts: an organization's registration number and
-- phone, and its contacts with their history.
-- Never edit this file after it has landed; add 0005_... instead.

-- registration_number: for JP the 13-digit corporate number (check digit
-- verified by package vetting); phone: the organization's main number in
-- national form, digits only. Empty when not entered.
ALTER TABLE organizations ADD COLUMN registration_number TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- contacts: the people the CA deals with, per role. A change closes the
-- current row (valid_to) and adds a new one, so the rows of a role are its
-- history; the row with valid_to NULL is the current contact.
CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    role            TEXT    NOT NULL CHECK (role IN ('applicant', 'registration', 'technical', 'billing')),
    name            TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    phone           TEXT    NOT NULL,
    valid_from      TEXT    NOT NULL,
    valid_to        TEXT,
    changed_by      TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX contacts_current ON contacts (organization_id, role) WHERE valid_to IS NULL;
CREATE INDEX contacts_history ON contacts (organization_id, role, id);
