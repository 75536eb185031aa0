-- 0011_renewal_windows: ARI windows an operator pulled forward (RFC 9773
-- §4.2), e.g. ahead of a mass revocation. A certificate without a row gets
-- the window computed from its validity.
-- Never edit this file after it has landed; add 0012_... instead.
CREATE TABLE renewal_windows (
    serial          text        PRIMARY KEY REFERENCES certificates (serial),
    window_start    timestamptz NOT NULL,
    window_end      timestamptz NOT NULL,
    explanation_url text        NOT NULL DEFAULT '',
    set_at          timestamptz NOT NULL,
    set_by          text        NOT NULL
);
