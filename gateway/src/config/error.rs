//! The one error type of config loading and validation. Every variant names the field at fault as a
//! path an operator can find in the file (`listener[0].max_headers`, `target.app.send_spec`,
//! `host "example.com" route "/api"`), and [`Error::InFile`] adds the file.

use std::path::PathBuf;

use crate::routing::pattern::PatternError;

/// Why a configuration was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("{}: cannot read config: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said (in the message, so not a `source`).
        error: std::io::Error,
    },
    /// The file is bigger than [`MAX_CONFIG_BYTES`](super::limits::MAX_CONFIG_BYTES).
    #[error("{}: config file is larger than {max} bytes", path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The cap.
        max: u64,
    },
    /// A file's content was rejected; `error` says why.
    #[error("{}: {error}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// The rejection (not a `source`, since this message already includes it).
        error: Box<Error>,
    },
    /// Not TOML, an unknown key, a missing key or a value of the wrong type; the TOML error names the
    /// line and key (in the message, so not a `source`).
    #[error("invalid config: {0}")]
    Toml(toml::de::Error),
    /// A duration that is not `<number><ms|s|m|h>` or is out of range.
    #[error("{field}: invalid duration {value:?}: {reason}")]
    Duration {
        /// The field at fault.
        field: String,
        /// The value as written.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A size that is not `<number>[B|KiB|MiB|GiB]`.
    #[error("{field}: invalid size {value:?}: {reason}")]
    Size {
        /// The field at fault.
        field: String,
        /// The value as written.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A number (count, size, duration in ms) outside its allowed range.
    #[error("{field}: {value} is out of range (allowed {min} to {max})")]
    OutOfRange {
        /// The field at fault.
        field: String,
        /// The value (sizes in bytes, durations in milliseconds).
        value: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A list with more entries than its cap.
    #[error("{field}: {count} entries, at most {max} allowed")]
    TooMany {
        /// The field at fault.
        field: String,
        /// Entries found.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// A malformed ZeroMQ endpoint.
    #[error("{field}: invalid ZeroMQ endpoint {value:?}: {reason}")]
    Endpoint {
        /// The field at fault.
        field: String,
        /// The value as written.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A listener address that is not `IP:PORT`.
    #[error("{field}: invalid socket address {value:?} (expected IP:PORT, e.g. 127.0.0.1:6767)")]
    Address {
        /// The field at fault.
        field: String,
        /// The value as written.
        value: String,
    },
    /// A trusted proxy that is not an IP address or network.
    #[error("{field}: invalid IP network {value:?}: {reason}")]
    Cidr {
        /// The field at fault.
        field: String,
        /// The value as written.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A name, identity, path, URL or other text value that breaks its rules.
    #[error("{field}: invalid value {value:?}: {reason}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// The value as written.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A route path or host `matching` whose pattern part does not compile.
    #[error("{field}: invalid pattern {value:?}: {error}")]
    Pattern {
        /// The field at fault.
        field: String,
        /// The value as written.
        value: String,
        /// What is wrong with the pattern (in the message, so not a `source`).
        error: PatternError,
    },
    /// A route names a target that is not defined.
    #[error("host {host:?} route {route:?}: unknown target {target:?}")]
    UnknownTarget {
        /// The host's name.
        host: String,
        /// The route's path.
        route: String,
        /// The missing target name.
        target: String,
    },
    /// Two entries share what must be unique (host name, host matching, route path in a host,
    /// listener address, bound endpoint).
    #[error("{field}: duplicate {what} {value:?}")]
    Duplicate {
        /// The second occurrence.
        field: String,
        /// What must be unique.
        what: &'static str,
        /// The repeated value.
        value: String,
    },
    /// No `[[listener]]`.
    #[error("no [[listener]] is configured")]
    NoListener,
    /// No `[[host]]`.
    #[error("no [[host]] is configured")]
    NoHost,
    /// A host without any route would answer 404 to everything.
    #[error("host {host:?} has no [[host.route]]")]
    NoRoutes {
        /// The host's name.
        host: String,
    },
    /// Several hosts and none marked `default = true`.
    #[error("{count} hosts are configured but none has default = true")]
    NoDefaultHost {
        /// How many hosts there are.
        count: usize,
    },
    /// More than one host marked `default = true`.
    #[error("hosts {first:?} and {second:?} both have default = true")]
    SeveralDefaultHosts {
        /// The first default host.
        first: String,
        /// The second one.
        second: String,
    },
    /// A `service` target needs the `[broker]` section.
    #[error("target.{target}: type \"service\" needs a [broker] section")]
    MissingBroker {
        /// The target's name.
        target: String,
    },
    /// `proxy_protocol = true` while no proxy is trusted, so no PROXY header could be honoured.
    #[error("{field}: proxy_protocol = true needs gateway.trusted_proxies")]
    UntrustedProxyProtocol {
        /// The listener's field.
        field: String,
    },
}
