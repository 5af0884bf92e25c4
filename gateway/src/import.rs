//! `scale0 import-mongrel2`: converts a Mongrel2 1.12 configuration into Scale0's TOML
//! (docs/import-mongrel2.md).
//!
//! The input is either an m2sh config file (`main = Server(...)`, `servers = [main]`) or the SQLite
//! database `m2sh load` writes from one (recognised by the SQLite magic header). Both are read into
//! one model (`model`) — `lexer`, `parser` and `conf` for files, `sqlite` for databases — so the
//! two give the same TOML. `plan` picks the targets and route order, `writer` writes the
//! text, `settings` maps Mongrel2 settings. What has no Scale0 equivalent is a [`Warning`]; only
//! unreadable input is an [`Error`].
//!
//! ```
//! use scale0_gateway::import::{import_m2sh, Options};
//! let conf = r#"
//!     app = Handler(send_spec='tcp://127.0.0.1:9997', send_ident='app',
//!                   recv_spec='tcp://127.0.0.1:9996', recv_ident='')
//!     main = Server(uuid="main-1", name="main", port=6767, default_host="localhost",
//!                   hosts=[Host(name="localhost", routes={'/': app})])
//!     servers = [main]
//! "#;
//! let imported = import_m2sh(conf, &Options::default()).unwrap();
//! assert!(imported.toml.contains("[target.root]"));
//! assert!(imported.check.is_ok());
//! ```

use std::io::Read;
use std::path::Path;

mod conf;
mod error;
mod lexer;
mod model;
mod parser;
mod plan;
mod settings;
mod sqlite;
mod toml_out;
mod writer;

pub use error::{Error, Pos, Warning};
pub use lexer::MAX_NUMBER_DIGITS;
pub use parser::MAX_NESTING;
pub use sqlite::MAX_ROWS;

/// Largest m2sh file read (1 MiB, as `config::limits::MAX_CONFIG_BYTES`); real ones are a few KiB.
pub const MAX_M2SH_BYTES: u64 = crate::config::limits::MAX_CONFIG_BYTES;

/// What to convert.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The server to convert, by name or uuid, when several are defined; `None`: the first of
    /// `servers = [...]` (database: lowest id).
    pub server: Option<String>,
}

/// A converted configuration.
#[derive(Debug)]
pub struct Imported {
    /// The TOML text.
    pub toml: String,
    /// What was not converted, one line each.
    pub warnings: Vec<Warning>,
    /// Whether the TOML passes `scale0 check` (it may not when Mongrel2 accepted something Scale0
    /// refuses, such as two handlers on one endpoint or a Dir base without a trailing `/`).
    pub check: Result<(), crate::config::Error>,
}

/// Converts the file at `path`: an SQLite database if it starts with SQLite's magic header, else an
/// m2sh config file. Errors name the file (`FILE:LINE:COL: ...` for syntax errors).
pub fn import_file(path: &Path, options: &Options) -> Result<Imported, Error> {
    let read_error = |error| Error::Read {
        path: path.to_owned(),
        error,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_M2SH_BYTES.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    let site = if bytes.starts_with(sqlite::MAGIC) {
        sqlite::load(path)?
    } else {
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_M2SH_BYTES {
            return Err(Error::TooLarge {
                path: path.to_owned(),
                max: MAX_M2SH_BYTES,
            });
        }
        read_m2sh(&String::from_utf8_lossy(&bytes)).map_err(|e| e.in_file(path.to_owned()))?
    };
    convert(&site, options).map_err(|e| e.in_file(path.to_owned()))
}

/// Converts m2sh config text (errors read `LINE:COL: ...`).
pub fn import_m2sh(text: &str, options: &Options) -> Result<Imported, Error> {
    convert(&read_m2sh(text)?, options)
}

/// Parses and loads m2sh text into the model.
fn read_m2sh(text: &str) -> Result<model::Site, Error> {
    let tokens = lexer::tokenize(text)?;
    let file = parser::parse(&tokens)?;
    conf::load(&file)
}

/// The model → TOML, warnings and the check result.
fn convert(site: &model::Site, options: &Options) -> Result<Imported, Error> {
    let (server, picked) = site.pick(options.server.as_deref())?;
    let plan = plan::plan(server);
    let (toml, server_warnings) = writer::write(site, server, &plan);
    let warnings = picked
        .into_iter()
        .chain(site.skipped.iter().cloned())
        .chain(server_warnings)
        .chain(plan.warnings)
        .collect();
    let check = crate::config::Config::from_toml_str(&toml).map(drop);
    Ok(Imported {
        toml,
        warnings,
        check,
    })
}

#[cfg(test)]
mod tests;
