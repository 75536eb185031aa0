-- 0002_revocation_status: OCSP responses, CRL partitions and blocked keys
-- for PostgreSQL. Never edit this file after it has landed.

-- crl_shard: the CRL partition a certificate's CRL distribution point
-- names, fixed at issuance. Certificates issued before this migration
-- named the unpartitioned /crl/<issuer>.crl, which was never served.
ALTER TABLE certificates ADD COLUMN crl_shard integer NOT NULL DEFAULT 0 CHECK (crl_shard >= 0);
-- CRL generation: the revoked certificates of one partition.
CREATE INDEX certificates_crl ON certificates (issuer_id, crl_shard, not_after) WHERE revoked_at IS NOT NULL;

-- ocsp_responses: the current pre-signed OCSP response of every
-- certificate (RFC 6960, RFC 5019), for SHA-1 and SHA-256 CertIDs.
CREATE TABLE ocsp_responses (
    serial      text        PRIMARY KEY REFERENCES certificates (serial),
    issuer_id   text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('good', 'revoked')),
    der_sha1    bytea       NOT NULL,
    der_sha256  bytea       NOT NULL,
    this_update timestamptz NOT NULL,
    next_update timestamptz NOT NULL,
    -- refresh_at: when the response is re-signed, before half its
    -- validity; NULL once it covers the certificate until it expires.
    refresh_at  timestamptz,
    -- updated_at: when the row was last written. Responders poll it to
    -- drop the copies they cache.
    updated_at  timestamptz NOT NULL
);
CREATE INDEX ocsp_responses_refresh ON ocsp_responses (refresh_at) WHERE refresh_at IS NOT NULL;
CREATE INDEX ocsp_responses_updated ON ocsp_responses (updated_at);

-- crl_shards: the current CRL of each partition of each issuer.
CREATE TABLE crl_shards (
    issuer_id       text        NOT NULL,
    shard           integer     NOT NULL CHECK (shard >= 0),
    -- number: the cRLNumber of the current CRL, 0 before the first.
    number          bigint      NOT NULL DEFAULT 0 CHECK (number >= 0),
    this_update     timestamptz,
    next_update     timestamptz,
    der             bytea,
    -- revision counts the revocations in the partition; signed_revision
    -- is the revision the current CRL includes. The CRL is stale while
    -- revision > signed_revision, since stale_since.
    revision        bigint      NOT NULL DEFAULT 0,
    signed_revision bigint      NOT NULL DEFAULT 0,
    stale_since     timestamptz,
    PRIMARY KEY (issuer_id, shard)
);

-- blocked_keys: public keys revoked for keyCompromise; no certificate is
-- issued for them again.
CREATE TABLE blocked_keys (
    key_hash      text        PRIMARY KEY, -- hex SHA-256 of the SubjectPublicKeyInfo
    source_serial text        NOT NULL,    -- the certificate whose revocation blocked it
    blocked_at    timestamptz NOT NULL
);
