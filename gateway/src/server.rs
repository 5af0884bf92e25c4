//! The gateway process: binds the targets' sockets and the listeners (after the
//! config is validated), accepts connections, serves each with hyper (HTTP/1.x
//! with keep-alive and pipelining, and h2c with prior knowledge), and drains on
//! shutdown.

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
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::access_log::Logger;
use crate::config::{self, BrokerMode, Cidr, Config, Listener, TargetKind};
use crate::conn::{Conn, IdAllocator};
use crate::idle::{Activity, Watch};
use crate::registry::{Counted, Kind, Registry};
use crate::routing::Router;
use crate::target::{self, handler, Link};
use crate::{control_port, http_reply, jssocket, proxy_protocol, service};

/// hyper's smallest read buffer; `max_header_bytes` below it is enforced at it.
const MIN_READ_BUFFER: usize = 8192;
/// How long an over-limit connection may take to receive its 503.
const REFUSE_WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// Messages queued between the gateway and its embedded broker, each way.
const EMBEDDED_LINK_QUEUE: usize = 16 * 1024;
/// The answer to a connection over `max_connections`.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 42\r\nRetry-After: 1\r\nConnection: close\r\n\r\nService Unavailable: too many connections\n";

/// Everything requests share: routes, targets, limits. Built once per config.
#[derive(Debug)]
pub struct App {
    /// The routing tables.
    pub router: Router,
    /// Running targets, by [`config::TargetId`] index (`None`: kind not served yet).
    pub targets: Vec<Option<Link>>,
    /// Dir targets (static files served by the gateway), by target index; `None` for other kinds.
    pub dirs: Vec<Option<target::dir::Dir>>,
    /// Conn id allocator.
    pub ids: IdAllocator,
    /// Peers whose X-Forwarded-For is trusted.
    pub trusted_proxies: Vec<Cidr>,
    /// Caps on handler replies.
    pub reply_limits: http_reply::Limits,
    /// Tasks to wait for at shutdown.
    pub tracker: TaskTracker,
    /// The access log.
    pub access_log: Logger,
    /// Proxy targets, by [`config::TargetId`] index (`None`: not a proxy).
    pub proxies: Vec<Option<Arc<target::proxy::Proxy>>>,
    /// Open client connections, for the control port.
    pub registry: Arc<Registry>,
    /// `[upload]`: where large request bodies are spooled (crate::upload).
    pub upload: Option<config::UploadStore>,
    /// Cancelled when the gateway stops: sessions that outlive a request (WebSockets) end on it.
    pub shutdown: CancellationToken,
}

/// A gateway with its sockets bound, ready to serve.
pub struct Gateway {
    app: Arc<App>,
    listeners: Vec<(TcpListener, Listener)>,
    shutdown_grace: Duration,
    terminate: CancellationToken,
    _zmq: zmq::Context,
}

impl Gateway {
    /// Binds every target socket and listener of `config`; nothing is served
    /// until [`Gateway::serve`]. Must be called inside a tokio runtime.
    pub async fn bind(config: &Config, shutdown: CancellationToken) -> anyhow::Result<Gateway> {
        let zmq = zmq::Context::new();
        let tracker = TaskTracker::new();
        let sender_id = config
            .gateway
            .sender_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let broker = match &config.broker {
            Some(broker) => {
                Some(connect_broker(broker, &sender_id, &tracker, shutdown.clone()).await?)
            }
            None => None,
        };
        let mut targets = Vec::with_capacity(config.targets.len());
        for (index, target) in config.targets.iter().enumerate() {
            targets.push(match &target.kind {
                TargetKind::Handler(h) => {
                    let settings = handler::Settings {
                        name: target.name.clone(),
                        send_spec: h.send_spec.as_str().to_owned(),
                        send_ident: h.sender(&sender_id).to_owned(),
                        recv_spec: h.recv_spec.as_str().to_owned(),
                        recv_ident: h.recv_ident.clone(),
                        protocol: match h.protocol {
                            config::Protocol::Json => mongrel2_compat::request::Protocol::Json,
                            config::Protocol::Tnetstring => {
                                mongrel2_compat::request::Protocol::Tnetstring
                            }
                        },
                    };
                    Some(Link::Handler(handler::spawn(
                        &zmq,
                        index,
                        settings,
                        &tracker,
                        shutdown.clone(),
                    )?))
                }
                TargetKind::Service(s) => {
                    let shared = broker.as_ref().ok_or_else(|| {
                        anyhow::anyhow!("target {}: service targets need [broker]", target.name)
                    })?;
                    Some(Link::Service(shared.target(
                        index,
                        target::service::Settings {
                            name: target.name.clone(),
                            service: s.service.clone(),
                            sender_id: sender_id.clone(),
                        },
                    )))
                }
                TargetKind::Proxy(_) => None,
                TargetKind::Dir(_) => None,
            });
        }
        let proxies = proxy_targets(config, &tracker, &shutdown)?;
        let dirs = config
            .targets
            .iter()
            .map(|t| match &t.kind {
                TargetKind::Dir(d) => {
                    target::dir::Dir::new(&t.name, d, &config.mimetypes).map(Some)
                }
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut listeners = Vec::new();
        for l in &config.listeners {
            let socket = TcpListener::bind(l.bind)
                .await
                .map_err(|e| anyhow::anyhow!("listener {}: {e}", l.bind))?;
            listeners.push((socket, l.clone()));
        }
        let access_log = Logger::start(&config.gateway.access_log).await?;
        let registry = Registry::new();
        let terminate = CancellationToken::new();
        let addrs: Vec<SocketAddr> = listeners
            .iter()
            .filter_map(|(l, _)| l.local_addr().ok())
            .collect();
        if let Some(control) =
            control_port::Settings::from_config(config, &sender_id, &addrs, registry.clone())
        {
            control_port::spawn(&zmq, control, &tracker, shutdown.clone(), terminate.clone())?;
        }
        if let Some(store) = &config.upload {
            // Left-overs of a gateway that stopped mid-upload (crate::upload::store).
            let now = std::time::SystemTime::now();
            crate::upload::store::sweep(store, crate::upload::store::STALE_UPLOAD_AGE, now);
        }
        let app = Arc::new(App {
            router: Router::new(config),
            targets,
            dirs,
            ids: IdAllocator::default(),
            trusted_proxies: config.gateway.trusted_proxies.clone(),
            reply_limits: http_reply::Limits::default(),
            tracker,
            access_log,
            proxies,
            registry,
            upload: config.upload.clone(),
            shutdown: shutdown.clone(),
        });
        Ok(Gateway {
            app,
            listeners,
            shutdown_grace: config.gateway.shutdown_grace,
            terminate,
            _zmq: zmq,
        })
    }

    /// The addresses the listeners are bound to (port 0 resolved).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|(l, _)| l.local_addr().ok())
            .collect()
    }

    /// Serves until `shutdown` is cancelled, then drains connections for up to
    /// the configured grace period.
    pub async fn serve(self, shutdown: CancellationToken) {
        let accept_tasks = TaskTracker::new();
        for (socket, settings) in self.listeners {
            accept_tasks.spawn(accept_loop(
                self.app.clone(),
                socket,
                settings,
                shutdown.clone(),
            ));
        }
        accept_tasks.close();
        accept_tasks.wait().await;
        self.app.tracker.close();
        let drained = async {
            tokio::select! {
                _ = self.app.tracker.wait() => {}
                _ = self.terminate.cancelled() => {}
            }
        };
        if tokio::time::timeout(self.shutdown_grace, drained)
            .await
            .is_err()
        {
            tracing::warn!("shutdown grace period over; dropping remaining connections");
        }
        self.app.access_log.close().await;
    }
}

async fn accept_loop(
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
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = activity.expired(limits.keepalive_timeout, limits.header_read_timeout) => {
            tracing::debug!("closing: idle past keepalive_timeout, or head not read within header_read_timeout");
            Ok(())
        }
        _ = conn.close_signal().cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.as_mut().await
        }
        _ = killed.cancelled() => {
            tracing::debug!("killed from the control port");
            conn.finish(false);
            Ok(())
        }
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.as_mut().await
        }
    };
    if let Err(e) = result {
        tracing::debug!("connection ended: {e}");
    }
    if !conn.is_taken_over() {
        conn.client_gone();
    }
}

/// Builds the connection pool of every `proxy` target, by target index.
fn proxy_targets(
    config: &Config,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<Option<Arc<target::proxy::Proxy>>>> {
    let mut proxies = Vec::with_capacity(config.targets.len());
    for target in &config.targets {
        proxies.push(match &target.kind {
            TargetKind::Proxy(p) => Some(Arc::new(target::proxy::Proxy::new(
                &target.name,
                p,
                tracker,
                shutdown.clone(),
            )?)),
            _ => None,
        });
    }
    Ok(proxies)
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

/// Starts the embedded broker (binding its worker endpoint) or connects to a
/// standalone one, and the task that owns the link.
async fn connect_broker(
    broker: &config::Broker,
    sender_id: &str,
    tracker: &TaskTracker,
    shutdown: CancellationToken,
) -> anyhow::Result<target::service::Shared> {
    let engine = scale0_broker::engine::Config {
        heartbeat_interval: broker.heartbeat_interval,
        liveness: broker.liveness,
        max_queue: broker.max_queue,
        ..Default::default()
    };
    let link = match &broker.mode {
        BrokerMode::Embedded {
            workers,
            control,
            handlers,
        } => {
            let settings = scale0_broker::runtime::Settings {
                workers: workers.as_str().to_owned(),
                gateways: None,
                control: control.as_ref().map(|c| c.as_str().to_owned()),
                engine,
                drain_grace: scale0_broker::runtime::DEFAULT_DRAIN_GRACE,
                handlers: handlers
                    .iter()
                    .map(|h| scale0_broker::runtime::HandlerService {
                        service: h.service.clone(),
                        send_spec: h.send_spec.as_str().to_owned(),
                        recv_spec: h.recv_spec.as_str().to_owned(),
                        recv_ident: h.recv_ident.clone(),
                        max_outstanding: h.max_outstanding,
                    })
                    .collect(),
            };
            let mut runtime = scale0_broker::runtime::Broker::bind(settings).await?;
            let link = runtime.embedded_link(sender_id, EMBEDDED_LINK_QUEUE);
            let stop = shutdown.clone();
            tracker.spawn(async move {
                if let Err(e) = runtime.run(stop).await {
                    tracing::error!("embedded broker stopped: {e}");
                }
            });
            link
        }
        BrokerMode::Connect { endpoint } => {
            let settings = scale0_broker::link::LinkSettings {
                heartbeat_interval: broker.heartbeat_interval,
                liveness: broker.liveness,
                ..Default::default()
            };
            scale0_broker::link::connect(endpoint.as_str(), sender_id, settings).await?
        }
    };
    Ok(target::service::spawn(link, tracker, shutdown))
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
