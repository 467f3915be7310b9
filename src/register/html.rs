//! The public register as a static site: plain HTML pages that need no script, no network and
//! no server, with a strict Content-Security-Policy, relative links that work from `file://`,
//! and the same bytes for the same files (every list is sorted, nothing depends on the clock).
//!
//! Every string that came from a ledger is HTML-escaped where it is written ([`h`]); sealed
//! fields are shown as sealed, with how many parties can read them. No page is over
//! [`MAX_PAGE_BYTES`]: long lists continue on numbered pages.
//!
//! Pure: pages are handed to a callback as (relative path, bytes); the caller writes them.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use base64::Engine as _;
use sha2::Digest as _;

use super::site::{state_word, Held, MatterIndex, Place, Since, Site};
use super::{Interest, State};
use crate::check::{Judgement, Participant};
use crate::entry::{Data, Declaration, Entry, EntryId, Matter};
use crate::keys::MemberId;

/// The largest page written, in bytes.
pub const MAX_PAGE_BYTES: usize = 1 << 20;

/// Rows of a page stop growing past this many bytes: one more row (at most about 400 KiB, a
/// raw line of 64 KiB escaped) still keeps the page under [`MAX_PAGE_BYTES`].
const PAGE_BUDGET: usize = 480 << 10;

/// Entries the changes page shows without an edition (`--since`): the latest.
const LATEST_CHANGES: usize = 1000;

/// The longest value shown in a history row, in characters (the raw line beside it is whole).
const SHOWN_CHARS: usize = 200;

/// The one stylesheet, inline; the policy allows exactly it, by hash.
const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:0 1rem;line-height:1.4;color:#111;background:#fff}\
nav{padding:.6rem 0;border-bottom:1px solid #ccc}nav a{margin-right:.8rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}\
th{background:#f2f2f2}td.p{font-size:.85em;color:#444}code,pre{font-family:ui-monospace,monospace;font-size:.85em}\
pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f7;padding:.3rem}\
.flag{color:#a00;font-weight:bold}.ok{color:#060}.sealed{font-style:italic}\
footer{border-top:1px solid #ccc;margin-top:2rem;padding:.6rem 0;font-size:.85em;color:#444}\
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:bold}dd{margin:0}";

/// What the site shows beyond the files.
#[derive(Clone, Debug)]
pub struct SiteOptions {
    /// The site's title.
    pub title: String,
    /// The edition "what changed" is about; `None`: every entry, newest first.
    pub since: Option<Since>,
    /// `coi check`'s maximum age of a standing declaration relied on, in days.
    pub max_age_days: u32,
}

/// HTML-escapes untrusted text for element content and quoted attribute values.
pub fn h(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// HTML-escapes untrusted text for element content only (`&`, `<`, `>`): quotes need no
/// escaping there, and a raw line is mostly quotes.
fn ht(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
    out
}

/// `s` cut to [`SHOWN_CHARS`] characters, marked when cut, escaped.
fn hc(s: &str) -> String {
    if s.chars().count() <= SHOWN_CHARS {
        return h(s);
    }
    let cut: String = s.chars().take(SHOWN_CHARS).collect();
    format!(
        "{}\u{2026} <em>(cut; the raw line has it whole)</em>",
        h(&cut)
    )
}

/// The policy: nothing may load, connect or run; only the inline stylesheet applies.
fn csp() -> String {
    let hash = sha2::Sha256::digest(CSS.as_bytes());
    format!(
        "default-src 'none'; style-src 'sha256-{}'; img-src 'none'; base-uri 'none'; form-action 'none'",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// A file name for an untrusted string: its readable part, then 128 bits of its hash so that
/// two strings never share a page.
fn slug(s: &str) -> String {
    let mut readable: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    while readable.contains("--") {
        readable = readable.replace("--", "-");
    }
    let hash = blake3::hash(s.as_bytes());
    format!(
        "{}{}{}",
        readable.trim_matches('-'),
        if readable.trim_matches('-').is_empty() {
            ""
        } else {
            "-"
        },
        &hash.to_hex()[..32]
    )
}

fn member_page(m: &MemberId) -> String {
    format!("members/{}.html", m.to_hex())
}

fn matter_page(m: &Matter) -> String {
    format!("matters/{}.html", slug(m.as_str()))
}

fn counterparty_page(c: &str) -> String {
    format!("counterparties/{}.html", slug(c))
}

fn category_page(c: &str) -> String {
    format!("categories/{}.html", slug(c))
}

/// The path of page `n` (from 1) of a paged list whose first page is `base`.
fn nth(base: &str, n: usize) -> String {
    if n <= 1 {
        base.to_string()
    } else {
        format!("{}-{n}.html", base.trim_end_matches(".html"))
    }
}

/// A table that may continue over pages: its heading, its header row and rows of HTML.
struct Part {
    heading: String,
    header: Vec<&'static str>,
    rows: Vec<String>,
    /// What to say when there are no rows.
    empty: String,
    /// A paragraph under the heading (on the first page it is on).
    note: String,
}

impl Part {
    fn new(heading: impl Into<String>, header: &[&'static str], empty: &str) -> Part {
        Part {
            heading: heading.into(),
            header: header.to_vec(),
            rows: Vec::new(),
            empty: empty.to_string(),
            note: String::new(),
        }
    }

    fn open(&self, continued: bool) -> String {
        let mut s = format!(
            "<h2>{}{}</h2>\n",
            self.heading,
            if continued { " (continued)" } else { "" }
        );
        if !continued && !self.note.is_empty() {
            let _ = writeln!(s, "<p>{}</p>", self.note);
        }
        if self.rows.is_empty() {
            let _ = writeln!(s, "<p>{}</p>", self.empty);
            return s;
        }
        s.push_str("<table><thead><tr>");
        for c in &self.header {
            let _ = write!(s, "<th>{c}</th>");
        }
        s.push_str("</tr></thead><tbody>\n");
        s
    }
}

/// Items rendered at a time on all cores: their pages are held in memory until written.
const BATCH: usize = 32;

/// Runs `f` on every item, on all cores, `BATCH` items at a time, and hands the results to
/// `each` in the items' order (so the output does not depend on the number of cores).
fn in_batches<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    mut each: impl FnMut(R) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16);
    for batch in items.chunks(BATCH) {
        let per = batch.len().div_ceil(threads).max(1);
        let results: Vec<Vec<R>> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .chunks(per)
                .map(|c| scope.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        for r in results.into_iter().flatten() {
            each(r)?;
        }
    }
    Ok(())
}

/// Page breaks: for each page, the (part, first row, end row) ranges it holds.
type Layout = Vec<Vec<(usize, usize, usize)>>;

/// The index of the full history among a member page's parts.
const HISTORY_PART: usize = 3;

/// Writes pages.
struct Writer<'a> {
    site: &'a Site,
    options: &'a SiteOptions,
    csp: String,
    /// Where each entry's row is: page path and anchor.
    links: HashMap<EntryId, String>,
    /// While the member pages are planned: links to entries are measured at their longest.
    planning: bool,
    /// Each member page's breaks, as planned.
    layouts: HashMap<MemberId, Layout>,
}

/// Where pages go, and what was written.
struct Sink<'a> {
    out: &'a mut dyn FnMut(&str, &[u8]) -> std::io::Result<()>,
    written: Written,
}

impl Sink<'_> {
    fn write(&mut self, path: &str, html: &str) -> std::io::Result<()> {
        self.written.largest = self.written.largest.max(html.len());
        self.written.pages += 1;
        (self.out)(path, html.as_bytes())
    }
}

/// How many pages a site has and the largest, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Pages written.
    pub pages: usize,
    /// The largest page, in bytes.
    pub largest: usize,
}

/// Writes the site for `site`: `out` gets each page's path (relative, `/`-separated) and bytes.
pub fn write_site(
    site: &Site,
    options: &SiteOptions,
    out: &mut dyn FnMut(&str, &[u8]) -> std::io::Result<()>,
) -> std::io::Result<Written> {
    let mut w = Writer {
        site,
        options,
        csp: csp(),
        links: HashMap::new(),
        planning: false,
        layouts: HashMap::new(),
    };
    let mut sink = Sink {
        out,
        written: Written::default(),
    };
    w.plan_links();
    w.members(&mut sink)?;
    w.matters(&mut sink)?;
    w.counterparties(&mut sink)?;
    w.categories(&mut sink)?;
    w.changes(&mut sink)?;
    w.index(&mut sink)?;
    Ok(sink.written)
}

/// The rows of a member's history page parts, in the order pages hold them.
fn anchor(id: &EntryId) -> String {
    format!("e-{}", id.to_hex())
}

impl Writer<'_> {
    /// "../" for a page in a folder, "" at the top.
    fn up(path: &str) -> &'static str {
        if path.contains('/') {
            "../"
        } else {
            ""
        }
    }

    /// A whole page: head, navigation, `main`, footer.
    fn frame(&self, path: &str, title: &str, main: &str) -> String {
        let up = Self::up(path);
        let mut s = String::with_capacity(main.len() + 4096);
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title} \u{2014} {site}</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
<nav><a href=\"{up}index.html\">{site}</a> <a href=\"{up}members.html\">Members</a> \
<a href=\"{up}matters.html\">Matters</a> <a href=\"{up}counterparties.html\">Counterparties</a> \
<a href=\"{up}categories.html\">Categories</a> <a href=\"{up}changes.html\">Changes</a> \
<a href=\"{up}index.html#ledgers\">Ledger files</a></nav>\n<main>\n",
            csp = self.csp,
            site = h(&self.options.title),
        );
        s.push_str(main);
        let _ = write!(
            s,
            "</main>\n<footer>As of the latest entry in the files, {as_of}. Made by coi {version} \
from {files} ledger file(s), which anyone can check with <code>coi verify</code>. Names, \
capacities, affiliations and times are as members stated them: the signatures show who said \
what, the chains in which order, and checkpoints cosigned by witnesses by when it was \
published.</footer>\n</body>\n</html>\n",
            as_of = self.site.as_of().as_str(),
            version = env!("CARGO_PKG_VERSION"),
            files = self.site.files.len(),
        );
        s
    }

    /// Writes `parts` under `intro` on page `base` and as many continuation pages as needed.
    fn paged(
        &self,
        sink: &mut Sink<'_>,
        base: &str,
        title: &str,
        intro: &str,
        parts: &[Part],
    ) -> std::io::Result<()> {
        let layout = Self::plan(intro, parts);
        for (path, html) in self.pages_of(base, title, intro, parts, &layout) {
            sink.write(&path, &html)?;
        }
        Ok(())
    }

    /// The pages of `parts` under `intro` laid out as `layout`: paths and whole pages.
    fn pages_of(
        &self,
        base: &str,
        title: &str,
        intro: &str,
        parts: &[Part],
        layout: &Layout,
    ) -> Vec<(String, String)> {
        let pages = Self::assemble(intro, parts, layout);
        let n = pages.len();
        let mut out = Vec::with_capacity(n);
        for (i, body) in pages.into_iter().enumerate() {
            let path = nth(base, i + 1);
            let mut main = format!(
                "<h1>{title}{}</h1>\n",
                if n > 1 {
                    format!(" <small>(page {} of {n})</small>", i + 1)
                } else {
                    String::new()
                }
            );
            main.push_str(&body);
            if n > 1 {
                main.push_str(&Self::pager(base, i + 1, n));
            }
            let html = self.frame(&path, title, &main);
            out.push((path, html));
        }
        out
    }

    fn pager(base: &str, page: usize, n: usize) -> String {
        let file = |k: usize| {
            let p = nth(base, k);
            p.rsplit('/').next().unwrap_or(&p).to_string()
        };
        let mut s = String::from("<p>Pages:");
        for k in 1..=n {
            if k == page {
                let _ = write!(s, " <strong>{k}</strong>");
            } else {
                let _ = write!(s, " <a href=\"{}\">{k}</a>", file(k));
            }
        }
        s.push_str("</p>\n");
        s
    }

    /// Decides the page breaks: parts in order, rows on a page until it holds [`PAGE_BUDGET`]
    /// bytes. Each page is a list of (part, first row, end row).
    fn plan(intro: &str, parts: &[Part]) -> Layout {
        let mut pages: Layout = vec![Vec::new()];
        let mut len = intro.len();
        for (k, part) in parts.iter().enumerate() {
            if len > PAGE_BUDGET {
                pages.push(Vec::new());
                len = 0;
            }
            len += part.open(false).len();
            let mut start = 0;
            for (r, row) in part.rows.iter().enumerate() {
                if len + row.len() > PAGE_BUDGET && r > start {
                    if let Some(p) = pages.last_mut() {
                        p.push((k, start, r));
                    }
                    pages.push(Vec::new());
                    len = part.open(true).len();
                    start = r;
                }
                len += row.len();
            }
            if let Some(p) = pages.last_mut() {
                p.push((k, start, part.rows.len()));
            }
        }
        pages
    }

    /// The bodies of the pages of `layout`.
    fn assemble(intro: &str, parts: &[Part], layout: &Layout) -> Vec<String> {
        let mut out = Vec::with_capacity(layout.len());
        for (i, page) in layout.iter().enumerate() {
            let mut s = if i == 0 {
                intro.to_string()
            } else {
                String::new()
            };
            for &(k, start, end) in page {
                let Some(part) = parts.get(k) else { continue };
                s.push_str(&part.open(start > 0));
                if part.rows.is_empty() {
                    continue;
                }
                for row in part.rows.get(start..end).into_iter().flatten() {
                    s.push_str(row);
                }
                s.push_str("</tbody></table>\n");
            }
            out.push(s);
        }
        out
    }

    /// Decides on which page of its member's history each entry will be, before any page is
    /// written, so that every page can link to any entry. Rows are measured with every link
    /// to an entry at its longest ([`Writer::planning`]), so the final pages, laid out the
    /// same, are no larger.
    fn plan_links(&mut self) {
        let site = self.site;
        self.planning = true;
        let items: Vec<(&MemberId, &Vec<Held>)> = site.chains().iter().collect();
        let mut planned = Vec::with_capacity(items.len());
        let this = &*self;
        let _ = in_batches(
            &items,
            |(m, chain)| {
                let (intro, parts) = this.member_parts(m, chain);
                let layout = Self::plan(&intro, &parts);
                let mut links = Vec::new();
                for (i, page) in layout.iter().enumerate() {
                    let path = nth(&member_page(m), i + 1);
                    for &(k, start, end) in page {
                        if k != HISTORY_PART {
                            continue;
                        }
                        for held in chain.get(start..end).into_iter().flatten() {
                            let id = held.entry.id;
                            links.push((id, format!("{path}#{}", anchor(&id))));
                        }
                    }
                }
                (**m, layout, links)
            },
            |r| {
                planned.push(r);
                Ok(())
            },
        );
        for (m, layout, links) in planned {
            self.links.extend(links);
            self.layouts.insert(m, layout);
        }
        self.planning = false;
    }

    /// A link from the page at `from` to entry `id`'s row, its text the id's fingerprint.
    fn entry_link(&self, from: &str, id: &EntryId) -> String {
        match self.links.get(id) {
            Some(to) => format!(
                "<a href=\"{}{}\"><code>{}</code></a>",
                Self::up(from),
                to,
                id.fingerprint()
            ),
            None if self.planning => format!(
                "<a href=\"../members/{}-99999999.html#{}\"><code>{}</code></a>",
                id.to_hex(),
                anchor(id),
                id.fingerprint()
            ),
            None => format!("<code>{}</code>", id.fingerprint()),
        }
    }

    fn member_link(&self, from: &str, m: &MemberId) -> String {
        let name = match self.site.name(m) {
            Some(n) => h(n),
            None => "(no profile)".into(),
        };
        format!(
            "<a href=\"{}{}\">{name}</a> <code>{}</code>",
            Self::up(from),
            member_page(m),
            m.fingerprint()
        )
    }

    fn matter_link(&self, from: &str, m: &Matter) -> String {
        format!(
            "<a href=\"{}{}\"><code>{}</code></a>",
            Self::up(from),
            matter_page(m),
            h(m.as_str())
        )
    }

    /// The provenance cell of an entry: id (linked), file and line, first witnessed checkpoint.
    fn provenance(&self, from: &str, held: &Held) -> String {
        let Place { file, line } = held.place;
        let name = self
            .site
            .files
            .get(file)
            .map(|f| f.name.as_str())
            .unwrap_or("?");
        let mut s = format!(
            "<td class=\"p\">{} <a href=\"{}ledgers/{}\">{}</a> line {line}",
            self.entry_link(from, &held.entry.id),
            Self::up(from),
            h(name),
            h(name),
        );
        match self.site.first_witnessed(held.place) {
            Some(e) => {
                let names: Vec<String> = e.witnesses.iter().map(|(n, _)| h(n)).collect();
                let _ = write!(
                    s,
                    "; in checkpoint <code>{}</code>@{} cosigned by {}",
                    h(&e.origin),
                    e.size,
                    names.join(", ")
                );
            }
            None => s.push_str("; in no cosigned checkpoint known"),
        }
        s.push_str("</td>");
        s
    }

    /// The cells of a declaration: counterparty, category, between, whose, scope, mitigation,
    /// details (with sealed fields as sealed).
    fn decl_cells(&self, from: &str, version: &EntryId, d: &Declaration) -> String {
        let scope = match &d.matters {
            Some(ms) if !ms.is_empty() => {
                let links: Vec<String> = ms.iter().map(|m| self.matter_link(from, m)).collect();
                format!("{} on {}", d.scope.as_str(), links.join(", "))
            }
            _ => d.scope.as_str().to_string(),
        };
        let mut details = Vec::new();
        if let Some(n) = &d.nature {
            details.push(format!("nature: {}", h(n)));
        }
        if let Some(r) = &d.relationship {
            details.push(format!("relationship: {}", r.as_str()));
        }
        if let Some(v) = &d.value {
            details.push(format!("value: {}", h(v)));
        }
        if let Some(s) = &d.since {
            details.push(format!("since {}", s.as_str()));
        }
        if let Some(u) = &d.until {
            details.push(format!("until {}", u.as_str()));
        }
        if let Some(sealed) = &d.sealed {
            let readers = self.site.readers(version);
            let n = readers.map(|r| r.members.len()).unwrap_or(0);
            let names: Vec<&str> = sealed.keys().map(|f| f.as_str()).collect();
            details.push(format!(
                "<span class=\"sealed\">sealed {} (readable by {n} {})</span>",
                names.join(", "),
                if n == 1 { "party" } else { "parties" }
            ));
            if let Some(r) = readers {
                for (f, v) in &r.unsealed {
                    if sealed.contains_key(f) {
                        details.push(format!("{} (made public): {}", f.as_str(), h(v)));
                    }
                }
            }
        }
        format!(
            "<td><a href=\"{up}{cp}\">{c}</a></td><td><a href=\"{up}{cat}\">{k}</a></td><td>{b}</td><td>{w}</td><td>{scope}</td><td>{mit}</td><td>{det}</td>",
            up = Self::up(from),
            cp = counterparty_page(&d.counterparty),
            c = h(&d.counterparty),
            cat = category_page(d.category.as_str()),
            k = d.category.as_str(),
            b = d.between.as_str(),
            w = d.whose.as_str(),
            mit = d.mitigation.as_str(),
            det = details.join("; "),
        )
    }

    /// A row of an interests table: member (optional), the version shown, its state, the
    /// number of versions, provenance.
    fn interest_row(
        &self,
        from: &str,
        interest: &Interest,
        state: Option<&State<'_>>,
        with_member: bool,
    ) -> String {
        let v = match state {
            Some(s) => s.version(),
            None => interest.versions.last().unwrap_or(interest.first()),
        };
        let Some(held) = self.site.held(&v.mark.id) else {
            return String::new();
        };
        let state_text = match state {
            Some(State::Withdrawn(_, e)) | Some(State::Retracted(_, e)) => format!(
                "<span class=\"flag\">{}</span> by {}",
                state.map(state_word).unwrap_or(""),
                self.entry_link(from, &e.mark.id)
            ),
            Some(s) => state_word(s).to_string(),
            None => "not yet declared".into(),
        };
        let versions = if interest.versions.len() > 1 {
            format!(
                " (version {} of {})",
                interest
                    .versions
                    .iter()
                    .position(|x| x.mark.id == v.mark.id)
                    .map_or(0, |p| p + 1),
                interest.versions.len()
            )
        } else {
            String::new()
        };
        format!(
            "<tr>{member}<td>{date}</td>{cells}<td>{state_text}{versions}</td>{prov}</tr>\n",
            member = if with_member {
                format!("<td>{}</td>", self.member_link(from, &interest.member))
            } else {
                String::new()
            },
            date = v.mark.time.as_str(),
            cells = self.decl_cells(from, &v.mark.id, &v.declaration),
            prov = self.provenance(from, held),
        )
    }

    const INTEREST_HEADER: &'static [&'static str] = &[
        "Declared",
        "Counterparty",
        "Category",
        "Between",
        "Whose",
        "Scope",
        "Mitigation",
        "Details",
        "State",
        "Provenance",
    ];

    fn interest_header(with_member: bool) -> Vec<&'static str> {
        let mut v = Vec::new();
        if with_member {
            v.push("Member");
        }
        v.extend_from_slice(Self::INTEREST_HEADER);
        v
    }

    /// What an entry says, in a line of HTML.
    fn what(&self, from: &str, e: &Entry) -> String {
        match &e.data {
            Data::Profile(p) => {
                let mut s = format!("profile: name {}", hc(&p.name));
                if let Some(c) = &p.capacity {
                    let _ = write!(s, ", capacity {}", hc(c));
                }
                if let Some(a) = &p.affiliation {
                    let _ = write!(s, ", affiliation {}", hc(a));
                }
                s
            }
            Data::Declaration(d) => format!(
                "declared {} {} interest ({}) with {}{}, {}; mitigation {}{}",
                d.category.as_str(),
                d.between.as_str(),
                d.whose.as_str(),
                hc(&d.counterparty),
                d.nature
                    .as_ref()
                    .map(|n| format!(" ({})", hc(n)))
                    .unwrap_or_default(),
                self.scope_text(from, d.scope.as_str(), d.matters.as_deref()),
                d.mitigation.as_str(),
                match &d.sealed {
                    Some(s) => format!(
                        "; sealed {}",
                        s.keys().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    None => String::new(),
                }
            ),
            Data::Amend {
                target,
                declaration,
            } => {
                let changed = self.site.amended_fields(target, declaration);
                format!(
                    "amended {}: changed {}; now with {}, mitigation {}",
                    self.entry_link(from, target),
                    if changed.is_empty() {
                        "nothing".to_string()
                    } else {
                        changed.join(", ")
                    },
                    hc(&declaration.counterparty),
                    declaration.mitigation.as_str()
                )
            }
            Data::Withdraw(w) => format!(
                "withdrew {}: the interest ended{}",
                self.entry_link(from, &w.target),
                w.until
                    .as_ref()
                    .map(|u| format!(" on {}", u.as_str()))
                    .unwrap_or_default()
            ),
            Data::Retract(r) => format!(
                "retracted {} (declared in error): {}",
                self.entry_link(from, &r.target),
                hc(&r.reason)
            ),
            Data::NoConflict(n) => format!(
                "nothing to declare, {}",
                self.scope_text(from, n.scope.as_str(), n.matters.as_deref())
            ),
            Data::Reaffirm(r) => format!(
                "reaffirmed that the live entries are complete and current{}",
                r.note
                    .as_ref()
                    .map(|n| format!(": {}", hc(n)))
                    .unwrap_or_default()
            ),
            Data::KeyRotation(_) => "rotated the signing key".into(),
            Data::EncryptionKey(_) => "published an encryption key".into(),
            Data::Disclosure(d) => format!(
                "disclosed the sealed fields of {} to {} member(s), encrypted",
                self.entry_link(from, &d.target),
                d.recipients.len()
            ),
            Data::Unseal(u) => format!(
                "made public sealed field(s) {} of {}",
                u.fields
                    .keys()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                self.entry_link(from, &u.target)
            ),
            Data::Vote(v) => format!(
                "recorded a vote on {}{}{}",
                self.matter_link(from, &v.matter),
                v.result
                    .map(|r| format!(": {}", r.as_str()))
                    .unwrap_or_default(),
                if v.continues.is_some() {
                    " (continuation)"
                } else {
                    ""
                }
            ),
            Data::Determination(d) => format!(
                "determined {} on {} of {}",
                d.outcome.as_str(),
                self.entry_link(from, &d.declaration),
                self.member_link(from, &d.member)
            ),
            Data::Witness(_) => "cosigned a checkpoint of the body log".into(),
            Data::Agenda(a) => format!(
                "published the agenda of {} ({} item(s))",
                h(a.meeting.as_str()),
                a.items.len()
            ),
            Data::LogKey(_) => "announced a log key".into(),
            _ => format!("an entry of kind {}", hc(e.kind())),
        }
    }

    fn scope_text(&self, from: &str, scope: &str, matters: Option<&[Matter]>) -> String {
        match matters {
            Some(ms) if !ms.is_empty() => format!(
                "{scope} on {}",
                ms.iter()
                    .map(|m| self.matter_link(from, m))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => scope.to_string(),
        }
    }

    /// A history row: seq, time, kind, what, provenance, and the raw line.
    fn history_row(&self, from: &str, held: &Held) -> String {
        let e = &held.entry;
        format!(
            "<tr id=\"{a}\"><td>{seq}</td><td>{time}</td><td>{kind}</td><td>{what}<details><summary>raw line</summary><pre>{raw}</pre></details></td>{prov}</tr>\n",
            a = anchor(&e.id),
            seq = e.seq,
            time = e.time.as_str(),
            kind = h(e.kind()),
            what = self.what(from, e),
            raw = ht(&e.line),
            prov = self.provenance(from, held),
        )
    }

    /// A member page's introduction and parts: current interests, the others, nil returns and
    /// the full history ([`HISTORY_PART`]).
    fn member_parts(&self, m: &MemberId, chain: &[Held]) -> (String, Vec<Part>) {
        let from = member_page(m);
        let rec = self.site.register().member(m);
        let mut intro = String::from("<dl>");
        let _ = write!(
            intro,
            "<dt>Member id</dt><dd><code>{}</code></dd><dt>Fingerprint</dt><dd><code>{}</code></dd>",
            m.to_hex(),
            m.fingerprint()
        );
        if let Some((_, p)) = rec.and_then(|r| r.profile.as_ref()) {
            let _ = write!(
                intro,
                "<dt>Name</dt><dd>{} (self-asserted)</dd>",
                h(&p.name)
            );
            if let Some(c) = &p.capacity {
                let _ = write!(intro, "<dt>Capacity</dt><dd>{}</dd>", h(c));
            }
            if let Some(a) = &p.affiliation {
                let _ = write!(intro, "<dt>Affiliation</dt><dd>{}</dd>", h(a));
            }
        }
        let _ = write!(intro, "<dt>Chain</dt><dd>{} entries", chain.len());
        if let Some(last) = chain.last() {
            let _ = write!(
                intro,
                ", head {} at {}",
                self.entry_link(&from, &last.entry.id),
                last.entry.time.as_str()
            );
        }
        intro.push_str("</dd>");
        let reaffirmed = rec.and_then(|r| r.reaffirmations.last());
        let _ = write!(
            intro,
            "<dt>Last reaffirmation</dt><dd>{}</dd>",
            match reaffirmed {
                Some(mk) => format!("{} ({})", mk.time.as_str(), self.entry_link(&from, &mk.id)),
                None => "none".into(),
            }
        );
        let nil = rec.and_then(|r| r.nil_returns.last());
        let _ = writeln!(
            intro,
            "<dt>Last nil return</dt><dd>{}</dd></dl>",
            match nil {
                Some(n) => format!(
                    "{} ({})",
                    n.mark.time.as_str(),
                    self.entry_link(&from, &n.mark.id)
                ),
                None => "none".into(),
            }
        );
        let now = self.site.now();
        let mut current = Part::new(
            "Current interests",
            &Self::interest_header(false),
            "No interest in force.",
        );
        let mut other = Part::new(
            "Ended, expired and future interests",
            &Self::interest_header(false),
            "None.",
        );
        if let Some(r) = rec {
            for i in &r.interests {
                let s = i.state_at(&now);
                let row = self.interest_row(&from, i, s.as_ref(), false);
                match &s {
                    Some(st) if st.is_current() => current.rows.push(row),
                    _ => other.rows.push(row),
                }
            }
        }
        let mut nils = Part::new(
            "Nil returns",
            &["Made", "Says", "Provenance"],
            "No nil return.",
        );
        if let Some(r) = rec {
            for n in &r.nil_returns {
                if let Some(held) = self.site.held(&n.mark.id) {
                    nils.rows.push(format!(
                        "<tr><td>{}</td><td>{}</td>{}</tr>\n",
                        n.mark.time.as_str(),
                        self.what(&from, &held.entry),
                        self.provenance(&from, held)
                    ));
                }
            }
        }
        let mut history = Part::new(
            "Full history",
            &[
                "Seq",
                "Time",
                "Kind",
                "What (and the raw line)",
                "Provenance",
            ],
            "No entry.",
        );
        for held in chain {
            history.rows.push(self.history_row(&from, held));
        }
        (intro, vec![current, other, nils, history])
    }

    fn members(&mut self, sink: &mut Sink<'_>) -> std::io::Result<()> {
        let site = self.site;
        let items: Vec<(&MemberId, &Vec<Held>)> = site.chains().iter().collect();
        let this = &*self;
        in_batches(
            &items,
            |(m, chain)| {
                let (intro, parts) = this.member_parts(m, chain);
                let title = match site.name(m) {
                    Some(n) => h(n),
                    None => format!("Member {}", m.fingerprint()),
                };
                let planned;
                let layout = match this.layouts.get(m) {
                    Some(l) => l,
                    None => {
                        planned = Self::plan(&intro, &parts);
                        &planned
                    }
                };
                this.pages_of(&member_page(m), &title, &intro, &parts, layout)
            },
            |pages| {
                for (path, html) in pages {
                    sink.write(&path, &html)?;
                }
                Ok(())
            },
        )?;
        // The list of members.
        let mut list = Part::new(
            "Members",
            &[
                "Member",
                "Capacity",
                "Current interests",
                "Last nil return",
                "Last reaffirmation",
                "Entries",
            ],
            "No member.",
        );
        let now = site.now();
        for (m, chain) in site.chains() {
            let rec = site.register().member(m);
            let current = rec
                .map(|r| r.interests_at(&now).filter(|(_, s)| s.is_current()).count())
                .unwrap_or(0);
            let capacity = rec
                .and_then(|r| r.profile.as_ref())
                .and_then(|(_, p)| p.capacity.as_deref())
                .map(h)
                .unwrap_or_default();
            let when = |t: Option<&crate::entry::Timestamp>| {
                t.map(|t| t.as_str().to_string())
                    .unwrap_or_else(|| "none".into())
            };
            list.rows.push(format!(
                "<tr><td>{}</td><td>{capacity}</td><td>{current}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                self.member_link("members.html", m),
                when(rec.and_then(|r| r.nil_returns.last()).map(|n| &n.mark.time)),
                when(rec.and_then(|r| r.reaffirmations.last()).map(|r| &r.time)),
                chain.len()
            ));
        }
        self.paged(
                sink,
            "members.html",
            "Members",
            "<p>Every member with a chain in the files, by member id. Names and capacities are self-asserted.</p>\n",
            &[list],
        )
    }

    fn participant_row(&self, from: &str, p: &Participant) -> String {
        let decls: Vec<String> = p
            .declarations
            .iter()
            .map(|d| self.entry_link(from, &d.id))
            .collect();
        let rulings: Vec<String> = p
            .determinations
            .iter()
            .map(|r| {
                format!(
                    "{} by {}{}",
                    r.outcome.as_str(),
                    self.entry_link(from, &r.id),
                    if r.before_vote {
                        ""
                    } else {
                        " (after the vote)"
                    }
                )
            })
            .collect();
        let findings: Vec<String> = p
            .findings
            .iter()
            .map(|f| {
                format!(
                    "<span class=\"flag\">{}</span>: {}",
                    f.class.as_str(),
                    h(&f.message)
                )
            })
            .collect();
        let after: Vec<String> = p.after.iter().map(|id| self.entry_link(from, id)).collect();
        format!(
            "<tr><td>{member}</td><td>{presence}</td><td>{ballot}</td><td>{status}</td><td>{restriction}</td><td>{decls}</td><td>{nil}</td><td>{after}</td><td>{rulings}</td><td>{findings}</td></tr>\n",
            member = self.member_link(from, &p.member),
            presence = p.presence.map(|x| x.as_str()).unwrap_or("\u{2014}"),
            ballot = p.vote.map(|x| x.as_str()).unwrap_or("\u{2014}"),
            status = p.status.as_str(),
            restriction = match p.restriction {
                crate::check::Restriction::Recuse => "recuse",
                crate::check::Restriction::Abstain => "abstain",
                crate::check::Restriction::None => "none",
            },
            decls = decls.join(", "),
            nil = p.nil_return.map(|id| self.entry_link(from, &id)).unwrap_or_default(),
            after = after.join(", "),
            rulings = rulings.join("; "),
            findings = if findings.is_empty() { "<span class=\"ok\">none</span>".to_string() } else { findings.join("<br>") },
        )
    }

    fn judgement_parts(&self, from: &str, j: &Judgement, n: usize) -> Vec<Part> {
        let mut about = String::new();
        let heading = match j.vote {
            Some(id) => {
                let _ = write!(
                    about,
                    "Vote {}, held {}",
                    self.entry_link(from, &id),
                    j.at.as_str()
                );
                if let Some(r) = j.recorder {
                    let _ = write!(about, ", recorded by {}", self.member_link(from, &r));
                }
                if let Some(m) = &j.motion {
                    let _ = write!(about, "; motion: {}", h(m));
                }
                if let Some(r) = j.result {
                    let _ = write!(about, "; result: {}", r.as_str());
                }
                if let Some(a) = j.agenda {
                    let _ = write!(about, "; agenda {}", self.entry_link(from, &a));
                }
                about.push('.');
                format!("Vote {n}")
            }
            None => {
                about = format!(
                    "No vote on it is recorded: who declared what on it as of {}.",
                    j.at.as_str()
                );
                "Before any vote".to_string()
            }
        };
        let mut findings = Part::new(
            format!("{heading}: findings on the record"),
            &["Finding", "Says"],
            "None: the record is complete.",
        );
        findings.note = about;
        for f in &j.findings {
            findings.rows.push(format!(
                "<tr><td class=\"flag\">{}</td><td>{}</td></tr>\n",
                f.class.as_str(),
                h(&f.message)
            ));
        }
        let mut people = Part::new(
            format!("{heading}: participants and what they had said by the vote"),
            &[
                "Participant",
                "Presence",
                "Ballot",
                "Had said",
                "Restriction",
                "Declarations relied on",
                "Nil return",
                "Declared after",
                "Determinations",
                "Findings",
            ],
            "No participant.",
        );
        for p in &j.participants {
            people.rows.push(self.participant_row(from, p));
        }
        vec![findings, people]
    }

    fn matters(&mut self, sink: &mut Sink<'_>) -> std::io::Result<()> {
        let site = self.site;
        let matters = site.matters();
        let mut list = Part::new(
            "Matters",
            &[
                "Matter",
                "Votes",
                "Flagged",
                "Declarations",
                "Nil returns",
                "On agendas",
            ],
            "No matter is named in the files.",
        );
        let items: Vec<(&Matter, &MatterIndex)> = matters.iter().collect();
        in_batches(
            &items,
            |(m, x)| self.matter_pages(m, x),
            |(row, pages)| {
                list.rows.push(row);
                for (path, html) in pages {
                    sink.write(&path, &html)?;
                }
                Ok(())
            },
        )?;
        self.paged(sink, "matters.html", "Matters", "", &[list])
    }

    /// A matter's row in the list of matters, and its pages.
    fn matter_pages(
        &self,
        matter: &Matter,
        index: &MatterIndex,
    ) -> (String, Vec<(String, String)>) {
        let site = self.site;
        let from = matter_page(matter);
        let judged = site.judge(matter, self.options.max_age_days);
        let flagged = judged.iter().filter(|j| j.flagged()).count();
        let row = format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            self.matter_link("matters.html", matter),
            index.votes,
            if flagged > 0 {
                format!("<span class=\"flag\">{flagged}</span>")
            } else {
                "0".into()
            },
            index.declarations,
            index.nil_returns,
            index.agendas
        );
        let mut parts = Vec::new();
        let mut agendas = Part::new(
            "On agendas",
            &["Meeting", "Item", "Concerns", "Scheduled", "Provenance"],
            "No agenda lists it.",
        );
        let mut decls = Part::new(
            "Declarations that list it",
            &Self::interest_header(true),
            "No declaration lists it (standing declarations count when an agenda item concerns their counterparty: see the votes).",
        );
        let mut nils = Part::new(
            "Nil returns that list it",
            &["Member", "Made", "Says", "Provenance"],
            "No nil return lists it.",
        );
        let mut rulings = Part::new(
            "Determinations",
            &["Made", "By", "On", "Outcome", "Note", "Provenance"],
            "No determination names it.",
        );
        for held in index.entries.iter().filter_map(|at| site.at(*at)) {
            let e = &held.entry;
            match &e.data {
                Data::Agenda(a) => {
                    if let Some(item) = a.item(matter) {
                        agendas.rows.push(format!(
                            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>\n",
                            h(a.meeting.as_str()),
                            item.title.as_deref().map(h).unwrap_or_default(),
                            item.concerns
                                .iter()
                                .flatten()
                                .map(|c| h(c))
                                .collect::<Vec<_>>()
                                .join(", "),
                            a.scheduled
                                .map(|t| t.as_str().to_string())
                                .unwrap_or_default(),
                            self.provenance(&from, held)
                        ));
                    }
                }
                Data::NoConflict(n) if n.matters.as_ref().is_some_and(|ms| ms.contains(matter)) => {
                    nils.rows.push(format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td>{}</tr>\n",
                        self.member_link(&from, &e.member),
                        e.time.as_str(),
                        self.what(&from, e),
                        self.provenance(&from, held)
                    ));
                }
                Data::Determination(d) if d.matter.as_ref() == Some(matter) => {
                    rulings.rows.push(format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>\n",
                        e.time.as_str(),
                        self.member_link(&from, &e.member),
                        self.entry_link(&from, &d.declaration),
                        d.outcome.as_str(),
                        d.note.as_deref().map(h).unwrap_or_default(),
                        self.provenance(&from, held)
                    ));
                }
                _ => {}
            }
        }
        let now = site.now();
        for i in index.interests.iter().filter_map(|at| site.interest(*at)) {
            let s = i.state_at(&now);
            decls
                .rows
                .push(self.interest_row(&from, i, s.as_ref(), true));
        }
        parts.push(agendas);
        for (n, j) in judged.iter().enumerate() {
            parts.extend(self.judgement_parts(&from, j, n + 1));
        }
        parts.push(decls);
        parts.push(nils);
        parts.push(rulings);
        let intro = format!(
            "<p>{} vote(s) recorded, {} flagged by <code>coi check</code> (spec \u{a7}8.5): each participant's status is judged at the chain head the vote committed to, so a declaration made after it does not count.</p>\n",
            index.votes, flagged
        );
        let layout = Self::plan(&intro, &parts);
        let pages = self.pages_of(
            &from,
            &format!("Matter <code>{}</code>", h(matter.as_str())),
            &intro,
            &parts,
            &layout,
        );
        (row, pages)
    }

    /// Pages of interests grouped by a key (counterparty, category): `key` gives every key an
    /// interest is listed under.
    fn grouped(
        &mut self,
        sink: &mut Sink<'_>,
        list_path: &str,
        list_title: &str,
        what: &'static str,
        page: fn(&str) -> String,
        key: impl Fn(&Interest) -> Vec<String>,
    ) -> std::io::Result<()> {
        let site = self.site;
        let mut groups: BTreeMap<String, Vec<&Interest>> = BTreeMap::new();
        for i in site.interests() {
            let mut keys = key(i);
            keys.sort();
            keys.dedup();
            for k in keys {
                groups.entry(k).or_default().push(i);
            }
        }
        let now = site.now();
        let mut list = Part::new(
            list_title,
            &[what, "Interests", "Current"],
            "No declaration in the files.",
        );
        for (k, interests) in &groups {
            let from = page(k);
            let mut current = 0;
            let mut part = Part::new("Declarations", &Self::interest_header(true), "None.");
            for i in interests {
                let s = i.state_at(&now);
                if s.as_ref().is_some_and(|s| s.is_current()) {
                    current += 1;
                }
                part.rows
                    .push(self.interest_row(&from, i, s.as_ref(), true));
            }
            list.rows.push(format!(
                "<tr><td><a href=\"{from}\">{}</a></td><td>{}</td><td>{current}</td></tr>\n",
                h(k),
                interests.len()
            ));
            let title = format!("{what}: {}", h(k));
            self.paged(sink, &from, &title, "<p>Every declaration that named it in any version, with its state as of the latest entry.</p>\n", &[part])?;
        }
        self.paged(sink, list_path, list_title, "", &[list])
    }

    fn counterparties(&mut self, sink: &mut Sink<'_>) -> std::io::Result<()> {
        self.grouped(
            sink,
            "counterparties.html",
            "Counterparties",
            "Counterparty",
            counterparty_page,
            |i| {
                i.versions
                    .iter()
                    .map(|v| v.declaration.counterparty.clone())
                    .collect()
            },
        )
    }

    fn categories(&mut self, sink: &mut Sink<'_>) -> std::io::Result<()> {
        self.grouped(
            sink,
            "categories.html",
            "Categories",
            "Category",
            category_page,
            |i| {
                i.versions
                    .iter()
                    .map(|v| v.declaration.category.as_str().to_string())
                    .collect()
            },
        )
    }

    fn changes(&mut self, sink: &mut Sink<'_>) -> std::io::Result<()> {
        let site = self.site;
        let since = self.options.since.clone();
        let mut part = Part::new(
            "Entries, newest first",
            &["Time", "Member", "Kind", "What", "Provenance"],
            "Nothing changed.",
        );
        let mut rows: Vec<&Held> = site
            .in_order()
            .filter(|held| {
                since
                    .as_ref()
                    .is_none_or(|s| s.after(held.place, held.entry.time))
            })
            .collect();
        // Newest first by the members' times; ties in the order of the files, reversed.
        rows.reverse();
        rows.sort_by_key(|h| std::cmp::Reverse(h.entry.time));
        let all = rows.len();
        if since.is_none() {
            rows.truncate(LATEST_CHANGES);
        }
        for held in rows {
            let e = &held.entry;
            part.rows.push(format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>\n",
                e.time.as_str(),
                self.member_link("changes.html", &e.member),
                h(e.kind()),
                self.what("changes.html", e),
                self.provenance("changes.html", held)
            ));
        }
        let (title, intro) = match &since {
            Some(s) => (
                format!("Changes since {}", h(&s.label())),
                format!("<p>Every entry made after {}: declarations, amendments (with the fields they changed), withdrawals, retractions, nil returns, votes and determinations. Times are as members stated them.</p>\n", h(&s.label())),
            ),
            None => (
                "Latest changes".to_string(),
                format!("<p>The latest {} of the {all} entries in the files, newest first (each member's history has them all). Make the site with <code>--since DATE</code> or <code>--since-checkpoint FILE</code> to show everything that changed since an edition.</p>\n", all.min(LATEST_CHANGES)),
            ),
        };
        self.paged(sink, "changes.html", &title, &intro, &[part])
    }

    fn index(&mut self, sink: &mut Sink<'_>) -> std::io::Result<()> {
        let site = self.site;
        let now = site.now();
        let members = site.chains().len();
        let entries: usize = site.chains().values().map(|c| c.len()).sum();
        let current = site
            .interests()
            .filter(|i| i.state_at(&now).is_some_and(|s| s.is_current()))
            .count();
        let nil = site
            .register()
            .members()
            .filter(|(_, r)| !r.nil_returns.is_empty())
            .count();
        let matters = site.matters();
        let votes: usize = matters.values().map(|m| m.votes).sum();
        let mut main = format!(
            "<p>A register of conflict-of-interest declarations, made from {entries} signed entries of {members} member(s), as of {as_of}.</p>\n\
<ul><li><a href=\"members.html\">{members} member(s)</a>, {nil} with a nil return</li>\
<li>{current} interest(s) in force</li>\
<li><a href=\"matters.html\">{m} matter(s)</a>, {votes} vote(s)</li>\
<li><a href=\"counterparties.html\">Counterparties</a> and <a href=\"categories.html\">categories</a></li>\
<li><a href=\"changes.html\">What changed</a></li></ul>\n",
            as_of = site.as_of().as_str(),
            m = matters.len(),
        );
        main.push_str("<h2 id=\"ledgers\">Ledger files</h2>\n<p>The files this site was made from. Download them and check them with <code>coi verify FILE</code>: no key, account or network is needed.</p>\n<table><thead><tr><th>File</th><th>Bytes</th><th>SHA-256</th><th>BLAKE3</th></tr></thead><tbody>\n");
        for f in &site.files {
            let _ = writeln!(
                main,
                "<tr><td><a href=\"ledgers/{n}\">{n}</a></td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                f.bytes,
                h(&f.sha256),
                h(&f.blake3),
                n = h(&f.name)
            );
        }
        main.push_str("</tbody></table>\n<h2>Checkpoints</h2>\n");
        if site.editions.is_empty() {
            main.push_str("<p>No checkpoint of the body log is known to this register.</p>\n");
        } else {
            main.push_str("<table><thead><tr><th>Log</th><th>Lines</th><th>Signed</th><th>Cosigned by</th></tr></thead><tbody>\n");
            for e in &site.editions {
                let w: Vec<String> = e
                    .witnesses
                    .iter()
                    .map(|(n, t)| format!("{} at {}", h(n), h(t)))
                    .collect();
                let _ = writeln!(
                    main,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    h(&e.origin),
                    e.size,
                    h(&e.signed),
                    if w.is_empty() {
                        "no witness".to_string()
                    } else {
                        w.join("; ")
                    }
                );
            }
            main.push_str("</tbody></table>\n");
        }
        let title = h(&self.options.title);
        self.paged(sink, "index.html", &title, &main, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_slugs() {
        assert_eq!(
            h("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        let a = slug("Acme Corp.");
        assert!(a.starts_with("acme-corp-"), "{a}");
        assert_ne!(slug("a/b"), slug("a-b"));
        assert!(slug("<>").chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(nth("members/x.html", 1), "members/x.html");
        assert_eq!(nth("members/x.html", 3), "members/x-3.html");
    }

    #[test]
    fn long_lists_are_split_under_the_budget() {
        let mut p = Part::new("T", &["a"], "none");
        for i in 0..5000 {
            p.rows
                .push(format!("<tr><td>{i} {}</td></tr>\n", "x".repeat(300)));
        }
        let parts = [p];
        let pages = Writer::assemble("intro", &parts, &Writer::plan("intro", &parts));
        assert!(pages.len() > 2);
        for page in &pages {
            assert!(page.len() <= PAGE_BUDGET + 400, "{}", page.len());
            assert!(page.contains("<table>") && page.ends_with("</tbody></table>\n"));
        }
    }
}
