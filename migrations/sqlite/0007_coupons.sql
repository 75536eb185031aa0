-- 0007_coupons: coupons, each one license of a per-certificate plan.
-- Never edit this file after it has landed; add 0008_... instead.

-- coupons are sold in packs of at least 5 through a dealer; a coupon
-- number must be redeemed on a contract before expires_at (a year after
-- issue) and is then one license of it. Never refunded or reissued.
CREATE TABLE coupons (
    number        TEXT PRIMARY KEY,
    pack          TEXT NOT NULL,
    dealer_code   TEXT NOT NULL,
    issued_at     TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    contract_code TEXT REFERENCES contracts (code),
    redeemed_at   TEXT,
    CHECK ((contract_code IS NULL) = (redeemed_at IS NULL))
) STRICT;
CREATE INDEX coupons_contract ON coupons (contract_code) WHERE contract_code IS NOT NULL;
