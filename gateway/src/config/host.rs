//! `[[host]]`, `[[host.route]]` and `[defaults]`: which target serves a request and under which
//! deadlines and limits. The router (crate::routing) reads these.

use std::collections::HashSet;
use std::time::Duration;

use super::check::{self, field, Zero};
use super::limits::*;
use super::raw::{RawHost, RawRoute, RawSettings};
use super::target::{Target, TargetId};
use super::Error;
use crate::routing::{HostKey, RouteKey};

/// A virtual host: requests whose Host header matches `matching` (or any request, if it is the
/// default host and nothing else matches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The host's name, for logs.
    pub name: String,
    /// The suffix (and optional pattern) Host headers are matched against; defaults to `name`.
    pub matching: HostKey,
    /// Whether unmatched requests come here; exactly one host has it.
    pub default: bool,
    /// Routes in config order.
    pub routes: Vec<Route>,
}

/// A path prefix (plus optional pattern) in a host, sending requests to a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The path as configured, compiled.
    pub path: RouteKey,
    /// Where matching requests go.
    pub target: TargetId,
    /// `[defaults]` with this route's overrides applied.
    pub settings: RouteSettings,
}

/// Per-route deadlines and limits (`[defaults]`, overridable per route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSettings {
    /// Time from sending the request to receiving the reply head; then 504.
    pub reply_timeout: Duration,
    /// Longest silence between two reply body chunks; then 504, or close once the head is sent.
    pub idle_timeout: Duration,
    /// Largest request body in bytes; beyond it 413.
    pub max_body_bytes: u64,
    /// Bodies up to this size go inline in the request message; larger ones are streamed
    /// (Mongrel2's `limits.content_length`).
    pub inline_body_bytes: usize,
    /// The `Retry-After` of a 503, rounded up to whole seconds.
    pub retry_after: Duration,
    /// Whether a non-idempotent request may be re-dispatched when its worker dies before replying.
    pub retryable: bool,
    /// Large bodies go to the handler in credit-paced pieces instead of a temp file
    /// (Mongrel2's `upload.stream`).
    pub upload_stream: bool,
    /// Requests carry `DOWNLOAD_CREDITS` and the handler gets a credits notice after each of its
    /// messages is written (Mongrel2's `download.flow_control`).
    pub download_credits: bool,
    /// Reply bytes waiting for one client before it counts as slow.
    pub max_output_bytes: u64,
    /// What happens to a slow client: dropped, or its handler paced by credits.
    pub slow_client: super::upload::SlowClient,
    /// Largest frame payload a WebSocket client may send; beyond it the socket is closed.
    pub websocket_max_frame_bytes: usize,
    /// Largest reassembled WebSocket message; beyond it the socket is closed.
    pub websocket_max_message_bytes: usize,
    /// A WebSocket or JSON/XML socket silent both ways this long is closed.
    pub websocket_idle_timeout: Duration,
}

impl RouteSettings {
    /// Applies `raw` over `base`; `scope` names the section for errors.
    pub(crate) fn from_raw(
        scope: &str,
        raw: &RawSettings,
        base: &RouteSettings,
    ) -> Result<RouteSettings, Error> {
        let deadline = |key: &str, value: Option<&String>, default| {
            check::duration(field(scope, key), value, default, Zero::Rejected)
        };
        let inline = check::size(
            field(scope, "inline_body_bytes"),
            raw.inline_body_bytes.as_ref(),
            u64::try_from(base.inline_body_bytes).unwrap_or(u64::MAX),
            MAX_INLINE_BODY_BYTES,
        )?;
        Ok(RouteSettings {
            reply_timeout: deadline(
                "reply_timeout",
                raw.reply_timeout.as_ref(),
                base.reply_timeout,
            )?,
            idle_timeout: deadline("idle_timeout", raw.idle_timeout.as_ref(), base.idle_timeout)?,
            max_body_bytes: check::size(
                field(scope, "max_body_bytes"),
                raw.max_body_bytes.as_ref(),
                base.max_body_bytes,
                MAX_BODY_BYTES,
            )?,
            inline_body_bytes: check::to_usize(field(scope, "inline_body_bytes"), inline)?,
            retry_after: deadline("retry_after", raw.retry_after.as_ref(), base.retry_after)?,
            retryable: raw.retryable.unwrap_or(base.retryable),
            upload_stream: raw.upload_stream.unwrap_or(base.upload_stream),
            download_credits: raw.download_credits.unwrap_or(base.download_credits),
            max_output_bytes: check::size(
                field(scope, "max_output_bytes"),
                raw.max_output_bytes.as_ref(),
                base.max_output_bytes,
                MAX_OUTPUT_BYTES,
            )?,
            slow_client: super::upload::slow_client(
                scope,
                raw.slow_client.as_ref(),
                base.slow_client,
            )?,
            websocket_max_frame_bytes: websocket_size(
                scope,
                "websocket_max_frame_bytes",
                raw.websocket_max_frame_bytes.as_ref(),
                base.websocket_max_frame_bytes,
            )?,
            websocket_max_message_bytes: websocket_size(
                scope,
                "websocket_max_message_bytes",
                raw.websocket_max_message_bytes.as_ref(),
                base.websocket_max_message_bytes,
            )?,
            websocket_idle_timeout: deadline(
                "websocket_idle_timeout",
                raw.websocket_idle_timeout.as_ref(),
                base.websocket_idle_timeout,
            )?,
        })
    }
}

impl Default for RouteSettings {
    /// The built-in defaults, used where `[defaults]` says nothing.
    fn default() -> Self {
        RouteSettings {
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            inline_body_bytes: DEFAULT_INLINE_BODY_BYTES as usize,
            retry_after: DEFAULT_RETRY_AFTER,
            retryable: false,
            upload_stream: false,
            download_credits: false,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            slow_client: super::upload::SlowClient::Drop,
            websocket_max_frame_bytes: DEFAULT_WEBSOCKET_MAX_FRAME_BYTES as usize,
            websocket_max_message_bytes: DEFAULT_WEBSOCKET_MAX_MESSAGE_BYTES as usize,
            websocket_idle_timeout: DEFAULT_WEBSOCKET_IDLE_TIMEOUT,
        }
    }
}

/// A WebSocket cap: a size of at most [`MAX_WEBSOCKET_MESSAGE_BYTES`].
fn websocket_size(
    scope: &str,
    key: &str,
    raw: Option<&super::raw::RawSize>,
    base: usize,
) -> Result<usize, Error> {
    let bytes = check::size(
        field(scope, key),
        raw,
        u64::try_from(base).unwrap_or(u64::MAX),
        MAX_WEBSOCKET_MESSAGE_BYTES,
    )?;
    check::to_usize(field(scope, key), bytes)
}

/// Validates every `[[host]]` against the sorted `targets`, and settles the default host.
pub(crate) fn hosts(
    raw: &[RawHost],
    targets: &[Target],
    defaults: &RouteSettings,
) -> Result<Vec<Host>, Error> {
    if raw.is_empty() {
        return Err(Error::NoHost);
    }
    check::at_most("host", raw.len(), MAX_HOSTS)?;
    let mut names = HashSet::new();
    let mut matchings = HashSet::new();
    let mut hosts = Vec::with_capacity(raw.len());
    for (index, raw_host) in raw.iter().enumerate() {
        let host = host(index, raw_host, targets, defaults)?;
        let scope = format!("host[{index}]");
        if !names.insert(host.name.clone()) {
            return Err(duplicate(field(&scope, "name"), "host name", &host.name));
        }
        if !matchings.insert(host.matching.as_str().to_owned()) {
            return Err(duplicate(
                field(&scope, "matching"),
                "host matching",
                host.matching.as_str(),
            ));
        }
        hosts.push(host);
    }
    settle_default(&mut hosts)?;
    Ok(hosts)
}

/// Validates one host and its routes.
fn host(
    index: usize,
    raw: &RawHost,
    targets: &[Target],
    defaults: &RouteSettings,
) -> Result<Host, Error> {
    let name = host_name(field(&format!("host[{index}]"), "name"), &raw.name)?;
    let scope = format!("host {name:?}");
    let matching_text = host_name(
        field(&scope, "matching"),
        raw.matching.as_deref().unwrap_or(&name),
    )?;
    let matching = HostKey::parse(&matching_text).map_err(|error| Error::Pattern {
        field: field(&scope, "matching"),
        value: matching_text.clone(),
        error,
    })?;
    if raw.routes.is_empty() {
        return Err(Error::NoRoutes { host: name });
    }
    check::at_most(
        &field(&scope, "route"),
        raw.routes.len(),
        MAX_ROUTES_PER_HOST,
    )?;
    let mut paths = HashSet::new();
    let mut routes = Vec::with_capacity(raw.routes.len());
    for raw_route in &raw.routes {
        if !paths.insert(raw_route.path.as_str()) {
            return Err(duplicate(
                field(&scope, "route.path"),
                "route path",
                &raw_route.path,
            ));
        }
        routes.push(route(&name, raw_route, targets, defaults)?);
    }
    Ok(Host {
        name,
        matching,
        default: raw.default.unwrap_or(false),
        routes,
    })
}

/// Validates one route of host `host`.
fn route(
    host: &str,
    raw: &RawRoute,
    targets: &[Target],
    defaults: &RouteSettings,
) -> Result<Route, Error> {
    let scope = format!("host {host:?} route {:?}", raw.path);
    let path = check::text(field(&scope, "path"), &raw.path, MAX_ROUTE_PATH_BYTES)?;
    let path = RouteKey::parse(&path).map_err(|error| Error::Pattern {
        field: field(&scope, "path"),
        value: path.clone(),
        error,
    })?;
    let target = targets
        .binary_search_by(|target| target.name.as_str().cmp(&raw.target))
        .map(TargetId)
        .map_err(|_| Error::UnknownTarget {
            host: host.to_owned(),
            route: raw.path.clone(),
            target: raw.target.clone(),
        })?;
    Ok(Route {
        path,
        target,
        settings: RouteSettings::from_raw(&scope, &raw.settings(), defaults)?,
    })
}

/// A host `name` or `matching`: 1 to [`MAX_HOST_NAME_BYTES`] bytes, no whitespace, no `:` (the
/// router compares the Host header up to its first `:`).
fn host_name(field: String, value: &str) -> Result<String, Error> {
    let text = check::text(field.clone(), value, MAX_HOST_NAME_BYTES)?;
    if text.contains(char::is_whitespace) || text.contains(':') {
        return Err(check::invalid(
            field,
            value,
            "must not contain whitespace or ':'",
        ));
    }
    Ok(text)
}

/// Exactly one default host: the only host is the default even if not marked.
fn settle_default(hosts: &mut [Host]) -> Result<(), Error> {
    let mut defaults = hosts.iter().filter(|host| host.default);
    match (defaults.next(), defaults.next()) {
        (Some(_), None) => Ok(()),
        (Some(first), Some(second)) => Err(Error::SeveralDefaultHosts {
            first: first.name.clone(),
            second: second.name.clone(),
        }),
        (None, _) => match hosts {
            [only] => {
                only.default = true;
                Ok(())
            }
            _ => Err(Error::NoDefaultHost { count: hosts.len() }),
        },
    }
}

/// Builds an [`Error::Duplicate`].
fn duplicate(field: String, what: &'static str, value: &str) -> Error {
    Error::Duplicate {
        field,
        what,
        value: value.to_owned(),
    }
}
