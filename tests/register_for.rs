//! `Store::register_for`, `entries_naming`, `determinations_of` and `conflicts --matter` read the
//! derived tables of schema version 3; they must say what the whole register (every line folded)
//! says about the same interests and nil returns, however the store was built: appended, imported
//! row by row, bulk-imported, or migrated from version 2. `coi fsck` finds damaged derived rows.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use coi_ledger::register::{Point, Register};
use coi_ledger::store::Store;
use coi_ledger::{Data, Entry, EntryId, Hash32, Matter, MemberId, Scope, Timestamp, VerifyOptions};
use support::ledger_gen::{generate_bytes, GenConfig};

fn import(store: &mut Store, bytes: &[u8]) {
    let r = store
        .import_sized(
            bytes,
            Some(bytes.len() as u64),
            "test",
            VerifyOptions::default(),
            |_| {},
        )
        .expect("import");
    assert!(r.merged, "{:?}", r.verification.problems);
}

fn open(path: &Path, bulk_min: u64, journal_bytes: u64) -> Store {
    let mut s = Store::open(path).expect("open");
    s.set_bulk_thresholds(bulk_min, journal_bytes);
    s
}

fn fold(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// Every entry held, in store order.
fn all(store: &Store) -> Vec<Entry> {
    store
        .log(None, None)
        .expect("log")
        .into_iter()
        .map(|s| s.entry)
        .collect()
}

/// What the questions are asked about: matters named by declarations, nil returns and votes
/// (and one nobody names), counterparties of standing declarations.
fn questions(entries: &[Entry]) -> (Vec<Matter>, Vec<String>) {
    let mut by_kind: std::collections::BTreeMap<&str, Vec<Matter>> = Default::default();
    let mut counterparties = BTreeSet::new();
    for e in entries {
        for m in e.data.matters() {
            by_kind.entry(e.kind()).or_default().push(m.clone());
        }
        if let Some(d) = e.data.declaration().filter(|d| d.scope == Scope::Standing) {
            counterparties.insert(d.counterparty.clone());
        }
    }
    let mut matters = BTreeSet::new();
    for ms in by_kind.values() {
        for i in [0, ms.len() / 3, ms.len() / 2, ms.len() - 1] {
            matters.insert(ms[i].clone());
        }
    }
    matters.insert(Matter::parse("no/such-matter").expect("matter"));
    (
        matters.into_iter().collect(),
        counterparties.into_iter().collect(),
    )
}

/// `register_for(matter, concerns, members)` against the whole register restricted to the same
/// interests and nil returns, member by member; heads are the store's.
fn same_as_whole(
    store: &Store,
    whole: &Register,
    matter: &Matter,
    concerns: &[String],
    members: Option<&[MemberId]>,
    what: &str,
) {
    let got = store
        .register_for(matter, concerns, members)
        .expect("register_for");
    let folded: BTreeSet<String> = concerns.iter().map(|c| fold(c)).collect();
    let want_members: Vec<MemberId> = match members {
        None => whole.members().map(|(m, _)| *m).collect(),
        Some(ms) => {
            let mut v: Vec<MemberId> = ms
                .iter()
                .copied()
                .filter(|m| whole.member(m).is_some())
                .collect();
            v.sort();
            v.dedup();
            v
        }
    };
    let got_members: Vec<MemberId> = got.members().map(|(m, _)| *m).collect();
    assert_eq!(got_members, want_members, "{what}: members");
    let ctx = format!("{what}: matter {matter:?}, concerns {concerns:?}");
    for m in &want_members {
        let w = whole.member(m).expect("a record");
        let g = got.member(m).expect("a record");
        let interests: Vec<_> = w
            .interests
            .iter()
            .filter(|i| {
                i.versions.iter().any(|v| {
                    let d = &v.declaration;
                    match d.scope {
                        Scope::Specific => d.matters.iter().flatten().any(|x| x == matter),
                        Scope::Standing => folded.contains(&fold(&d.counterparty)),
                    }
                })
            })
            .cloned()
            .collect();
        assert_eq!(g.interests, interests, "{ctx}: interests");
        let nils: Vec<_> = w
            .nil_returns
            .iter()
            .filter(|n| n.touches(matter))
            .cloned()
            .collect();
        assert_eq!(g.nil_returns, nils, "{ctx}: nil returns");
        assert_eq!(g.reaffirmations, w.reaffirmations, "{ctx}: reaffirmations");
        assert_eq!(g.profile, w.profile, "{ctx}: profile");
        let head = store.head(m).expect("head").expect("held");
        let h = g.head.as_ref().expect("a head");
        assert_eq!((h.seq, h.id), (head.seq, head.id), "{ctx}: head");
        assert_eq!(g.head, w.head, "{ctx}: head as the whole register has it");
    }
}

/// `conflicts(member, Some(matter))` against what the whole register says in force now.
fn conflicts_as_whole(store: &Store, whole: &Register, matter: &Matter, member: Option<&MemberId>) {
    type Row = (MemberId, u64, EntryId, Vec<EntryId>);
    let point = Point::at_time(Timestamp::now());
    let mut want: Vec<Row> = Vec::new();
    for st in whole.standing(&point, Some(matter)) {
        if member.is_some_and(|m| m != st.member) {
            continue;
        }
        for (i, s) in &st.interests {
            if s.is_current() {
                let v = s.version();
                want.push((
                    *st.member,
                    v.mark.seq,
                    v.mark.id,
                    i.earlier(v).map(|x| x.mark.id).collect(),
                ));
            }
        }
        for n in &st.nil_returns {
            want.push((*st.member, n.mark.seq, n.mark.id, Vec::new()));
        }
    }
    want.sort_by_key(|r| (r.0, r.1));
    let got: Vec<Row> = store
        .conflicts(member, Some(matter))
        .expect("conflicts")
        .into_iter()
        .map(|c| (c.entry.member, c.entry.seq, c.entry.id, c.replaces))
        .collect();
    assert_eq!(got, want, "conflicts on {matter:?} of {member:?}");
}

/// Every question, on one store.
fn ask_everything(store: &Store, what: &str) {
    let whole = store.register(None).expect("register");
    let entries = all(store);
    let (matters, counterparties) = questions(&entries);
    assert!(
        !counterparties.is_empty(),
        "{what}: no standing declaration"
    );
    let members: Vec<MemberId> = store
        .members()
        .expect("members")
        .iter()
        .map(|m| m.member)
        .collect();
    let stranger = Hash32::from_bytes([0x42; 32]);
    let n = counterparties.len();
    let concern_sets: Vec<Vec<String>> = vec![
        vec![],
        vec![counterparties[0].clone()],
        vec![counterparties[n / 2].to_ascii_uppercase(), "nobody".into()],
        vec![
            counterparties[n - 1].to_ascii_lowercase(),
            counterparties[n / 3].clone(),
            counterparties[n / 3].clone(),
        ],
    ];
    let member_sets: Vec<Option<Vec<MemberId>>> = vec![
        None,
        Some(members[..3].to_vec()),
        Some(vec![members[members.len() - 1], stranger, members[1]]),
        Some(vec![stranger]),
    ];
    for matter in &matters {
        for concerns in &concern_sets {
            for ms in &member_sets {
                same_as_whole(store, &whole, matter, concerns, ms.as_deref(), what);
            }
        }
        conflicts_as_whole(store, &whole, matter, None);
        conflicts_as_whole(store, &whole, matter, Some(&members[2]));
        conflicts_as_whole(store, &whole, matter, Some(&stranger));
        let naming: Vec<EntryId> = store
            .entries_naming(matter)
            .expect("entries_naming")
            .iter()
            .map(|e| e.id)
            .collect();
        let want: Vec<EntryId> = entries
            .iter()
            .filter(|e| e.data.matters().contains(&matter))
            .map(|e| e.id)
            .collect();
        assert_eq!(naming, want, "{what}: entries naming {matter:?}");
    }
    let decided: Vec<EntryId> = entries
        .iter()
        .filter_map(|e| match &e.data {
            Data::Determination(d) => Some(d.declaration),
            _ => None,
        })
        .collect();
    let asked: Vec<EntryId> = decided
        .iter()
        .step_by(2)
        .copied()
        .chain([Hash32::from_bytes([7; 32])])
        .collect();
    let got: Vec<EntryId> = store
        .determinations_of(&asked)
        .expect("determinations_of")
        .iter()
        .map(|e| e.id)
        .collect();
    let want: Vec<EntryId> = entries
        .iter()
        .filter(|e| matches!(&e.data, Data::Determination(d) if asked.contains(&d.declaration)))
        .map(|e| e.id)
        .collect();
    assert_eq!(got, want, "{what}: determinations");
}

/// Turns the store at `path` (closed) into the version 2 store it was before version 3's and
/// version 4's tables: versions 3 and 4 only added tables, so this is what version 2 held.
fn make_version_2(path: &Path) {
    let c = rusqlite::Connection::open(path).expect("open");
    c.execute_batch(
        "DROP TABLE interests; DROP TABLE standing; DROP TABLE member_rows; DROP TABLE determinations;
         DROP TABLE tlog_checkpoints; DROP TABLE tlog_cosignatures; DROP TABLE tlog_witnessed;
         DROP TABLE tlog_evidence; DROP TABLE sealed_openings; DROP INDEX entries_restricted;
         DROP TABLE follow_events; DROP TABLE follows;
         PRAGMA user_version = 2;",
    )
    .expect("back to version 2");
}

#[test]
fn imported_bulk_imported_and_migrated_stores_answer_as_the_whole_register() {
    let bytes = generate_bytes(GenConfig::new(12, 3000, 11));
    let dir = tempfile::tempdir().expect("tempdir");
    let kinds: BTreeSet<String> = {
        let text = std::str::from_utf8(&bytes).expect("utf8");
        text.lines()
            .map(|l| Entry::parse(l).expect("parse").kind().to_string())
            .collect()
    };
    for k in [
        "vote",
        "determination",
        "amend",
        "withdraw",
        "retract",
        "reaffirm",
    ] {
        assert!(kinds.contains(k), "the generated ledger has no {k}");
    }

    let plain_path = dir.path().join("plain.sqlite");
    let mut plain = open(&plain_path, u64::MAX, u64::MAX);
    import(&mut plain, &bytes);
    assert!(plain.check_integrity().expect("check").is_empty());
    ask_everything(&plain, "row by row");
    let want = plain.dump().expect("dump");
    drop(plain);

    let mut bulk = open(&dir.path().join("bulk.sqlite"), 1, 1);
    import(&mut bulk, &bytes);
    assert_eq!(bulk.dump().expect("dump"), want, "bulk import differs");
    ask_everything(&bulk, "bulk");

    let v2 = dir.path().join("v2.sqlite");
    std::fs::copy(&plain_path, &v2).expect("copy");
    make_version_2(&v2);
    let migrated = Store::open(&v2).expect("migrate");
    assert_eq!(
        migrated.dump().expect("dump"),
        want,
        "migrated store differs"
    );
    assert!(migrated.check_integrity().expect("check").is_empty());
    ask_everything(&migrated, "migrated from version 2");
}

#[test]
fn an_appended_store_answers_as_the_whole_register() {
    // build_ledger appends; appending the same data at the same times again rebuilds its
    // chains entry for entry (same keys, same bodies, same ids), here into a store on disk.
    let l = support::build_ledger(31, 0, 6, 900);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("s.sqlite")).expect("open");
    for (line, (m, _)) in l.lines.iter().zip(&l.pos) {
        let e = Entry::parse(line).expect("parse");
        let again = store
            .append_at(&l.key(*m), &e.member, e.data.clone(), e.time)
            .expect("append");
        assert_eq!(again.id, e.id);
    }
    assert!(store.check_integrity().expect("check").is_empty());
    ask_everything(&store, "appended");
    // And a store of the same lines imported row by row holds the same rows.
    let mut imported = open(&dir.path().join("i.sqlite"), u64::MAX, u64::MAX);
    import(&mut imported, &l.bytes());
    assert_eq!(imported.dump().expect("dump"), store.dump().expect("dump"));
}

#[test]
fn fsck_finds_damaged_derived_rows() {
    let bytes = generate_bytes(GenConfig::new(6, 1500, 12));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.sqlite");
    let mut store = open(&path, u64::MAX, u64::MAX);
    import(&mut store, &bytes);
    assert!(store.check_integrity().expect("check").is_empty());
    drop(store);
    let damage = [
        (
            "UPDATE interests SET root = (SELECT min(entry) FROM interests) WHERE entry =
               (SELECT max(i.entry) FROM interests i JOIN entries e ON e.rowid = i.entry WHERE e.kind = 'amend')",
            "which its chain does not",
        ),
        (
            "DELETE FROM standing WHERE entry = (SELECT min(entry) FROM standing)",
            "is missing from the standing table",
        ),
        (
            "UPDATE member_rows SET kind = 'reaffirm' WHERE entry = (SELECT max(entry) FROM member_rows WHERE kind = 'profile')",
            "as a reaffirm of member",
        ),
        (
            "UPDATE determinations SET declaration = zeroblob(32) WHERE entry = (SELECT min(entry) FROM determinations)",
            "is missing from the determinations table",
        ),
        (
            "INSERT INTO member_rows (member, kind, entry) VALUES (1, 'no-conflict', 999999)",
            "member_rows row of entry row 999999 names no entry",
        ),
    ];
    for (sql, says) in damage {
        let copy = dir.path().join("damaged.sqlite");
        std::fs::copy(&path, &copy).expect("copy");
        let c = rusqlite::Connection::open(&copy).expect("open");
        assert_eq!(c.execute(sql, []).expect("damage"), 1, "{sql}");
        drop(c);
        let damaged = Store::open(&copy).expect("open");
        let problems = damaged.check_integrity().expect("check");
        assert!(
            problems.iter().any(|p| p.contains(says)),
            "{sql}: {problems:?}"
        );
        drop(damaged);
        std::fs::remove_file(&copy).expect("remove");
    }
}
