//! C2SP `tlog-policy`: which logs a checkpoint may come from, which witnesses may cosign it, and
//! the quorum of cosignatures that makes it valid.
//!
//! ```text
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> <k|any|all> <name>...
//! quorum <name|none>
//! ```
//!
//! [`Policy::parse`] reads the file and refuses, with its line number, anything the spec does not
//! allow; [`Policy::satisfied`] evaluates the quorum over the witnesses whose cosignatures the
//! caller verified (this module verifies no signature: the caller builds its note verifiers from
//! [`Policy::logs`] and [`Policy::witnesses`]), and [`Policy::explain`] says why a quorum is or is
//! not met. Nothing here reads files. Schema §13 lists the rules coi adds to the spec's.

use std::collections::HashMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The largest policy read, in bytes.
pub const MAX_BYTES: usize = 64 * 1024;
/// The most lines a policy may have.
pub const MAX_LINES: usize = 1000;
/// The deepest nesting of groups: a group of witnesses is 1 deep, a group holding it 2, and so on.
pub const MAX_DEPTH: usize = 16;

/// The signature type of Ed25519 note keys (`signed-note`): the keys of logs.
pub const TYPE_NOTE_ED25519: u8 = 0x01;
/// The signature type of timestamped Ed25519 cosignature keys (`tlog-cosignature`): the keys of
/// witnesses.
pub const TYPE_COSIGNATURE_ED25519: u8 = 0x04;

/// The predefined name of the empty quorum, which needs no cosignature.
pub const NONE: &str = "none";

/// What the spec or coi calls a signature type, for messages.
fn type_label(t: u8) -> &'static str {
    match t {
        0x01 => "an Ed25519 note key (type 0x01)",
        0x02 => "an ECDSA note key (type 0x02)",
        0x04 => "an Ed25519 cosignature key (type 0x04)",
        0x05 => "an RFC 6962 tree head key (type 0x05)",
        0x06 => "an ML-DSA-44 cosignature key (type 0x06)",
        _ => "a key of an unknown type",
    }
}

/// Why a policy is refused. Every variant but the whole-file ones names the line (from 1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy is larger than [`MAX_BYTES`].
    #[error("the policy is larger than {MAX_BYTES} bytes")]
    TooLarge,
    /// The policy has more than [`MAX_LINES`] lines.
    #[error("the policy has more than {MAX_LINES} lines")]
    TooManyLines,
    /// The policy's bytes are not UTF-8 (coi reads only UTF-8 policies).
    #[error("line {line}: not UTF-8 text")]
    NotUtf8 {
        /// The line.
        line: usize,
    },
    /// A control character other than tab (or a DEL), e.g. a CR of a CRLF line end.
    #[error("line {line}: control character {ch:?}: only tab and newline are allowed")]
    Control {
        /// The line.
        line: usize,
        /// The character.
        ch: char,
    },
    /// White space that is not ASCII space or tab, outside a comment.
    #[error(
        "line {line}: {ch:?} (U+{:04X}) is not a separator: words are separated by ASCII spaces \
         and tabs only",
        *ch as u32
    )]
    Whitespace {
        /// The line.
        line: usize,
        /// The character.
        ch: char,
    },
    /// A word starting with `#` after the first: comments are whole lines.
    #[error(
        "line {line}: {word:?}: a comment is a whole line starting with '#', not the end of one"
    )]
    Comment {
        /// The line.
        line: usize,
        /// The word.
        word: String,
    },
    /// The line starts with a word that is not `log`, `witness`, `group` or `quorum`.
    #[error("line {line}: unknown keyword {word:?} (expected log, witness, group or quorum)")]
    Keyword {
        /// The line.
        line: usize,
        /// The word.
        word: String,
    },
    /// The line has too few or too many words for its keyword.
    #[error("line {line}: {message}")]
    Words {
        /// The line.
        line: usize,
        /// What the keyword takes.
        message: String,
    },
    /// A vkey is malformed: its name, key id, base64, length, key hash or curve point.
    #[error("line {line}: {vkey:?} is not a valid vkey: {reason}")]
    Vkey {
        /// The line.
        line: usize,
        /// The vkey's text.
        vkey: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A vkey's signature type is not the one its role takes (or not one coi reads at all).
    #[error("line {line}: a {role} key must be {}, not {}", type_label(*expected), type_label(*found))]
    KeyType {
        /// The line.
        line: usize,
        /// `log` or `witness`.
        role: &'static str,
        /// The type the role takes.
        expected: u8,
        /// The vkey's type.
        found: u8,
    },
    /// A public key already given (by a log or a witness) on an earlier line.
    #[error("line {line}: this public key is already given on line {first}")]
    DuplicateKey {
        /// The line.
        line: usize,
        /// The line that gave it first.
        first: usize,
    },
    /// A witness or group name already defined (or `none`, which is predefined).
    #[error("line {line}: the name {name:?} is already defined{}", defined_at(*first))]
    DuplicateName {
        /// The line.
        line: usize,
        /// The name.
        name: String,
        /// The line that defined it first; 0 for `none`.
        first: usize,
    },
    /// A group member or quorum that names no witness or group of an earlier line.
    #[error(
        "line {line}: {name:?} is not defined on an earlier line (witnesses and groups are \
         defined before they are used)"
    )]
    Undefined {
        /// The line.
        line: usize,
        /// The name.
        name: String,
    },
    /// `none` listed as a group member.
    #[error("line {line}: \"none\" may be the quorum but not a group member")]
    NoneMember {
        /// The line.
        line: usize,
    },
    /// A name listed as a member a second time (in this group or an earlier one).
    #[error(
        "line {line}: {name:?} is already a member of group {group:?} (line {first}); a name is \
         listed as a group member at most once"
    )]
    MemberTwice {
        /// The line.
        line: usize,
        /// The name.
        name: String,
        /// The group it is already a member of.
        group: String,
        /// That group's line.
        first: usize,
    },
    /// A threshold that is not `any`, `all` or a decimal k with 1 ≤ k ≤ the number of members.
    #[error("line {line}: threshold {text:?}: {reason}")]
    Threshold {
        /// The line.
        line: usize,
        /// The threshold as written.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Groups nested deeper than [`MAX_DEPTH`].
    #[error("line {line}: groups nest more than {MAX_DEPTH} deep")]
    TooDeep {
        /// The line.
        line: usize,
    },
    /// A second `quorum` line.
    #[error("line {line}: a second quorum line (the first is line {first})")]
    SecondQuorum {
        /// The line.
        line: usize,
        /// The first quorum line.
        first: usize,
    },
    /// No `quorum` line (a policy needing no cosignature says `quorum none`).
    #[error("the policy has no quorum line (write \"quorum none\" to need no cosignature)")]
    NoQuorum,
}

fn defined_at(first: usize) -> String {
    if first == 0 {
        " (\"none\" is predefined)".to_string()
    } else {
        format!(" on line {first}")
    }
}

impl PolicyError {
    /// The line the error is on, if it is on one.
    pub fn line(&self) -> Option<usize> {
        use PolicyError::*;
        match self {
            TooLarge | TooManyLines | NoQuorum => None,
            NotUtf8 { line }
            | Control { line, .. }
            | Whitespace { line, .. }
            | Comment { line, .. }
            | Keyword { line, .. }
            | Words { line, .. }
            | Vkey { line, .. }
            | KeyType { line, .. }
            | DuplicateKey { line, .. }
            | DuplicateName { line, .. }
            | Undefined { line, .. }
            | NoneMember { line }
            | MemberTwice { line, .. }
            | Threshold { line, .. }
            | TooDeep { line }
            | SecondQuorum { line, .. } => Some(*line),
        }
    }
}

/// A verifier key (`signed-note` vkey) as a policy gives it: `name+id+base64(type ‖ key)`, checked
/// as far as a policy needs: a key name, the key id that SHA-256(name ‖ LF ‖ type ‖ key) gives,
/// and a 32-byte Ed25519 key that is a valid point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vkey {
    text: String,
    name: String,
    id: [u8; 4],
    sig_type: u8,
    key: [u8; 32],
}

/// The key id of `signed-note`: the first 4 bytes of SHA-256(name ‖ LF ‖ type ‖ key).
fn key_id(name: &str, sig_type: u8, key: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([sig_type]);
    h.update(key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl Vkey {
    /// Parses a vkey of type 0x01 or 0x04 (Ed25519 note or cosignature keys).
    fn parse(text: &str) -> Result<Vkey, String> {
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("a vkey is name+id+base64".into());
        };
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err("the key name is empty or holds white space".into());
        }
        let id: [u8; 4] = (id.len() == 8)
            .then(|| hex::decode(id).ok())
            .flatten()
            .and_then(|b| b.try_into().ok())
            .ok_or("the key id is not 8 hex digits")?;
        let bytes = B64
            .decode(b64)
            .map_err(|_| "the key is not standard padded base64")?;
        let Some((&sig_type, key)) = bytes.split_first() else {
            return Err("the key is empty".into());
        };
        if !matches!(sig_type, TYPE_NOTE_ED25519 | TYPE_COSIGNATURE_ED25519) {
            return Err(format!(
                "{} is not one coi reads (it reads Ed25519 keys, types 0x01 and 0x04)",
                type_label(sig_type)
            ));
        }
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| format!("an Ed25519 key is 32 bytes, not {}", key.len()))?;
        if key_id(name, sig_type, &key) != id {
            return Err("the key id is not the hash of the name, type and key".into());
        }
        crate::keys::PublicKey::from_bytes(&key).map_err(|e| e.message)?;
        Ok(Vkey {
            text: text.to_string(),
            name: name.to_string(),
            id,
            sig_type,
            key,
        })
    }

    /// The vkey as the policy writes it (give this to the note parser to verify signatures).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The key name (for a log, its origin; for a witness, the name on its cosignature lines).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key id that starts the key's signatures.
    pub fn id(&self) -> [u8; 4] {
        self.id
    }

    /// The signature type: [`TYPE_NOTE_ED25519`] or [`TYPE_COSIGNATURE_ED25519`].
    pub fn sig_type(&self) -> u8 {
        self.sig_type
    }

    /// The 32-byte Ed25519 public key.
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }
}

/// A `log` line: a log whose signature makes a checkpoint acceptable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    vkey: Vkey,
    url: Option<String>,
    line: usize,
}

impl Log {
    /// The log's key, of type [`TYPE_NOTE_ED25519`]; its name is the log's origin.
    pub fn vkey(&self) -> &Vkey {
        &self.vkey
    }

    /// The URL, if given (its meaning is the application's).
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The line that defines it.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// A `witness` line: a named cosigner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    name: String,
    vkey: Vkey,
    url: Option<String>,
    line: usize,
}

impl Witness {
    /// The witness's name in the policy (not its key name, which [`Vkey::name`] gives).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The witness's key, of type [`TYPE_COSIGNATURE_ED25519`].
    pub fn vkey(&self) -> &Vkey {
        &self.vkey
    }

    /// The URL, if given (by the spec's recommendation, the witness's submission prefix).
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The line that defines it.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// A group's threshold as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// `any`: one member.
    Any,
    /// `all`: every member.
    All,
    /// At least k members, 1 ≤ k ≤ n.
    AtLeast(usize),
}

/// What a name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    None,
    Witness(usize),
    Group(usize),
}

/// A `group` line: met when at least k of its members are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    name: String,
    threshold: Threshold,
    members: Vec<String>,
    nodes: Vec<Node>,
    line: usize,
}

impl Group {
    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The threshold as written.
    pub fn threshold(&self) -> Threshold {
        self.threshold
    }

    /// How many members must be met: k (1 for `any`, n for `all`).
    pub fn k(&self) -> usize {
        match self.threshold {
            Threshold::Any => 1,
            Threshold::All => self.members.len(),
            Threshold::AtLeast(k) => k,
        }
    }

    /// The members' names, in order.
    pub fn members(&self) -> &[String] {
        &self.members
    }

    /// The line that defines it.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// A parsed `tlog-policy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    logs: Vec<Log>,
    witnesses: Vec<Witness>,
    groups: Vec<Group>,
    quorum: Node,
}

/// The state of a parse: the policy so far and what its names and keys are.
struct Parser {
    logs: Vec<Log>,
    witnesses: Vec<Witness>,
    groups: Vec<Group>,
    /// Each name: what it is and its line (0 for `none`).
    names: HashMap<String, (Node, usize)>,
    /// Each public key: its line.
    keys: HashMap<[u8; 32], usize>,
    /// Each name listed as a member: the group (index) that lists it.
    member_of: HashMap<String, usize>,
    /// Each group's depth.
    depth: Vec<usize>,
    quorum: Option<(Node, usize)>,
}

/// Whether `c` may stand in a policy: tab, printable ASCII, or anything not ASCII (its UTF-8
/// bytes have the high bit set). Newline is the line separator.
fn allowed(c: char) -> bool {
    c == '\t' || (' '..='~').contains(&c) || !c.is_ascii()
}

impl Parser {
    fn words_error(line: usize, message: &str) -> PolicyError {
        PolicyError::Words {
            line,
            message: message.to_string(),
        }
    }

    fn vkey(&mut self, line: usize, text: &str, role: &'static str) -> Result<Vkey, PolicyError> {
        let vkey = Vkey::parse(text).map_err(|reason| PolicyError::Vkey {
            line,
            vkey: text.to_string(),
            reason,
        })?;
        let expected = if role == "log" {
            TYPE_NOTE_ED25519
        } else {
            TYPE_COSIGNATURE_ED25519
        };
        if vkey.sig_type != expected {
            return Err(PolicyError::KeyType {
                line,
                role,
                expected,
                found: vkey.sig_type,
            });
        }
        if let Some(&first) = self.keys.get(&vkey.key) {
            return Err(PolicyError::DuplicateKey { line, first });
        }
        self.keys.insert(vkey.key, line);
        Ok(vkey)
    }

    fn new_name(&self, line: usize, name: &str) -> Result<(), PolicyError> {
        match self.names.get(name) {
            Some(&(_, first)) => Err(PolicyError::DuplicateName {
                line,
                name: name.to_string(),
                first,
            }),
            None => Ok(()),
        }
    }

    fn lookup(&self, line: usize, name: &str) -> Result<Node, PolicyError> {
        self.names
            .get(name)
            .map(|&(node, _)| node)
            .ok_or_else(|| PolicyError::Undefined {
                line,
                name: name.to_string(),
            })
    }

    fn log(&mut self, line: usize, args: &[&str]) -> Result<(), PolicyError> {
        let (vkey, url) = match args {
            [v] => (v, None),
            [v, u] => (v, Some(u.to_string())),
            _ => {
                return Err(Self::words_error(
                    line,
                    "log takes a vkey and an optional URL",
                ))
            }
        };
        let vkey = self.vkey(line, vkey, "log")?;
        self.logs.push(Log { vkey, url, line });
        Ok(())
    }

    fn witness(&mut self, line: usize, args: &[&str]) -> Result<(), PolicyError> {
        let (name, vkey, url) = match args {
            [n, v] => (n, v, None),
            [n, v, u] => (n, v, Some(u.to_string())),
            _ => {
                return Err(Self::words_error(
                    line,
                    "witness takes a name, a vkey and an optional URL",
                ))
            }
        };
        self.new_name(line, name)?;
        let vkey = self.vkey(line, vkey, "witness")?;
        let node = Node::Witness(self.witnesses.len());
        self.names.insert(name.to_string(), (node, line));
        self.witnesses.push(Witness {
            name: name.to_string(),
            vkey,
            url,
            line,
        });
        Ok(())
    }

    fn group(&mut self, line: usize, args: &[&str]) -> Result<(), PolicyError> {
        let [name, threshold_text, members @ ..] = args else {
            return Err(Self::words_error(
                line,
                "group takes a name, a threshold (k, any or all) and at least one member",
            ));
        };
        if members.is_empty() {
            return Err(Self::words_error(line, "a group has at least one member"));
        }
        self.new_name(line, name)?;
        let n = members.len();
        let bad = |reason: String| PolicyError::Threshold {
            line,
            text: threshold_text.to_string(),
            reason,
        };
        let threshold = match *threshold_text {
            "any" => Threshold::Any,
            "all" => Threshold::All,
            t if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                let k: usize = t
                    .parse()
                    .map_err(|_| bad(format!("more than the {n} members")))?;
                if k == 0 {
                    return Err(bad("k is at least 1".into()));
                }
                if k > n {
                    return Err(bad(format!("more than the {n} members")));
                }
                Threshold::AtLeast(k)
            }
            _ => return Err(bad("expected any, all or a decimal number".into())),
        };
        let index = self.groups.len();
        let mut nodes = Vec::with_capacity(n);
        let mut depth = 1;
        for &m in members {
            if m == NONE {
                return Err(PolicyError::NoneMember { line });
            }
            let node = self.lookup(line, m)?;
            if let Some(&g) = self.member_of.get(m) {
                let (group, first) = if g == index {
                    (name.to_string(), line)
                } else {
                    (self.groups[g].name.clone(), self.groups[g].line)
                };
                return Err(PolicyError::MemberTwice {
                    line,
                    name: m.to_string(),
                    group,
                    first,
                });
            }
            self.member_of.insert(m.to_string(), index);
            if let Node::Group(g) = node {
                depth = depth.max(self.depth[g] + 1);
            }
            nodes.push(node);
        }
        if depth > MAX_DEPTH {
            return Err(PolicyError::TooDeep { line });
        }
        self.names
            .insert(name.to_string(), (Node::Group(index), line));
        self.depth.push(depth);
        self.groups.push(Group {
            name: name.to_string(),
            threshold,
            members: members.iter().map(|m| m.to_string()).collect(),
            nodes,
            line,
        });
        Ok(())
    }

    fn quorum(&mut self, line: usize, args: &[&str]) -> Result<(), PolicyError> {
        let [name] = args else {
            return Err(Self::words_error(
                line,
                "quorum takes one name (a witness, a group or none)",
            ));
        };
        if let Some((_, first)) = self.quorum {
            return Err(PolicyError::SecondQuorum { line, first });
        }
        self.quorum = Some((self.lookup(line, name)?, line));
        Ok(())
    }
}

impl Policy {
    /// Parses a policy given as bytes: they must be UTF-8 (coi's subset of the spec, which
    /// treats bytes with the high bit set as opaque), then as [`Policy::parse`].
    pub fn parse_bytes(bytes: &[u8]) -> Result<Policy, PolicyError> {
        if bytes.len() > MAX_BYTES {
            return Err(PolicyError::TooLarge);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Policy::parse(text),
            Err(e) => {
                let line = 1 + bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                Err(PolicyError::NotUtf8 { line })
            }
        }
    }

    /// Parses a policy (C2SP `tlog-policy`), strictly: at most [`MAX_BYTES`] bytes and
    /// [`MAX_LINES`] lines (a last line may lack its newline); no control character but tab;
    /// words separated by ASCII spaces and tabs only, and no other white space outside comment
    /// lines; comment lines start with `#` (after optional white space) and no other word does;
    /// log keys of type 0x01, witness keys of type 0x04, each public key given once; witness
    /// and group names unique and not `none`; group members and the quorum defined on earlier
    /// lines, `none` never a member, each name a member at most once in the whole policy;
    /// thresholds `any`, `all` or decimal 1 ≤ k ≤ n; groups nested at most [`MAX_DEPTH`] deep;
    /// exactly one quorum line.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        if text.len() > MAX_BYTES {
            return Err(PolicyError::TooLarge);
        }
        let body = text.strip_suffix('\n').unwrap_or(text);
        if body.split('\n').count() > MAX_LINES {
            return Err(PolicyError::TooManyLines);
        }
        let mut p = Parser {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            names: HashMap::from([(NONE.to_string(), (Node::None, 0))]),
            keys: HashMap::new(),
            member_of: HashMap::new(),
            depth: Vec::new(),
            quorum: None,
        };
        for (i, raw) in body.split('\n').enumerate() {
            let line = i + 1;
            if let Some(ch) = raw.chars().find(|&c| !allowed(c)) {
                return Err(PolicyError::Control { line, ch });
            }
            let trimmed = raw.trim_start_matches([' ', '\t']);
            if trimmed.starts_with('#') {
                continue;
            }
            if let Some(ch) = raw.chars().find(|&c| c.is_whitespace() && !c.is_ascii()) {
                return Err(PolicyError::Whitespace { line, ch });
            }
            let words: Vec<&str> = raw.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            let Some((keyword, args)) = words.split_first() else {
                continue;
            };
            if let Some(w) = args.iter().find(|w| w.starts_with('#')) {
                return Err(PolicyError::Comment {
                    line,
                    word: w.to_string(),
                });
            }
            match *keyword {
                "log" => p.log(line, args)?,
                "witness" => p.witness(line, args)?,
                "group" => p.group(line, args)?,
                "quorum" => p.quorum(line, args)?,
                other => {
                    return Err(PolicyError::Keyword {
                        line,
                        word: other.to_string(),
                    })
                }
            }
        }
        let Some((quorum, _)) = p.quorum else {
            return Err(PolicyError::NoQuorum);
        };
        Ok(Policy {
            logs: p.logs,
            witnesses: p.witnesses,
            groups: p.groups,
            quorum,
        })
    }

    /// The logs, in the policy's order (which implies no preference).
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// The logs whose key name is `origin`: the keys that may sign a checkpoint of that origin
    /// (the spec requires a log's key name to be its origin).
    pub fn logs_for_origin<'a>(&'a self, origin: &'a str) -> impl Iterator<Item = &'a Log> + 'a {
        self.logs.iter().filter(move |l| l.vkey.name == origin)
    }

    /// The witnesses, in the policy's order.
    pub fn witnesses(&self) -> &[Witness] {
        &self.witnesses
    }

    /// The witness of this policy name.
    pub fn witness(&self, name: &str) -> Option<&Witness> {
        self.witnesses.iter().find(|w| w.name == name)
    }

    /// The groups, in the policy's order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The quorum's name: a witness's, a group's, or `none`.
    pub fn quorum(&self) -> &str {
        self.node_name(self.quorum)
    }

    fn node_name(&self, node: Node) -> &str {
        match node {
            Node::None => NONE,
            Node::Witness(i) => &self.witnesses[i].name,
            Node::Group(g) => &self.groups[g].name,
        }
    }

    fn met(&self, node: Node, cosigned: &dyn Fn(&Witness) -> bool) -> bool {
        match node {
            Node::None => true,
            Node::Witness(i) => cosigned(&self.witnesses[i]),
            Node::Group(g) => {
                let group = &self.groups[g];
                let m = group
                    .nodes
                    .iter()
                    .filter(|&&n| self.met(n, cosigned))
                    .count();
                m >= group.k()
            }
        }
    }

    /// Whether the quorum is met when `cosigned` says which witnesses cosigned the checkpoint
    /// (with a verified cosignature: this module checks none). `quorum none` is always met.
    pub fn satisfied(&self, cosigned: &dyn Fn(&Witness) -> bool) -> bool {
        self.met(self.quorum, cosigned)
    }

    /// Whether the quorum is met when the witnesses with these vkeys (as [`Vkey::text`] gives
    /// them) cosigned.
    pub fn satisfied_by(&self, cosigned_vkeys: &[&str]) -> bool {
        self.satisfied(&|w| cosigned_vkeys.contains(&w.vkey.text()))
    }

    /// Why the quorum is or is not met, in plain lines: the first says whether it is, each
    /// group below it (indented by its depth) how many of its members are met and how many it
    /// needs, and which members are and are not. Names are printed as the policy writes them.
    pub fn explain(&self, cosigned: &dyn Fn(&Witness) -> bool) -> Vec<String> {
        let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
        let ok = self.satisfied(cosigned);
        let head = match self.quorum {
            Node::None => "quorum none: met (no cosignature is needed)".to_string(),
            Node::Witness(i) => format!(
                "quorum {}: {} ({})",
                self.witnesses[i].name,
                verdict(ok),
                if ok {
                    "the witness cosigned"
                } else {
                    "the witness did not cosign"
                }
            ),
            Node::Group(_) => format!("quorum {}: {}", self.quorum(), verdict(ok)),
        };
        let mut out = vec![head];
        if let Node::Group(g) = self.quorum {
            self.explain_group(g, 1, cosigned, &mut out);
        }
        out
    }

    fn explain_group(
        &self,
        g: usize,
        depth: usize,
        cosigned: &dyn Fn(&Witness) -> bool,
        out: &mut Vec<String>,
    ) {
        let group = &self.groups[g];
        let (yes, no): (Vec<Node>, Vec<Node>) =
            group.nodes.iter().partition(|&&n| self.met(n, cosigned));
        let names = |ns: &[Node]| {
            ns.iter()
                .map(|&n| self.node_name(n))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let need = match group.threshold {
            Threshold::Any => "any 1".to_string(),
            Threshold::All => format!("all {}", group.members.len()),
            Threshold::AtLeast(k) => k.to_string(),
        };
        let mut line = format!(
            "{}group {}: {}: {} of {} met, need {need}",
            "  ".repeat(depth),
            group.name,
            if yes.len() >= group.k() {
                "met"
            } else {
                "NOT met"
            },
            yes.len(),
            group.members.len(),
        );
        if !yes.is_empty() {
            line.push_str(&format!("; met: {}", names(&yes)));
        }
        if !no.is_empty() {
            line.push_str(&format!("; not met: {}", names(&no)));
        }
        out.push(line);
        for &n in &group.nodes {
            if let Node::Group(sub) = n {
                self.explain_group(sub, depth + 1, cosigned, out);
            }
        }
    }
}

impl fmt::Display for Policy {
    /// The policy in canonical form: logs, witnesses, groups in order, the quorum; single
    /// spaces, no comments. It parses to an equal policy (but for line numbers).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = |u: &Option<String>| u.as_ref().map(|u| format!(" {u}")).unwrap_or_default();
        for l in &self.logs {
            writeln!(f, "log {}{}", l.vkey.text, url(&l.url))?;
        }
        for w in &self.witnesses {
            writeln!(f, "witness {} {}{}", w.name, w.vkey.text, url(&w.url))?;
        }
        for g in &self.groups {
            let t = match g.threshold {
                Threshold::Any => "any".to_string(),
                Threshold::All => "all".to_string(),
                Threshold::AtLeast(k) => k.to_string(),
            };
            writeln!(f, "group {} {t} {}", g.name, g.members.join(" "))?;
        }
        writeln!(f, "quorum {}", self.quorum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;
    use crate::tlog::note::NoteKey;

    /// A type-0x01 log vkey from a fixed seed.
    fn log_vkey(name: &str, seed: u8) -> String {
        NoteKey::from_seed(name, &[seed; 32]).unwrap().vkey()
    }

    /// A type-0x04 cosignature vkey from a fixed seed, as `tlog-cosignature` defines it.
    fn witness_vkey(name: &str, seed: u8) -> String {
        let public = SecretKey::from_seed(&[seed; 32]).public().to_bytes();
        let mut h = Sha256::new();
        h.update(name.as_bytes());
        h.update(b"\n");
        h.update([0x04]);
        h.update(public);
        let id = &h.finalize()[..4];
        let mut k = vec![0x04];
        k.extend_from_slice(&public);
        format!("{name}+{}+{}", hex::encode(id), B64.encode(k))
    }

    /// The spec's example, with real keys; witness Xi has seed 10+i, Yi 20+i.
    fn example() -> String {
        let mut s = format!("log {}\n\n", log_vkey("example.org/log", 1));
        for (group, t, base) in [("X", "2", 10), ("Y", "any", 20)] {
            for i in 1..=3 {
                s += &format!(
                    "witness {group}{i} {}\n",
                    witness_vkey(&format!("{group}{i}.example"), base + i)
                );
            }
            s += &format!("group {group}-witnesses {t} {group}1 {group}2 {group}3\n\n");
        }
        s + "group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n"
    }

    fn by_names<'a>(names: &'a [&'a str]) -> impl Fn(&Witness) -> bool + 'a {
        move |w: &Witness| names.contains(&w.name())
    }

    fn refused(text: &str) -> PolicyError {
        match Policy::parse(text) {
            Ok(p) => panic!("accepted {text:?}: {p:?}"),
            Err(e) => e,
        }
    }

    /// One witness W (seed 30) and this text after it.
    fn with_w(rest: &str) -> String {
        format!("witness W {}\n{rest}", witness_vkey("w.example", 30))
    }

    #[test]
    fn the_spec_example_parses_and_evaluates() {
        let p = Policy::parse(&example()).unwrap();
        assert_eq!(p.logs().len(), 1);
        assert_eq!(p.logs()[0].vkey().sig_type(), TYPE_NOTE_ED25519);
        assert_eq!(p.logs_for_origin("example.org/log").count(), 1);
        assert_eq!(p.logs_for_origin("other").count(), 0);
        assert_eq!(p.witnesses().len(), 6);
        assert!(p
            .witnesses()
            .iter()
            .all(|w| w.vkey().sig_type() == TYPE_COSIGNATURE_ED25519));
        assert_eq!(p.witness("Y2").unwrap().vkey().name(), "Y2.example");
        assert_eq!(p.quorum(), "X-and-Y");
        assert_eq!(p.groups()[0].k(), 2);
        assert_eq!(p.groups()[1].k(), 1);
        assert_eq!(p.groups()[2].k(), 2);
        assert_eq!(p.groups()[2].threshold(), Threshold::All);

        assert!(p.satisfied(&by_names(&["X1", "X3", "Y2"])));
        assert!(p.satisfied(&by_names(&["X1", "X2", "X3", "Y1", "Y2", "Y3"])));
        assert!(!p.satisfied(&by_names(&["X1", "Y2"])), "one X is not 2");
        assert!(!p.satisfied(&by_names(&["X1", "X2"])), "no Y");
        assert!(!p.satisfied(&by_names(&[])));

        let vk = |n: &str| p.witness(n).unwrap().vkey().text().to_string();
        let (x1, x2, y3) = (vk("X1"), vk("X2"), vk("Y3"));
        assert!(p.satisfied_by(&[&x1, &x2, &y3]));
        assert!(!p.satisfied_by(&[&x1, &y3]));

        let lines = p.explain(&by_names(&["X1", "Y2"]));
        assert_eq!(
            lines,
            [
                "quorum X-and-Y: NOT met",
                "  group X-and-Y: NOT met: 1 of 2 met, need all 2; met: Y-witnesses; \
                 not met: X-witnesses",
                "    group X-witnesses: NOT met: 1 of 3 met, need 2; met: X1; not met: X2, X3",
                "    group Y-witnesses: met: 1 of 3 met, need any 1; met: Y2; not met: Y1, Y3",
            ]
        );
        assert!(lines.iter().all(|l| l.is_ascii()));
        assert_eq!(
            p.explain(&by_names(&["X1", "X2", "Y1"]))[0],
            "quorum X-and-Y: met"
        );

        // The canonical text parses to the same policy, but for line numbers.
        let again = Policy::parse(&p.to_string()).unwrap();
        assert_eq!(again.to_string(), p.to_string());
        assert_eq!(again.witnesses()[0].line(), 2);
        assert_eq!(p.witnesses()[0].line(), 3);
    }

    #[test]
    fn k_of_n_any_all_and_none() {
        let mut s = String::new();
        for i in 1..=4 {
            s += &format!("witness W{i} {}\n", witness_vkey(&format!("w{i}"), 40 + i));
        }
        let two = Policy::parse(&format!("{s}group G 3 W1 W2 W3 W4\nquorum G\n")).unwrap();
        assert!(two.satisfied(&by_names(&["W1", "W2", "W4"])));
        assert!(!two.satisfied(&by_names(&["W1", "W4"])));
        let any = Policy::parse(&format!("{s}group G any W1 W2 W3 W4\nquorum G\n")).unwrap();
        assert!(any.satisfied(&by_names(&["W3"])));
        assert!(!any.satisfied(&by_names(&[])));
        let all = Policy::parse(&format!("{s}group G all W1 W2 W3 W4\nquorum G\n")).unwrap();
        assert!(!all.satisfied(&by_names(&["W1", "W2", "W3"])));
        assert!(all.satisfied(&by_names(&["W1", "W2", "W3", "W4"])));
        let one = Policy::parse(&format!("{s}quorum W2\n")).unwrap();
        assert!(one.satisfied(&by_names(&["W2"])));
        assert!(!one.satisfied(&by_names(&["W1"])));
        assert_eq!(
            one.explain(&by_names(&["W1"])),
            ["quorum W2: NOT met (the witness did not cosign)"]
        );
        // `none` needs nothing, and the witnesses may be absent.
        let none = Policy::parse("quorum none\n").unwrap();
        assert!(none.satisfied(&by_names(&[])));
        assert_eq!(none.quorum(), "none");
        assert_eq!(
            none.explain(&by_names(&[])),
            ["quorum none: met (no cosignature is needed)"]
        );
        assert!(Policy::parse(&format!("{s}quorum none"))
            .unwrap()
            .satisfied(&|_| false));
    }

    #[test]
    fn nested_groups_three_deep() {
        let mut s = String::new();
        for i in 1..=6 {
            s += &format!("witness W{i} {}\n", witness_vkey(&format!("w{i}"), 50 + i));
        }
        s += "group A 2 W1 W2 W3\ngroup B any W4 W5\ngroup C all A B\n";
        s += "group D any C W6\nquorum D\n";
        let p = Policy::parse(&s).unwrap();
        assert!(p.satisfied(&by_names(&["W6"])));
        assert!(p.satisfied(&by_names(&["W1", "W3", "W5"])));
        assert!(!p.satisfied(&by_names(&["W1", "W5"])));
        assert!(!p.satisfied(&by_names(&["W1", "W2"])));
        let lines = p.explain(&by_names(&["W1", "W5"]));
        assert_eq!(lines.len(), 5);
        assert!(lines[3].starts_with("      group A: NOT met: 1 of 3 met, need 2"));
    }

    #[test]
    fn white_space_comments_and_urls() {
        let text = format!(
            "  # a comment\n\t\n#\u{a0}comments may hold anything \u{3000} non-ASCII\n\
             log\t{} https://log.example/\t \n  witness  W  {}  https://w.example/\n\
             quorum W",
            log_vkey("log.example", 2),
            witness_vkey("w.example", 3)
        );
        let p = Policy::parse(&text).unwrap();
        assert_eq!(p.logs()[0].url(), Some("https://log.example/"));
        assert_eq!(p.witnesses()[0].url(), Some("https://w.example/"));
        assert_eq!(p.witnesses()[0].line(), 5);
        // Non-ASCII names are opaque words.
        let p = Policy::parse(&with_w(
            "group Kelvin\u{212a} any W\nquorum Kelvin\u{212a}\n",
        ))
        .unwrap();
        assert_eq!(p.quorum(), "Kelvin\u{212a}");
        assert!(Policy::parse(&with_w("group Kelvin\u{212a} any W\nquorum K\n")).is_err());
    }

    /// A refused policy, what its error must be, and the line it must name.
    type Case = (String, fn(&PolicyError) -> bool, Option<usize>);

    #[test]
    fn every_refusal_says_what_and_where() {
        let log = log_vkey("log.example", 2);
        let w2 = witness_vkey("w2.example", 31);
        use PolicyError as E;
        let cases: Vec<Case> = vec![
            (
                with_w("frobnicate W\nquorum W\n"),
                |e| matches!(e, E::Keyword { .. }),
                Some(2),
            ),
            (
                with_w("Quorum W\n"),
                |e| matches!(e, E::Keyword { .. }),
                Some(2),
            ),
            (
                with_w("group G 0 W\nquorum G\n"),
                |e| matches!(e, E::Threshold { .. }),
                Some(2),
            ),
            (
                with_w("group G 2 W\nquorum G\n"),
                |e| matches!(e, E::Threshold { .. }),
                Some(2),
            ),
            (
                with_w("group G -1 W\nquorum G\n"),
                |e| matches!(e, E::Threshold { .. }),
                Some(2),
            ),
            (
                with_w("group G some W\nquorum G\n"),
                |e| matches!(e, E::Threshold { .. }),
                Some(2),
            ),
            (
                with_w("group G 99999999999999999999999 W\nquorum G\n"),
                |e| matches!(e, E::Threshold { .. }),
                Some(2),
            ),
            (
                with_w("group G any\nquorum G\n"),
                |e| matches!(e, E::Words { .. }),
                Some(2),
            ),
            (
                with_w("group G any X\nquorum G\n"),
                |e| matches!(e, E::Undefined { .. }),
                Some(2),
            ),
            (
                format!("group G any W\nwitness W {w2}\nquorum G\n"),
                |e| matches!(e, E::Undefined { .. }),
                Some(1),
            ),
            (
                with_w("group G any W\ngroup H any G H\nquorum H\n"),
                |e| matches!(e, E::Undefined { .. }),
                Some(3),
            ),
            (
                with_w("quorum X\n"),
                |e| matches!(e, E::Undefined { .. }),
                Some(2),
            ),
            (
                format!("quorum W\n{}", with_w("")),
                |e| matches!(e, E::Undefined { .. }),
                Some(1),
            ),
            (
                with_w(&format!("witness W {w2}\nquorum W\n")),
                |e| matches!(e, E::DuplicateName { first: 1, .. }),
                Some(2),
            ),
            (
                with_w("group W any W\nquorum W\n"),
                |e| matches!(e, E::DuplicateName { .. }),
                Some(2),
            ),
            (
                with_w("group G any W\ngroup G all W\nquorum G\n"),
                |e| matches!(e, E::DuplicateName { .. }),
                Some(3),
            ),
            (
                format!("witness none {w2}\nquorum none\n"),
                |e| matches!(e, E::DuplicateName { first: 0, .. }),
                Some(1),
            ),
            (
                with_w("group none any W\nquorum none\n"),
                |e| matches!(e, E::DuplicateName { first: 0, .. }),
                Some(2),
            ),
            (
                // The same public key under another name and key id is a duplicate.
                with_w(&format!(
                    "witness V {}\nquorum W\n",
                    witness_vkey("other.example", 30)
                )),
                |e| matches!(e, E::DuplicateKey { first: 1, .. }),
                Some(2),
            ),
            (
                format!("log {log}\nlog {log}\nquorum none\n"),
                |e| matches!(e, E::DuplicateKey { .. }),
                Some(2),
            ),
            (
                // A log and a witness sharing a key.
                format!("log {}\n{}", log_vkey("l", 30), with_w("quorum W\n")),
                |e| matches!(e, E::DuplicateKey { .. }),
                Some(2),
            ),
            (
                with_w("group G any W none\nquorum G\n"),
                |e| matches!(e, E::NoneMember { .. }),
                Some(2),
            ),
            (
                with_w("group G all W W\nquorum G\n"),
                |e| matches!(e, E::MemberTwice { .. }),
                Some(2),
            ),
            (
                with_w("group G any W\ngroup H any W\nquorum H\n"),
                |e| matches!(e, E::MemberTwice { first: 2, .. }),
                Some(3),
            ),
            (with_w(""), |e| matches!(e, E::NoQuorum), None),
            (
                format!("log {log}\n# quorum none\n"),
                |e| matches!(e, E::NoQuorum),
                None,
            ),
            (
                with_w("quorum W\nquorum none\n"),
                |e| matches!(e, E::SecondQuorum { first: 2, .. }),
                Some(3),
            ),
            (
                with_w("quorum\n"),
                |e| matches!(e, E::Words { .. }),
                Some(2),
            ),
            (
                with_w("quorum W W\n"),
                |e| matches!(e, E::Words { .. }),
                Some(2),
            ),
            (
                format!("log {}\nquorum none\n", witness_vkey("l", 5)),
                |e| {
                    matches!(
                        e,
                        E::KeyType {
                            expected: 0x01,
                            found: 0x04,
                            ..
                        }
                    )
                },
                Some(1),
            ),
            (
                format!("witness W {}\nquorum W\n", log_vkey("w", 5)),
                |e| {
                    matches!(
                        e,
                        E::KeyType {
                            expected: 0x04,
                            found: 0x01,
                            ..
                        }
                    )
                },
                Some(1),
            ),
            (
                with_w("quorum\u{a0}W\n"),
                |e| matches!(e, E::Whitespace { ch: '\u{a0}', .. }),
                Some(2),
            ),
            (
                with_w("group G\u{3000}any W\nquorum G\n"),
                |e| matches!(e, E::Whitespace { .. }),
                Some(2),
            ),
            (
                with_w("quorum W\r\n"),
                |e| matches!(e, E::Control { ch: '\r', .. }),
                Some(2),
            ),
            (
                with_w("quorum W\u{7f}\n"),
                |e| matches!(e, E::Control { .. }),
                Some(2),
            ),
            (
                with_w("# bell \u{7}\nquorum W\n"),
                |e| matches!(e, E::Control { .. }),
                Some(2),
            ),
            (
                with_w("quorum W # why\n"),
                |e| matches!(e, E::Comment { .. }),
                Some(2),
            ),
            (
                format!("log {log} #url?\nquorum none\n"),
                |e| matches!(e, E::Comment { .. }),
                Some(1),
            ),
            (
                "log\nquorum none\n".to_string(),
                |e| matches!(e, E::Words { .. }),
                Some(1),
            ),
            (
                format!("log {log} u v\nquorum none\n"),
                |e| matches!(e, E::Words { .. }),
                Some(1),
            ),
            (
                with_w("witness V\nquorum W\n"),
                |e| matches!(e, E::Words { .. }),
                Some(2),
            ),
        ];
        for (text, is, line) in cases {
            let e = refused(&text);
            assert!(is(&e), "{text:?}: {e:?}");
            assert_eq!(e.line(), line, "{text:?}: {e}");
            let message = e.to_string();
            if let Some(l) = line {
                assert!(message.starts_with(&format!("line {l}: ")), "{message}");
            }
        }
    }

    #[test]
    fn bad_vkeys_are_refused() {
        let good = witness_vkey("w.example", 7);
        let (name, rest) = good.split_once('+').unwrap();
        let (id, b64) = rest.split_once('+').unwrap();
        let public = SecretKey::from_seed(&[7; 32]).public().to_bytes();
        let typed = |t: u8, key: &[u8]| {
            let mut k = vec![t];
            k.extend_from_slice(key);
            format!(
                "{name}+{}+{}",
                hex::encode(key_id(name, t, key)),
                B64.encode(k)
            )
        };
        let wrong_id = if id == "00000000" {
            "00000001"
        } else {
            "00000000"
        };
        let mut small_order = [0u8; 32];
        small_order[0] = 1; // the identity point
        for bad in [
            format!("{name}+{wrong_id}+{b64}"),
            format!("{name}+{id}"),
            format!("+{id}+{b64}"),
            format!("{name}+{}+{b64}", &id[..6]),
            format!("{name}+zzzzzzzz+{b64}"),
            format!("{name}+{id}+{b64}="),
            format!("{name}+{id}+{}", &b64[..43]),
            format!("{name}+{id}+!!!!"),
            typed(0x04, &public[..31]),
            typed(0x06, &[0; 1312]),
            typed(0x02, &public),
            typed(0x04, &small_order),
            typed(0x04, &[]),
        ] {
            let text = format!("witness W {bad}\nquorum W\n");
            let e = refused(&text);
            assert!(
                matches!(e, PolicyError::Vkey { line: 1, .. }),
                "{bad}: {e:?}"
            );
        }
        // The key id is hex in either case.
        let upper = format!("{name}+{}+{b64}", id.to_uppercase());
        assert!(Policy::parse(&format!("witness W {upper}\nquorum W\n")).is_ok());
    }

    #[test]
    fn limits_are_enforced() {
        assert_eq!(
            Policy::parse(&"#\n".repeat(MAX_LINES + 1)).unwrap_err(),
            PolicyError::TooManyLines
        );
        assert!(Policy::parse(&format!("{}quorum none\n", "#\n".repeat(MAX_LINES - 1))).is_ok());
        let big = format!("# {}\nquorum none\n", "x".repeat(MAX_BYTES));
        assert_eq!(Policy::parse(&big).unwrap_err(), PolicyError::TooLarge);
        assert_eq!(
            Policy::parse_bytes(big.as_bytes()).unwrap_err(),
            PolicyError::TooLarge
        );
        // Groups nest at most MAX_DEPTH deep.
        let nest = |depth: usize| {
            let mut s = with_w("group G1 any W\n");
            for d in 2..=depth {
                s += &format!("group G{d} any G{}\n", d - 1);
            }
            s + &format!("quorum G{depth}\n")
        };
        let deepest = Policy::parse(&nest(MAX_DEPTH)).unwrap();
        assert!(deepest.satisfied(&by_names(&["W"])));
        assert_eq!(deepest.explain(&by_names(&[])).len(), MAX_DEPTH + 1);
        assert_eq!(
            refused(&nest(MAX_DEPTH + 1)),
            PolicyError::TooDeep {
                line: MAX_DEPTH + 2
            }
        );
        // Bytes must be UTF-8; the error names the line.
        let mut bytes = with_w("quorum W\n").into_bytes();
        bytes.extend_from_slice(b"# \xff\n");
        assert_eq!(
            Policy::parse_bytes(&bytes).unwrap_err(),
            PolicyError::NotUtf8 { line: 3 }
        );
        assert!(Policy::parse_bytes(with_w("quorum W\n").as_bytes()).is_ok());
    }
}
