//! The member's home: where the store and the secret key file live, the file-system rules for
//! them, and the signer protocol: which key signs for the home, how a key rotation is made so
//! that no crash loses the chain's current key, and what an import shows about the home's own
//! chain.
//!
//! The file-system rules are OpenSSH's StrictModes for `~/.ssh`, checked every time a home is
//! opened ([`Home::check`]):
//! - the home is a directory (not a symbolic link), owned by the user (or root), not writable by
//!   group or others; the store's files likewise (regular files, not links): whoever can write
//!   there could swap in an old store and make the member fork their own chain;
//! - a key file is a regular file (not a link, FIFO or device), owned by the user, with no
//!   permission for group or others; it is opened with `O_NOFOLLOW | O_NONBLOCK` and checked
//!   again on the descriptor opened, so that the checks cannot be raced;
//! - a new home directory is made with mode 0700 and a new key file with mode 0600, written to
//!   a temporary file and linked into place only when complete; the mode of a directory that
//!   already existed is never changed: a home is made in a new or an empty directory only.
//!
//! A home without a key is an observer's: it reads, verifies and imports ledgers, and is nobody's
//! member. `Home::init` makes an observer home a member's home.
//!
//! Prompting stays with the caller: the protocols ask a [`Callbacks`] for passphrases and tell it
//! what they did on their own, as age's `Callbacks` do.

use std::fmt;
use std::fs::{self, DirBuilder, File};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The wrapper that wipes passphrases from memory when dropped; [`Callbacks`] return it.
pub use zeroize::Zeroizing;

/// What kind of file stands at a path, as the home's refusals name it.
pub use crate::error::FileKind;

use crate::display::escape;
use crate::entry::{Data, Entry, Profile};
use crate::error::{Error, Result};
use crate::keys::{
    AgeIdentityFile, KdfParams, KeyFile, KeyFileError, MemberId, PublicKey, SecretKey, TlogKeyFile,
    TlogRole,
};
use crate::store::{ImportReport, OpenOptions, Store, WaitNotice};

/// File name of the secret key in a home.
pub const KEY_FILE: &str = "secret-key.json";
/// File name of the store in a home.
pub const STORE_FILE: &str = "store.sqlite";
/// File name of the new key while a key rotation is being made.
pub const PENDING_KEY_FILE: &str = "secret-key.json.new";
/// File name of the key that signs this home's body log checkpoints (spec §12, §13).
pub const LOG_KEY_FILE: &str = "log-key.json";
/// File name of the key that cosigns other logs' checkpoints (spec §12, §13).
pub const WITNESS_KEY_FILE: &str = "witness-key.json";
/// File name of the member's age encryption identity (spec §7.1, §12). Identities replaced by
/// `coi encryption-key --rotate` are kept beside it as `age-identity.N.json`, so that
/// disclosures made to them still open.
pub const AGE_IDENTITY_FILE: &str = "age-identity.json";
/// The folder of followed publications (`coi follow`, `coi sync`).
pub const FOLLOWS_DIR: &str = "follows";
/// Largest key file read.
const MAX_KEY_FILE: u64 = 4096;

/// Why a home protocol asks for a passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassphraseRequest<'a> {
    /// The key file at this path is encrypted; its passphrase unlocks it.
    Unlock(&'a Path),
    /// A new key is about to be written, protected by the passphrase given.
    NewKey,
}

/// Something a home protocol did on its own that the member should know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HomeNotice {
    /// A key rotation interrupted after its entry was stored, but before the new key replaced the
    /// old key file, was finished: the key file now holds the new key.
    RotationFinished {
        /// The key file.
        key_file: PathBuf,
    },
}

impl fmt::Display for HomeNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HomeNotice::RotationFinished { key_file } => write!(
                f,
                "finished an interrupted key rotation: {} now holds the new key",
                key_file.display()
            ),
        }
    }
}

/// What the home's protocols need from whoever drives them: passphrases, and someone to tell.
///
/// The library decides when a passphrase is needed; the implementation decides where it comes
/// from (a terminal prompt, an environment variable, a fixture) and says why none can be had.
pub trait Callbacks {
    /// The passphrase for `request`, or the error that says why none can be had.
    fn passphrase(&self, request: PassphraseRequest<'_>) -> Result<Zeroizing<String>>;
    /// Tells of something a protocol did on its own.
    fn notice(&self, notice: HomeNotice);
}

/// How a new key is stored in its key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProtection {
    /// Encrypted with a passphrase asked of the [`Callbacks`].
    Passphrase,
    /// Unencrypted (for scripts and tests).
    Unencrypted,
}

/// A finished key rotation.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The `key-rotation` entry appended to the chain.
    pub entry: Entry,
    /// The new key, now in the key file.
    pub key: PublicKey,
}

/// What an import showed about the home's own chain (see [`own_chain`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OwnChain {
    /// The file forks the member's own chain: the store and the file hold different entries signed
    /// with the member's key at the same seq. A home restored from an old backup and used to
    /// declare again does this.
    Forked,
    /// The file carried entries of the member's own chain that the store did not have (the home
    /// was restored from a backup); the store is now up to date.
    CaughtUp {
        /// How many of the member's entries the import added.
        entries: u64,
    },
}

/// A home directory.
#[derive(Clone)]
pub struct Home {
    dir: PathBuf,
    on_wait: Option<WaitNotice>,
}

impl fmt::Debug for Home {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Home")
            .field("dir", &self.dir)
            .field("on_wait", &self.on_wait.is_some())
            .finish()
    }
}

impl Home {
    /// The home at `dir`, or the platform's default (`$XDG_DATA_HOME/coi-ledger` on Linux).
    pub fn locate(dir: Option<PathBuf>) -> Result<Home> {
        let dir = match dir {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => dirs::data_dir()
                .map(|d| d.join("coi-ledger"))
                .ok_or(Error::NoHomeDirectory)?,
        };
        Ok(Home { dir, on_wait: None })
    }

    /// Tells `notice`, once per store opened, when an operation has to wait for another
    /// process's lock on the store (see [`crate::store::WAIT_NOTICE_AFTER`]).
    pub fn on_lock_wait(mut self, notice: impl Fn(&Path) + Send + Sync + 'static) -> Home {
        self.on_wait = Some(std::sync::Arc::new(notice));
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The secret key file's path.
    pub fn key_path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    /// The store's path.
    pub fn store_path(&self) -> PathBuf {
        self.dir.join(STORE_FILE)
    }

    /// The folder of followed publications' known bytes (`ID.ledger`) and the evidence syncs
    /// kept (`ID.KIND.N.ledger`), made on first use (mode 0700, as the home).
    pub fn follows_dir(&self) -> Result<PathBuf> {
        let dir = self.dir.join(FOLLOWS_DIR);
        if !dir.exists() {
            fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| Error::io(&dir, e))?;
            }
        }
        Ok(dir)
    }

    /// The store's files: the database, its write-ahead log, its shared-memory file and its
    /// rollback journal.
    fn store_files(&self) -> [PathBuf; 4] {
        let with = |suffix: &str| {
            let mut p = self.store_path().into_os_string();
            p.push(suffix);
            PathBuf::from(p)
        };
        [
            self.store_path(),
            with("-wal"),
            with("-shm"),
            with("-journal"),
        ]
    }

    /// Checks the home as OpenSSH's StrictModes checks `~/.ssh`: the directory is a directory
    /// (not a symbolic link), owned by the user or root, not writable by group or others; the
    /// store's files, where they exist, are regular files under the same rules. (Key files are
    /// checked when they are read.)
    pub fn check(&self) -> Result<()> {
        let meta = match fs::symlink_metadata(&self.dir) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoHome {
                    dir: self.dir.clone(),
                })
            }
            Err(e) => return Err(Error::io(&self.dir, e)),
        };
        match FileKind::of(meta.file_type()) {
            FileKind::Directory => {}
            FileKind::Symlink => {
                let target = fs::canonicalize(&self.dir)
                    .or_else(|_| fs::read_link(&self.dir))
                    .unwrap_or_default();
                return Err(Error::HomeSymlink {
                    path: self.dir.clone(),
                    target,
                });
            }
            kind => {
                return Err(Error::HomeFileKind {
                    path: self.dir.clone(),
                    kind,
                    expected: FileKind::Directory,
                })
            }
        }
        owner_and_mode_ok(&self.dir, &meta)?;
        for path in self.store_files() {
            let meta = match fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&path, e)),
            };
            let kind = FileKind::of(meta.file_type());
            if kind != FileKind::File {
                return Err(Error::HomeFileKind {
                    path,
                    kind,
                    expected: FileKind::File,
                });
            }
            owner_and_mode_ok(&path, &meta)?;
        }
        Ok(())
    }

    /// Refuses a home whose directory or store files this process cannot write, naming the
    /// first one and why ([`Error::HomeReadOnly`]).
    pub fn check_writable(&self) -> Result<()> {
        let [store, wal, shm, journal] = self.store_files();
        let files = [&store, &wal, &shm, &journal].map(|f| (f, false));
        for (path, must_exist) in std::iter::once((&self.dir, true)).chain(files) {
            match rustix::fs::access(path, rustix::fs::Access::WRITE_OK) {
                Ok(()) => {}
                Err(rustix::io::Errno::NOENT) if !must_exist => {}
                Err(e) => {
                    return Err(Error::HomeReadOnly {
                        path: path.clone(),
                        cause: e.into(),
                    })
                }
            }
        }
        Ok(())
    }

    /// Whether the home holds a store or a key (of a member, or of an unfinished rotation).
    fn is_coi_home(&self) -> bool {
        [self.store_path(), self.key_path(), self.pending_key_path()]
            .iter()
            .any(|p| fs::symlink_metadata(p).is_ok())
    }

    /// Makes the directory ready to hold a new home: creates it (mode 0700; missing parents
    /// 0755 less the umask) if it does not exist. An existing directory must pass
    /// [`Home::check`] and be empty or a coi home already ([`Error::HomeNotEmpty`]); its mode is
    /// never changed.
    pub fn create(&self) -> Result<()> {
        match fs::symlink_metadata(&self.dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(parent) = self.dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                    DirBuilder::new()
                        .recursive(true)
                        .mode(0o755)
                        .create(parent)
                        .map_err(|e| Error::io(parent, e))?;
                }
                match DirBuilder::new().mode(0o700).create(&self.dir) {
                    // The umask may have taken bits from 0700: set it exactly, on the directory
                    // just made (and only on that one).
                    Ok(()) => fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
                        .map_err(|e| Error::io(&self.dir, e))?,
                    // Made meanwhile by another process: checked below as any existing one.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(Error::io(&self.dir, e)),
                }
            }
            Err(e) => return Err(Error::io(&self.dir, e)),
            Ok(_) => {}
        }
        self.check_ready()
    }

    /// Refuses an existing directory that cannot hold a home: one that fails [`Home::check`],
    /// or holds other files and is not a coi home.
    fn check_ready(&self) -> Result<()> {
        self.check()?;
        if !self.is_coi_home() {
            let mut list = fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
            if list.next().is_some() {
                return Err(Error::HomeNotEmpty {
                    dir: self.dir.clone(),
                });
            }
        }
        Ok(())
    }

    /// The path of a new key written by an unfinished key rotation.
    pub fn pending_key_path(&self) -> PathBuf {
        self.dir.join(PENDING_KEY_FILE)
    }

    /// Writes the secret key file: created exclusively with mode 0600 whatever the umask, synced.
    pub fn write_key(&self, text: &str) -> Result<()> {
        write_private(&self.dir, &self.key_path(), text)
    }

    /// Writes the new key of a rotation beside the current one (0600, exclusive, synced), before
    /// the rotation entry is appended; [`Home::commit_pending_key`] moves it into place after.
    pub fn write_pending_key(&self, text: &str) -> Result<()> {
        write_private(&self.dir, &self.pending_key_path(), text)
    }

    /// Replaces the key file with the pending key (an atomic rename), synced.
    pub fn commit_pending_key(&self) -> Result<()> {
        let (from, to) = (self.pending_key_path(), self.key_path());
        fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
        sync_dir(&self.dir)
    }

    /// Removes the pending key of a rotation that did not happen.
    pub fn discard_pending_key(&self) -> Result<()> {
        let path = self.pending_key_path();
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))
    }

    /// Reads the secret key file, refusing one that is a link or not a regular file, owned by
    /// someone else, or open to group or others. A home without one is an observer's
    /// ([`Error::ObserverHome`]).
    pub fn read_key(&self) -> Result<Zeroizing<Vec<u8>>> {
        read_private(&self.key_path()).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Error::ObserverHome {
                    dir: self.dir.clone(),
                }
            }
            other => other,
        })
    }

    /// The path of the log or witness key.
    pub fn tlog_key_path(&self, role: TlogRole) -> PathBuf {
        self.dir.join(match role {
            TlogRole::Log => LOG_KEY_FILE,
            TlogRole::Witness => WITNESS_KEY_FILE,
        })
    }

    /// Reads the log or witness key, if the home has one (refused as the secret key file is:
    /// a link, someone else's, or open to group or others).
    pub fn read_tlog_key(&self, role: TlogRole) -> Result<Option<TlogKeyFile>> {
        let path = self.tlog_key_path(role);
        let text = match read_private(&path) {
            Ok(t) => t,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        TlogKeyFile::decode(&text, role)
            .map(Some)
            .map_err(|e| Error::KeyFile {
                path,
                reason: e.to_string(),
            })
    }

    /// Creates the log or witness key named `name` (0600, exclusive, synced); an existing one
    /// is never replaced.
    pub fn create_tlog_key(&self, role: TlogRole, name: &str) -> Result<TlogKeyFile> {
        self.check()?;
        let key = TlogKeyFile {
            role,
            name: name.to_string(),
            secret: SecretKey::generate(),
        };
        // Round-trip through the decoder so that a bad name is refused before anything is written.
        let text = key.encode();
        TlogKeyFile::decode(text.as_bytes(), role).map_err(|e| Error::KeyFile {
            path: self.tlog_key_path(role),
            reason: e.to_string(),
        })?;
        write_private(&self.dir, &self.tlog_key_path(role), &text)?;
        Ok(key)
    }

    /// The path of the current age identity.
    pub fn age_identity_path(&self) -> PathBuf {
        self.dir.join(AGE_IDENTITY_FILE)
    }

    /// The paths of the age identities this home holds: the current one first (if any), then
    /// those it replaced, newest first.
    pub fn age_identity_paths(&self) -> Result<Vec<PathBuf>> {
        let mut old: Vec<(u64, PathBuf)> = Vec::new();
        for d in fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))? {
            let d = d.map_err(|e| Error::io(&self.dir, e))?;
            let name = d.file_name();
            let Some(n) = name
                .to_str()
                .and_then(|n| n.strip_prefix("age-identity."))
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            old.push((n, d.path()));
        }
        old.sort_by_key(|x| std::cmp::Reverse(x.0));
        let current = self.age_identity_path();
        let mut out = Vec::new();
        if fs::symlink_metadata(&current).is_ok() {
            out.push(current);
        }
        out.extend(old.into_iter().map(|(_, p)| p));
        Ok(out)
    }

    /// Reads the age identity at `path` (refused as the secret key file is: a link, someone
    /// else's, or open to group or others), asking for its passphrase if it is encrypted.
    pub fn read_age_identity(
        &self,
        path: &Path,
        callbacks: &dyn Callbacks,
    ) -> Result<AgeIdentityFile> {
        let text = read_private(path)?;
        let pass = if KeyFile::is_encrypted(&text) {
            Some(callbacks.passphrase(PassphraseRequest::Unlock(path))?)
        } else {
            None
        };
        let path = path.to_path_buf();
        AgeIdentityFile::decode(&text, pass.as_ref().map(|p| p.as_bytes())).map_err(|e| match e {
            KeyFileError::Decrypt => Error::WrongPassphrase { path },
            KeyFileError::NeedPassphrase => {
                Error::Passphrase("the identity is protected by a passphrase".into())
            }
            KeyFileError::Malformed(reason) => Error::KeyFile { path, reason },
        })
    }

    /// Writes `identity` as the current age identity (0600, synced), protected with the
    /// signing key's passphrase if the signing key file is encrypted. With `replace`, a current
    /// identity is first kept as `age-identity.N.json` (never overwritten); without, an existing
    /// one is an error.
    pub fn write_age_identity(
        &self,
        identity: &AgeIdentityFile,
        replace: bool,
        callbacks: &dyn Callbacks,
    ) -> Result<()> {
        self.check()?;
        let current = self.age_identity_path();
        let key = self.read_key()?;
        let pass = if KeyFile::is_encrypted(&key) {
            let p = callbacks.passphrase(PassphraseRequest::Unlock(&self.key_path()))?;
            // The passphrase must be the signing key's: a typo here would lock the identity
            // away under a passphrase nobody knows.
            decode_key(&key, &self.key_path(), &Fixed(&p))?;
            Some(p)
        } else {
            None
        };
        let text = identity
            .encode(pass.as_ref().map(|p| p.as_bytes()), KdfParams::DEFAULT)
            .map_err(Error::KeyEncoding)?;
        if fs::symlink_metadata(&current).is_ok() {
            if !replace {
                return Err(Error::Conflict(format!(
                    "{} exists: `coi encryption-key --rotate` replaces it",
                    escape(&current.display().to_string())
                )));
            }
            let n = self
                .age_identity_paths()?
                .iter()
                .filter_map(|p| {
                    p.file_name()?
                        .to_str()?
                        .strip_prefix("age-identity.")?
                        .strip_suffix(".json")?
                        .parse::<u64>()
                        .ok()
                })
                .max()
                .unwrap_or(0)
                + 1;
            let kept = self.dir.join(format!("age-identity.{n}.json"));
            fs::rename(&current, &kept).map_err(|e| Error::io(&kept, e))?;
        }
        write_private(&self.dir, &current, &text)
    }

    /// Reads the pending key of an unfinished rotation, if there is one.
    pub fn read_pending_key(&self) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match read_private(&self.pending_key_path()) {
            Ok(k) => Ok(Some(k)),
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// How this home opens its store.
    fn store_options(&self, read_only: bool) -> OpenOptions {
        let options = OpenOptions::new().read_only(read_only);
        match &self.on_wait {
            Some(notice) => options.on_wait(notice.clone()),
            None => options,
        }
    }

    /// Refuses a home that has no store ([`Error::NoHome`]).
    fn require_store(&self) -> Result<()> {
        match fs::symlink_metadata(self.store_path()) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NoHome {
                dir: self.dir.clone(),
            }),
            Err(e) => Err(Error::io(self.store_path(), e)),
        }
    }

    /// Opens the home's store to change it; the home must exist, pass [`Home::check`] and be
    /// writable ([`Error::HomeReadOnly`] says which file is not, and why).
    pub fn open_store(&self) -> Result<Store> {
        self.check()?;
        self.require_store()?;
        self.check_writable()?;
        Store::open_with(&self.store_path(), &self.store_options(false))
    }

    /// Opens the home's store to read it: as [`Home::open_store`] if the home is writable,
    /// else read-only (an auditor's copy, read-only media), changing nothing.
    pub fn open_store_read(&self) -> Result<Store> {
        self.check()?;
        self.require_store()?;
        let read_only = self.check_writable().is_err();
        Store::open_with(&self.store_path(), &self.store_options(read_only))
    }

    /// Opens the home's store to change it, making an observer home (no key) first if there is
    /// no home yet: `coi import` needs no identity.
    pub fn open_or_create_store(&self) -> Result<Store> {
        if fs::symlink_metadata(self.store_path()).is_ok() {
            return self.open_store();
        }
        self.create()?;
        self.check_writable()?;
        self.create_store()
    }

    /// Opens (creating it if needed) the store of a home that [`Home::create`] made ready.
    pub fn create_store(&self) -> Result<Store> {
        Store::open_with(&self.store_path(), &self.store_options(false))
    }

    /// Makes an observer home: the directory (as [`Home::create`]) and an empty store, no key.
    pub fn init_observer(&self) -> Result<()> {
        if fs::symlink_metadata(self.key_path()).is_ok() {
            return Err(Error::AlreadyInitialised(format!(
                "{} already has an identity ({KEY_FILE}); a member's home reads ledgers as an observer's does",
                self.dir.display()
            )));
        }
        if fs::symlink_metadata(self.store_path()).is_ok() {
            return Err(Error::AlreadyInitialised(format!(
                "{} is already an observer home",
                self.dir.display()
            )));
        }
        self.create()?;
        self.check_writable()?;
        self.create_store().map(drop)
    }
}

/// The signer protocol.
impl Home {
    /// Makes the home a member's: the directory (a new or an empty one, or an observer home,
    /// whose store keeps what it holds), a new key (protected as `protection` says), the
    /// member's first entry, the `profile`, and the store naming its member. Returns the new
    /// member id.
    ///
    /// The key file is complete on disk before the chain names its key, and the chain starts
    /// before the store names its member, so a crash leaves either no key or a home that the
    /// next `init` finishes (with the key already written).
    pub fn init(
        &self,
        profile: Profile,
        protection: KeyProtection,
        callbacks: &dyn Callbacks,
    ) -> Result<MemberId> {
        let profile = Data::Profile(profile);
        profile.validate()?;
        if fs::symlink_metadata(self.key_path()).is_ok() {
            return self.finish_init(profile, callbacks);
        }
        // Refuse what would be refused anyway before asking for a passphrase: a directory that
        // cannot hold the home, a home that cannot be written, a member's home that lost its key.
        if fs::symlink_metadata(&self.dir).is_ok() {
            self.check_ready()?;
            if fs::symlink_metadata(self.store_path()).is_ok() {
                if let Some(member) = self.open_store_read()?.identity()? {
                    return Err(Error::KeyMissing {
                        dir: self.dir.clone(),
                        key: self.key_path(),
                        member,
                    });
                }
            }
            self.check_writable()?;
        }
        let pass = new_passphrase(protection, callbacks)?;
        self.create()?;
        self.check_writable()?;
        let mut store = self.create_store()?;
        if store.identity()?.is_some() {
            // Named meanwhile by another `init`.
            return Err(Error::AlreadyInitialised(format!(
                "{} already has an identity ({KEY_FILE}); use another --home to create a new one",
                self.dir.display()
            )));
        }
        let secret = SecretKey::generate();
        let member = secret.public().member_id();
        let kf = KeyFile { member, secret };
        let text = encode_key(&kf, pass.as_ref())?;
        self.write_key(&text)?;
        store.append(&kf.secret, &member, profile)?;
        store.set_identity(&member)?;
        Ok(member)
    }

    /// `init` in a home that has a key: refused if the store names its member, else finished
    /// (an earlier `init` stopped after writing the key).
    fn finish_init(&self, profile: Data, callbacks: &dyn Callbacks) -> Result<MemberId> {
        let named = match self.open_store_read() {
            Ok(store) => store.identity()?,
            Err(Error::NoHome { .. }) => None,
            Err(e) => return Err(e),
        };
        if named.is_some() {
            return Err(Error::AlreadyInitialised(format!(
                "{} already has an identity ({KEY_FILE}); use another --home to create a new one",
                self.dir.display()
            )));
        }
        let key = self.load_key(callbacks)?;
        let mut store = self.open_or_create_store()?;
        if store.head(&key.member)?.is_none() {
            store.append(&key.secret, &key.member, profile)?;
        }
        store.set_identity(&key.member)?;
        Ok(key.member)
    }

    /// The member this home's store belongs to; an observer home has none
    /// ([`Error::ObserverHome`]).
    pub fn member(&self, store: &Store) -> Result<MemberId> {
        match store.identity()? {
            Some(member) => Ok(member),
            None if fs::symlink_metadata(self.key_path()).is_ok() => Err(Error::UnfinishedInit {
                dir: self.dir.clone(),
            }),
            None => Err(Error::ObserverHome {
                dir: self.dir.clone(),
            }),
        }
    }

    /// Reads and decodes the key file, asking `callbacks` for its passphrase if it is encrypted.
    pub fn load_key(&self, callbacks: &dyn Callbacks) -> Result<KeyFile> {
        decode_key(&self.read_key()?, &self.key_path(), callbacks)
    }

    /// The key that signs for `member` now: the key file's, or, if a key rotation was interrupted
    /// after its entry was stored but before the new key replaced the old file, the pending new
    /// key, which is moved into place here (and [`HomeNotice::RotationFinished`] told).
    pub fn signing_key(
        &self,
        store: &Store,
        member: &MemberId,
        callbacks: &dyn Callbacks,
    ) -> Result<KeyFile> {
        let key = self.load_key(callbacks).map_err(|e| match e {
            Error::ObserverHome { .. } => Error::KeyMissing {
                dir: self.dir.clone(),
                key: self.key_path(),
                member: *member,
            },
            e => e,
        })?;
        if key.member != *member {
            return Err(Error::KeyForOtherMember {
                key_member: key.member,
                store_member: *member,
            });
        }
        let Some(current) = store.head(member)?.map(|h| h.key) else {
            return Ok(key);
        };
        if key.secret.public() == current {
            return Ok(key);
        }
        if let Some(text) = self.read_pending_key()? {
            let pending = decode_key(&text, &self.pending_key_path(), callbacks)?;
            if pending.member == *member && pending.secret.public() == current {
                self.commit_pending_key()?;
                callbacks.notice(HomeNotice::RotationFinished {
                    key_file: self.key_path(),
                });
                return Ok(pending);
            }
        }
        Err(Error::NotCurrentKey {
            key_file: escape(&self.key_path().display().to_string()),
            current_key: current.to_hex(),
        })
    }

    /// Replaces `member`'s signing key with a new one (protected as `protection` says); the old
    /// key signs the `key-rotation` entry and the member id stays the same.
    ///
    /// The new key is written beside the old one before the chain names it and moved into place
    /// after, so no crash can leave a chain whose current key exists nowhere; an interrupted
    /// rotation is finished by the next [`Home::signing_key`].
    pub fn rotate_key(
        &self,
        store: &mut Store,
        member: &MemberId,
        protection: KeyProtection,
        callbacks: &dyn Callbacks,
    ) -> Result<Rotation> {
        let old = self.signing_key(store, member, callbacks)?;
        if self.pending_key_path().exists() {
            return Err(Error::StalePendingKey {
                pending_file: escape(&self.pending_key_path().display().to_string()),
            });
        }
        let pass = new_passphrase(protection, callbacks)?;
        let new = KeyFile {
            member: *member,
            secret: SecretKey::generate(),
        };
        let text = encode_key(&new, pass.as_ref())?;
        // The new key is on disk before the chain names it, so no crash can leave a chain whose
        // current key exists nowhere.
        self.write_pending_key(&text)?;
        let entry = match store.rotate_key(&old.secret, member, &new.secret) {
            Ok(e) => e,
            Err(e) => {
                self.discard_pending_key()?;
                return Err(e);
            }
        };
        self.commit_pending_key()?;
        Ok(Rotation {
            entry,
            key: new.secret.public(),
        })
    }
}

/// What the import that produced `report` showed about `member`'s own chain, whose head was at
/// `seq_before` (`None`: no entries) before it: a fork of it, entries of it that the store lacked,
/// or nothing of note.
pub fn own_chain(
    store: &Store,
    member: &MemberId,
    seq_before: Option<u64>,
    report: &ImportReport,
) -> Result<Option<OwnChain>> {
    if report
        .forks
        .iter()
        .chain(&report.evidence)
        .any(|k| k.member == *member)
    {
        return Ok(Some(OwnChain::Forked));
    }
    let after = store.head(member)?.map(|h| h.seq);
    if report.merged && after > seq_before {
        return Ok(Some(OwnChain::CaughtUp {
            entries: after.unwrap_or(0) - seq_before.unwrap_or(0),
        }));
    }
    Ok(None)
}

/// The passphrase for a new key, if it is to be protected by one.
fn new_passphrase(
    protection: KeyProtection,
    callbacks: &dyn Callbacks,
) -> Result<Option<Zeroizing<String>>> {
    match protection {
        KeyProtection::Passphrase => callbacks.passphrase(PassphraseRequest::NewKey).map(Some),
        KeyProtection::Unencrypted => Ok(None),
    }
}

fn encode_key(kf: &KeyFile, pass: Option<&Zeroizing<String>>) -> Result<Zeroizing<String>> {
    kf.encode(pass.map(|p| p.as_bytes()), KdfParams::DEFAULT)
        .map_err(Error::KeyEncoding)
}

/// Callbacks that answer every passphrase request with one passphrase.
struct Fixed<'a>(&'a Zeroizing<String>);

impl Callbacks for Fixed<'_> {
    fn passphrase(&self, _: PassphraseRequest<'_>) -> Result<Zeroizing<String>> {
        Ok(self.0.clone())
    }
    fn notice(&self, _: HomeNotice) {}
}

/// Decodes the key file text read from `path`, asking for its passphrase if it is encrypted.
fn decode_key(text: &[u8], path: &Path, callbacks: &dyn Callbacks) -> Result<KeyFile> {
    let pass = if KeyFile::is_encrypted(text) {
        Some(callbacks.passphrase(PassphraseRequest::Unlock(path))?)
    } else {
        None
    };
    let path = path.to_path_buf();
    KeyFile::decode(text, pass.as_ref().map(|p| p.as_bytes())).map_err(|e| match e {
        KeyFileError::Decrypt => Error::WrongPassphrase { path },
        KeyFileError::NeedPassphrase => {
            Error::Passphrase("the key is protected by a passphrase".into())
        }
        KeyFileError::Malformed(reason) => Error::KeyFile { path, reason },
    })
}

/// The effective uid of this process: the user files must belong to.
fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Refuses a home directory or store file owned by someone other than the user or root, or
/// writable by group or others.
fn owner_and_mode_ok(path: &Path, meta: &fs::Metadata) -> Result<()> {
    let uid = euid();
    if meta.uid() != uid && meta.uid() != 0 {
        return Err(Error::HomeOwner {
            path: path.to_path_buf(),
            owner: meta.uid(),
            uid,
        });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(Error::HomeWritable {
            path: path.to_path_buf(),
            mode: meta.mode() & 0o7777,
        });
    }
    Ok(())
}

/// Refuses a key file that is a link or not a regular file, owned by someone other than the
/// user, or with any permission for group or others (OpenSSH's `sshkey_perm_ok`).
fn key_file_ok(path: &Path, meta: &fs::Metadata) -> Result<()> {
    let path = path.to_path_buf();
    match FileKind::of(meta.file_type()) {
        FileKind::File => {}
        FileKind::Symlink => return Err(Error::KeySymlink { path }),
        kind => return Err(Error::KeyNotRegular { path, kind }),
    }
    let uid = euid();
    if meta.uid() != uid {
        return Err(Error::KeyOwner {
            path,
            owner: meta.uid(),
            uid,
        });
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::KeyPermissions { path, mode });
    }
    Ok(())
}

/// Writes a new secret key file at `path`: `text` goes to a temporary file in `dir` (mode 0600
/// whatever the umask), which is synced and then linked into place only if `path` does not exist,
/// so the key file is never seen incomplete and never replaces another; then `dir` is synced.
fn write_private(dir: &Path, path: &Path, text: &str) -> Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".coi-key")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    // tempfile creates 0600 files, and the umask can only take bits away; set it exactly anyway.
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(path, e))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(path, e))?;
    tmp.persist_noclobber(path)
        .map_err(|e| Error::io(path, e.error))?;
    sync_dir(dir)
}

/// Reads a secret key file of at most 4 KiB, refused as [`key_file_ok`] says.
///
/// The path is looked at first, so that a link, FIFO or device is refused without being opened
/// (opening a FIFO waits for a writer; opening a device may act on it). It is then opened with
/// `O_NOFOLLOW | O_NONBLOCK`, and the descriptor opened is checked again: a file swapped in
/// between is refused too.
fn read_private(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    use rustix::fs::{Mode, OFlags};
    let io = |e: std::io::Error| Error::io(path, e);
    key_file_ok(path, &fs::symlink_metadata(path).map_err(io)?)?;
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(|e| match e {
        rustix::io::Errno::LOOP => Error::KeySymlink {
            path: path.to_path_buf(),
        },
        e => io(e.into()),
    })?;
    let f = File::from(fd);
    let meta = f.metadata().map_err(io)?;
    key_file_ok(path, &meta)?;
    if meta.len() > MAX_KEY_FILE {
        return Err(Error::KeyFile {
            path: path.to_path_buf(),
            reason: "larger than 4 KiB: not a key file".into(),
        });
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    f.take(MAX_KEY_FILE + 1).read_to_end(&mut buf).map_err(io)?;
    Ok(buf)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Writes `path` atomically: the content goes to a temporary file in the same directory, which is
/// synced and renamed over `path`. A crash leaves either the old file or the new one, never a part.
///
/// A symbolic link is written through: its target is replaced and the link kept, so a served
/// file that is a link to the export stays a link to the new one. Anything that is not a regular
/// file (a directory, a FIFO, a device node) is refused rather than replaced by one. An existing
/// file keeps its permissions; a new one is made readable by others (it is meant to be
/// published).
pub fn write_atomic<T>(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(|e| {
            Error::io(
                path,
                std::io::Error::new(
                    e.kind(),
                    format!("a symbolic link whose target cannot be resolved ({e})"),
                ),
            )
        })?,
        _ => path.to_path_buf(),
    };
    let existing = match fs::metadata(&target) {
        Ok(m) if m.is_file() => Some(m.permissions()),
        Ok(m) => {
            return Err(Error::NotARegularFile {
                path: target,
                kind: crate::error::FileKind::of(m.file_type()),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&target, e)),
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".coi-export")
        .tempfile_in(&dir)
        .map_err(|e| Error::io(&dir, e))?;
    let out = {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        let out = write(&mut w)?;
        w.flush().map_err(|e| Error::io(path, e))?;
        out
    };
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.as_file()
        .set_permissions(existing.unwrap_or_else(|| fs::Permissions::from_mode(0o644)))
        .map_err(|e| Error::io(path, e))?;
    tmp.persist(&target).map_err(|e| Error::io(path, e.error))?;
    sync_dir(&dir)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Unencrypted keys only; records the notices.
    #[derive(Default)]
    struct Recorder(RefCell<Vec<HomeNotice>>);

    impl Callbacks for Recorder {
        fn passphrase(&self, _: PassphraseRequest<'_>) -> Result<Zeroizing<String>> {
            Err(Error::Passphrase("no passphrase in this test".into()))
        }
        fn notice(&self, notice: HomeNotice) {
            self.0.borrow_mut().push(notice);
        }
    }

    fn new_home(dir: &tempfile::TempDir, name: &str) -> (Home, MemberId) {
        let home = Home::locate(Some(dir.path().join(name))).unwrap();
        let profile = Profile {
            name: name.into(),
            capacity: None,
            affiliation: None,
        };
        let me = home
            .init(profile, KeyProtection::Unencrypted, &Recorder::default())
            .unwrap();
        (home, me)
    }

    #[test]
    fn an_interrupted_rotation_is_finished_by_the_next_signer() {
        let dir = tempfile::tempdir().unwrap();
        let (home, me) = new_home(&dir, "ada");
        let cb = Recorder::default();
        let mut store = home.open_store().unwrap();
        let old_text = home.read_key().unwrap();
        let rotation = home
            .rotate_key(&mut store, &me, KeyProtection::Unencrypted, &cb)
            .unwrap();
        assert_eq!(store.head(&me).unwrap().unwrap().key, rotation.key);
        let new_text = home.read_key().unwrap();

        // The state a crash between the rotation entry and the rename leaves behind.
        fs::write(home.key_path(), &*old_text).unwrap();
        home.write_pending_key(std::str::from_utf8(&new_text).unwrap())
            .unwrap();
        let key = home.signing_key(&store, &me, &cb).unwrap();
        assert_eq!(key.secret.public(), rotation.key);
        assert_eq!(
            *cb.0.borrow(),
            [HomeNotice::RotationFinished {
                key_file: home.key_path()
            }]
        );
        assert!(!home.pending_key_path().exists());
        assert_eq!(*home.read_key().unwrap(), *new_text);

        // The old key alone no longer signs, and says why.
        fs::write(home.key_path(), &*old_text).unwrap();
        let e = home.signing_key(&store, &me, &cb).unwrap_err();
        assert!(matches!(e, Error::NotCurrentKey { .. }), "{e}");
    }

    #[test]
    fn a_key_file_of_another_member_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (ada, me) = new_home(&dir, "ada");
        let (bob, _) = new_home(&dir, "bob");
        fs::remove_file(ada.key_path()).unwrap();
        ada.write_key(std::str::from_utf8(&bob.read_key().unwrap()).unwrap())
            .unwrap();
        let store = ada.open_store().unwrap();
        let e = ada
            .signing_key(&store, &me, &Recorder::default())
            .unwrap_err();
        assert!(matches!(e, Error::KeyForOtherMember { .. }), "{e}");
    }

    #[test]
    fn a_stale_pending_key_stops_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let (home, me) = new_home(&dir, "ada");
        let mut store = home.open_store().unwrap();
        home.write_pending_key("{}").unwrap();
        let e = home
            .rotate_key(
                &mut store,
                &me,
                KeyProtection::Unencrypted,
                &Recorder::default(),
            )
            .unwrap_err();
        assert!(matches!(e, Error::StalePendingKey { .. }), "{e}");
        assert_eq!(store.head(&me).unwrap().unwrap().seq, 1);
    }
}
