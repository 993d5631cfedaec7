-- Events keyed by an integer (issue #10): `key` is the first 8 bytes of the event id (the hex SHA-256
-- prefix that EventId::derive makes) read as a big-endian signed 64-bit integer, so duplicate checks and
-- identifier rows compare 8-byte integers instead of 32-character text. The text id stays on the row
-- (not indexed) so an event reads back exactly and a key collision is detected, never merged silently.
-- Identifier rows are keyed (kind, value, event_key): the attribution lookup and the idempotent insert
-- use the same index. Bodies written from now on omit the fields already in columns (id, time,
-- subject); bodies written before keep them and still decode.
CREATE TABLE events_v4 (
    key BIGINT PRIMARY KEY,
    id TEXT NOT NULL,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_id TEXT,
    body TEXT NOT NULL
);
INSERT INTO events_v4 (key, id, time, kind, subject_id, body)
SELECT ('x' || substr(id, 1, 16))::bit(64)::bigint, id, time, kind, subject_id, body
FROM events ORDER BY time, id;

CREATE TABLE event_identifiers_v4 (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    event_key BIGINT NOT NULL,
    PRIMARY KEY (kind, value, event_key)
);
INSERT INTO event_identifiers_v4 (kind, value, event_key)
SELECT kind, value, ('x' || substr(event_id, 1, 16))::bit(64)::bigint
FROM event_identifiers
ON CONFLICT DO NOTHING;

DROP TABLE event_identifiers;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;
ALTER TABLE event_identifiers_v4 RENAME TO event_identifiers;
ALTER INDEX events_v4_pkey RENAME TO events_pkey;
ALTER INDEX event_identifiers_v4_pkey RENAME TO event_identifiers_pkey;
-- Partial indexes: an unattributed event (most endpoint rows until their device is claimed) costs
-- no subject-index entry, and only shipments (read to claim devices) are indexed by kind.
CREATE INDEX events_subject_time ON events(subject_id, time) WHERE subject_id IS NOT NULL;
CREATE INDEX events_shipments ON events(kind) WHERE kind = 'shipment';
