-- coi store schema, version 6 (PRAGMA user_version = 6), applied after store-005.sql in one
-- transaction by src/store/mod.rs.
--
-- Why: `coi follow` and `coi sync`. A follow is a place where a ledger is published (an
-- http(s) URL or an absolute path). Publications are append-only, so the store remembers how
-- many bytes of each it has verified and imported (the home keeps those bytes as a cache file,
-- `follows/<id>.ledger`), to fetch only what is new, and to notice a publication that shrank
-- or changed its past. Nothing here is evidence by itself: the evidence files are kept in the
-- home, and these rows say where.

CREATE TABLE follows (
    id            INTEGER PRIMARY KEY,
    source        TEXT UNIQUE NOT NULL,   -- an http(s) URL, or an absolute path
    name          TEXT,                   -- a short name for reports (default: from the source)
    added         TEXT NOT NULL,          -- RFC 3339 UTC
    etag          TEXT,                   -- the ETag of the known bytes, if the server gave one
    known_len     INTEGER NOT NULL DEFAULT 0,  -- bytes of the publication verified and imported
    last_line_len INTEGER NOT NULL DEFAULT 0,  -- the last of those lines' length, LF included
    known_hash    BLOB,                   -- BLAKE3 (plain, 32 bytes) of those bytes
    last_sync     TEXT,                   -- RFC 3339 UTC of the last attempt
    last_outcome  TEXT,                   -- what it came to, one line
    checkpoint    TEXT,                   -- a published checkpoint's URL or path (a body log)
    checkpoint_size INTEGER,              -- the last checkpoint found good: its size,
    checkpoint_root BLOB,                 -- its root hash,
    checkpoint_vkey TEXT                  -- and the log key that signed it (pinned)
);

-- What a sync found wrong with a publication, and where the fetched bytes were kept.
CREATE TABLE follow_events (
    id       INTEGER PRIMARY KEY,
    follow   INTEGER NOT NULL REFERENCES follows (id),
    time     TEXT NOT NULL,               -- RFC 3339 UTC
    kind     TEXT NOT NULL CHECK (kind IN ('rollback', 'rewritten', 'refused', 'checkpoint')),
    detail   TEXT NOT NULL,
    evidence TEXT                         -- the path of the kept evidence file, if any
);
CREATE INDEX follow_events_follow ON follow_events (follow);
