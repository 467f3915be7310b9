//! Error types: the named problem classes of the spec (§10) and the library's operational errors.

use std::path::PathBuf;

use crate::hash::Hash32;

/// A class of problem in a ledger file, as named in `schema/ledger-v1.md` §10.
///
/// The string form (`as_str`) is part of the format's contract: test vectors and `--json` reports use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The file is not valid UTF-8.
    InvalidUtf8,
    /// The file starts with a byte order mark.
    Bom,
    /// A line contains a NUL byte.
    NulByte,
    /// A line contains a CR byte.
    CarriageReturn,
    /// A line is empty.
    EmptyLine,
    /// A line is longer than the limit.
    LineTooLong,
    /// The last line is not terminated by LF.
    MissingFinalNewline,
    /// Not JSON of the allowed value types.
    JsonSyntax,
    /// A string holds a forbidden character.
    ForbiddenCharacter,
    /// JSON of the allowed types, but not the canonical encoding.
    NonCanonical,
    /// `v` is not 1.
    UnsupportedVersion,
    /// A key is missing or extra, or a value has the wrong type, syntax, length or value.
    BadField,
    /// A public key is not canonical or is weak.
    BadKey,
    /// The signature is malformed or does not verify strictly.
    BadSignature,
    /// A `seq` 1 entry's key does not hash to its member id.
    MemberKeyMismatch,
    /// An entry is not signed with the member's current key.
    WrongKey,
    /// `prev` is not the id of the member's previous entry.
    BrokenLink,
    /// A member's `seq` skips, or the member's first line is not `seq` 1.
    SeqGap,
    /// `time` is earlier than the member's previous entry's.
    TimeRegression,
    /// A target is not a live declaration of the same member.
    BadReference,
    /// The same entry appears twice.
    DuplicateEntry,
    /// Two different validly signed entries with the same member and `seq`.
    Fork,
    /// A head in a `vote` or `witness` contradicts the chain in the files (spec §5.4).
    BadHead,
    /// An `unseal` value does not match its commitment, or an `amend` repeats a commitment of
    /// the version it replaces (spec §7.3).
    BadCommitment,
}

impl ErrorClass {
    /// Every class, in the order of the spec's table.
    pub const ALL: [ErrorClass; 24] = [
        ErrorClass::InvalidUtf8,
        ErrorClass::Bom,
        ErrorClass::NulByte,
        ErrorClass::CarriageReturn,
        ErrorClass::EmptyLine,
        ErrorClass::LineTooLong,
        ErrorClass::MissingFinalNewline,
        ErrorClass::JsonSyntax,
        ErrorClass::ForbiddenCharacter,
        ErrorClass::NonCanonical,
        ErrorClass::UnsupportedVersion,
        ErrorClass::BadField,
        ErrorClass::BadKey,
        ErrorClass::BadSignature,
        ErrorClass::MemberKeyMismatch,
        ErrorClass::WrongKey,
        ErrorClass::BrokenLink,
        ErrorClass::SeqGap,
        ErrorClass::TimeRegression,
        ErrorClass::BadReference,
        ErrorClass::DuplicateEntry,
        ErrorClass::Fork,
        ErrorClass::BadHead,
        ErrorClass::BadCommitment,
    ];

    /// The class's name in the spec, e.g. `bad-signature`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::InvalidUtf8 => "invalid-utf8",
            ErrorClass::Bom => "bom",
            ErrorClass::NulByte => "nul-byte",
            ErrorClass::CarriageReturn => "carriage-return",
            ErrorClass::EmptyLine => "empty-line",
            ErrorClass::LineTooLong => "line-too-long",
            ErrorClass::MissingFinalNewline => "missing-final-newline",
            ErrorClass::JsonSyntax => "json-syntax",
            ErrorClass::ForbiddenCharacter => "forbidden-character",
            ErrorClass::NonCanonical => "non-canonical",
            ErrorClass::UnsupportedVersion => "unsupported-version",
            ErrorClass::BadField => "bad-field",
            ErrorClass::BadKey => "bad-key",
            ErrorClass::BadSignature => "bad-signature",
            ErrorClass::MemberKeyMismatch => "member-key-mismatch",
            ErrorClass::WrongKey => "wrong-key",
            ErrorClass::BrokenLink => "broken-link",
            ErrorClass::SeqGap => "seq-gap",
            ErrorClass::TimeRegression => "time-regression",
            ErrorClass::BadReference => "bad-reference",
            ErrorClass::DuplicateEntry => "duplicate-entry",
            ErrorClass::Fork => "fork",
            ErrorClass::BadHead => "bad-head",
            ErrorClass::BadCommitment => "bad-commitment",
        }
    }

    /// Parses a class name as written in the spec.
    pub fn from_name(name: &str) -> Option<ErrorClass> {
        ErrorClass::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem found in one line (or in the file as a whole): its class and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{class}: {message}")]
pub struct FormatError {
    /// The spec's class of the problem.
    pub class: ErrorClass,
    /// What is wrong, for people. Never contains raw untrusted text.
    pub message: String,
}

impl FormatError {
    /// A problem of `class` described by `message`.
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        FormatError {
            class,
            message: message.into(),
        }
    }
}

/// Shorthand for building a [`FormatError`] of class `bad-field`.
pub(crate) fn bad_field(message: impl Into<String>) -> FormatError {
    FormatError::new(ErrorClass::BadField, message)
}

/// Errors of the library's operations (store, keys, files, arguments).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading an input stream failed.
    #[error("reading input: {0}")]
    Read(#[from] std::io::Error),
    /// The SQLite store failed.
    #[error("store: {0}")]
    Store(#[from] rusqlite::Error),
    /// A store was written by a newer coi.
    #[error("the store {path} has schema version {found}, newer than this coi supports ({supported}); upgrade coi")]
    StoreTooNew {
        /// The database file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// SQLite would not put the store in WAL mode (the file system may not support it).
    #[error("the store could not enter WAL mode (it stays in {mode:?} mode); keep it on a local file system")]
    StoreJournal {
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// The store's content breaks an invariant (it was changed outside coi, or is damaged).
    #[error("the store is damaged: {0}")]
    Corrupt(Damage),
    /// A secret key file is readable or writable by group or others.
    #[error("UNPROTECTED PRIVATE KEY FILE: {path} is readable or writable by group or others (mode {mode:o}); run `chmod 600 {path}`", path = path.display())]
    KeyPermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A secret key file is malformed, damaged or inconsistent.
    #[error("key file {path}: {reason}", path = path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Decryption of a secret key failed.
    #[error("wrong passphrase for {path}, or the key file is damaged", path = path.display())]
    WrongPassphrase {
        /// The key file.
        path: PathBuf,
    },
    /// A passphrase is needed and none could be obtained.
    #[error("{0}")]
    Passphrase(String),
    /// The home already has an identity.
    #[error("{0}")]
    AlreadyInitialised(String),
    /// An argument or request is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// Another process changed the state this operation read first (a checkpoint was signed,
    /// a checkpoint cosigned): nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// A restricted-field operation (spec §7) that cannot be done as asked: no encryption key
    /// published, no openings kept, a field not sealed.
    #[error("{0}")]
    Restricted(String),
    /// A checkpoint, note, proof or policy is not what the C2SP specs define (spec §13).
    #[error("{0}")]
    Tlog(String),
    /// A witness refused to cosign a checkpoint: the log, its checkpoint or its file is bad.
    /// The evidence is kept in the store (`coi witness --evidence`).
    #[error("refused to cosign {}: {problem}: {detail}", crate::text::quote(.origin))]
    WitnessRefused {
        /// The log's origin.
        origin: String,
        /// What is wrong, as the evidence names it.
        problem: String,
        /// In words.
        detail: String,
    },
    /// An entry could not be built because a field is not acceptable.
    #[error("{0}")]
    Format(#[from] FormatError),
    /// The system clock is earlier than the member's last entry.
    #[error("the system clock ({now}) is earlier than your last entry ({last}); fix the clock and try again")]
    ClockBehind {
        /// The current time.
        now: String,
        /// The last entry's time.
        last: String,
    },

    // Store refusals
    //
    // Text that came from a person (an id or prefix as typed) is kept escaped for display
    // (`display::escape`), so that every message is safe to print as it is.
    /// An append for a member the store holds nothing of, with a key that did not found the
    /// member's chain.
    #[error("this key did not found the member's chain, and the store holds none of it")]
    NotFoundingKey {
        /// The member whose chain was to be extended.
        member: Hash32,
    },
    /// An append signed with a key that is not the member's current key in the store.
    #[error("your key is not the current key of member {} in the store (was the key rotated elsewhere?)", member.fingerprint())]
    KeyNotCurrent {
        /// The member whose chain was to be extended.
        member: Hash32,
    },
    /// An amendment, withdrawal or retraction whose target is not one of the member's live
    /// declarations.
    #[error("{} is not one of your live declarations (it may have been amended, withdrawn or retracted already; see `coi conflicts`)", target.fingerprint())]
    NotLiveDeclaration {
        /// The member appending.
        member: Hash32,
        /// The entry id named as the target.
        target: Hash32,
    },
    /// Text given as an entry id that is not one or a prefix of one.
    #[error("\"{text}\" is not an entry id: give its id, its fingerprint, or at least 8 hex characters of either")]
    NotAnEntryId {
        /// The text (without surrounding blanks), escaped.
        text: String,
    },
    /// Text given as a member id that is not one, a fingerprint, or a prefix of one.
    #[error("\"{text}\" is not a member id: give the 64-character id, its fingerprint, or at least 8 hex characters of it")]
    NotAMemberId {
        /// The text as given, escaped.
        text: String,
    },
    /// No entry held has this id or starts with this prefix.
    #[error("no entry {prefix} in the store")]
    EntryNotFound {
        /// The id or prefix (lowercase hex).
        prefix: String,
    },
    /// No member held has an id starting with this prefix.
    #[error("no member {text} in the store")]
    MemberNotFound {
        /// The text as given, escaped.
        text: String,
    },
    /// More than one entry starts with this prefix.
    #[error("{prefix} matches more than one entry (among them {}); give more characters", fingerprints(.candidates))]
    AmbiguousEntry {
        /// The prefix (lowercase hex).
        prefix: String,
        /// Two of the entries it matches.
        candidates: Vec<Hash32>,
    },
    /// More than one member's id starts with this prefix.
    #[error("{text} matches several members (among them {}); give more characters", fingerprints(.candidates))]
    AmbiguousMember {
        /// The text as given, escaped.
        text: String,
        /// Two of the members it matches.
        candidates: Vec<Hash32>,
    },

    // Home and keys
    /// No home was given and the platform has no data directory to put the default one in.
    #[error("no home directory could be found: pass --home DIR or set COI_HOME")]
    NoHomeDirectory,
    /// The home's key file signs for another member than the one its store belongs to.
    #[error("the key file signs for member {}, but this store belongs to {}", key_member.fingerprint(), store_member.fingerprint())]
    KeyForOtherMember {
        /// The member the key file signs for.
        key_member: Hash32,
        /// The member the store belongs to.
        store_member: Hash32,
    },
    /// The key file does not hold the chain's current key (the chain was rotated to another key,
    /// or an old key file was restored), and no pending key of a rotation does either.
    #[error("{key_file} does not hold your chain's current key (the chain was rotated to key {current_key:.16}); restore that key file")]
    NotCurrentKey {
        /// The key file's path, escaped for display (the message has always shown it escaped).
        key_file: String,
        /// The chain's current public key, in hex.
        current_key: String,
    },
    /// A key rotation was asked for while a pending new key that the chain does not name lies in
    /// the home (a rotation that was never recorded).
    #[error("{pending_file} exists but is not your chain's current key (a rotation that was never recorded?); move it away and try again")]
    StalePendingKey {
        /// The pending key file's path, escaped for display.
        pending_file: String,
    },
    /// A new key could not be encoded into a key file (its encryption failed).
    #[error("{0}")]
    KeyEncoding(String),

    // The home's file-system rules (as OpenSSH's StrictModes): what is refused, and how to fix it.
    /// A secret key file is a symbolic link (followed, it could be swapped for any file).
    #[error("key file {path} is a symbolic link; a key file must be a regular file: replace the link by the file it points to", path = path.display())]
    KeySymlink {
        /// The key file.
        path: PathBuf,
    },
    /// Something other than a regular file stands where a key file should be (a FIFO would hang
    /// the reader, a device would be read without end).
    #[error("key file {path} is {kind}, not a regular file; move it away and restore your key file", path = path.display())]
    KeyNotRegular {
        /// The key file.
        path: PathBuf,
        /// What it is.
        kind: FileKind,
    },
    /// A secret key file is owned by another user.
    #[error("key file {path} is owned by uid {owner}, not by you (uid {uid}); if it is yours, run `chown {uid} {path}`", path = path.display())]
    KeyOwner {
        /// The key file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The user running coi (effective uid).
        uid: u32,
    },
    /// The key file of a member's store is missing.
    #[error("the store in {dir} belongs to member {}, but its key file {key} is missing; restore it from your backup", member.fingerprint(), dir = dir.display(), key = key.display())]
    KeyMissing {
        /// The home.
        dir: PathBuf,
        /// The key file's path.
        key: PathBuf,
        /// The member the store belongs to.
        member: Hash32,
    },
    /// There is no home (or no store in it).
    #[error("no coi home at {dir}: run `coi import FILE` to read ledgers as an observer, or `coi init --name NAME` to become a member (or pass --home DIR / set COI_HOME)", dir = dir.display())]
    NoHome {
        /// The home directory.
        dir: PathBuf,
    },
    /// A command that signs was run in a home that holds no key.
    #[error("this home has no key ({dir} is an observer home); run `coi init --name NAME` to become a member", dir = dir.display())]
    ObserverHome {
        /// The home directory.
        dir: PathBuf,
    },
    /// A home has a key file but its store names no member: `coi init` stopped half-way.
    #[error("{dir} has a key file but its store names no member (an interrupted `coi init`); run `coi init --name NAME` again to finish", dir = dir.display())]
    UnfinishedInit {
        /// The home directory.
        dir: PathBuf,
    },
    /// A new home was to be made in an existing directory that holds other files.
    #[error("{dir} exists, is not empty and is not a coi home; coi makes a home only in a new or an empty directory: pass another --home (e.g. {sub})", dir = dir.display(), sub = dir.join("coi").display())]
    HomeNotEmpty {
        /// The directory.
        dir: PathBuf,
    },
    /// The home is a symbolic link: the directory it names could be changed under coi.
    #[error("the home {path} is a symbolic link to {target}; pass the directory itself: --home {target}", path = path.display(), target = target.display())]
    HomeSymlink {
        /// The link.
        path: PathBuf,
        /// What it points to (resolved when possible).
        target: PathBuf,
    },
    /// An output path names something that is not a regular file (a directory, a FIFO, a device):
    /// replacing it with a file would break what it is.
    #[error("{path} is {kind}, not a regular file; coi writes a ledger only to a regular file (or through a symbolic link to one)", path = path.display())]
    NotARegularFile {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: FileKind,
    },
    /// Something other than the expected kind of file stands in the home.
    #[error("{path} is {kind}, not {expected}; coi does not follow links or use special files in a home: move it away", path = path.display())]
    HomeFileKind {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: FileKind,
        /// What coi expected there.
        expected: FileKind,
    },
    /// The home directory or a store file belongs to another user (neither you nor root).
    #[error("{path} is owned by uid {owner}, not by you (uid {uid}) or root: its owner could replace the store under you; use a home of your own (--home DIR)", path = path.display())]
    HomeOwner {
        /// The directory or file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The user running coi (effective uid).
        uid: u32,
    },
    /// The home directory or a store file can be written by group or others, who could swap in
    /// an old store and make the member fork their own chain.
    #[error("{}", writable_message(path, *mode))]
    HomeWritable {
        /// The directory or file.
        path: PathBuf,
        /// Its permission bits (with the sticky bit).
        mode: u32,
    },
    /// A command that changes the store was run on a home it cannot write.
    #[error("{}", read_only_message(path, cause))]
    HomeReadOnly {
        /// The directory or file that cannot be written.
        path: PathBuf,
        /// Why (permission denied, read-only file system).
        #[source]
        cause: std::io::Error,
    },
    /// A store that coi can only read cannot be read as it is.
    #[error("cannot read the store {path} without write access: {reason}", path = path.display())]
    StoreReadOnly {
        /// The database file.
        path: PathBuf,
        /// Why.
        reason: ReadOnlyStore,
    },
}

fn writable_message(path: &std::path::Path, mode: u32) -> String {
    let p = path.display();
    if mode & 0o1000 != 0 {
        // A shared directory such as /tmp: making it private would break it for everyone.
        format!("{p} is writable by others (mode {mode:o}, a shared directory): another local user could swap in an old store and make you fork your own chain; use a new directory inside it, e.g. --home {}", path.join("coi").display())
    } else {
        format!("{p} is writable by group or others (mode {:o}): another local user could swap in an old store and make you fork your own chain; run `chmod go-w {p}`", mode & 0o777)
    }
}

fn read_only_message(path: &std::path::Path, cause: &std::io::Error) -> String {
    let p = path.display();
    if cause.kind() == std::io::ErrorKind::ReadOnlyFilesystem {
        format!("this command changes the store, but {p} is on a read-only file system; copy the home to writable storage and pass --home COPY (reading commands work as they are)")
    } else {
        format!("this command changes the store, but {p} is not writable ({cause}); make it writable (`chmod u+w {p}`) or use a writable copy (reading commands work as they are)")
    }
}

/// Why a store that coi can only read cannot be read ([`Error::StoreReadOnly`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadOnlyStore {
    /// The store has an older schema, which only a writer can upgrade.
    #[error("it has schema version {found} and must be upgraded to version {supported} once by a coi that can write to it (make the home writable and run any command)")]
    NeedsUpgrade {
        /// Its `user_version`.
        found: i64,
        /// The version this build reads.
        supported: i64,
    },
    /// The write-ahead log holds changes not yet in the database file, and they cannot be read
    /// without its shared-memory file or write access to the home.
    #[error("its write-ahead log {} holds changes not yet in the store file, and reading them needs write access to the home or the log's -shm file; make the home writable for one command, or copy the whole home", wal.display())]
    PendingLog {
        /// The write-ahead log file.
        wal: PathBuf,
    },
    /// A rollback journal holds a write in progress or interrupted, which only a writer can
    /// finish or roll back.
    #[error("its rollback journal {} holds a write in progress or interrupted, which only a coi that can write to the home can roll back; make the home writable for one command (or wait for the writer)", journal.display())]
    PendingJournal {
        /// The journal file.
        journal: PathBuf,
    },
}

/// What kind of file-system object stands at a path (in the home's refusals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A FIFO (named pipe).
    Fifo,
    /// A Unix socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// Something else.
    Other,
}

impl FileKind {
    /// The kind of `t` (from `symlink_metadata` or an open file's metadata).
    pub fn of(t: std::fs::FileType) -> FileKind {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_file() {
            FileKind::File
        } else if t.is_dir() {
            FileKind::Directory
        } else if t.is_symlink() {
            FileKind::Symlink
        } else if t.is_fifo() {
            FileKind::Fifo
        } else if t.is_socket() {
            FileKind::Socket
        } else if t.is_char_device() {
            FileKind::CharDevice
        } else if t.is_block_device() {
            FileKind::BlockDevice
        } else {
            FileKind::Other
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::File => "a regular file",
            FileKind::Directory => "a directory",
            FileKind::Symlink => "a symbolic link",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Other => "a special file",
        })
    }
}

/// What is wrong in a damaged store ([`Error::Corrupt`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Damage {
    /// The home's recorded identity is not a member id.
    #[error("identity is not a member id")]
    Identity,
    /// A stored entry or member id is not 32 bytes.
    #[error("a stored id is not 32 bytes")]
    IdLength,
    /// A member's stored key is not 32 bytes.
    #[error("stored key is not 32 bytes")]
    KeyLength,
    /// A member's stored key is not an acceptable public key.
    #[error("stored key: {0}")]
    Key(FormatError),
    /// A stored line no longer parses as an entry.
    #[error("a stored entry no longer parses: {0}")]
    Entry(FormatError),
    /// Following a live declaration's amendments back never reaches the original.
    #[error("amendment chain does not end")]
    EndlessAmendments,
    /// The lines an export would write do not verify: the store was changed behind its back.
    #[error("the store's lines do not verify ({problems} problem(s); first: {first}); nothing was exported. Run `coi fsck` to see everything")]
    ExportDoesNotVerify {
        /// Problems found.
        problems: u64,
        /// The first, as text.
        first: String,
    },
    /// The store holds an entry under the id of a verified line, but not that line: the store's
    /// copy was changed behind its back.
    #[error("the store's line for member {} seq {seq} is not the line whose id it records (a file just verified has that line): the store was changed behind its back; run `coi fsck`", .member.fingerprint())]
    LineDiffers {
        /// The member.
        member: Hash32,
        /// The seq.
        seq: u64,
    },
    /// Stored entries name targets (of amendments, withdrawals, retractions) the store does not
    /// hold, or hold as another member's.
    #[error("{0} stored entries name a target the store does not hold")]
    Orphans(u64),
    /// The declaration an amendment, withdrawal or retraction targets is held without its row
    /// in the store's derived table of interests.
    #[error("target {} is held without its interest row; run `coi fsck`", .0.fingerprint())]
    InterestNotHeld(Hash32),
    /// A member's stored head time is not a time.
    #[error("a member's stored head time is not a time")]
    HeadTime,
    /// A stored checkpoint's tree data (hash, size or frontier) is damaged.
    #[error("stored checkpoint data: {0}; run `coi fsck`")]
    Tlog(String),
    /// The target of an entry being stored, which verified, is not held.
    #[error("target {} of a verified entry is not held", .0.fingerprint())]
    TargetNotHeld(Hash32),
}

/// Ids as people read them, for messages that list candidates.
fn fingerprints(ids: &[Hash32]) -> String {
    ids.iter()
        .map(Hash32::fingerprint)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
