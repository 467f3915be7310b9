-- coi store schema, version 1 (PRAGMA user_version = 1).
-- Applied in one transaction by src/store/mod.rs. Entries are kept exactly as their canonical lines;
-- every other column and table is derived from them and can be rebuilt.

-- Local settings: the home's own member id.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Every entry held, verified before it was written. rowid is the order of arrival, which is the
-- order of export: an updated export only appends lines to an earlier one.
CREATE TABLE entries (
    rowid  INTEGER PRIMARY KEY,
    id     BLOB NOT NULL UNIQUE CHECK (length(id) = 32),
    member BLOB NOT NULL CHECK (length(member) = 32),
    seq    INTEGER NOT NULL CHECK (seq >= 1),
    kind   TEXT NOT NULL,
    time   TEXT NOT NULL,
    target BLOB CHECK (target IS NULL OR length(target) = 32),
    line   TEXT NOT NULL,
    UNIQUE (member, seq)
);
CREATE INDEX entries_target ON entries (target) WHERE target IS NOT NULL;

-- Each member's chain head and current key.
CREATE TABLE members (
    member    BLOB PRIMARY KEY CHECK (length(member) = 32),
    key       BLOB NOT NULL CHECK (length(key) = 32),
    head_seq  INTEGER NOT NULL CHECK (head_seq >= 1),
    head_id   BLOB NOT NULL CHECK (length(head_id) = 32),
    head_time TEXT NOT NULL,
    name      TEXT
) WITHOUT ROWID;

-- Matters named by entries (declarations, amendments, no-conflict statements, votes, determinations).
CREATE TABLE matters (
    matter TEXT NOT NULL,
    entry  BLOB NOT NULL,
    PRIMARY KEY (matter, entry)
) WITHOUT ROWID;

-- Live declarations: declarations and amendments not yet amended, withdrawn or retracted.
CREATE TABLE live (
    entry    BLOB PRIMARY KEY,
    member   BLOB NOT NULL,
    standing INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX live_member ON live (member);
CREATE INDEX live_standing ON live (standing) WHERE standing = 1;

-- Forks: two validly signed entries for one (member, seq). Both lines are kept as evidence.
CREATE TABLE forks (
    member     BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    held_id    BLOB NOT NULL,
    held_line  TEXT NOT NULL,
    other_id   BLOB NOT NULL,
    other_line TEXT NOT NULL,
    source     TEXT NOT NULL,
    detected   TEXT NOT NULL,
    PRIMARY KEY (member, seq, other_id)
) WITHOUT ROWID;
