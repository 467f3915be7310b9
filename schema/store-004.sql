-- coi store schema, version 4 (PRAGMA user_version = 4), applied after store-003.sql in one
-- transaction by src/store/mod.rs.
--
-- Why: a store is now a transparency log (spec §13): its export of every chain in order of
-- arrival is the body log, whose checkpoints it signs with the home's log key; and a home can
-- witness other bodies' logs. These tables are state, not derived from the lines: they are what
-- lets a log never sign two inconsistent checkpoints and a witness never go backwards.

-- Checkpoints this store signed as a log (own = 1), with what extends them at the next
-- checkpoint: the rowid of the last entry they cover and the tree's frontier (spec §13,
-- `tlog::Frontier`). A log never has two of one size.
CREATE TABLE tlog_checkpoints (
    origin     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    root       BLOB NOT NULL,      -- 32 bytes
    note       TEXT NOT NULL,      -- the signed note, with the log's own signature
    last_entry INTEGER NOT NULL,   -- entries.rowid of leaf size - 1 (0 for the empty tree)
    frontier   BLOB NOT NULL,
    signed     TEXT NOT NULL,      -- when, RFC 3339 UTC
    PRIMARY KEY (origin, size)
) WITHOUT ROWID;

-- Cosignatures of this store's checkpoints returned by witnesses it submitted to (the
-- cosignatures members publish in `witness` entries are read from those entries).
CREATE TABLE tlog_cosignatures (
    origin   TEXT NOT NULL,
    size     INTEGER NOT NULL,
    cosigner TEXT NOT NULL,        -- the vkey of the witness the line was verified by
    line     TEXT NOT NULL,        -- the whole signature line, as the witness returned it
    source   TEXT NOT NULL,        -- the witness URL
    PRIMARY KEY (origin, size, line)
) WITHOUT ROWID;

-- As a witness: the latest checkpoint this home cosigned for each origin, and the log key it
-- checked it with (pinned at the first cosignature).
CREATE TABLE tlog_witnessed (
    origin   TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    root     BLOB NOT NULL,
    note     TEXT NOT NULL,
    log_vkey TEXT NOT NULL,
    cosigned TEXT NOT NULL         -- when, RFC 3339 UTC
) WITHOUT ROWID;

-- Evidence a witness kept of a log that misbehaved: the note it had cosigned and the note it
-- refused, with what was wrong. Never deleted.
CREATE TABLE tlog_evidence (
    origin   TEXT NOT NULL,
    problem  TEXT NOT NULL,        -- backwards, inconsistent, root-mismatch, truncated, key-change
    detail   TEXT NOT NULL,
    held     TEXT,                 -- the note cosigned before, if any
    refused  TEXT NOT NULL,        -- the note refused
    ledger   BLOB,                 -- hash of the ledger file it was checked against (SHA-256)
    detected TEXT NOT NULL
);
