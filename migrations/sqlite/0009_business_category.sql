-- 0009_business_category: an organization's EV business category (EV
-- Guidelines 7.1.4.2.3), shown in its EV certificates.
-- Never edit this file after it has landed; add 0010_... instead.
ALTER TABLE organizations ADD COLUMN business_category TEXT NOT NULL DEFAULT 'Private Organization'
    CHECK (business_category IN ('Private Organization', 'Government Entity', 'Business Entity', 'Non-Commercial Entity'));
