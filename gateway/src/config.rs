//! The gateway's configuration: one TOML file (docs/config.md), read in two steps so that nothing
//! half-checked reaches the server (STYLE.md §9):
//!
//! 1. `raw` — serde reads the file into plain structs; unknown keys, missing keys and wrong types are
//!    rejected here.
//! 2. `validate` — every value is parsed and checked (durations, sizes, endpoints, addresses,
//!    networks, names, patterns) against the named caps and defaults in [`limits`], and references
//!    between sections are resolved (a route's target, the default host).
//!
//! The result, [`Config`], is what `scale0 check` prints as valid and what the server and the
//! [`Router`](crate::routing::Router) are built from. Errors are one [`Error`] type naming the field.
//!
//! ```
//! use scale0_gateway::config::Config;
//! use scale0_gateway::config::UpEndpoints;
//! let endpoints = UpEndpoints {
//!     workers: "tcp://127.0.0.1:5560",
//!     control: "tcp://127.0.0.1:5561",
//!     send_spec: "tcp://127.0.0.1:9997",
//!     recv_spec: "tcp://127.0.0.1:9996",
//! };
//! let text = Config::default_up(6767, &endpoints);
//! let config = Config::from_toml_str(&text).unwrap();
//! assert_eq!(config.default_host().name, "localhost");
//! ```

mod check;
mod cidr;
mod duration;
mod endpoint;
mod error;
mod host;
pub mod limits;
mod listener;
mod mimetypes;
mod raw;
mod target;
mod up;
mod upload;
mod validate;

use std::io::Read;
use std::path::Path;

pub use cidr::Cidr;
pub use endpoint::{Endpoint, EndpointKind};
pub use error::Error;
pub use host::{Host, Route, RouteSettings};
pub use limits::TEMP_STORE_SUFFIX;
pub use listener::{AccessLog, Gateway, Listener};
pub use target::{
    Broker, BrokerHandler, BrokerMode, Dir, Handler, Protocol, Proxy, Service, Target, TargetId,
    TargetKind,
};
pub use up::UpEndpoints;
pub use upload::{Cleanup, SlowClient, UploadStore};

/// A validated configuration. Built only by [`Config::from_toml_str`] or [`Config::load`], so every
/// value in it has passed its checks and every [`TargetId`] points into `targets`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// `[gateway]`: process-wide settings.
    pub gateway: Gateway,
    /// `[[listener]]`: at least one.
    pub listeners: Vec<Listener>,
    /// `[defaults]`: route settings where a route does not override them.
    pub defaults: RouteSettings,
    /// `[[host]]` in config order; exactly one has `default`.
    pub hosts: Vec<Host>,
    /// `[target.NAME]`, sorted by name.
    pub targets: Vec<Target>,
    /// `[broker]`, required when a service target exists.
    pub broker: Option<Broker>,
    /// `[mimetypes]`: Content-Types of `dir` targets by extension (lower case, no leading dot),
    /// over the built-in table.
    pub mimetypes: std::collections::BTreeMap<String, String>,
    /// `[upload]`: where large request bodies are spooled; `None` → 413 for them.
    pub upload: Option<UploadStore>,
}

impl Config {
    /// Parses and validates a config from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Config, Error> {
        let raw: raw::RawConfig = toml::from_str(text).map_err(Error::Toml)?;
        validate::validate(&raw)
    }

    /// Reads, parses and validates a config file; errors name the file. Files larger than
    /// [`limits::MAX_CONFIG_BYTES`] are refused.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, Error> {
        let path = path.as_ref();
        let read_error = |error| Error::Read {
            path: path.to_owned(),
            error,
        };
        let file = std::fs::File::open(path).map_err(read_error)?;
        let mut text = String::new();
        file.take(limits::MAX_CONFIG_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(read_error)?;
        if u64::try_from(text.len()).unwrap_or(u64::MAX) > limits::MAX_CONFIG_BYTES {
            return Err(Error::FileTooLarge {
                path: path.to_owned(),
                max: limits::MAX_CONFIG_BYTES,
            });
        }
        Config::from_toml_str(&text).map_err(|error| Error::InFile {
            path: path.to_owned(),
            error: Box::new(error),
        })
    }

    /// The TOML `scale0 up` runs with when given no file: one listener on `127.0.0.1:http_port`,
    /// host `localhost` (default): `/` and `/echo` to services of an embedded broker, `/handler/`
    /// to a Mongrel2-style handler target, on the given endpoints. Feed it to
    /// [`Config::from_toml_str`], which checks the endpoints.
    pub fn default_up(http_port: u16, endpoints: &UpEndpoints<'_>) -> String {
        up::render(http_port, endpoints)
    }

    /// The host that takes requests no other host matches.
    ///
    /// # Panics
    /// If `hosts` was emptied after validation (a validated config always has a host).
    pub fn default_host(&self) -> &Host {
        self.hosts
            .iter()
            .find(|host| host.default)
            .unwrap_or(&self.hosts[0])
    }

    /// The target a route refers to.
    pub fn target(&self, id: TargetId) -> Option<&Target> {
        self.targets.get(id.index())
    }

    /// The id of the target named `name`.
    pub fn target_id(&self, name: &str) -> Option<TargetId> {
        self.targets
            .binary_search_by(|target| target.name.as_str().cmp(name))
            .ok()
            .map(TargetId)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests panic on failure by design"
)]
mod tests;
