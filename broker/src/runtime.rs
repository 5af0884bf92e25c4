//! The broker's I/O: one tokio task owns the engine and every socket (the workers' ROUTER, the
//! standalone gateways' ROUTER, the control REP, the PUSH and SUB of each service backed by Mongrel2
//! handlers) plus the submit channels of the embedded gateway links, so the broker's state is shared with
//! no one and nothing of it is locked. Deliveries to an embedded gateway are calls to its sink
//! ([`Deliver`](crate::link::Deliver)), made from this task.
//!
//! The loop ([`Broker::run`]) is "receive, hand to the engine, perform the actions": after each wake it
//! drains every ready socket and channel (up to a batch each) before waiting again, ticks the engine when
//! [`Engine::next_deadline`](crate::engine::Engine::next_deadline) is due, and performs the actions —
//! REQUEST/CANCEL/HEARTBEAT/DISCONNECT to workers over the ROUTER (a worker the ROUTER cannot reach is
//! reported to the engine as gone), replies and FAILs to the gateway they name: an embedded link's
//! sink or the gateway ROUTER; requests and disconnect notices for handler-backed services to their
//! PUSH without waiting (a request the PUSH cannot take goes back to the engine's queue, see
//! [`HandlerService`]). Queue bounds and socket options live in [`sockets`].
//!
//! A full embedded sink is not waited on: the reply (or FAIL) is dropped and counted in
//! [`IoCounters`], exactly like a standalone gateway whose ZeroMQ queue is full; the gateway's own idle
//! timeout then closes the affected connection. Size the link's queue for the bursts it must absorb.
//!
//! Shutdown: when the token is cancelled the broker drains for [`Settings::drain_grace`]: new submits get
//! 503 `overloaded`, requests in progress may finish. Then the engine fails whatever is left (503 queued,
//! 502 held), workers and standalone gateways get DISCONNECT, embedded links get `Down`.

mod due;
mod embedded;
mod event_loop;
mod handler_io;
mod handlers;
mod intake;
mod perform;
pub mod sockets;
mod standalone;
#[cfg(test)]
mod tests;
pub(crate) mod transport;

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::engine::{self, Engine, HandlerId};
use crate::link::{Link, Sink, Submitter};
use crate::zmq_async::{self, AsyncSocket};
use embedded::Embedded;
use handlers::Handlers;

pub use handlers::{HandlerEndpoints, HandlerService};
pub use standalone::run_standalone;
use transport::RouterSocket;
pub use transport::Transport;

/// Where the broker binds, and its engine's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// ROUTER endpoint for workers (S0W/1), e.g. `tcp://0.0.0.0:5560` or `ipc:///run/scale0/workers`.
    pub workers: String,
    /// ROUTER endpoint for standalone gateways (S0G/1); `None` when only embedded gateways are served.
    pub gateways: Option<String>,
    /// REP endpoint for `scale0 ctl` (JSON, see [`crate::control`]); keep it on loopback or ipc.
    pub control: Option<String>,
    /// The engine's tunables (heartbeats, queues, deadlines, tables).
    pub engine: engine::Config,
    /// Services backed by unchanged Mongrel2 handlers, on PUSH/SUB endpoints the broker binds; usually
    /// none.
    pub handlers: Vec<HandlerService>,
    /// How long a shutdown lets requests in progress finish (new submits get 503 meanwhile) before
    /// failing the rest. Usually [`DEFAULT_DRAIN_GRACE`].
    pub drain_grace: Duration,
    /// What carries the worker and gateway ROUTERs: Scale0's own ZMTP (the default) or libzmq.
    pub transport: Transport,
}

/// [`Settings::drain_grace`] unless set otherwise.
pub const DEFAULT_DRAIN_GRACE: Duration = Duration::from_secs(5);

impl Settings {
    /// Settings binding only the worker endpoint, with the default engine configuration.
    pub fn new(workers: impl Into<String>) -> Self {
        Settings {
            workers: workers.into(),
            gateways: None,
            control: None,
            engine: engine::Config::default(),
            handlers: Vec::new(),
            drain_grace: DEFAULT_DRAIN_GRACE,
            transport: Transport::default(),
        }
    }
}

/// Why the broker could not start, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine configuration is invalid (the field is named inside).
    #[error("broker configuration: {0}")]
    Config(#[from] engine::ConfigError),
    /// A socket could not be opened or bound; `role` says which (`workers`, `gateways`, `control`) and
    /// the source names the endpoint.
    #[error("broker {role} socket: {source}")]
    Socket {
        /// Which socket.
        role: &'static str,
        /// libzmq's or tokio's error, with the endpoint.
        #[source]
        source: zmq_async::Error,
    },
    /// A handler-backed service is misconfigured (the service is named inside).
    #[error("broker configuration: {0}")]
    Handler(#[from] engine::HandlerError),
    /// A socket of a handler-backed service could not be bound or failed; `role` is `send_spec` (the
    /// PUSH) or `recv_spec` (the SUB), and the source names the endpoint.
    #[error("broker handler service {service:?} {role} socket: {source}")]
    HandlerSocket {
        /// The service.
        service: String,
        /// Which socket.
        role: &'static str,
        /// libzmq's or tokio's error, with the endpoint.
        #[source]
        source: zmq_async::Error,
    },
    /// The tokio runtime of [`run_standalone`] could not be built.
    #[error("broker runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// What the I/O layer counts besides the engine's counters: messages it could not deliver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IoCounters {
    /// Replies and FAILs dropped because the gateway's queue (ZeroMQ or embedded channel) was full.
    pub gateway_full_drops: u64,
    /// Replies and FAILs dropped because the gateway was gone (disconnected, link closed).
    pub gateway_gone_drops: u64,
    /// Sends to workers that found them unreachable or not reading (the worker was unregistered).
    pub worker_unreachable: u64,
    /// Messages dropped for having more than [`sockets::MAX_FRAMES`] frames.
    pub oversized_messages: u64,
    /// Submits answered 503 because the broker was shutting down.
    pub refused_draining: u64,
    /// Messages on the gateway ROUTER using the sender id of an embedded link (dropped).
    pub sender_id_conflicts: u64,
    /// Disconnect notices for handlers dropped because their service's PUSH could not take them.
    pub handler_notices_dropped: u64,
}

/// The endpoints actually bound (a `tcp://…:*` endpoint shows its port), for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The workers' ROUTER.
    pub workers: String,
    /// The gateways' ROUTER.
    pub gateways: Option<String>,
    /// The control REP.
    pub control: Option<String>,
    /// The PUSH and SUB of each handler-backed service, in configuration order.
    pub handlers: Vec<HandlerEndpoints>,
}

/// A bound broker, ready to [`run`](Broker::run).
pub struct Broker {
    engine: Engine,
    /// Kept so the sockets' context outlives them.
    _ctx: zmq::Context,
    workers: RouterSocket,
    gateways: Option<RouterSocket>,
    control: Option<AsyncSocket>,
    handlers: Handlers,
    embedded: Embedded,
    endpoints: Endpoints,
    drain_grace: Duration,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// Validates the engine configuration and the handler services, then binds every endpoint (inside a
    /// tokio runtime). Errors say which field, or which socket and endpoint, failed, before anything runs.
    pub async fn bind(settings: Settings) -> Result<Broker, Error> {
        let mut engine = Engine::new(settings.engine)?;
        let now = event_loop::now();
        let ids = settings
            .handlers
            .iter()
            .map(|h| engine.add_handler_service(&h.service, h.max_outstanding, now))
            .collect::<Result<Vec<HandlerId>, _>>()?;
        let ctx = zmq::Context::new();
        let socket = |role| move |source| Error::Socket { role, source };
        let router = |endpoint: &str, hwm: u32| {
            RouterSocket::bind(&ctx, endpoint, sockets::hwm(hwm), settings.transport)
        };
        let workers = router(&settings.workers, sockets::WORKER_HWM).map_err(socket("workers"))?;
        let gateways = match &settings.gateways {
            Some(endpoint) => {
                Some(router(endpoint, sockets::GATEWAY_HWM).map_err(socket("gateways"))?)
            }
            None => None,
        };
        let control = match &settings.control {
            Some(endpoint) => Some(sockets::control(&ctx, endpoint).map_err(socket("control"))?),
            None => None,
        };
        let handlers = Handlers::bind(&ctx, &settings.handlers, &ids)?;
        let bound = |s: &RouterSocket, role| s.endpoint().map_err(socket(role));
        let endpoints = Endpoints {
            workers: bound(&workers, "workers")?,
            gateways: gateways
                .as_ref()
                .map(|s| bound(s, "gateways"))
                .transpose()?,
            control: control
                .as_ref()
                .map(|s| s.last_endpoint().map_err(socket("control")))
                .transpose()?,
            handlers: handlers.endpoints()?,
        };
        tracing::info!(?endpoints, "broker bound");
        Ok(Broker {
            engine,
            _ctx: ctx,
            workers,
            gateways,
            control,
            handlers,
            embedded: Embedded::default(),
            endpoints,
            drain_grace: settings.drain_grace,
        })
    }

    /// The endpoints bound.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// An in-process gateway link: the gateway submits through a channel of `queue` messages (one at
    /// least) that the broker's loop reads, and the loop calls `sink` for each message for the gateway, with
    /// no ZeroMQ hop and no task in between. Several may exist, one per sender id; a second link with the
    /// same sender id replaces the first, whose channel closes. A sender id that is not a valid S0G/1
    /// sender id is logged, and every submit through the link then fails with 502 `bad-submit`
    /// (validate sender ids in configuration).
    pub fn embedded_link_to(&mut self, sender_id: &str, queue: usize, sink: Sink) -> Submitter {
        if let Err(error) = crate::link::checked_sender_id(sender_id) {
            tracing::error!(%error, "embedded gateway link with an unusable sender id");
        }
        self.embedded.add(sender_id.as_bytes(), queue.max(1), sink)
    }

    /// [`Broker::embedded_link_to`] with a channel of `queue` messages as the sink, for a gateway (a
    /// tool, a test) that reads every delivery in one task.
    pub fn embedded_link(&mut self, sender_id: &str, queue: usize) -> Link {
        let (sink, rx) = Link::channel(queue);
        Link::new(self.embedded_link_to(sender_id, queue, sink), rx)
    }

    /// Runs the loop until `shutdown` is cancelled and the drain is over (see the module docs).
    /// Returns an error only if the reactor fails on a socket; it is also logged.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), Error> {
        let result = event_loop::Loop::new(self).run(shutdown).await;
        if let Err(error) = &result {
            tracing::error!(%error, "broker stopped");
        }
        result
    }
}
