-- 0008_contract_term: a contract's term. Licenses are a name set's for the
-- term; no certificate is issued outside it.
-- Never edit this file after it has landed; add 0009_... instead.

-- term_start: when the term began (NULL: the contract's creation);
-- term_end: when it ends, exclusive (NULL: open-ended, e.g. a monthly plan
-- until it is ended).
ALTER TABLE contracts ADD COLUMN term_start TEXT;
ALTER TABLE contracts ADD COLUMN term_end TEXT;
