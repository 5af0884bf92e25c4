//! The request path, one phase per step (DESIGN.md §2): route → admit → read
//! the body → translate to a Mongrel2 message → exchange with the target →
//! log. Every failure becomes a [`Failure`] and one response.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{header, Request, Response, Version};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::access_log::Entry;
use crate::body::Body;
use crate::config::RouteSettings;
use crate::conn::Conn;
use crate::exchange::{self, Deadlines};
use crate::failure::Failure;
use crate::idle::Activity;
use crate::server::App;
use crate::target::SendInfo;
use crate::translate;

/// Serves one request on `conn` (an HTTP/1 connection; HTTP/2 streams get a
/// connection state of their own here). Never fails: failures are responses.
pub async fn handle(
    app: Arc<App>,
    conn: Arc<Conn>,
    activity: Arc<Activity>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let busy = activity.busy();
    let conn = if request.version() == Version::HTTP_2 {
        Arc::new(Conn::new(app.ids.next(), conn.peer, app.reply_limits))
    } else {
        conn
    };
    let (parts, body) = request.into_parts();
    let mut entry = app
        .access_log
        .enabled()
        .then(|| Entry::new(&parts, conn.id, conn.peer));
    // The clock is read only for the access log's duration.
    let started = entry.is_some().then(Instant::now);
    let http1 = parts.version < Version::HTTP_2;
    let response = match serve(&app, &conn, parts, body, &mut entry).await {
        Ok(response) => response,
        Err(failure) => {
            if let Some(entry) = &mut entry {
                entry.failure = Some(failure.fault());
            }
            if failure.fault() != crate::failure::Fault::Client {
                tracing::info!(conn_id = conn.id, "{}", failure.message());
            }
            let mut response = failure.response();
            if http1 && conn.close_signal().is_cancelled() {
                // The gateway is ending this connection (deadline, bad reply,
                // handler close): say so, so the client does not reuse it.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
            }
            response
        }
    };
    if let (Some(entry), Some(started)) = (&mut entry, started) {
        entry.status = response.status().as_u16();
        entry.elapsed = started.elapsed();
        app.access_log.log(entry);
    }
    Ok(response.map(|body| body.hold(busy)))
}

async fn serve(
    app: &App,
    conn: &Arc<Conn>,
    parts: http::request::Parts,
    body: Incoming,
    entry: &mut Option<Entry>,
) -> Result<Response<Body>, Failure> {
    if parts
        .headers
        .get_all(header::EXPECT)
        .iter()
        .any(|v| !v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
    {
        return Err(Failure::ExpectationFailed);
    }
    let host = parts
        .headers
        .get(header::HOST)
        .map(|h| h.as_bytes())
        .or_else(|| parts.uri.authority().map(|a| a.as_str().as_bytes()));
    let found = app
        .router
        .route(host, parts.uri.path().as_bytes())
        .ok_or(Failure::NoRoute)?;
    if let Some(entry) = entry {
        entry.route = found.pattern.to_owned();
        entry.target = found.target.name.clone();
    }
    let settings = *found.settings;
    if let Some(dir) = app
        .dirs
        .get(found.target_id.index())
        .and_then(Option::as_ref)
    {
        return Ok(dir.serve(&parts, found.pattern, &app.tracker).await);
    }
    if let Some(proxy) = app
        .proxies
        .get(found.target_id.index())
        .and_then(Option::as_ref)
    {
        let inbound = crate::target::proxy::Inbound {
            parts,
            body,
            peer: conn.peer,
            conn,
            trusted_proxies: &app.trusted_proxies,
            settings: &settings,
        };
        return proxy.serve(inbound, entry).await;
    }
    let target = app
        .targets
        .get(found.target_id.index())
        .and_then(Option::as_ref)
        .ok_or(Failure::NotImplemented(
            "this kind of target is not served yet",
        ))?;
    if crate::websocket::is_handshake(&parts.headers) {
        let response =
            crate::websocket::serve(app, conn, parts, target, found.pattern, settings).await;
        if response
            .as_ref()
            .is_ok_and(|r| r.status() == http::StatusCode::SWITCHING_PROTOCOLS)
        {
            app.registry
                .set_kind(conn.id, crate::registry::Kind::WebSocket);
        }
        return response;
    }
    {
        {
            let ctx = translate::Context {
                sender: target.sender(),
                conn_id: conn.id,
                protocol: target.protocol(),
                pattern: found.pattern,
                peer: conn.peer,
                trusted_proxies: &app.trusted_proxies,
                scheme: "http",
            };
            // Large bodies take Mongrel2's upload ways (crate::upload); pieces of one request
            // are never re-dispatched.
            let setup = crate::upload::Setup {
                settings: &settings,
                store: app.upload.as_ref(),
                target,
                info: SendInfo { idempotent: false },
            };
            let frame = match crate::upload::prepare(&parts, body, &ctx, setup).await? {
                crate::upload::Prepared::Inline(body) => {
                    let body = read_body(&parts, body, &settings).await?;
                    crate::upload::inline(&parts, &body, &ctx, setup)?
                }
                crate::upload::Prepared::Large(outgoing) => *outgoing,
            };
            let deadlines = Deadlines {
                reply: settings.reply_timeout,
                idle: settings.idle_timeout,
                retry_after: settings.retry_after,
            };
            let head_request = parts.method == http::Method::HEAD;
            let info = SendInfo {
                idempotent: settings.retryable
                    || matches!(
                        parts.method,
                        http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
                    ),
            };
            exchange::run(
                conn.clone(),
                target,
                frame,
                head_request,
                info,
                deadlines,
                &app.tracker,
            )
            .await
        }
    }
}

/// Reads the whole request body, refusing more than the route's inline limit
/// (413, before reading when Content-Length says so) and bodies that do not
/// arrive within the reply deadline (408).
async fn read_body(
    parts: &http::request::Parts,
    body: Incoming,
    settings: &RouteSettings,
) -> Result<Bytes, Failure> {
    if hyper::body::Body::is_end_stream(&body) {
        // No body (most GETs): nothing to read, no timer to arm.
        return Ok(Bytes::new());
    }
    let limit = settings.inline_body_bytes;
    let too_large = Failure::BodyTooLarge {
        limit: u64::try_from(limit).unwrap_or(u64::MAX),
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(too_large);
    }
    let read = Limited::new(body, limit).collect();
    match tokio::time::timeout(settings.reply_timeout, read).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large)
        }
        Ok(Err(_)) => Err(Failure::BadRequest("the request body could not be read")),
        Err(_) => Err(Failure::RequestTimeout),
    }
}
