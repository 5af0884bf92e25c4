//! The disk side of a dir target: from a checked [`Relative`] path to an open
//! regular file inside the base, in one blocking call.
//!
//! It runs on the runtime thread serving the request, as nginx runs its
//! `open`/`fstat`/`read` on its event loop: for page-cached files these are a
//! few microseconds, and a hop to tokio's blocking pool cost 4× the
//! throughput (10.8k vs 43k req/s for a 4 KiB file, docs/benchmarks.md). The
//! price: a slow file system (NFS, a failing disk) stalls that runtime
//! thread, so serve static files from local disk. Large files are then
//! streamed through `tokio::fs` ([`super::stream`]), off the runtime thread.
//!
//! The joined path is canonicalized (symlinks resolved, as Mongrel2 does with
//! `realpath`) and must stay inside the canonical base: symlinks within the
//! base are followed, symlinks leading out of it answer 404. Only regular
//! files are opened (a FIFO would block the reader, a device is never
//! content), and the type is checked again on the open descriptor. Files up
//! to [`INLINE_MAX`] are read at once; larger ones are streamed by the caller.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;

use bytes::Bytes;

use super::path::Relative;

/// Files up to this size are read in the same blocking call and sent as one
/// buffer; larger files are streamed in chunks.
pub const INLINE_MAX: u64 = 64 * 1024;

/// An open file ready to serve.
#[derive(Debug)]
pub struct Opened {
    /// Its metadata, taken from the open descriptor.
    pub meta: Metadata,
    /// Its bytes, or the descriptor to stream them from.
    pub content: Content,
}

/// Where the bytes of an [`Opened`] file come from.
#[derive(Debug)]
pub enum Content {
    /// The whole file (at most [`INLINE_MAX`] bytes).
    Inline(Bytes),
    /// A larger file, read by the streaming task.
    Stream(File),
}

/// What the path names.
#[derive(Debug)]
pub enum Found {
    /// A regular file (boxed: its metadata is large).
    File(Box<Opened>),
    /// A directory asked for without the trailing `/`: redirect (301).
    Directory,
}

/// Why nothing can be served.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Missing, outside the base, or not a regular file (404).
    #[error("not found")]
    NotFound,
    /// The gateway may not read it (403).
    #[error("permission denied")]
    Forbidden,
}

/// Resolves `relative` under `base` (canonical), adding `index_file` when a
/// directory was asked for, and opens the file.
pub fn open(base: &Path, relative: &Relative, index_file: &str) -> Result<Found, OpenError> {
    let mut joined = base.join(relative.to_path());
    if relative.directory {
        joined.push(index_file);
    }
    let canonical = std::fs::canonicalize(&joined).map_err(classify)?;
    if !canonical.starts_with(base) {
        return Err(OpenError::NotFound);
    }
    let meta = std::fs::metadata(&canonical).map_err(classify)?;
    if meta.is_dir() && !relative.directory {
        return Ok(Found::Directory);
    }
    if !meta.is_file() {
        return Err(OpenError::NotFound);
    }
    let mut file = File::open(&canonical).map_err(classify)?;
    let meta = file.metadata().map_err(classify)?;
    if !meta.is_file() {
        return Err(OpenError::NotFound);
    }
    let content = if meta.len() <= INLINE_MAX {
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.by_ref()
            .take(INLINE_MAX)
            .read_to_end(&mut bytes)
            .map_err(classify)?;
        if u64::try_from(bytes.len()).ok() != Some(meta.len()) {
            // Changed while we read it: Content-Length would be wrong.
            return Err(OpenError::NotFound);
        }
        Content::Inline(Bytes::from(bytes))
    } else {
        Content::Stream(file)
    };
    Ok(Found::File(Box::new(Opened { meta, content })))
}

/// Maps an IO error to the client's answer: unreadable is 403, anything else
/// (missing, not a directory, loops, vanished) 404.
fn classify(e: io::Error) -> OpenError {
    if e.kind() == io::ErrorKind::PermissionDenied {
        OpenError::Forbidden
    } else {
        tracing::debug!("dir target: {e}");
        OpenError::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::dir::path::resolve;
    use std::os::unix::fs::symlink;

    struct Site {
        _root: tempfile::TempDir,
        base: std::path::PathBuf,
    }

    fn site() -> Site {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().join("site");
        std::fs::create_dir_all(base.join("sub")).unwrap();
        std::fs::create_dir_all(base.join("empty")).unwrap();
        std::fs::write(base.join("a.txt"), "hello\n").unwrap();
        std::fs::write(base.join("index.html"), "<h1>i</h1>").unwrap();
        std::fs::write(base.join("sub/index.html"), "sub").unwrap();
        std::fs::write(root.path().join("secret.txt"), "secret").unwrap();
        std::fs::write(base.join("big.bin"), vec![7u8; 100_000]).unwrap();
        symlink(root.path().join("secret.txt"), base.join("out")).unwrap();
        symlink(root.path(), base.join("outdir")).unwrap();
        symlink("a.txt", base.join("in")).unwrap();
        let base = std::fs::canonicalize(base).unwrap();
        Site { _root: root, base }
    }

    fn get(site: &Site, path: &str) -> Result<Found, OpenError> {
        open(
            &site.base,
            &resolve(path.as_bytes(), "/").unwrap(),
            "index.html",
        )
    }

    fn inline(found: Result<Found, OpenError>) -> Vec<u8> {
        match found {
            Ok(Found::File(opened)) => match opened.content {
                Content::Inline(b) => b.to_vec(),
                Content::Stream(_) => panic!("expected an inline file"),
            },
            other => panic!("expected an inline file, got {other:?}"),
        }
    }

    #[test]
    fn files_and_index_files_are_read() {
        let s = site();
        assert_eq!(inline(get(&s, "/a.txt")), b"hello\n");
        assert_eq!(inline(get(&s, "/")), b"<h1>i</h1>");
        assert_eq!(inline(get(&s, "/sub/")), b"sub");
    }

    #[test]
    fn directories_without_slash_redirect_and_without_index_are_404() {
        let s = site();
        assert!(matches!(get(&s, "/sub"), Ok(Found::Directory)));
        assert!(matches!(get(&s, "/empty/"), Err(OpenError::NotFound)));
        assert!(matches!(get(&s, "/a.txt/"), Err(OpenError::NotFound)));
        assert!(matches!(get(&s, "/missing"), Err(OpenError::NotFound)));
    }

    #[test]
    fn symlinks_inside_are_followed_and_outside_are_404() {
        let s = site();
        assert_eq!(inline(get(&s, "/in")), b"hello\n");
        assert!(matches!(get(&s, "/out"), Err(OpenError::NotFound)));
        assert!(matches!(
            get(&s, "/outdir/secret.txt"),
            Err(OpenError::NotFound)
        ));
        assert_eq!(
            inline(get(&s, "/outdir/site/a.txt")),
            b"hello\n",
            "a detour that lands back inside the base is inside"
        );
    }

    #[test]
    fn special_files_are_404_and_never_opened() {
        let s = site();
        let fifo = s.base.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        assert!(matches!(get(&s, "/fifo"), Err(OpenError::NotFound)));
    }

    #[test]
    fn large_files_are_streamed_not_read() {
        let s = site();
        match get(&s, "/big.bin") {
            Ok(Found::File(o)) => {
                assert_eq!(o.meta.len(), 100_000);
                assert!(matches!(o.content, Content::Stream(_)));
            }
            other => panic!("{other:?}"),
        }
    }
}
