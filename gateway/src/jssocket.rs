//! Mongrel2's JSON and XML sockets (the Flash-era "JSSocket" protocol, docs §4.6): a connection
//! whose first byte is `@` or `<` is not HTTP but a stream of NUL-terminated messages
//! ([`message`]). The server [`sniff`]s the first byte before hyper sees the connection and hands
//! such sockets to [`serve`].
//!
//! Each `@path {json}` message is routed by its path in the default host and sent to the route's
//! target as METHOD `JSON` (XML: PATH `<tag`, METHOD `XML`); pings only refresh the idle timer; a
//! policy request is answered here and the socket closed. Handler bytes for the conn id reach the
//! client base64-encoded unless the handler target has `raw_payload = true`.

pub mod message;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use mongrel2_compat::request::{key, Builder};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::limits::DEFAULT_WEBSOCKET_IDLE_TIMEOUT;
use crate::config::TargetKind;
use crate::conn::Conn;
use crate::server::App;
use crate::target::{SendInfo, Ticket, ToConn};
use crate::websocket::io::{front, write_within as write};
use message::{Parsed, Splitter};

/// Client bytes read at once.
const READ_CHUNK: usize = 4096;

/// Messages submitted and not yet sent on before the session stops reading the client.
const MAX_PENDING_SENDS: usize = 64;

/// What the first byte of a connection says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// `@` or `<`: a JSON/XML socket.
    Socket,
    /// Anything else: HTTP for hyper.
    Http,
    /// Nothing arrived within the wait (or the peer left): close.
    Silent,
}

/// Looks at the first byte without consuming it: from `early` (bytes already read behind a
/// PROXY header) or by peeking the socket for up to `wait` (the listener's `keepalive_timeout`:
/// a connection that sends nothing is closed then, as an idle HTTP connection is), or until the
/// gateway stops.
pub async fn sniff(
    stream: &TcpStream,
    early: &[u8],
    wait: Duration,
    shutdown: &CancellationToken,
) -> Sniffed {
    let first = match early.first() {
        Some(&b) => b,
        None => {
            let mut byte = [0u8; 1];
            let peek = tokio::time::timeout(wait, stream.peek(&mut byte));
            tokio::select! {
                peeked = peek => match peeked {
                    Ok(Ok(1)) => byte[0],
                    _ => return Sniffed::Silent,
                },
                _ = shutdown.cancelled() => return Sniffed::Silent,
            }
        }
    };
    match first {
        b'@' | b'<' => Sniffed::Socket,
        _ => Sniffed::Http,
    }
}

/// Why a socket session ended.
#[derive(Debug)]
enum End {
    ClientGone,
    Protocol(message::Error),
    NoRoute,
    Policy,
    Idle,
    Shutdown,
    Undelivered,
    HandlerClosed,
    Dropped,
}

/// Serves one JSON/XML socket until either side ends it or the gateway stops. `early` holds
/// bytes already read. Until its first message is routed the socket may idle for
/// [`DEFAULT_WEBSOCKET_IDLE_TIMEOUT`]; then for its route's `websocket_idle_timeout`.
pub async fn serve<IO: AsyncRead + AsyncWrite + Unpin>(
    app: Arc<App>,
    conn: Arc<Conn>,
    mut io: IO,
    early: Vec<u8>,
    shutdown: CancellationToken,
) {
    let end = tokio::select! {
        end = pump(&app, &conn, &mut io, early, DEFAULT_WEBSOCKET_IDLE_TIMEOUT) => end,
        _ = shutdown.cancelled() => End::Shutdown,
    };
    tracing::debug!(conn_id = conn.id, ?end, "JSON/XML socket ended");
    if let End::Protocol(e) = &end {
        tracing::info!(
            conn_id = conn.id,
            "JSON/XML socket client broke the protocol: {e}"
        );
    }
    let _best_effort = io.shutdown().await;
    if !matches!(end, End::HandlerClosed | End::Dropped) {
        conn.finish(true);
    }
    conn.client_gone();
}

async fn pump<IO: AsyncRead + AsyncWrite + Unpin>(
    app: &App,
    conn: &Arc<Conn>,
    io: &mut IO,
    early: Vec<u8>,
    mut idle_timeout: Duration,
) -> End {
    let mut state = conn.reply.clone().lock_owned().await;
    let mut splitter = Splitter::default();
    splitter.buffer().extend_from_slice(&early);
    let mut pending: VecDeque<Ticket> = VecDeque::new();
    let mut raw_payload = false;
    let mut idle_at = Instant::now() + idle_timeout;
    loop {
        loop {
            let bytes = match splitter.next_message() {
                Ok(Some(bytes)) => bytes,
                Ok(None) => break,
                Err(e) => return End::Protocol(e),
            };
            // Every client message (pings included) counts as activity, as Mongrel2's "ping".
            idle_at = Instant::now() + idle_timeout;
            let parsed = match message::parse(&bytes) {
                Ok(parsed) => parsed,
                Err(e) => return End::Protocol(e),
            };
            let (path, method, body) = match parsed {
                Parsed::Ping => continue,
                Parsed::PolicyRequest => {
                    let policy = [message::POLICY, b"\0"].concat();
                    let _client_may_be_gone = write(io, &policy, idle_timeout).await;
                    return End::Policy;
                }
                Parsed::Json { path, body } => (path, key::METHOD_JSON, body),
                Parsed::Xml { path, body } => (path, key::METHOD_XML, body),
            };
            match submit(app, conn, path, method, body).await {
                Ok((ticket, raw, idle)) => {
                    pending.push_back(ticket);
                    raw_payload = raw;
                    idle_timeout = idle;
                    idle_at = Instant::now() + idle_timeout;
                }
                Err(end) => return end,
            }
        }
        let reading = pending.len() < MAX_PENDING_SENDS;
        tokio::select! {
            biased;
            message = state.rx.recv() => match message {
                Some(ToConn::Data(bytes)) => {
                    let out = message::encode_reply(&bytes, raw_payload);
                    if write(io, &out, idle_timeout).await.is_err() {
                        return End::ClientGone;
                    }
                }
                Some(ToConn::KeepAlive | ToConn::Credits(_)) => idle_at = Instant::now() + idle_timeout,
                Some(ToConn::Close) => return End::HandlerClosed,
                Some(ToConn::Cancel | ToConn::Fail { .. }) | None => return End::Dropped,
            },
            _ = conn.close_signal().cancelled() => return End::Dropped,
            sent = front(&mut pending), if !pending.is_empty() => {
                pending.pop_front();
                if sent.is_err() {
                    return End::Undelivered;
                }
            }
            read = read_more(io, &mut splitter), if reading => match read {
                Ok(0) | Err(_) => return End::ClientGone,
                Ok(_) => {}
            },
            _ = tokio::time::sleep_until(idle_at) => return End::Idle,
        }
    }
}

/// Routes one message and submits it; the ticket, the target's `raw_payload` and the route's
/// `websocket_idle_timeout` (which the socket follows from then on).
async fn submit(
    app: &App,
    conn: &Arc<Conn>,
    path: &[u8],
    method: &'static [u8],
    body: &[u8],
) -> Result<(Ticket, bool, Duration), End> {
    let found = app.router.route(None, path).ok_or(End::NoRoute)?;
    let raw = matches!(&found.target.kind, TargetKind::Handler(h) if h.raw_payload);
    let target = app
        .targets
        .get(found.target_id.index())
        .and_then(Option::as_ref)
        .ok_or(End::NoRoute)?;
    if !conn.use_target(target).await {
        return Err(End::Undelivered);
    }
    let remote_addr = conn.peer.ip().to_string();
    let built = Builder::new(target.sender().as_bytes(), conn.id, target.protocol())
        .path(path)
        .method(method)
        .pattern(found.pattern.as_bytes())
        .remote_addr(remote_addr.as_bytes())
        .body(body)
        .build()
        .map_err(|_| End::Protocol(message::Error::BadPath))?;
    let deadline = Instant::now() + found.settings.reply_timeout;
    let info = SendInfo { idempotent: false };
    let ticket = target
        .submit(conn.id, built.request.to_vec(), deadline, info)
        .await
        .map_err(|_| End::Undelivered)?;
    Ok((ticket, raw, found.settings.websocket_idle_timeout))
}

async fn read_more<IO: AsyncRead + Unpin>(
    io: &mut IO,
    splitter: &mut Splitter,
) -> std::io::Result<usize> {
    let buf = splitter.buffer();
    buf.reserve(READ_CHUNK);
    io.read_buf(buf).await
}

#[cfg(test)]
mod tests;
