//! WebSockets (RFC 6455) through handler and service targets, as Mongrel2 1.12 does them
//! (docs/mongrel2-protocol.md §4.5; status in docs/parity/websocket.md).
//!
//! A request that [`is_handshake`] goes to the target as a `WEBSOCKET_HANDSHAKE` message whose
//! body is the computed `Sec-WebSocket-Accept` value ([`serve`]). The gateway does not answer the
//! handshake itself: the handler's `HTTP/1.1 101` reply becomes the 101 response
//! ([`switching`], called by the exchange), hyper hands the connection over, and a
//! `session` owns it from then on: each client message goes to the same target as one
//! `WEBSOCKET` message (the handshake's keys plus `FLAGS`), and whatever the handler sends for the
//! conn id is written to the client as is.

pub(crate) mod io;
mod session;

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::{request::Parts, Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use mongrel2_compat::request::key;
use mongrel2_compat::websocket::accept_key;

use crate::body::Body;
use crate::config::RouteSettings;
use crate::conn::Conn;
use crate::exchange::{self, Deadlines};
use crate::failure::Failure;
use crate::http_reply::ResponseHead;
use crate::server::App;
use crate::target::{Link, SendInfo};
use crate::translate;

pub use session::{Limits, IDLE_READ_CHUNK, MAX_PENDING_SENDS, READ_CHUNK};

/// Whether a request is a WebSocket handshake by Mongrel2's rule (`Request_is_websocket`): it has
/// `Sec-WebSocket-Key`, `Sec-WebSocket-Version` and `Host`, `Upgrade` is `websocket` (any case)
/// and `Connection` contains `upgrade` (any case). Anything else is an ordinary request.
pub fn is_handshake(headers: &HeaderMap) -> bool {
    let has = |name: &str| headers.contains_key(name);
    let upgrade = headers
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let connection = headers.get_all(header::CONNECTION).iter().any(|v| {
        v.as_bytes()
            .windows(b"upgrade".len())
            .any(|w| w.eq_ignore_ascii_case(b"upgrade"))
    });
    has("sec-websocket-key")
        && has("sec-websocket-version")
        && headers.contains_key(header::HOST)
        && upgrade
        && connection
}

/// What arrived from the handler right behind its 101 head (already WebSocket frames); the
/// session writes it first. Carried in the 101 response's extensions.
#[derive(Debug, Clone, Default)]
pub struct Leftover(pub Bytes);

/// The client's 101 response for the handler's 101 head: its headers as written (`Upgrade`,
/// `Connection` and `Sec-WebSocket-Accept` included), without body framing headers.
pub fn switching(head: ResponseHead, leftover: Bytes) -> Response<Body> {
    let mut headers = head.headers;
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::TRANSFER_ENCODING);
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *response.headers_mut() = headers;
    let canonical = head.status.canonical_reason().map(str::as_bytes);
    if !head.reason.is_empty() && canonical != Some(&head.reason[..]) {
        if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(head.reason.clone()) {
            response.extensions_mut().insert(reason);
        }
    }
    response.extensions_mut().insert(Leftover(leftover));
    response
}

/// Sends the handshake to `target` and, when the handler answers 101, starts the session that
/// takes the connection over once hyper has written the 101. Any other answer (a 403, say) is
/// the client's response, and the connection stays HTTP.
pub async fn serve(
    app: &App,
    conn: &Arc<Conn>,
    mut parts: Parts,
    target: &Link,
    pattern: &str,
    settings: RouteSettings,
) -> Result<Response<Body>, Failure> {
    let on_upgrade = parts
        .extensions
        .remove::<OnUpgrade>()
        .ok_or(Failure::BadRequest(
            "a WebSocket handshake needs HTTP/1.1 with Upgrade",
        ))?;
    let client_key = parts
        .headers
        .get("sec-websocket-key")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let accept = accept_key(client_key);
    let ctx = translate::Context {
        sender: target.sender(),
        conn_id: conn.id,
        protocol: target.protocol(),
        pattern,
        peer: conn.peer,
        trusted_proxies: &app.trusted_proxies,
        scheme: "http",
    };
    let frame = translate::to_message_with(&parts, accept.as_bytes(), &ctx, |b| {
        b.method(key::METHOD_WEBSOCKET_HANDSHAKE)
    })
    .map_err(|_| Failure::BadRequest("request cannot be expressed as a Mongrel2 message"))?;
    let deadlines = Deadlines {
        reply: settings.reply_timeout,
        idle: settings.idle_timeout,
        retry_after: settings.retry_after,
    };
    let info = SendInfo { idempotent: false };
    let mut response = exchange::run(
        conn.clone(),
        target,
        frame,
        false,
        info,
        deadlines,
        &app.tracker,
    )
    .await?;
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        return Ok(response);
    }
    let leftover = response
        .extensions_mut()
        .remove::<Leftover>()
        .unwrap_or_default();
    conn.take_over();
    let session = session::Session {
        conn: conn.clone(),
        target: target.clone(),
        handshake: parts,
        pattern: pattern.to_owned(),
        trusted_proxies: app.trusted_proxies.clone(),
        limits: Limits::from_settings(&settings),
        shutdown: app.shutdown.clone(),
    };
    let conn = conn.clone();
    let registry = app.registry.clone();
    app.tracker.spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                // `status net` shows the connection as a WebSocket from now on.
                registry.set_kind(conn.id, crate::registry::Kind::WebSocket);
                session.run(TokioIo::new(upgraded), leftover.0).await
            }
            Err(e) => {
                tracing::debug!(conn_id = conn.id, "WebSocket upgrade failed: {e}");
                conn.client_gone();
            }
        }
    });
    Ok(response)
}

#[cfg(test)]
mod tests;
