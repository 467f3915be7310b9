-- coi store schema, version 5 (PRAGMA user_version = 5), applied after store-004.sql in one
-- transaction by src/store/mod.rs.
--
-- Why: restricted fields (spec §7). A member's own sealed declarations commit to values whose
-- openings (salt and value) exist nowhere else: they are written in the same transaction as the
-- declaration, so that no crash can leave a commitment its author can no longer open, disclose
-- or unseal. They are never exported: `export` writes lines only.

-- The openings of the store owner's sealed declarations, one row per field.
CREATE TABLE sealed_openings (
    entry INTEGER NOT NULL,   -- entries.rowid of the declaration or amendment
    field TEXT NOT NULL,      -- a field name of spec §7
    salt  TEXT NOT NULL,      -- 32 bytes, canonical padded standard base64
    value TEXT NOT NULL,
    PRIMARY KEY (entry, field)
) WITHOUT ROWID;

-- Disclosures, encryption keys and unseal entries are looked up by kind: who can read what,
-- what to encrypt to, what was made public.
CREATE INDEX entries_restricted ON entries (kind, member)
    WHERE kind IN ('disclosure', 'encryption-key', 'unseal');
