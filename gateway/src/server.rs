//! The gateway process: binds the targets' sockets and the listeners (after the
//! config is validated), serves connections (`accept`: hyper for HTTP/1.x with
//! keep-alive and pipelining and h2c with prior knowledge, Mongrel2's JSON/XML
//! sockets), and drains on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access_log::Logger;
use crate::config::{self, BrokerMode, Cidr, Config, Listener, TargetKind};
use crate::conn::IdAllocator;
use crate::registry::Registry;
use crate::routing::Router;
use crate::target::{self, handler, Link};
use crate::{control_port, http_reply};

mod accept;

use accept::accept_loop;

/// Messages queued between the gateway and its embedded broker, each way.
const EMBEDDED_LINK_QUEUE: usize = 16 * 1024;
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
    let routes = target::service::Routes::new();
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
                transport: broker.transport,
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
            let link = runtime.embedded_link_to(sender_id, EMBEDDED_LINK_QUEUE, routes.clone());
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
                transport: broker.transport,
                ..Default::default()
            };
            let sink = routes.clone();
            scale0_broker::link::connect_to(endpoint.as_str(), sender_id, settings, sink).await?
        }
    };
    let (to_broker, link_task) = link.into_parts();
    Ok(target::service::Shared::start(
        routes, to_broker, link_task, tracker, shutdown,
    ))
}
