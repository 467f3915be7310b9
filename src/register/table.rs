//! The register as tables for journalists: `interests` (one row per declaration version, with
//! the state of its interest now), `votes` (one row per matter, vote and participant, with the
//! status and findings of `coi check`) and `changes` (one row per entry after an edition).
//!
//! Written as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a
//! comma, quote, CR or LF, quotes doubled; UTF-8 without BOM; a header row) with every text
//! cell that a spreadsheet would run as a formula neutralised by a leading `'`, or as JSON
//! Lines (one object per row, keys as in the header, numbers as numbers, absent as null).
//! Pure: a [`Table`] is values; the caller writes the bytes.

use super::site::{state_word, Held, Since, Site};
use super::State;
use crate::check::Restriction;
use crate::entry::{Data, Declaration, Entry};

/// One cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Text (from a ledger: untrusted).
    Text(String),
    /// A whole number.
    Int(u64),
    /// Nothing.
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<u64> for Cell {
    fn from(n: u64) -> Cell {
        Cell::Int(n)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(o: Option<T>) -> Cell {
        o.map_or(Cell::Empty, Into::into)
    }
}

/// A table: a name (the file's stem), a header and rows of as many cells.
#[derive(Clone, Debug)]
pub struct Table {
    /// `interests`, `votes` or `changes`.
    pub name: &'static str,
    /// Column names.
    pub header: &'static [&'static str],
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

/// Whether a spreadsheet would take `s` as a formula (or a command): it starts with `=`, `+`,
/// `-`, `@`, a tab or a CR (OWASP's list).
fn formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// One CSV field.
fn csv_field(out: &mut Vec<u8>, cell: &Cell) {
    let text = match cell {
        Cell::Text(s) if formula_like(s) => format!("'{s}"),
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Empty => String::new(),
    };
    if text.contains([',', '"', '\r', '\n']) {
        out.push(b'"');
        out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

impl Table {
    /// The table as CSV (RFC 4180).
    pub fn csv(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let header: Vec<Cell> = self.header.iter().map(|h| Cell::from(*h)).collect();
        for row in std::iter::once(&header).chain(self.rows.iter()) {
            for (i, c) in row.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                csv_field(&mut out, c);
            }
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// The table as JSON Lines.
    pub fn jsonl(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for row in &self.rows {
            let mut obj = serde_json::Map::new();
            for (k, c) in self.header.iter().zip(row) {
                let v = match c {
                    Cell::Text(s) => serde_json::Value::String(s.clone()),
                    Cell::Int(n) => serde_json::Value::from(*n),
                    Cell::Empty => serde_json::Value::Null,
                };
                obj.insert((*k).to_string(), v);
            }
            // A map of strings and numbers always serializes.
            if let Ok(line) = serde_json::to_vec(&serde_json::Value::Object(obj)) {
                out.extend_from_slice(&line);
            }
            out.push(b'\n');
        }
        out
    }
}

fn place_cells(site: &Site, held: &Held) -> [Cell; 2] {
    [
        site.files
            .get(held.place.file)
            .map(|f| f.name.as_str())
            .into(),
        held.place.line.into(),
    ]
}

fn first_checkpoint(site: &Site, held: &Held) -> [Cell; 2] {
    match site.first_witnessed(held.place) {
        Some(e) => [
            format!("{}@{}", e.origin, e.size).into(),
            e.witnesses
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join("; ")
                .into(),
        ],
        None => [Cell::Empty, Cell::Empty],
    }
}

fn decl_cells(site: &Site, held: &Held, d: &Declaration) -> Vec<Cell> {
    let readers = site.readers(&held.entry.id);
    vec![
        d.category.as_str().into(),
        d.between.as_str().into(),
        d.whose.as_str().into(),
        d.counterparty.as_str().into(),
        d.scope.as_str().into(),
        d.matters
            .as_ref()
            .map(|ms| ms.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("; "))
            .into(),
        d.nature.as_deref().into(),
        d.relationship.map(|r| r.as_str()).into(),
        d.value.as_deref().into(),
        d.since.as_ref().map(|x| x.as_str()).into(),
        d.until.as_ref().map(|x| x.as_str()).into(),
        d.mitigation.as_str().into(),
        d.sealed
            .as_ref()
            .map(|s| s.keys().map(|f| f.as_str()).collect::<Vec<_>>().join("; "))
            .into(),
        d.sealed
            .as_ref()
            .map(|_| readers.map_or(0, |r| r.members.len() as u64))
            .into(),
        readers
            .filter(|r| !r.unsealed.is_empty())
            .map(|r| {
                r.unsealed
                    .iter()
                    .map(|(f, v)| format!("{}={v}", f.as_str()))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .into(),
    ]
}

/// `interests`: one row per declaration version, with its interest's state now.
pub fn interests(site: &Site) -> Table {
    const HEADER: &[&str] = &[
        "member",
        "member_name",
        "interest",
        "version",
        "version_no",
        "versions",
        "seq",
        "time",
        "category",
        "between",
        "whose",
        "counterparty",
        "scope",
        "matters",
        "nature",
        "relationship",
        "value",
        "since",
        "until",
        "mitigation",
        "sealed_fields",
        "sealed_readers",
        "unsealed",
        "version_state",
        "interest_state",
        "ended_by",
        "file",
        "line",
        "first_checkpoint",
        "witnesses",
    ];
    let now = site.now();
    let mut rows = Vec::new();
    for i in site.interests() {
        let state = i.state_at(&now);
        let latest = state.as_ref().map(|s| s.version().mark.id);
        for (n, v) in i.versions.iter().enumerate() {
            let Some(held) = site.held(&v.mark.id) else {
                continue;
            };
            let mut row: Vec<Cell> = vec![
                i.member.to_hex().into(),
                site.name(&i.member).into(),
                i.first().mark.id.to_hex().into(),
                v.mark.id.to_hex().into(),
                (n as u64 + 1).into(),
                (i.versions.len() as u64).into(),
                v.mark.seq.into(),
                v.mark.time.as_str().into(),
            ];
            row.extend(decl_cells(site, held, &v.declaration));
            row.push(
                if latest == Some(v.mark.id) {
                    "latest"
                } else {
                    "superseded"
                }
                .into(),
            );
            row.push(state.as_ref().map(state_word).into());
            row.push(
                match &state {
                    Some(State::Withdrawn(_, e)) | Some(State::Retracted(_, e)) => {
                        Some(e.mark.id.to_hex())
                    }
                    _ => None,
                }
                .into(),
            );
            row.extend(place_cells(site, held));
            row.extend(first_checkpoint(site, held));
            rows.push(row);
        }
    }
    Table {
        name: "interests",
        header: HEADER,
        rows,
    }
}

/// `votes`: one row per matter, vote and participant.
pub fn votes(site: &Site, max_age_days: u32) -> Table {
    const HEADER: &[&str] = &[
        "matter",
        "vote",
        "held",
        "recorder",
        "motion",
        "result",
        "member",
        "member_name",
        "presence",
        "ballot",
        "status",
        "restriction",
        "declarations",
        "nil_return",
        "declared_after",
        "determinations",
        "findings",
        "record_findings",
    ];
    let mut rows = Vec::new();
    for matter in site.matters().keys() {
        for j in site.judge(matter, max_age_days) {
            let Some(vote) = j.vote else { continue };
            let record: Cell = j
                .findings
                .iter()
                .map(|f| f.class.as_str())
                .collect::<Vec<_>>()
                .join("; ")
                .into();
            for p in &j.participants {
                let ids = |v: &mut dyn Iterator<Item = String>| -> Cell {
                    v.collect::<Vec<_>>().join("; ").into()
                };
                rows.push(vec![
                    matter.as_str().into(),
                    vote.to_hex().into(),
                    j.at.as_str().into(),
                    j.recorder.map(|r| r.to_hex()).into(),
                    j.motion.as_deref().into(),
                    j.result.map(|r| r.as_str()).into(),
                    p.member.to_hex().into(),
                    site.name(&p.member).into(),
                    p.presence.map(|x| x.as_str()).into(),
                    p.vote.map(|x| x.as_str()).into(),
                    p.status.as_str().into(),
                    match p.restriction {
                        Restriction::Recuse => "recuse",
                        Restriction::Abstain => "abstain",
                        Restriction::None => "none",
                    }
                    .into(),
                    ids(&mut p.declarations.iter().map(|d| d.id.to_hex())),
                    p.nil_return.map(|id| id.to_hex()).into(),
                    ids(&mut p.after.iter().map(|id| id.to_hex())),
                    ids(&mut p
                        .determinations
                        .iter()
                        .map(|r| format!("{}:{}", r.outcome.as_str(), r.id.to_hex()))),
                    ids(&mut p.findings.iter().map(|f| f.class.as_str().to_string())),
                    record.clone(),
                ]);
            }
        }
    }
    Table {
        name: "votes",
        header: HEADER,
        rows,
    }
}

/// What an entry did, in words without markup (for the `changes` table).
fn change(site: &Site, e: &Entry) -> String {
    match &e.data {
        Data::Declaration(d) => format!(
            "declared {} interest with {}",
            d.category.as_str(),
            d.counterparty
        ),
        Data::Amend {
            target,
            declaration,
        } => {
            let changed = site.amended_fields(target, declaration);
            format!(
                "amended {}: changed {}",
                target.to_hex(),
                if changed.is_empty() {
                    "nothing".into()
                } else {
                    changed.join(", ")
                }
            )
        }
        Data::Withdraw(w) => format!("withdrew {}", w.target.to_hex()),
        Data::Retract(r) => format!("retracted {}: {}", r.target.to_hex(), r.reason),
        Data::NoConflict(n) => match &n.matters {
            Some(ms) => format!(
                "no conflict on {}",
                ms.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("; ")
            ),
            None => "nothing to declare (standing)".into(),
        },
        Data::Vote(v) => format!("vote on {}", v.matter.as_str()),
        Data::Determination(d) => format!(
            "determination {} on {}",
            d.outcome.as_str(),
            d.declaration.to_hex()
        ),
        Data::Profile(p) => format!("profile: {}", p.name),
        _ => e.kind().to_string(),
    }
}

/// `changes`: one row per entry after `since` (every entry without), in file order.
pub fn changes(site: &Site, since: Option<&Since>) -> Table {
    const HEADER: &[&str] = &[
        "edition",
        "entry",
        "member",
        "member_name",
        "seq",
        "time",
        "kind",
        "change",
        "file",
        "line",
    ];
    let label: Cell = since.map(|s| s.label()).into();
    let mut rows = Vec::new();
    for held in site.in_order() {
        let e = &held.entry;
        if since.is_some_and(|s| !s.after(held.place, e.time)) {
            continue;
        }
        let mut row = vec![
            label.clone(),
            e.id.to_hex().into(),
            e.member.to_hex().into(),
            site.name(&e.member).into(),
            e.seq.into(),
            e.time.as_str().into(),
            e.kind().into(),
            change(site, e).into(),
        ];
        row.extend(place_cells(site, held));
        rows.push(row);
    }
    Table {
        name: "changes",
        header: HEADER,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_neutralises() {
        let t = Table {
            name: "t",
            header: &["a", "b", "c"],
            rows: vec![
                vec!["=HYPERLINK(\"x\")".into(), "a,b".into(), 7u64.into()],
                vec!["-1".into(), "line\nbreak".into(), Cell::Empty],
                vec!["@SUM".into(), "+x".into(), "ok".into()],
            ],
        };
        let csv = String::from_utf8(t.csv()).expect("utf-8");
        assert_eq!(
            csv,
            "a,b,c\r\n\"'=HYPERLINK(\"\"x\"\")\",\"a,b\",7\r\n'-1,\"line\nbreak\",\r\n'@SUM,'+x,ok\r\n"
        );
        let jsonl = String::from_utf8(t.jsonl()).expect("utf-8");
        assert_eq!(
            jsonl.lines().next(),
            Some(r#"{"a":"=HYPERLINK(\"x\")","b":"a,b","c":7}"#)
        );
        assert!(jsonl
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("\"c\":null")));
    }
}
