//! Mongrel2's `settings = {...}` (docs/mongrel2-protocol.md §7.2) → Scale0 keys. A setting with an
//! equivalent becomes a key of `[[listener]]`, `[defaults]` or `[gateway]`; every other one is a
//! [`Warning`] saying why it has no equivalent. Values are text (m2sh stores them so).

use crate::config::limits::{MAX_HEADERS, MAX_HEADER_BYTES, MAX_INLINE_BODY_BYTES};

use super::error::Warning;
use super::plan::names::in_chroot;
use super::toml_out::string;

/// Where a converted setting goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `[gateway]`.
    Gateway,
    /// The `[[listener]]`.
    Listener,
    /// `[defaults]`.
    Defaults,
    /// `[upload]`.
    Upload,
}

/// One converted setting: `key = value` in `section`, with the Mongrel2 key as a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The section.
    pub section: Section,
    /// The Scale0 key.
    pub key: &'static str,
    /// The value, already TOML.
    pub value: String,
    /// `settings "<mongrel2 key>"`.
    pub comment: String,
}

/// How a setting's text becomes a TOML value.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A number from `.0` to `.1`.
    Count(u64, u64),
    /// `0` → `false`, any other number → `true` (Mongrel2 reads these as integers).
    Bool,
    /// A string as is.
    Text,
    /// A path inside Mongrel2's chroot that must come out absolute.
    Path,
}

/// Settings with a Scale0 key: Mongrel2 key, section, Scale0 key, value kind.
const MAPPED: &[(&str, Section, &str, Kind)] = &[
    (
        "limits.content_length",
        Section::Defaults,
        "inline_body_bytes",
        Kind::Count(1, MAX_INLINE_BODY_BYTES),
    ),
    (
        "limits.buffer_size",
        Section::Listener,
        "max_header_bytes",
        Kind::Count(1, MAX_HEADER_BYTES),
    ),
    (
        "limits.header_count",
        Section::Listener,
        "max_headers",
        Kind::Count(1, MAX_HEADERS),
    ),
    (
        "upload.stream",
        Section::Defaults,
        "upload_stream",
        Kind::Bool,
    ),
    (
        "download.flow_control",
        Section::Defaults,
        "download_credits",
        Kind::Bool,
    ),
    (
        "upload.temp_store",
        Section::Upload,
        "temp_store",
        Kind::Path,
    ),
    (
        "upload.temp_store_mode",
        Section::Upload,
        "temp_store_mode",
        Kind::Text,
    ),
    (CONTROL_PORT, Section::Gateway, "control_port", Kind::Text),
];

/// The setting Mongrel2 uses when the server row has no `control_port`.
pub const CONTROL_PORT: &str = "control_port";

/// Settings Mongrel2 1.12 reads that have no Scale0 key, and why.
const UNMAPPED: &[(&str, &str)] = &[
    ("zeromq.threads", "Scale0 sizes its ZeroMQ context itself"),
    ("server.daemonize", "Scale0 runs in the foreground; use a service manager"),
    ("limits.client_read_retries", "Scale0 reads request heads asynchronously; listener header_read_timeout bounds a slow client"),
    ("limits.min_ping", "Mongrel2's reaper; Scale0 uses listener keepalive_timeout and header_read_timeout"),
    ("limits.min_read_rate", "Mongrel2's reaper; Scale0 uses listener header_read_timeout"),
    ("limits.min_write_rate", "Mongrel2's reaper; Scale0 uses route idle_timeout"),
    ("limits.kill_limit", "Mongrel2's reaper; no equivalent"),
    ("limits.tick_timer", "Mongrel2's reaper; no equivalent"),
    ("limits.handler_targets", "Scale0 caps conn ids per reply at Mongrel2's 128 (fixed)"),
    ("limits.url_path", "not enforced by Mongrel2 either"),
    ("limits.host_name", "Scale0 caps host names at MAX_HOST_NAME_BYTES (256, fixed)"),
    ("limits.proxy_read_retries", "Mongrel2's proxy internals; no equivalent"),
    ("limits.proxy_read_retry_warn", "Mongrel2's proxy internals; no equivalent"),
    ("limits.dir_max_path", "Mongrel2's Dir internals; no equivalent"),
    ("limits.dir_send_buffer", "Mongrel2's Dir internals; no equivalent"),
    ("limits.mime_ext_len", "Mongrel2's Dir internals; no equivalent"),
    ("limits.connection_stack_size", "coroutine stack size; Scale0 has no coroutines"),
    ("limits.handler_stack", "coroutine stack size; Scale0 has no coroutines"),
    ("limits.fdtask_stack", "coroutine stack size; Scale0 has no coroutines"),
    ("superpoll.max_fd", "poller sizing; Scale0 uses listener max_connections"),
    ("superpoll.hot_dividend", "poller sizing; no equivalent"),
    ("request.relaxed", "Scale0's HTTP parser (hyper) decides which URI bytes it accepts"),
    ("no_clobber_xff", "Scale0 believes X-Forwarded-For only from gateway.trusted_proxies"),
    ("net.tcp_keepalive", "no TCP keep-alive key in Scale0"),
    ("certdir", "Scale0 does not terminate TLS; put a TLS proxy in front"),
    ("ssl_ciphers", "Scale0 does not terminate TLS; put a TLS proxy in front"),
    ("ssl.ca_chain", "Scale0 does not terminate TLS; put a TLS proxy in front"),
    ("ssl.verify_optional", "Scale0 does not terminate TLS; put a TLS proxy in front"),
    ("ssl.verify_required", "Scale0 does not terminate TLS; put a TLS proxy in front"),
];

/// The setting that turns Mongrel2's access log off (handled with `Server(access_log=...)`).
pub const DISABLE_ACCESS_LOG: &str = "disable.access_logging";

/// Converts `settings`; `disable.access_logging` is left to the caller, and `control_port` is
/// skipped when `server_control_port` (the server's own, which Mongrel2 prefers) is set. Paths
/// are placed inside `chroot`.
pub fn convert(
    settings: &[(String, String)],
    chroot: Option<&str>,
    server_control_port: bool,
) -> (Vec<Key>, Vec<Warning>) {
    let mut keys = Vec::new();
    let mut warnings = Vec::new();
    for (name, value) in settings {
        let object = format!("settings {name:?}");
        if name == DISABLE_ACCESS_LOG || (name == CONTROL_PORT && server_control_port) {
            continue;
        }
        if let Some(&(_, section, key, kind)) = MAPPED.iter().find(|m| m.0 == name) {
            match toml_value(kind, value, chroot) {
                Ok(value) => keys.push(Key {
                    section,
                    key,
                    value,
                    comment: object,
                }),
                Err(expected) => warnings.push(Warning::new(
                    object,
                    format!("value {value:?} is not {expected} as {key} needs; not converted"),
                )),
            }
        } else if let Some((_, reason)) = UNMAPPED.iter().find(|u| u.0 == name) {
            warnings.push(Warning::new(object, format!("not converted: {reason}")));
        } else {
            warnings.push(Warning::new(
                object,
                "not converted: not a setting Mongrel2 1.12 reads",
            ));
        }
    }
    (keys, warnings)
}

/// `value` as TOML for `kind`; `Err` says what was expected.
fn toml_value(kind: Kind, value: &str, chroot: Option<&str>) -> Result<String, String> {
    match kind {
        Kind::Count(min, max) => match value.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
            _ => Err(format!("a number from {min} to {max}")),
        },
        Kind::Bool => match value.trim().parse::<u64>() {
            Ok(n) => Ok((n != 0).to_string()),
            Err(_) => Err("a number (0 = off)".to_owned()),
        },
        Kind::Text if !value.is_empty() => Ok(string(value)),
        Kind::Path if !value.is_empty() => {
            let path = in_chroot(chroot, value);
            if path.starts_with('/') {
                Ok(string(&path))
            } else {
                Err(format!(
                    "an absolute path once placed in the chroot (it reads {path:?})"
                ))
            }
        }
        Kind::Text | Kind::Path => Err("a non-empty text".to_owned()),
    }
}

/// Whether `settings` turn the access log off (`disable.access_logging` other than `0`).
pub fn access_log_disabled(settings: &[(String, String)]) -> bool {
    settings
        .iter()
        .any(|(name, value)| name == DISABLE_ACCESS_LOG && value.trim() != "0")
}

#[cfg(test)]
mod tests;
