-- coi store schema, version 2 (PRAGMA user_version = 2), applied after store-001.sql in one
-- transaction by src/store/mod.rs.
--
-- Why: version 1 keyed every index by 32-byte blobs (entry ids, member ids), and inserting into
-- those random-order indexes was most of SQLite's cost on a large import. Version 2 keeps the same
-- facts with compact keys, and keeps every secondary index a named index that a bulk import may
-- drop and rebuild (src/store/import.rs, `Bulk`). Matters and live declarations are keyed tables (WITHOUT
-- ROWID, one B-tree each): an append touches fewer pages, and a bulk import inserts into them near
-- a few hot places (one per matter, one per member):
--   * members get a small integer number (`no`); entries, live declarations and matters refer to
--     members by number and to entries by rowid;
--   * the lines are kept in their own table, so entries holds a few dozen bytes per entry;
--   * entries are found by id through an index on the id's first 8 bytes (`idp`, a virtual
--     generated column) instead of a UNIQUE index on all 32. Ids stay unique: an id is the hash of
--     the entry's body, which names its member and seq, and (member, seq) is UNIQUE.
-- Existing rows are carried over with the same meaning; the forks table is not touched.

DROP INDEX entries_target;
DROP INDEX live_member;
DROP INDEX live_standing;
ALTER TABLE members RENAME TO members_v1;
ALTER TABLE entries RENAME TO entries_v1;
ALTER TABLE matters RENAME TO matters_v1;
ALTER TABLE live RENAME TO live_v1;

-- Each member's number, chain head and current key.
CREATE TABLE members (
    no        INTEGER PRIMARY KEY,
    member    BLOB NOT NULL UNIQUE CHECK (length(member) = 32),
    key       BLOB NOT NULL CHECK (length(key) = 32),
    head_seq  INTEGER NOT NULL CHECK (head_seq >= 1),
    head_id   BLOB NOT NULL CHECK (length(head_id) = 32),
    head_time TEXT NOT NULL,
    name      TEXT
);
INSERT INTO members (member, key, head_seq, head_id, head_time, name)
    SELECT member, key, head_seq, head_id, head_time, name FROM members_v1 ORDER BY member;

-- Every entry held, verified before it was written. rowid is the order of arrival, which is the
-- order of export: an updated export only appends lines to an earlier one.
CREATE TABLE entries (
    rowid  INTEGER PRIMARY KEY,
    id     BLOB NOT NULL CHECK (length(id) = 32),
    idp    BLOB GENERATED ALWAYS AS (substr(id, 1, 8)) VIRTUAL,
    member INTEGER NOT NULL,   -- members.no
    seq    INTEGER NOT NULL CHECK (seq >= 1),
    kind   TEXT NOT NULL,
    time   TEXT NOT NULL,
    target INTEGER             -- rowid of the entry amended, withdrawn or retracted
);
INSERT INTO entries (rowid, id, member, seq, kind, time, target)
    SELECT e.rowid, e.id, m.no, e.seq, e.kind, e.time, t.rowid
    FROM entries_v1 e
    JOIN members m ON m.member = e.member
    LEFT JOIN entries_v1 t ON t.id = e.target
    ORDER BY e.rowid;
CREATE UNIQUE INDEX entries_member_seq ON entries (member, seq);
-- Each entry's canonical line, under the entry's rowid. Kept apart so that entries stays small:
-- its indexes are built (and scanned) without reading the lines.
CREATE TABLE lines (
    rowid INTEGER PRIMARY KEY,   -- entries.rowid
    line  TEXT NOT NULL
);
INSERT INTO lines (rowid, line) SELECT rowid, line FROM entries_v1 ORDER BY rowid;
CREATE INDEX entries_idp ON entries (idp);

-- Matters named by entries (declarations, amendments, no-conflict statements, votes, determinations).
CREATE TABLE matters (
    matter TEXT NOT NULL,
    entry  INTEGER NOT NULL,   -- entries.rowid
    PRIMARY KEY (matter, entry)
) WITHOUT ROWID;
INSERT INTO matters (matter, entry)
    SELECT x.matter, e.rowid FROM matters_v1 x JOIN entries_v1 e ON e.id = x.entry;

-- Live declarations: declarations and amendments not yet amended, withdrawn or retracted.
CREATE TABLE live (
    member   INTEGER NOT NULL,      -- members.no
    entry    INTEGER NOT NULL,      -- entries.rowid
    standing INTEGER NOT NULL,
    PRIMARY KEY (member, entry)
) WITHOUT ROWID;
INSERT INTO live (member, entry, standing)
    SELECT m.no, e.rowid, l.standing
    FROM live_v1 l
    JOIN entries_v1 e ON e.id = l.entry
    JOIN members m ON m.member = l.member;
CREATE INDEX live_standing ON live (standing) WHERE standing = 1;

DROP TABLE members_v1;
DROP TABLE entries_v1;
DROP TABLE matters_v1;
DROP TABLE live_v1;
