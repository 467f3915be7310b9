-- coi store schema, version 3 (PRAGMA user_version = 3), applied after store-002.sql in one
-- transaction by src/store/mod.rs, which then fills these tables from the stored lines
-- (src/store/register.rs, `rebuild`).
--
-- Why: the register (spec §6) of one matter, which `coi check` and `coi conflicts --matter` need,
-- was folded from every declaration-family line of the store: seconds on a million entries. These
-- derived tables let a query find the few entries that matter without parsing any line:
--   * interests: each declaration-family entry (declaration, amend, withdraw, retract) with the
--     rowid of the declaration its chain of targets goes back to (its root), so that a whole
--     interest, all its versions and its end, is one indexed lookup;
--   * standing: each standing version (declaration or amend) by its counterparty folded to ASCII
--     lowercase, so that standing interests with given counterparties are found directly;
--   * member_rows: each member's entries that the register takes whatever the matter (standing
--     nil returns, reaffirmations, profiles), by member and kind;
--   * determinations: each determination by the id of the declaration it decides on (which may be
--     another file's entry, so the id, not a rowid).
-- Every index is a table's own key except interests_root, a named index that a bulk import drops
-- and rebuilds (src/store/import.rs, `Bulk`). `coi fsck` recomputes all four from the lines.

-- Declaration-family entries and the interest each belongs to.
CREATE TABLE interests (
    entry INTEGER PRIMARY KEY,   -- entries.rowid
    root  INTEGER NOT NULL       -- entries.rowid of the interest's declaration
);
CREATE INDEX interests_root ON interests (root);

-- Standing versions by counterparty, folded to ASCII lowercase.
CREATE TABLE standing (
    counterparty TEXT NOT NULL,
    entry        INTEGER NOT NULL,   -- entries.rowid
    PRIMARY KEY (counterparty, entry)
) WITHOUT ROWID;

-- Standing nil returns ('no-conflict'), reaffirmations ('reaffirm') and profiles ('profile').
CREATE TABLE member_rows (
    member INTEGER NOT NULL,   -- members.no
    kind   TEXT NOT NULL,      -- entries.kind
    entry  INTEGER NOT NULL,   -- entries.rowid
    PRIMARY KEY (member, kind, entry)
) WITHOUT ROWID;

-- Determinations by the declaration they decide on.
CREATE TABLE determinations (
    declaration BLOB NOT NULL CHECK (length(declaration) = 32),   -- the declaration's id
    entry       INTEGER NOT NULL,                                 -- entries.rowid
    PRIMARY KEY (declaration, entry)
) WITHOUT ROWID;
