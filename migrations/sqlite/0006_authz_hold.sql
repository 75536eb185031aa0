-- 0006_authz_hold: the vetting hold at the authorization.
-- Never edit this file after it has landed; add 0007_... instead.

-- profile: the certificate profile (ov, ev) of the order that created the
-- authorization: the vetting gate decided it for that profile, so only
-- orders of the same profile reuse it.
ALTER TABLE authorizations ADD COLUMN profile TEXT NOT NULL DEFAULT 'ov' CHECK (profile IN ('ov', 'ev'));
DROP INDEX authorizations_reuse;
CREATE INDEX authorizations_reuse ON authorizations (account_id, identifier_value, profile, status, expires);

-- A held challenge proved domain control at held_at and stays processing
-- while officers decide; hold is a JSON object {"reason": ..., "cases": [...]}
-- saying what it waits for. The interrupted-validation sweep skips it.
ALTER TABLE challenges ADD COLUMN held_at TEXT;
ALTER TABLE challenges ADD COLUMN hold BLOB;
CREATE INDEX challenges_held ON challenges (held_at) WHERE hold IS NOT NULL;
