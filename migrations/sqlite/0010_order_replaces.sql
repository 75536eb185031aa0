-- 0010_order_replaces: the certificate an order replaces (RFC 9773 §5,
-- the newOrder "replaces" field), by serial: it takes the replaced
-- certificate's slot or license, and is revoked as superseded once the new
-- one is issued.
-- Never edit this file after it has landed; add 0011_... instead.
ALTER TABLE orders ADD COLUMN replaces TEXT;
