-- 0003_audit_chain: a hash chain over the audit log, so that an event edited,
-- deleted or added by hand is detected (`kakuin audit verify`).
-- Never edit this file after it has landed; add 0004_... instead.
--
-- hash is SHA-256 over prev_hash and the event's fields (store/auditchain.go
-- defines the encoding); prev_hash is the hash of the event before it, 32
-- zero bytes for the first. The events already in the log are chained by a
-- step in Go that runs in this migration's transaction.
ALTER TABLE audit_events ADD COLUMN prev_hash bytea;
ALTER TABLE audit_events ADD COLUMN hash bytea;

-- audit_head: the newest chained event, so that deleting the newest events
-- is detected too. Appending an event locks this one row, which also orders
-- event ids as the chain orders them.
CREATE TABLE audit_head (
    id      integer PRIMARY KEY CHECK (id = 1),
    last_id bigint  NOT NULL,
    hash    bytea   NOT NULL
);
INSERT INTO audit_head (id, last_id, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
