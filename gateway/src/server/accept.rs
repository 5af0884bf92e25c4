//! Accepting and serving client connections: the listener loop (connection
//! limit, PROXY header, the first-byte sniff for Mongrel2's JSON/XML sockets),
//! hyper's HTTP/1.x + h2c builder, and one connection's life until it ends or
//! a WebSocket session takes it over.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::App;
use crate::config::{Cidr, Listener};
use crate::conn::Conn;
use crate::idle::{Activity, Watch};
use crate::registry::{Counted, Kind};
use crate::{jssocket, proxy_protocol, service};

/// hyper's smallest read buffer; `max_header_bytes` below it is enforced at it.
const MIN_READ_BUFFER: usize = 8192;

/// How long an over-limit connection may take to receive its 503.
const REFUSE_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// The answer to a connection over `max_connections`.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 42\r\nRetry-After: 1\r\nConnection: close\r\n\r\nService Unavailable: too many connections\n";

pub(super) async fn accept_loop(
    app: Arc<App>,
    socket: TcpListener,
    settings: Listener,
    shutdown: CancellationToken,
) {
    let limit = Arc::new(Semaphore::new(settings.max_connections));
    let builder = http_builder(&settings);
    let limits = Arc::new(settings.clone());
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = socket.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!("accept on {}: {e}", settings.bind);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            app.tracker.spawn(refuse(stream));
            continue;
        };
        let _nodelay_best_effort = stream.set_nodelay(true);
        let app2 = app.clone();
        let builder = builder.clone();
        let limits = limits.clone();
        let shutdown = shutdown.clone();
        let span = tracing::debug_span!("conn", peer = %peer);
        app.tracker.spawn(
            async move {
                let mut stream = stream;
                let (peer, early) = if limits.proxy_protocol {
                    match read_proxy_header(&mut stream, peer, &app2.trusted_proxies, &limits).await
                    {
                        Ok(found) => found,
                        Err(e) => {
                            tracing::info!(%peer, "refused: {e}");
                            return;
                        }
                    }
                } else {
                    (peer, Vec::new())
                };
                let conn = Arc::new(Conn::new(app2.ids.next(), peer, app2.reply_limits));
                // `@`/`<` first: a Mongrel2 JSON/XML socket, not HTTP. Until its first
                // byte a connection is idle (keepalive_timeout, as idle.rs counts it).
                let sniffed =
                    jssocket::sniff(&stream, &early, limits.keepalive_timeout, &shutdown).await;
                let fd = i64::from(std::os::fd::AsRawFd::as_raw_fd(&stream));
                let entry = app2
                    .registry
                    .register(&conn, fd, tokio::time::Instant::now());
                let stream = Counted::new(stream, entry, limits.send_timeout);
                match sniffed {
                    jssocket::Sniffed::Http => {
                        let (held, tracker) = (conn.clone(), app2.tracker.clone());
                        serve_connection(app2, conn, stream, early, builder, limits, shutdown)
                            .await;
                        // A WebSocket session took the socket over: it still counts
                        // against max_connections until it ends (a small task keeps the
                        // permit, so this larger one can end).
                        if held.is_taken_over() {
                            tracker.spawn(async move {
                                held.close_signal().cancelled().await;
                                drop(permit);
                            });
                            return;
                        }
                    }
                    jssocket::Sniffed::Socket => {
                        stream.stats().set_kind(Kind::Socket);
                        jssocket::serve(app2, conn, stream, early, shutdown).await
                    }
                    jssocket::Sniffed::Silent => conn.client_gone(),
                }
                drop(permit);
            }
            .instrument(span),
        );
    }
}

fn http_builder(settings: &Listener) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // Our own watch (idle.rs) enforces header_read_timeout and keepalive_timeout.
        .header_read_timeout(None)
        .max_headers(settings.max_headers)
        .max_buf_size(settings.max_header_bytes.max(MIN_READ_BUFFER))
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(settings.max_header_bytes).unwrap_or(u32::MAX));
    if settings.http2 {
        builder
    } else {
        builder.http1_only()
    }
}

async fn serve_connection(
    app: Arc<App>,
    conn: Arc<Conn>,
    stream: Counted<TcpStream>,
    early: Vec<u8>,
    builder: auto::Builder<TokioExecutor>,
    limits: Arc<Listener>,
    shutdown: CancellationToken,
) {
    let activity = Activity::new();
    let killed = stream.stats().killed().clone();
    let service = {
        let conn = conn.clone();
        let activity = activity.clone();
        service_fn(move |request| {
            service::handle(app.clone(), conn.clone(), activity.clone(), request)
        })
    };
    let io = TokioIo::new(Watch::new(stream, early, activity.clone()));
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    // The rare events, polled only when one of them fires (not on each of the
    // connection's several wake-ups per request).
    let ended = {
        let (activity, conn) = (activity.clone(), conn.clone());
        crate::quiet::Quiet::new(async move {
            tokio::select! {
                _ = activity.expired(limits.keepalive_timeout, limits.header_read_timeout) => End::Expired,
                _ = conn.close_signal().cancelled() => End::Graceful,
                _ = killed.cancelled() => End::Killed,
                _ = shutdown.cancelled() => End::Graceful,
            }
        })
    };
    let result = tokio::select! {
        result = connection.as_mut() => result,
        end = ended => match end {
            End::Expired => {
                tracing::debug!("closing: idle past keepalive_timeout, or head not read within header_read_timeout");
                Ok(())
            }
            End::Killed => {
                tracing::debug!("killed from the control port");
                conn.finish(false);
                Ok(())
            }
            End::Graceful => {
                connection.as_mut().graceful_shutdown();
                connection.as_mut().await
            }
        },
    };
    if let Err(e) = result {
        tracing::debug!("connection ended: {e}");
    }
    if !conn.is_taken_over() {
        conn.client_gone();
    }
}

/// Why a connection task stops serving before hyper ends the connection.
enum End {
    /// Idle past `keepalive_timeout`, or a head not read in `header_read_timeout`.
    Expired,
    /// Killed from the control port: dropped at once.
    Killed,
    /// Closed by the gateway or shutting down: finish the request in flight.
    Graceful,
}

/// Reads the PROXY header of a connection; returns the client address (the
/// header's source only when `peer` is a trusted proxy) and the bytes read
/// past the header, which belong to the first request.
async fn read_proxy_header(
    stream: &mut TcpStream,
    peer: SocketAddr,
    trusted: &[Cidr],
    limits: &Listener,
) -> Result<(SocketAddr, Vec<u8>), proxy_protocol::Error> {
    let mut buf = Vec::with_capacity(proxy_protocol::MAX_HEADER_BYTES);
    let read = async {
        loop {
            match proxy_protocol::parse(&buf) {
                Err(proxy_protocol::Error::Incomplete) => {}
                other => return other,
            }
            let mut chunk = [0u8; proxy_protocol::MAX_HEADER_BYTES];
            let room = proxy_protocol::MAX_HEADER_BYTES
                .saturating_sub(buf.len())
                .max(1);
            match stream.read(&mut chunk[..room]).await {
                Ok(0) | Err(_) => return Err(proxy_protocol::Error::Missing),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let header = tokio::time::timeout(limits.header_read_timeout, read)
        .await
        .map_err(|_| proxy_protocol::Error::Incomplete)??;
    let rest = buf.split_off(header.len.min(buf.len()));
    let trusted_peer = trusted.iter().any(|c| c.contains(peer.ip()));
    let client = match header.source {
        Some(source) if trusted_peer => source,
        _ => peer,
    };
    Ok((client, rest))
}

/// Answers a connection over the limit with 503 and closes it.
async fn refuse(mut stream: TcpStream) {
    let write = async {
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await
    };
    if let Err(e) = tokio::time::timeout(REFUSE_WRITE_TIMEOUT, write).await {
        tracing::debug!("refusing a connection over the limit: {e}");
    }
}
