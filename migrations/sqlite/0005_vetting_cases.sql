-- 0005_vetting_cases: vetting officers, the cases they decide, the evidence
-- behind each decision, and what an approval grants: an organization's
-- identity at a level, and a domain for an organization.
-- Never edit this file after it has landed; add 0006_... instead.

-- officers: CA staff. role: specialist (records evidence), approver (also
-- decides cases), admin (also manages officers).
CREATE TABLE officers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    role       TEXT    NOT NULL CHECK (role IN ('specialist', 'approver', 'admin')),
    status     TEXT    NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at TEXT    NOT NULL
) STRICT;

-- vetting_cases: one thing to decide. kind identity: the organization's
-- identity at level ov or ev; domain: subject (a registered domain) for the
-- organization; high-risk: subject (a name on the high-risk list) for the
-- organization. At most one case per question is open at a time.
CREATE TABLE vetting_cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL CHECK (kind IN ('identity', 'domain', 'high-risk')),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    level           TEXT    NOT NULL CHECK (level IN ('ov', 'ev')),
    subject         TEXT    NOT NULL, -- '' for identity
    status          TEXT    NOT NULL CHECK (status IN ('open', 'approved', 'rejected')),
    reason          TEXT    NOT NULL, -- why it was opened
    opened_at       TEXT    NOT NULL,
    opened_by       TEXT    NOT NULL,
    decided_at      TEXT,
    decided_by      TEXT,
    decision_note   TEXT    NOT NULL DEFAULT '' -- the officer's reason, shown to the client on rejection
) STRICT;
CREATE UNIQUE INDEX vetting_cases_open ON vetting_cases (kind, organization_id, level, subject) WHERE status = 'open';
CREATE INDEX vetting_cases_question ON vetting_cases (kind, organization_id, level, subject, id);
CREATE INDEX vetting_cases_status ON vetting_cases (status, id);

-- case_evidence: one checklist item recorded by an officer.
CREATE TABLE case_evidence (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES vetting_cases (id),
    item        TEXT    NOT NULL,
    note        TEXT    NOT NULL,
    recorded_by TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL
) STRICT;
CREATE INDEX case_evidence_case ON case_evidence (case_id, id);

-- case_approvals: the approvals of a case; EV needs two distinct officers.
CREATE TABLE case_approvals (
    case_id     INTEGER NOT NULL REFERENCES vetting_cases (id),
    officer     TEXT    NOT NULL,
    approved_at TEXT    NOT NULL,
    PRIMARY KEY (case_id, officer)
) STRICT;

-- org_identity: an organization's vetted identity per level, reusable
-- until expires_at (398 days).
CREATE TABLE org_identity (
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    level           TEXT    NOT NULL CHECK (level IN ('ov', 'ev')),
    case_id         INTEGER NOT NULL REFERENCES vetting_cases (id),
    vetted_at       TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    PRIMARY KEY (organization_id, level)
) STRICT;

-- domain_approvals: the organization may use the registered domain until
-- expires_at; owner_consent records the owner's approval when another
-- organization owns it.
CREATE TABLE domain_approvals (
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    domain          TEXT    NOT NULL,
    case_id         INTEGER NOT NULL REFERENCES vetting_cases (id),
    owner_consent   TEXT    NOT NULL,
    approved_at     TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    PRIMARY KEY (organization_id, domain)
) STRICT;
