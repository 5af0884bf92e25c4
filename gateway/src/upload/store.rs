//! Temp files for large request bodies, made like Mongrel2's `mkstemp(upload.temp_store)`: the
//! template's trailing `XXXXXX` replaced by random characters, created exclusively, then
//! chmod'ed to `temp_store_mode`. A [`TempFile`] deletes its file when dropped unless
//! [`TempFile::keep`] was called: every failure path cleans up by just returning.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use std::ffi::OsStr;

use crate::config::{UploadStore, TEMP_STORE_SUFFIX};

/// Names tried before giving up when the random names collide with existing files.
pub const MAX_CREATE_ATTEMPTS: usize = 16;

/// Characters of the random suffix, as glibc's `mkstemp` uses.
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A temp file that is deleted when dropped, unless kept.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    /// Creates a new file from `store`'s template, open for writing.
    pub async fn create(store: &UploadStore) -> io::Result<(TempFile, tokio::fs::File)> {
        for _ in 0..MAX_CREATE_ATTEMPTS {
            let path = candidate(&store.template, &uuid::Uuid::new_v4().into_bytes());
            let opened = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(store.mode)
                .open(&path)
                .await;
            match opened {
                Ok(file) => {
                    let temp = TempFile { path, keep: false };
                    // open() applies the umask; Mongrel2 chmods, so the mode is exact.
                    let permissions = std::fs::Permissions::from_mode(store.mode);
                    tokio::fs::set_permissions(&temp.path, permissions).await?;
                    return Ok((temp, file));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temp file name after MAX_CREATE_ATTEMPTS tries",
        ))
    }

    /// The file's path, as handlers are told it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as the bytes of an `x-mongrel2-upload-*` value.
    pub fn path_bytes(&self) -> Vec<u8> {
        self.path.as_os_str().as_bytes().to_vec()
    }

    /// Leaves the file to the handler (Mongrel2's behaviour on success).
    pub fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            // The handler moved or deleted it: nothing left to clean.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %self.path.display(), "cannot delete upload temp file: {e}")
            }
        }
    }
}

/// Files of the template older than this are left-overs of a gateway that stopped mid-upload:
/// an upload in progress writes at least every `idle_timeout` (at most a day, `MAX_DURATION`).
pub const STALE_UPLOAD_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Deletes files made from `store`'s template whose last write is older than `max_age` at `now`
/// (run at start); returns how many. Only with `cleanup = "after_reply"`: with `"never"` the
/// files belong to the handlers. Errors (unreadable directory) are logged, not fatal.
pub fn sweep(
    store: &UploadStore,
    max_age: std::time::Duration,
    now: std::time::SystemTime,
) -> usize {
    if store.cleanup != crate::config::Cleanup::AfterReply {
        return 0;
    }
    let (Some(dir), Some(name)) = (store.template.parent(), store.template.file_name()) else {
        return 0;
    };
    let prefix = name
        .as_bytes()
        .strip_suffix(TEMP_STORE_SUFFIX.as_bytes())
        .unwrap_or_default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), "cannot sweep upload temp files: {e}");
            return 0;
        }
    };
    let mut swept = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let ours = file_name
            .as_bytes()
            .strip_prefix(prefix)
            .is_some_and(|rest| {
                rest.len() == TEMP_STORE_SUFFIX.len() && rest.iter().all(|b| ALPHABET.contains(b))
            });
        let stale = entry
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > max_age);
        if ours && stale && std::fs::remove_file(entry.path()).is_ok() {
            swept += 1;
        }
    }
    if swept > 0 {
        tracing::info!(dir = %dir.display(), swept, "deleted stale upload temp files");
    }
    swept
}

/// The template with its `XXXXXX` replaced by characters picked by `random`.
fn candidate(template: &Path, random: &[u8; 16]) -> PathBuf {
    let bytes = template.as_os_str().as_bytes();
    let prefix = bytes
        .strip_suffix(TEMP_STORE_SUFFIX.as_bytes())
        .unwrap_or(bytes);
    let mut name = prefix.to_vec();
    name.extend(
        random
            .iter()
            .take(TEMP_STORE_SUFFIX.len())
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()]),
    );
    PathBuf::from(OsStr::from_bytes(&name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Cleanup;

    fn store(dir: &Path, mode: u32) -> UploadStore {
        UploadStore {
            template: dir.join("up.XXXXXX"),
            mode,
            cleanup: Cleanup::AfterReply,
        }
    }

    #[test]
    fn candidates_replace_the_suffix_only() {
        let template = PathBuf::from("/tmp/m2.upload.XXXXXX");
        let path = candidate(&template, &[0; 16]);
        assert_eq!(path, PathBuf::from("/tmp/m2.upload.AAAAAA"));
        let other = candidate(&template, &[61; 16]);
        assert_eq!(other, PathBuf::from("/tmp/m2.upload.999999"));
    }

    #[tokio::test]
    async fn files_get_the_configured_mode_and_vanish_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, _file) = TempFile::create(&store(dir.path(), 0o640)).await.unwrap();
        let path = temp.path().to_owned();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o640);
        assert!(path.starts_with(dir.path()));
        drop(temp);
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn kept_files_stay_for_the_handler() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, _file) = TempFile::create(&store(dir.path(), 0o600)).await.unwrap();
        let path = temp.path().to_owned();
        temp.keep();
        assert!(path.exists());
    }

    #[test]
    fn only_stale_files_of_the_template_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["up.AAAAAA", "up.bbbbbb", "other.AAAAAA", "up.AAAAAAA"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let later = std::time::SystemTime::now() + STALE_UPLOAD_AGE * 2;
        let store = store(dir.path(), 0o600);
        assert_eq!(
            sweep(&store, STALE_UPLOAD_AGE, std::time::SystemTime::now()),
            0,
            "fresh"
        );
        assert_eq!(sweep(&store, STALE_UPLOAD_AGE, later), 2);
        assert!(dir.path().join("other.AAAAAA").exists());
        assert!(dir.path().join("up.AAAAAAA").exists());
        let never = UploadStore {
            cleanup: Cleanup::Never,
            ..store
        };
        std::fs::write(dir.path().join("up.CCCCCC"), b"x").unwrap();
        assert_eq!(
            sweep(&never, STALE_UPLOAD_AGE, later),
            0,
            "handlers own them"
        );
    }

    #[tokio::test]
    async fn a_missing_directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert!(TempFile::create(&store(&missing, 0o600)).await.is_err());
    }
}
