//! `[gateway]` and `[[listener]]`: process-wide settings and the HTTP sockets with their per-connection
//! limits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::check::{self, field, Zero};
use super::cidr::Cidr;
use super::endpoint::Endpoint;
use super::limits::*;
use super::raw::{RawGateway, RawListener};
use super::Error;

/// Process-wide settings (`[gateway]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// The UUID field of requests this gateway sends (Mongrel2's sender); `None` = a random UUID v4
    /// chosen at each start.
    pub sender_id: Option<String>,
    /// Tokio worker threads; 0 = one per core.
    pub worker_threads: usize,
    /// Where access log lines go.
    pub access_log: AccessLog,
    /// Peers whose `X-Forwarded-For` or PROXY header is believed for the client address.
    pub trusted_proxies: Vec<Cidr>,
    /// How long in-flight requests may finish after a stop signal.
    pub shutdown_grace: Duration,
    /// Where Mongrel2's control port (a REP socket) binds; `None` = no control port.
    pub control_port: Option<Endpoint>,
}

/// Destination of the access log (`gateway.access_log`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessLog {
    /// `"off"`: no access log.
    Off,
    /// `"stdout"`: to standard output.
    Stdout,
    /// Any other value: appended to this file.
    File(PathBuf),
}

/// One HTTP listening socket and its connection limits (`[[listener]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// Address to bind; port 0 lets the OS choose (tests).
    pub bind: SocketAddr,
    /// Expect a PROXY v1/v2 header, honoured only from `trusted_proxies`.
    pub proxy_protocol: bool,
    /// Open connections beyond which new ones get a 503 and are closed.
    pub max_connections: usize,
    /// Serve h2c with prior knowledge alongside HTTP/1.1.
    pub http2: bool,
    /// Time a client has to send a complete request head.
    pub header_read_timeout: Duration,
    /// How long an idle keep-alive connection stays open.
    pub keepalive_timeout: Duration,
    /// How long a write to the client may stay blocked before the connection is dropped.
    pub send_timeout: Duration,
    /// Largest request head in bytes; beyond it the answer is 431.
    pub max_header_bytes: usize,
    /// Most header fields in a request; beyond it the answer is 431.
    pub max_headers: usize,
}

impl Gateway {
    /// Validates `[gateway]`.
    pub(crate) fn from_raw(raw: &RawGateway) -> Result<Gateway, Error> {
        let scope = "gateway";
        let sender_id = raw
            .sender_id
            .as_deref()
            .map(|id| check::ident(field(scope, "sender_id"), id, false))
            .transpose()?;
        let worker_threads = check::count(
            field(scope, "worker_threads"),
            raw.worker_threads,
            0,
            0,
            MAX_WORKER_THREADS,
        )?;
        let access_log = match raw.access_log.as_deref() {
            None | Some("off") => AccessLog::Off,
            Some("stdout") => AccessLog::Stdout,
            Some(path) => AccessLog::File(
                check::text(field(scope, "access_log"), path, MAX_TEXT_BYTES)?.into(),
            ),
        };
        let proxies_field = field(scope, "trusted_proxies");
        check::at_most(
            &proxies_field,
            raw.trusted_proxies.len(),
            MAX_TRUSTED_PROXIES,
        )?;
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .enumerate()
            .map(|(i, text)| {
                Cidr::parse(text).map_err(|reason| Error::Cidr {
                    field: format!("{proxies_field}[{i}]"),
                    value: text.clone(),
                    reason,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Gateway {
            sender_id,
            worker_threads: check::to_usize(field(scope, "worker_threads"), worker_threads)?,
            access_log,
            trusted_proxies,
            shutdown_grace: check::duration(
                field(scope, "shutdown_grace"),
                raw.shutdown_grace.as_ref(),
                DEFAULT_SHUTDOWN_GRACE,
                Zero::Allowed,
            )?,
            control_port: raw
                .control_port
                .as_deref()
                .map(|spec| check::endpoint(field(scope, "control_port"), spec))
                .transpose()?,
        })
    }
}

impl Listener {
    /// Validates one `[[listener]]`; `scope` is its path, e.g. `listener[0]`.
    pub(crate) fn from_raw(scope: &str, raw: &RawListener) -> Result<Listener, Error> {
        let bind = raw.bind.parse().map_err(|_| Error::Address {
            field: field(scope, "bind"),
            value: raw.bind.clone(),
        })?;
        let usize_count = |key: &str, value: Option<u64>, default: u64, max: u64| {
            let checked = check::count(field(scope, key), value, default, 1, max)?;
            check::to_usize(field(scope, key), checked)
        };
        let max_header_bytes = check::size(
            field(scope, "max_header_bytes"),
            raw.max_header_bytes.as_ref(),
            DEFAULT_MAX_HEADER_BYTES,
            MAX_HEADER_BYTES,
        )?;
        Ok(Listener {
            bind,
            proxy_protocol: raw.proxy_protocol.unwrap_or(false),
            max_connections: usize_count(
                "max_connections",
                raw.max_connections,
                DEFAULT_MAX_CONNECTIONS,
                MAX_CONNECTIONS,
            )?,
            http2: raw.http2.unwrap_or(true),
            header_read_timeout: check::duration(
                field(scope, "header_read_timeout"),
                raw.header_read_timeout.as_ref(),
                DEFAULT_HEADER_READ_TIMEOUT,
                Zero::Rejected,
            )?,
            keepalive_timeout: check::duration(
                field(scope, "keepalive_timeout"),
                raw.keepalive_timeout.as_ref(),
                DEFAULT_KEEPALIVE_TIMEOUT,
                Zero::Rejected,
            )?,
            send_timeout: check::duration(
                field(scope, "send_timeout"),
                raw.send_timeout.as_ref(),
                DEFAULT_SEND_TIMEOUT,
                Zero::Rejected,
            )?,
            max_header_bytes: check::to_usize(field(scope, "max_header_bytes"), max_header_bytes)?,
            max_headers: usize_count(
                "max_headers",
                raw.max_headers,
                DEFAULT_MAX_HEADERS,
                MAX_HEADERS,
            )?,
        })
    }
}
