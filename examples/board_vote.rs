//! End to end: three board members declare before a vote (one of them replaces her key on the
//! way), each publishes a ledger, the secretary gathers them into one file, and an outsider
//! verifies it with nothing but the file.
//!
//! This is the library's walkthrough, for programs that embed `coi_ledger`; the command-line
//! walkthrough of a meeting (agenda, vote, `coi check`) is `examples/meeting.sh`.
//!
//! Run: `cargo run --example board_vote`. Uses only the public API and temporary directories.

use coi_ledger::home::{Callbacks, Home, HomeNotice, KeyProtection, PassphraseRequest, Zeroizing};
use coi_ledger::store::Store;
use coi_ledger::{
    verify_bytes, Between, Category, Data, Declaration, Matter, Mitigation, NoConflict, Profile,
    Relationship, Scope, Whose,
};

/// The example's keys are unencrypted, so no passphrase is ever asked for; notices are printed.
struct Unattended;

impl Callbacks for Unattended {
    fn passphrase(&self, _: PassphraseRequest<'_>) -> coi_ledger::Result<Zeroizing<String>> {
        Err(coi_ledger::Error::Passphrase(
            "this example keeps its keys unencrypted".into(),
        ))
    }

    fn notice(&self, notice: HomeNotice) {
        println!("note: {notice}");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let item = Matter::parse("board-2026-12/item-4")?;
    println!("Matter before the board: {}\n", item.as_str());

    // Each member has a home: a key and a store of their own, the first entry a profile.
    let members = [
        ("Ada Lovelace", "Trustee"),
        ("Grace Hopper", "Treasurer"),
        ("Alan Turing", "Trustee"),
    ];
    let mut published = Vec::new();
    for (i, (name, capacity)) in members.iter().enumerate() {
        let home = Home::locate(Some(dir.path().join(format!("member-{i}"))))?;
        let profile = Profile {
            name: name.to_string(),
            capacity: Some(capacity.to_string()),
            affiliation: None,
        };
        let me = home.init(profile, KeyProtection::Unencrypted, &Unattended)?;
        let mut store = home.open_store()?;
        let key = home.signing_key(&store, &me, &Unattended)?.secret;
        let entry = match i {
            // Ada consults for a vendor bidding on item 4: a specific financial declaration.
            0 => store.append(
                &key,
                &me,
                Data::Declaration(Declaration {
                    between: Between::PersonalProfessional,
                    category: Category::Financial,
                    counterparty: "Acme Networks".into(),
                    matters: Some(vec![item.clone()]),
                    mitigation: Mitigation::Abstain,
                    nature: Some("Paid consulting on network design, 2026".into()),
                    relationship: Some(Relationship::Consulting),
                    scope: Scope::Specific,
                    sealed: None,
                    since: None,
                    until: None,
                    value: Some("1,001-15,000 USD".into()),
                    whose: Whose::Own,
                }),
            )?,
            // Grace sits on a partner's board: a standing professional-vs-professional declaration.
            1 => store.append(
                &key,
                &me,
                Data::Declaration(Declaration {
                    between: Between::ProfessionalProfessional,
                    category: Category::OtherDuty,
                    counterparty: "Open Standards Foundation".into(),
                    matters: None,
                    mitigation: Mitigation::Recuse,
                    nature: Some("Unpaid director".into()),
                    relationship: Some(Relationship::Fiduciary),
                    scope: Scope::Standing,
                    sealed: None,
                    since: None,
                    until: None,
                    value: None,
                    whose: Whose::Own,
                }),
            )?,
            // Alan has nothing to declare on item 4, and says so: silence and "none" differ.
            _ => store.append(
                &key,
                &me,
                Data::NoConflict(NoConflict {
                    matters: Some(vec![item.clone()]),
                    scope: Scope::Specific,
                }),
            )?,
        };
        println!("{name:<13} {}  {}", me.fingerprint(), entry.kind());
        if i == 0 {
            // Ada replaces her key: the old key signs the change, her member id stays, and the
            // home's key file holds the new key once the chain names it.
            let rotation =
                home.rotate_key(&mut store, &me, KeyProtection::Unencrypted, &Unattended)?;
            println!(
                "{name:<13} {}  {} to {}, member id unchanged",
                me.fingerprint(),
                rotation.entry.kind(),
                &rotation.key.to_hex()[..16]
            );
        }
        let mut file = Vec::new();
        store.export(Some(&[me]), &mut file)?;
        published.push(file);
    }

    // The secretary imports everyone's published file and publishes the combined ledger.
    let mut secretary = Store::open(&dir.path().join("secretary.sqlite"))?;
    for file in &published {
        let r = secretary.import(
            file.as_slice(),
            "published ledger",
            Default::default(),
            |_| {},
        )?;
        assert!(r.merged, "a valid ledger imports");
    }
    let mut combined = Vec::new();
    secretary.export(None, &mut combined)?;
    std::fs::write(dir.path().join("board.ledger"), &combined)?;

    println!("\nCurrent declarations on {}:", item.as_str());
    for c in secretary.conflicts(None, Some(&item))? {
        println!(
            "  {} #{} {}",
            c.entry.member.fingerprint(),
            c.entry.seq,
            c.entry.kind()
        );
    }

    // An outsider verifies the combined file with nothing but its bytes.
    let report = verify_bytes(&combined);
    println!(
        "\nOutsider: {} entries from {} members, valid = {}",
        report.entries,
        report.members.len(),
        report.valid
    );
    assert!(report.valid);

    // Changing one byte anywhere is caught.
    let mut tampered = combined.clone();
    let at = tampered.iter().position(|&b| b == b'A').unwrap_or(0);
    tampered[at] ^= 0x01;
    let report = verify_bytes(&tampered);
    println!(
        "Tampered copy: valid = {}, first problem: {}",
        report.valid,
        report
            .problems
            .first()
            .map(|p| format!("line {}: {}", p.line, p.class))
            .unwrap_or_default()
    );
    assert!(!report.valid);
    Ok(())
}
