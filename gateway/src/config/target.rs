//! `[target.NAME]` and `[broker]`: where routed requests go. Only handler targets are served today;
//! the other three shapes are validated so configs written for them keep working.

use std::path::PathBuf;

use super::check::{self, field};
use super::endpoint::Endpoint;
use super::limits::*;
use super::raw::{RawBroker, RawDir, RawHandler, RawProxy, RawService, RawTarget};
use super::Error;
use scale0_broker::protocol::ServiceName;

/// Index of a target in [`Config::targets`](super::Config::targets), as routes refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetId(pub(crate) usize);

impl TargetId {
    /// The position in [`Config::targets`](super::Config::targets) (targets are sorted by name).
    pub fn index(self) -> usize {
        self.0
    }
}

/// A named destination for requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The name from `[target.NAME]`, used in logs and metrics.
    pub name: String,
    /// What kind of backend it is.
    pub kind: TargetKind,
}

/// The four kinds of target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// A Mongrel2-style handler on PUSH/SUB sockets the gateway binds.
    Handler(Handler),
    /// A service of the broker's native workers.
    Service(Service),
    /// Static files.
    Dir(Dir),
    /// An HTTP upstream.
    Proxy(Proxy),
}

/// `type = "handler"`: Mongrel2's `Handler(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    /// Where the gateway binds its PUSH socket (handlers PULL from it).
    pub send_spec: Endpoint,
    /// The UUID field of requests to this handler; `None` = the gateway's sender id.
    pub send_ident: Option<String>,
    /// Where the gateway binds its SUB socket (handlers PUB to it).
    pub recv_spec: Endpoint,
    /// The SUB subscription: a byte prefix replies must start with; empty = every reply.
    pub recv_ident: String,
    /// How request headers are encoded.
    pub protocol: Protocol,
    /// Replies to JSON/XML-socket connections are written as sent instead of base64-encoded
    /// (Mongrel2's `raw_payload`).
    pub raw_payload: bool,
}

impl Handler {
    /// The UUID field of requests to this handler, given the gateway's sender id.
    pub fn sender<'a>(&'a self, gateway_sender: &'a str) -> &'a str {
        self.send_ident.as_deref().unwrap_or(gateway_sender)
    }
}

/// The header encoding of a handler's requests (Mongrel2's `protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// A netstring holding a JSON object (the default).
    Json,
    /// A tnetstring dict.
    Tnetstring,
}

/// `type = "service"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service name workers announce (checked by the worker protocol's rule).
    pub service: ServiceName,
}

/// `type = "dir"`: Mongrel2's `Dir(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dir {
    /// The directory served; ends in `/`.
    pub base: PathBuf,
    /// File served for paths ending in `/`.
    pub index_file: String,
    /// Content type for unknown extensions.
    pub default_ctype: String,
}

/// `type = "proxy"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The upstream, `http://host[:port][/path]`.
    pub url: http::Uri,
    /// Send the client's `Host` upstream (as Mongrel2 does), or the upstream's own authority.
    pub preserve_host: bool,
    /// Longest TCP connect to the upstream; then 502.
    pub connect_timeout: std::time::Duration,
    /// Idle keep-alive connections kept open to the upstream (0: no reuse).
    pub max_idle_per_host: usize,
    /// How long an idle upstream connection is kept before it is closed.
    pub pool_idle_timeout: std::time::Duration,
}

/// `[broker]`: the service broker endpoint. `scale0 up` binds it for workers (embedded broker);
/// `scale0 gateway` connects to a standalone broker there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    /// Embedded in the gateway process, or a standalone broker to connect to.
    pub mode: BrokerMode,
    /// How often heartbeats flow (broker ↔ workers, gateway ↔ broker).
    pub heartbeat_interval: std::time::Duration,
    /// Heartbeat intervals of silence after which a peer is dead.
    pub liveness: u32,
    /// Requests that may wait per service while no worker slot is free.
    pub max_queue: usize,
    /// What carries the broker's ZeroMQ traffic (worker ROUTER, gateway link): `native` (Scale0's own
    /// ZMTP, the default) or `libzmq`.
    pub transport: scale0_broker::runtime::Transport,
}

/// `[[broker.handler]]`: a service backed by unchanged Mongrel2 handlers: the
/// broker binds PUSH at `send_spec` and SUB at `recv_spec` as Mongrel2 does,
/// and caps the requests outstanding to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerHandler {
    /// The service the handlers serve.
    pub service: String,
    /// Where the broker binds PUSH (handlers connect PULL).
    pub send_spec: Endpoint,
    /// Where the broker binds SUB (handlers connect PUB).
    pub recv_spec: Endpoint,
    /// SUB subscription prefix (`""` = every reply).
    pub recv_ident: String,
    /// Requests outstanding to the handlers at most.
    pub max_outstanding: u32,
}

/// Where the broker runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerMode {
    /// In the gateway process (no ZeroMQ hop between gateway and broker).
    Embedded {
        /// Where workers connect (the broker binds a ROUTER there).
        workers: Endpoint,
        /// Where `scale0 ctl` connects (REP), if anywhere.
        control: Option<Endpoint>,
        /// Services backed by Mongrel2-style handlers on sockets the broker binds.
        handlers: Vec<BrokerHandler>,
    },
    /// A standalone `scale0 broker`: the gateway connects to its gateway endpoint.
    Connect {
        /// The broker's gateway endpoint.
        endpoint: Endpoint,
    },
}

impl Target {
    /// Validates `[target.NAME]`.
    pub(crate) fn from_raw(name: &str, raw: &RawTarget) -> Result<Target, Error> {
        let name_ok = !name.is_empty()
            && name.len() <= MAX_TARGET_NAME_BYTES
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !name_ok {
            return Err(check::invalid(
                "target".to_owned(),
                name,
                "a target name is 1-64 of A-Z, a-z, 0-9, '_', '-', '.'",
            ));
        }
        let scope = format!("target.{name}");
        let kind = match raw {
            RawTarget::Handler(raw) => TargetKind::Handler(handler(&scope, raw)?),
            RawTarget::Service(raw) => TargetKind::Service(service(&scope, raw)?),
            RawTarget::Dir(raw) => TargetKind::Dir(dir(&scope, raw)?),
            RawTarget::Proxy(raw) => TargetKind::Proxy(proxy(&scope, raw)?),
        };
        Ok(Target {
            name: name.to_owned(),
            kind,
        })
    }
}

impl Broker {
    /// Validates `[broker]`.
    pub(crate) fn from_raw(raw: &RawBroker) -> Result<Broker, Error> {
        let endpoint = |key: &str, value: &Option<String>| -> Result<Option<Endpoint>, Error> {
            value
                .as_deref()
                .map(|v| check::endpoint(field("broker", key), v))
                .transpose()
        };
        let mode = if raw.embedded.unwrap_or(false) {
            let workers = endpoint("workers", &raw.workers)?.ok_or_else(|| {
                check::invalid(
                    field("broker", "workers"),
                    "",
                    "an embedded broker needs the endpoint workers connect to",
                )
            })?;
            let mut handlers = Vec::with_capacity(raw.handler.len());
            for (i, h) in raw.handler.iter().enumerate() {
                let scope = format!("broker.handler[{i}]");
                let max = check::count(
                    field(&scope, "max_outstanding"),
                    Some(h.max_outstanding),
                    1,
                    1,
                    MAX_BROKER_HANDLER_OUTSTANDING,
                )?;
                handlers.push(BrokerHandler {
                    service: service_name(field(&scope, "service"), &h.service)?
                        .as_str()
                        .to_owned(),
                    send_spec: check::endpoint(field(&scope, "send_spec"), &h.send_spec)?,
                    recv_spec: check::endpoint(field(&scope, "recv_spec"), &h.recv_spec)?,
                    recv_ident: h.recv_ident.clone().unwrap_or_default(),
                    max_outstanding: u32::try_from(max).unwrap_or(u32::MAX),
                });
            }
            BrokerMode::Embedded {
                workers,
                control: endpoint("control", &raw.control)?,
                handlers,
            }
        } else {
            if !raw.handler.is_empty() {
                return Err(check::invalid(
                    field("broker", "handler"),
                    "",
                    "handler-backed services belong to the broker process: use embedded = true, or scale0 broker --handler",
                ));
            }
            let endpoint = endpoint("endpoint", &raw.endpoint)?.ok_or_else(|| {
                check::invalid(
                    field("broker", "endpoint"),
                    "",
                    "set the standalone broker's gateway endpoint, or embedded = true",
                )
            })?;
            BrokerMode::Connect { endpoint }
        };
        let heartbeat_interval = check::duration(
            field("broker", "heartbeat_interval"),
            raw.heartbeat_interval.as_ref(),
            DEFAULT_BROKER_HEARTBEAT,
            check::Zero::Rejected,
        )?;
        let liveness = check::count(
            field("broker", "liveness"),
            raw.liveness,
            DEFAULT_BROKER_LIVENESS,
            1,
            MAX_BROKER_LIVENESS,
        )?;
        let max_queue = check::count(
            field("broker", "max_queue"),
            raw.max_queue,
            DEFAULT_BROKER_MAX_QUEUE,
            0,
            MAX_BROKER_MAX_QUEUE,
        )?;
        let transport = match &raw.transport {
            None => scale0_broker::runtime::Transport::default(),
            Some(name) => name.parse().map_err(|_: String| {
                check::invalid(
                    field("broker", "transport"),
                    name,
                    "use native (Scale0's own ZMTP) or libzmq",
                )
            })?,
        };
        Ok(Broker {
            mode,
            transport,
            heartbeat_interval,
            liveness: u32::try_from(liveness).unwrap_or(u32::MAX),
            max_queue: check::to_usize(field("broker", "max_queue"), max_queue)?,
        })
    }
}

/// Validates a handler target.
fn handler(scope: &str, raw: &RawHandler) -> Result<Handler, Error> {
    let send_spec = check::endpoint(field(scope, "send_spec"), &raw.send_spec)?;
    let recv_spec = check::endpoint(field(scope, "recv_spec"), &raw.recv_spec)?;
    if send_spec == recv_spec {
        return Err(Error::Duplicate {
            field: field(scope, "recv_spec"),
            what: "endpoint (same as send_spec)",
            value: raw.recv_spec.clone(),
        });
    }
    let protocol = match raw.protocol.as_deref() {
        None | Some("json") => Protocol::Json,
        Some("tnetstring") => Protocol::Tnetstring,
        Some(other) => {
            return Err(check::invalid(
                field(scope, "protocol"),
                other,
                "expected \"json\" or \"tnetstring\"",
            ))
        }
    };
    Ok(Handler {
        send_spec,
        send_ident: raw
            .send_ident
            .as_deref()
            .map(|id| check::ident(field(scope, "send_ident"), id, false))
            .transpose()?,
        recv_spec,
        recv_ident: check::ident(
            field(scope, "recv_ident"),
            raw.recv_ident.as_deref().unwrap_or(""),
            true,
        )?,
        protocol,
        raw_payload: raw.raw_payload.unwrap_or(false),
    })
}

/// Validates a service target.
fn service(scope: &str, raw: &RawService) -> Result<Service, Error> {
    let service = service_name(field(scope, "service"), &raw.service)?;
    Ok(Service { service })
}

/// Checks a service name by the worker protocol's rule, so every name the config accepts is one
/// workers can announce and the broker takes.
fn service_name(field: String, name: &str) -> Result<ServiceName, Error> {
    ServiceName::new(name.as_bytes()).map_err(|_| {
        check::invalid(
            field,
            name,
            "a service name is 1 to MAX_SERVICE_NAME_BYTES (128) characters of A-Z a-z 0-9 . _ - : / (the worker protocol's rule)",
        )
    })
}

/// Validates a dir target.
fn dir(scope: &str, raw: &RawDir) -> Result<Dir, Error> {
    let base = check::text(field(scope, "base"), &raw.base, MAX_TEXT_BYTES)?;
    if !base.ends_with('/') {
        return Err(check::invalid(
            field(scope, "base"),
            &base,
            "must end in '/'",
        ));
    }
    let index_file = check::text(
        field(scope, "index_file"),
        raw.index_file.as_deref().unwrap_or(DEFAULT_INDEX_FILE),
        MAX_TEXT_BYTES,
    )?;
    if index_file.contains('/') {
        return Err(check::invalid(
            field(scope, "index_file"),
            &index_file,
            "must be a file name without '/'",
        ));
    }
    let default_ctype = check::text(
        field(scope, "default_ctype"),
        raw.default_ctype.as_deref().unwrap_or(DEFAULT_CONTENT_TYPE),
        MAX_TEXT_BYTES,
    )?;
    if http::HeaderValue::from_str(&default_ctype).is_err() || !default_ctype.contains('/') {
        return Err(check::invalid(
            field(scope, "default_ctype"),
            &default_ctype,
            "must be a MIME type such as text/plain",
        ));
    }
    Ok(Dir {
        base: base.into(),
        index_file,
        default_ctype,
    })
}

/// Validates a proxy target.
fn proxy(scope: &str, raw: &RawProxy) -> Result<Proxy, Error> {
    let bad = |reason| check::invalid(field(scope, "url"), &raw.url, reason);
    let url: http::Uri = raw.url.parse().map_err(|_| bad("not a URL"))?;
    if url.scheme_str() != Some("http") {
        return Err(bad("must start with http://"));
    }
    if url.host().is_none_or(str::is_empty) {
        return Err(bad("needs a host"));
    }
    if url.query().is_some() {
        return Err(bad("must not have a query"));
    }
    let connect_timeout = check::duration(
        field(scope, "connect_timeout"),
        raw.connect_timeout.as_ref(),
        DEFAULT_PROXY_CONNECT_TIMEOUT,
        check::Zero::Rejected,
    )?;
    let pool_idle_timeout = check::duration(
        field(scope, "pool_idle_timeout"),
        raw.pool_idle_timeout.as_ref(),
        DEFAULT_PROXY_POOL_IDLE_TIMEOUT,
        check::Zero::Rejected,
    )?;
    let max_idle = check::count(
        field(scope, "max_idle_per_host"),
        raw.max_idle_per_host,
        DEFAULT_PROXY_MAX_IDLE_PER_HOST,
        0,
        MAX_PROXY_MAX_IDLE_PER_HOST,
    )?;
    Ok(Proxy {
        url,
        preserve_host: raw.preserve_host.unwrap_or(true),
        connect_timeout,
        max_idle_per_host: check::to_usize(field(scope, "max_idle_per_host"), max_idle)?,
        pool_idle_timeout,
    })
}
