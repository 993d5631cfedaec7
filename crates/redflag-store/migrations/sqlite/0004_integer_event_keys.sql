-- Events keyed by an integer (issue #10): `key` is the first 8 bytes of the event id (the hex SHA-256
-- prefix that EventId::derive makes) read as a big-endian signed 64-bit integer, so duplicate checks and
-- identifier rows compare 8-byte integers instead of 32-character text. The text id stays on the row
-- (not indexed) so an event reads back exactly and a key collision is detected, never merged silently.
-- Rows are stored in arrival order (`seq`, the rowid), so the table grows by appending; only the small
-- `key` index is written at random places. Identifier rows are one WITHOUT ROWID b-tree keyed
-- (kind, value, event_key): the attribution lookup and the idempotent insert use the same key, and
-- there is no per-row rowid table or second index to maintain. Bodies written from now on omit the
-- fields already in columns (id, time, subject); bodies written before keep them and still decode.
CREATE TABLE events_v4 (
    seq INTEGER PRIMARY KEY,
    key INTEGER NOT NULL UNIQUE,
    id TEXT NOT NULL,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_id TEXT,
    body TEXT NOT NULL
);
INSERT INTO events_v4 (key, id, time, kind, subject_id, body)
SELECT (CASE WHEN (instr('0123456789abcdef', lower(substr(id, 1, 1))) - 1) >= 8 THEN (instr('0123456789abcdef', lower(substr(id, 1, 1))) - 1) - 16 ELSE (instr('0123456789abcdef', lower(substr(id, 1, 1))) - 1) END) * 1152921504606846976
    + (instr('0123456789abcdef', lower(substr(id, 2, 1))) - 1) * 72057594037927936
    + (instr('0123456789abcdef', lower(substr(id, 3, 1))) - 1) * 4503599627370496
    + (instr('0123456789abcdef', lower(substr(id, 4, 1))) - 1) * 281474976710656
    + (instr('0123456789abcdef', lower(substr(id, 5, 1))) - 1) * 17592186044416
    + (instr('0123456789abcdef', lower(substr(id, 6, 1))) - 1) * 1099511627776
    + (instr('0123456789abcdef', lower(substr(id, 7, 1))) - 1) * 68719476736
    + (instr('0123456789abcdef', lower(substr(id, 8, 1))) - 1) * 4294967296
    + (instr('0123456789abcdef', lower(substr(id, 9, 1))) - 1) * 268435456
    + (instr('0123456789abcdef', lower(substr(id, 10, 1))) - 1) * 16777216
    + (instr('0123456789abcdef', lower(substr(id, 11, 1))) - 1) * 1048576
    + (instr('0123456789abcdef', lower(substr(id, 12, 1))) - 1) * 65536
    + (instr('0123456789abcdef', lower(substr(id, 13, 1))) - 1) * 4096
    + (instr('0123456789abcdef', lower(substr(id, 14, 1))) - 1) * 256
    + (instr('0123456789abcdef', lower(substr(id, 15, 1))) - 1) * 16
    + (instr('0123456789abcdef', lower(substr(id, 16, 1))) - 1) * 1,
    id, time, kind, subject_id, body
FROM events ORDER BY time, id;

CREATE TABLE event_identifiers_v4 (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    event_key INTEGER NOT NULL,
    PRIMARY KEY (kind, value, event_key)
) WITHOUT ROWID;
INSERT OR IGNORE INTO event_identifiers_v4 (kind, value, event_key)
SELECT kind, value, (CASE WHEN (instr('0123456789abcdef', lower(substr(event_id, 1, 1))) - 1) >= 8 THEN (instr('0123456789abcdef', lower(substr(event_id, 1, 1))) - 1) - 16 ELSE (instr('0123456789abcdef', lower(substr(event_id, 1, 1))) - 1) END) * 1152921504606846976
    + (instr('0123456789abcdef', lower(substr(event_id, 2, 1))) - 1) * 72057594037927936
    + (instr('0123456789abcdef', lower(substr(event_id, 3, 1))) - 1) * 4503599627370496
    + (instr('0123456789abcdef', lower(substr(event_id, 4, 1))) - 1) * 281474976710656
    + (instr('0123456789abcdef', lower(substr(event_id, 5, 1))) - 1) * 17592186044416
    + (instr('0123456789abcdef', lower(substr(event_id, 6, 1))) - 1) * 1099511627776
    + (instr('0123456789abcdef', lower(substr(event_id, 7, 1))) - 1) * 68719476736
    + (instr('0123456789abcdef', lower(substr(event_id, 8, 1))) - 1) * 4294967296
    + (instr('0123456789abcdef', lower(substr(event_id, 9, 1))) - 1) * 268435456
    + (instr('0123456789abcdef', lower(substr(event_id, 10, 1))) - 1) * 16777216
    + (instr('0123456789abcdef', lower(substr(event_id, 11, 1))) - 1) * 1048576
    + (instr('0123456789abcdef', lower(substr(event_id, 12, 1))) - 1) * 65536
    + (instr('0123456789abcdef', lower(substr(event_id, 13, 1))) - 1) * 4096
    + (instr('0123456789abcdef', lower(substr(event_id, 14, 1))) - 1) * 256
    + (instr('0123456789abcdef', lower(substr(event_id, 15, 1))) - 1) * 16
    + (instr('0123456789abcdef', lower(substr(event_id, 16, 1))) - 1) * 1
FROM event_identifiers;

DROP TABLE event_identifiers;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;
ALTER TABLE event_identifiers_v4 RENAME TO event_identifiers;
-- Partial indexes: an unattributed event (most endpoint rows until their device is claimed) costs
-- no subject-index entry, and only shipments (read to claim devices) are indexed by kind.
CREATE INDEX events_subject_time ON events(subject_id, time) WHERE subject_id IS NOT NULL;
CREATE INDEX events_shipments ON events(kind) WHERE kind = 'shipment';
