-- Core tables. Times are RFC 3339 UTC text with fixed width so they sort as text; bodies are the
-- serde JSON of the model types, so a record read back is exactly the record written.
CREATE TABLE subjects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE identifiers (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value, subject_id)
);
CREATE INDEX identifiers_subject ON identifiers(subject_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_id TEXT,
    body TEXT NOT NULL
);
CREATE INDEX events_subject_time ON events(subject_id, time);

CREATE TABLE event_identifiers (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (event_id, kind, value)
);
CREATE INDEX event_identifiers_value ON event_identifiers(kind, value);

CREATE TABLE facts (
    subject_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (subject_id, name)
);

CREATE TABLE assessments (
    subject_id TEXT PRIMARY KEY,
    score DOUBLE PRECISION NOT NULL,
    log_odds DOUBLE PRECISION NOT NULL,
    level TEXT NOT NULL,
    ring_id TEXT,
    body TEXT NOT NULL,
    assessed_at TEXT NOT NULL
);
CREATE INDEX assessments_score ON assessments(score DESC);

CREATE TABLE rings (
    id TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    body TEXT NOT NULL
);
