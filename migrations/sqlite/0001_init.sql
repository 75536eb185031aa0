-- 0001_init: the initial kakuin schema for SQLite.
-- Never edit this file after it has landed; add 0002_... instead.
--
-- Times are TEXT in UTC, fixed width with microseconds
-- ("2006-01-02T15:04:05.000000Z"), so that text order is time order.
-- Ids use AUTOINCREMENT so that an id (part of ACME URLs) is never reused.

-- schema_migrations records every migration applied to this database.
CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    -- checksum: hex SHA-256 of the migration file as applied; Migrate
    -- refuses to run when a file no longer matches it.
    checksum   TEXT    NOT NULL,
    applied_at TEXT    NOT NULL
) STRICT;

-- settings holds values shared by every process using this database (e.g.
-- the nonce key).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- used_nonces: redeemed ACME nonces (RFC 8555 §6.5), kept until they expire.
CREATE TABLE used_nonces (
    id      TEXT PRIMARY KEY,
    expires TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX used_nonces_expires ON used_nonces (expires);

CREATE TABLE organizations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    name_ja    TEXT    NOT NULL,
    country    TEXT    NOT NULL,
    province   TEXT    NOT NULL,
    locality   TEXT    NOT NULL,
    created_at TEXT    NOT NULL
) STRICT;

CREATE TABLE contracts (
    code            TEXT    PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    plan            TEXT    NOT NULL,
    slots           INTEGER NOT NULL CHECK (slots >= 0),
    profiles        TEXT    NOT NULL CHECK (json_valid(profiles)), -- JSON array of profile names
    status          TEXT    NOT NULL CHECK (status IN ('active', 'suspended', 'ended')),
    created_at      TEXT    NOT NULL
) STRICT;
CREATE INDEX contracts_organization ON contracts (organization_id);

-- eab_credentials: External Account Binding credentials (RFC 8555 §7.3.4).
CREATE TABLE eab_credentials (
    key_id        TEXT PRIMARY KEY,
    contract_code TEXT NOT NULL REFERENCES contracts (code),
    hmac_key      BLOB NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
) STRICT;
CREATE INDEX eab_credentials_contract ON eab_credentials (contract_code);

-- accounts: ACME accounts (RFC 8555 §7.1.2).
CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    status           TEXT    NOT NULL CHECK (status IN ('valid', 'deactivated', 'revoked')),
    contact          TEXT    NOT NULL CHECK (json_valid(contact)), -- JSON array of URLs
    key_jwk          BLOB    NOT NULL,
    key_thumbprint   TEXT    NOT NULL UNIQUE,
    contract_code    TEXT    NOT NULL REFERENCES contracts (code),
    eab_key_id       TEXT    NOT NULL REFERENCES eab_credentials (key_id),
    -- terms_agreed_at: when the account agreed to the terms of service
    -- (RFC 8555 §7.3 termsOfServiceAgreed), NULL if it did not;
    -- terms_of_service: the terms URL the directory named then.
    terms_agreed_at  TEXT,
    terms_of_service TEXT    NOT NULL DEFAULT '',
    created_at       TEXT    NOT NULL
) STRICT;
CREATE INDEX accounts_eab_key ON accounts (eab_key_id);
CREATE INDEX accounts_contract ON accounts (contract_code);

-- authorizations (RFC 8555 §7.1.4). expired is derived from expires.
CREATE TABLE authorizations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id       INTEGER NOT NULL REFERENCES accounts (id),
    identifier_type  TEXT    NOT NULL,
    identifier_value TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'valid', 'invalid', 'deactivated', 'revoked')),
    expires          TEXT    NOT NULL,
    created_at       TEXT    NOT NULL
) STRICT;
-- FindReusableAuthz: account + name + status, newest first, not expired.
CREATE INDEX authorizations_reuse ON authorizations (account_id, identifier_value, status, expires);

-- challenges (RFC 8555 §7.1.5, §8).
CREATE TABLE challenges (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    authz_id  INTEGER NOT NULL REFERENCES authorizations (id),
    type      TEXT    NOT NULL,
    token     TEXT    NOT NULL,
    status    TEXT    NOT NULL CHECK (status IN ('pending', 'processing', 'valid', 'invalid')),
    validated TEXT,
    error     BLOB, -- problem document (JSON)
    -- validation_started_at: when the current validation attempt began
    -- (the challenge became processing); NULL before.
    validation_started_at TEXT
) STRICT;
CREATE INDEX challenges_authz ON challenges (authz_id);
-- FailInterruptedChallenges: processing challenges by when validation began.
CREATE INDEX challenges_processing ON challenges (validation_started_at) WHERE status = 'processing';

-- serials: every serial number, reserved before anything is signed with it.
CREATE TABLE serials (
    serial      TEXT PRIMARY KEY,
    issuer_id   TEXT NOT NULL,
    reserved_at TEXT NOT NULL
) STRICT;

-- orders (RFC 8555 §7.1.3). stored_status is pending until finalization.
CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          INTEGER NOT NULL REFERENCES accounts (id),
    stored_status       TEXT    NOT NULL CHECK (stored_status IN ('pending', 'processing', 'valid', 'invalid')),
    identifiers         TEXT    NOT NULL CHECK (json_valid(identifiers)), -- JSON array of {type, value}, as requested
    names               TEXT    NOT NULL CHECK (json_valid(names)), -- JSON array of the sorted, normalised names
    names_key           TEXT    NOT NULL, -- hex SHA-256 of the names joined by newlines
    profile             TEXT    NOT NULL,
    not_before          TEXT,
    not_after           TEXT,
    expires             TEXT    NOT NULL,
    error               BLOB, -- problem document (JSON)
    cert_serial         TEXT    REFERENCES certificates (serial),
    finalize_started_at TEXT, -- when the order became processing
    created_at          TEXT    NOT NULL
) STRICT;
-- FindOrderByNames: the account's pending orders for the same names.
CREATE INDEX orders_account_names ON orders (account_id, names_key, id) WHERE stored_status = 'pending';
-- ListOrderIDs.
CREATE INDEX orders_account ON orders (account_id, id);
-- FailInterruptedOrders: processing orders by when finalization began.
CREATE INDEX orders_processing ON orders (finalize_started_at) WHERE stored_status = 'processing';

-- order_authorizations lists an order's authorizations in order.
CREATE TABLE order_authorizations (
    order_id INTEGER NOT NULL REFERENCES orders (id),
    position INTEGER NOT NULL,
    authz_id INTEGER NOT NULL REFERENCES authorizations (id),
    PRIMARY KEY (order_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX order_authorizations_authz ON order_authorizations (authz_id);

-- certificates: every issued certificate, stored before it is returned.
CREATE TABLE certificates (
    serial         TEXT    PRIMARY KEY REFERENCES serials (serial),
    issuer_id      TEXT    NOT NULL,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    der            BLOB    NOT NULL,
    chain          BLOB    NOT NULL, -- issuer chain, PEM, without the leaf
    not_before     TEXT    NOT NULL,
    not_after      TEXT    NOT NULL,
    key_hash       TEXT    NOT NULL, -- hex SHA-256 of the SubjectPublicKeyInfo
    revoked_at     TEXT,
    revoked_reason INTEGER, -- RFC 5280 §5.3.1 CRLReason
    created_at     TEXT    NOT NULL
) STRICT;
CREATE INDEX certificates_account ON certificates (account_id);
CREATE INDEX certificates_order ON certificates (order_id);
CREATE INDEX certificates_key_hash ON certificates (key_hash);
CREATE INDEX certificates_not_after ON certificates (not_after);
-- CRL generation: the revoked certificates of an issuer.
CREATE INDEX certificates_revoked ON certificates (issuer_id, revoked_at) WHERE revoked_at IS NOT NULL;

-- audit_events: the append-only audit log.
CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    detail  TEXT    NOT NULL CHECK (json_valid(detail)) -- JSON object
) STRICT;
CREATE INDEX audit_events_subject ON audit_events (subject, id);
CREATE INDEX audit_events_kind_at ON audit_events (kind, at);
