//! The member's home: where the store and the secret key file live, and the file-system rules
//! for them (0700 directory, 0600 key file created with O_EXCL, permission checks on open,
//! atomic writes of published files).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::store::Store;

/// File name of the secret key in a home.
pub const KEY_FILE: &str = "secret-key.json";
/// File name of the store in a home.
pub const STORE_FILE: &str = "store.sqlite";
/// File name of the new key while a key rotation is being made.
pub const PENDING_KEY_FILE: &str = "secret-key.json.new";
/// Largest key file read.
const MAX_KEY_FILE: u64 = 4096;

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
                .ok_or_else(|| {
                    Error::Invalid(
                        "no home directory could be found: pass --home DIR or set COI_HOME".into(),
                    )
                }),
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
