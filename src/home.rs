//! The member's home: where the store and the secret key file live, the file-system rules for
//! them (0700 directory, 0600 key file created with O_EXCL, permission checks on open, atomic
//! writes of published files), and the signer protocol: which key signs for the home, how a key
//! rotation is made so that no crash loses the chain's current key, and what an import shows
//! about the home's own chain.
//!
//! Prompting stays with the caller: the protocols ask a [`Callbacks`] for passphrases and tell it
//! what they did on their own, as age's `Callbacks` do.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The wrapper that wipes passphrases from memory when dropped; [`Callbacks`] return it.
pub use zeroize::Zeroizing;

use crate::display::escape;
use crate::entry::{Data, Entry, Profile};
use crate::error::{Error, Result};
use crate::keys::{KdfParams, KeyFile, KeyFileError, MemberId, PublicKey, SecretKey};
use crate::store::{ImportReport, Store};

/// File name of the secret key in a home.
pub const KEY_FILE: &str = "secret-key.json";
/// File name of the store in a home.
pub const STORE_FILE: &str = "store.sqlite";
/// File name of the new key while a key rotation is being made.
pub const PENDING_KEY_FILE: &str = "secret-key.json.new";
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
#[derive(Debug, Clone)]
pub struct Home {
    dir: PathBuf,
}

impl Home {
    /// The home at `dir`, or the platform's default (`$XDG_DATA_HOME/coi-ledger` on Linux).
    pub fn locate(dir: Option<PathBuf>) -> Result<Home> {
        match dir {
            Some(d) if !d.as_os_str().is_empty() => Ok(Home { dir: d }),
            _ => dirs::data_dir()
                .map(|d| Home {
                    dir: d.join("coi-ledger"),
                })
                .ok_or(Error::NoHomeDirectory),
        }
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

    /// Creates the directory (mode 0700) if needed. Refuses a home that already has a key.
    pub fn create(&self) -> Result<()> {
        if self.key_path().exists() {
            return Err(Error::AlreadyInitialised(format!(
                "{} already has an identity ({}); use another --home to create a new one",
                self.dir.display(),
                KEY_FILE
            )));
        }
        fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(&self.dir, e))?;
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

    /// Reads the secret key file, refusing one readable by group or others.
    pub fn read_key(&self) -> Result<Zeroizing<Vec<u8>>> {
        read_private(&self.key_path()).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Error::NoIdentity(format!(
                    "no identity in {}: run `coi init --name NAME` first (or pass --home DIR)",
                    self.dir.display()
                ))
            }
            other => other,
        })
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

    /// Opens the home's store; the home must exist.
    pub fn open_store(&self) -> Result<Store> {
        let path = self.store_path();
        if !path.exists() {
            return Err(Error::NoIdentity(format!(
                "no coi home at {}: run `coi init --name NAME` (or pass --home DIR / set COI_HOME)",
                self.dir.display()
            )));
        }
        Store::open(&path)
    }

    /// Creates the store of a new home.
    pub fn create_store(&self) -> Result<Store> {
        Store::open(&self.store_path())
    }
}

/// The signer protocol.
impl Home {
    /// Creates the home: the directory, a new key (protected as `protection` says), the store
    /// naming its member, and the member's first entry, the `profile`. Returns the new member id.
    ///
    /// The key file is written before the store names its member, so a crash never leaves a store
    /// whose member's key exists nowhere.
    pub fn init(
        &self,
        profile: Profile,
        protection: KeyProtection,
        callbacks: &dyn Callbacks,
    ) -> Result<MemberId> {
        let profile = Data::Profile(profile);
        profile.validate()?;
        let pass = new_passphrase(protection, callbacks)?;
        self.create()?;
        let secret = SecretKey::generate();
        let member = secret.public().member_id();
        let kf = KeyFile { member, secret };
        let text = encode_key(&kf, pass.as_ref())?;
        let mut store = self.create_store()?;
        if let Some(existing) = store.identity()? {
            return Err(Error::AlreadyInitialised(format!(
                "the store in {} already belongs to member {}",
                self.dir.display(),
                existing.fingerprint()
            )));
        }
        self.write_key(&text)?;
        store.set_identity(&member)?;
        store.append(&kf.secret, &member, profile)?;
        Ok(member)
    }

    /// The member this home's store belongs to.
    pub fn member(&self, store: &Store) -> Result<MemberId> {
        store.identity()?.ok_or_else(|| {
            Error::NoIdentity(format!(
                "the store in {} has no identity: run `coi init --name NAME`",
                self.dir.display()
            ))
        })
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
        let key = self.load_key(callbacks)?;
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

/// Creates `path` exclusively with mode 0600 (whatever the umask), writes `text` and syncs it and
/// its directory.
fn write_private(dir: &Path, path: &Path, text: &str) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    // The mode argument is filtered by the umask only by removing bits; set it exactly anyway.
    f.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(path, e))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(path, e))?;
    sync_dir(dir)
}

/// Reads a secret key file, refusing one readable by group or others or larger than 4 KiB.
fn read_private(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let path = path.to_path_buf();
    let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
    // Check the permissions of the file actually opened, not of whatever the path names now.
    let meta = f.metadata().map_err(|e| Error::io(&path, e))?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::KeyPermissions { path, mode });
    }
    if !meta.is_file() || meta.len() > MAX_KEY_FILE {
        return Err(Error::KeyFile {
            path,
            reason: "not a regular file of at most 4 KiB".into(),
        });
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    f.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(&path, e))?;
    Ok(buf)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Writes `path` atomically: the content goes to a temporary file in the same directory, which is
/// synced and renamed over `path`. A crash leaves either the old file or the new one, never a part.
pub fn write_atomic<T>(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    let dir = match path.parent() {
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
    // Published files are meant to be read by others.
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o644))
        .map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
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
