//! `dir` targets: static files served by the gateway itself (Mongrel2's
//! `Dir`, docs/parity/dir.md).
//!
//! A request goes through one step per submodule: [`path`] turns the request
//! path into a checked relative path (route prefix stripped, `..`, encoded
//! slashes, NUL and hidden names refused) without touching the disk; [`open`]
//! canonicalizes it under the base and opens the regular file (on the runtime
//! thread, as nginx does; see there why); [`reply`] evaluates the preconditions ([`conditional`]) and
//! `Range` ([`range`]) and answers, small files from memory and large ones
//! [`stream`]ed in bounded chunks. [`mime`] picks the Content-Type.

pub mod conditional;
pub mod mime;
pub mod open;
pub mod path;
pub mod range;
pub mod reply;
pub mod stream;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use http::{Method, Response};
use tokio_util::task::TaskTracker;

use crate::body::Body;
use crate::config;

/// Why a dir target cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// The base directory does not exist or cannot be resolved.
    #[error("target {target}: base {base:?}: {error}")]
    Base {
        /// The target's name.
        target: String,
        /// The configured base.
        base: PathBuf,
        /// Why it failed.
        error: std::io::Error,
    },
    /// The base exists but is not a directory.
    #[error("target {target}: base {base:?} is not a directory")]
    NotADirectory {
        /// The target's name.
        target: String,
        /// The configured base.
        base: PathBuf,
    },
}

/// A running dir target; cheap to share (the state is behind an `Arc`).
#[derive(Debug, Clone)]
pub struct Dir {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The canonical base directory.
    base: PathBuf,
    index_file: String,
    mime: mime::Table,
}

impl Dir {
    /// Resolves the base (relative bases are relative to the working
    /// directory) so a missing directory fails at startup, not per request.
    pub fn new(
        name: &str,
        config: &config::Dir,
        mimetypes: &BTreeMap<String, String>,
    ) -> Result<Dir, DirError> {
        let base = std::fs::canonicalize(&config.base).map_err(|error| DirError::Base {
            target: name.to_owned(),
            base: config.base.clone(),
            error,
        })?;
        if !base.is_dir() {
            return Err(DirError::NotADirectory {
                target: name.to_owned(),
                base: config.base.clone(),
            });
        }
        Ok(Dir {
            inner: Arc::new(Inner {
                base,
                index_file: config.index_file.clone(),
                mime: mime::Table::new(mimetypes, &config.default_ctype),
            }),
        })
    }

    /// Answers a request routed here by a route whose key is `pattern`;
    /// streamed bodies are read by tasks on `tracker`. Never fails: every
    /// outcome is a response (404, 403, 405, 301, 304, 412, 416, 200, 206).
    pub async fn serve(
        &self,
        parts: &http::request::Parts,
        pattern: &str,
        tracker: &TaskTracker,
    ) -> Response<Body> {
        self.serve_at(parts, pattern, tracker, SystemTime::now())
            .await
    }

    /// [`Dir::serve`] with the current time given (tests).
    pub async fn serve_at(
        &self,
        parts: &http::request::Parts,
        pattern: &str,
        tracker: &TaskTracker,
        now: SystemTime,
    ) -> Response<Body> {
        let head = match parts.method {
            Method::GET => false,
            Method::HEAD => true,
            _ => return reply::method_not_allowed(),
        };
        let relative = match path::resolve(parts.uri.path().as_bytes(), pattern) {
            Ok(relative) => relative,
            Err(e) => {
                tracing::debug!(path = parts.uri.path(), "dir target: {e}");
                return reply::not_found();
            }
        };
        let content_type = match (relative.directory, relative.segments.last()) {
            (false, Some(name)) => self.inner.mime.content_type(name),
            _ => self
                .inner
                .mime
                .content_type(self.inner.index_file.as_bytes()),
        };
        // Inline, not on the blocking pool: see `open` for why.
        match open::open(&self.inner.base, &relative, &self.inner.index_file) {
            Ok(open::Found::File(opened)) => {
                let ask = reply::Ask {
                    headers: &parts.headers,
                    head,
                    content_type,
                    now,
                };
                reply::file(ask, *opened, tracker)
            }
            Ok(open::Found::Directory) => reply::redirect(&parts.uri),
            Err(open::OpenError::NotFound) => reply::not_found(),
            Err(open::OpenError::Forbidden) => reply::forbidden(),
        }
    }
}

#[cfg(test)]
mod tests;
