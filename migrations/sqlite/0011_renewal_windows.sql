-- 0011_renewal_windows: ARI windows an operator pulled forward (RFC 9773
-- §4.2), e.g. ahead of a mass revocation. A certificate without a row gets
-- the window computed from its validity.
-- Never edit this file after it has landed; add 0012_... instead.
CREATE TABLE renewal_windows (
    serial          TEXT    PRIMARY KEY REFERENCES certificates (serial),
    window_start    TEXT    NOT NULL,
    window_end      TEXT    NOT NULL,
    explanation_url TEXT    NOT NULL DEFAULT '',
    set_at          TEXT    NOT NULL,
    set_by          TEXT    NOT NULL
) STRICT;
