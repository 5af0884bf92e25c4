//! Why an import failed, and the non-fatal [`Warning`]s for what could not be converted.
//! Errors in a config file carry a [`Pos`] so the message reads `FILE:LINE:COL: ...`.

use std::fmt;
use std::path::PathBuf;

/// A line and column (both from 1) in an m2sh config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Why a Mongrel2 configuration could not be imported at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("{}: cannot read: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// The file is larger than [`MAX_M2SH_BYTES`](super::MAX_M2SH_BYTES).
    #[error("{}: larger than {max} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap.
        max: u64,
    },
    /// The text is not m2sh's language (m2sh would say "SYNTAX ERROR" or "INVALID CHARACTER").
    #[error("{pos}: {message}")]
    Syntax {
        /// Where.
        pos: Pos,
        /// What was expected or found.
        message: String,
    },
    /// The text parses but m2sh would refuse to load it (no `servers`, a port that is a string...).
    #[error("{pos}: {message}")]
    Invalid {
        /// Where.
        pos: Pos,
        /// What is wrong.
        message: String,
    },
    /// The SQLite database could not be read as a Mongrel2 config (`m2sh load` output).
    #[error("{}: {what}: {error}", path.display())]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// What was being read (a table, a query).
        what: String,
        /// What SQLite said.
        error: rusqlite::Error,
    },
    /// A table has more rows than [`MAX_ROWS`](super::MAX_ROWS).
    #[error("{}: {query}: more than {max} rows", path.display())]
    TooManyRows {
        /// The database.
        path: PathBuf,
        /// The query.
        query: String,
        /// The cap.
        max: usize,
    },
    /// The configuration defines no server.
    #[error("no server is defined")]
    NoServer,
    /// `--server` names no server of the configuration.
    #[error("no server named or with uuid {wanted:?} (servers: {available})")]
    UnknownServer {
        /// What `--server` said.
        wanted: String,
        /// The servers there are, `name (uuid)` comma-separated.
        available: String,
    },
    /// An error in a file, with the file named.
    #[error("{}:{}{error}", path.display(), gap(error))]
    InFile {
        /// The file.
        path: PathBuf,
        /// The error (its message starts with `LINE:COL:` for positioned errors).
        error: Box<Error>,
    },
}

impl Error {
    /// A syntax error at `pos`.
    pub(crate) fn syntax(pos: Pos, message: impl Into<String>) -> Error {
        Error::Syntax {
            pos,
            message: message.into(),
        }
    }

    /// A load error at `pos`.
    pub(crate) fn invalid(pos: Pos, message: impl Into<String>) -> Error {
        Error::Invalid {
            pos,
            message: message.into(),
        }
    }

    /// The same error with `path` in front: positioned errors read `FILE:LINE:COL: ...`, others
    /// `FILE: ...`. Errors that already name their file are returned as they are.
    pub(crate) fn in_file(self, path: PathBuf) -> Error {
        match self {
            Error::Read { .. }
            | Error::TooLarge { .. }
            | Error::Sqlite { .. }
            | Error::TooManyRows { .. }
            | Error::InFile { .. } => self,
            other => Error::InFile {
                path,
                error: Box::new(other),
            },
        }
    }

    /// Whether the message starts with `LINE:COL`.
    fn positioned(&self) -> bool {
        matches!(self, Error::Syntax { .. } | Error::Invalid { .. })
    }
}

/// What goes between a file name and a message: nothing before `LINE:COL`, a space otherwise.
fn gap(error: &Error) -> &'static str {
    if error.positioned() {
        ""
    } else {
        " "
    }
}

/// Something the importer could not carry over: printed on stderr, one line each.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// The Mongrel2 object: `Server "main"`, `settings "zeromq.threads"`, `host "x" route "/"`.
    pub object: String,
    /// Why it was not converted, or how it was converted differently.
    pub reason: String,
}

impl Warning {
    /// A warning about `object`.
    pub fn new(object: impl Into<String>, reason: impl Into<String>) -> Warning {
        Warning {
            object: object.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.object, self.reason)
    }
}
