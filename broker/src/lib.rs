//! Scale0's broker: per-service least-recently-used dispatch of Mongrel2 request messages to workers that
//! announce the services they serve and their capacity.
//!
//! Data flows through these layers:
//!
//! * [`protocol`] — the sans-IO codecs of the two wire protocols: S0W/1 between workers and the broker
//!   ([`protocol::Command`]) and S0G/1 between gateways and the broker ([`protocol::gateway::Command`]).
//!   Specified in `docs/worker-protocol.md`.
//! * [`engine`] — the state machine ([`engine::Engine`]): it takes [`engine::Event`]s (a worker is READY,
//!   a gateway SUBMITs, time passes) with the current instant and returns [`engine::Action`]s (send this
//!   REQUEST, route this reply, FAIL that request with 503). It owns the per-service ready queues of free
//!   worker slots, the bounded request queues, deadlines, heartbeats and retries; it never touches a socket
//!   or a clock.
//! * [`zmq_async`] — ZeroMQ sockets inside tokio (an `AsyncFd` on libzmq's `ZMQ_FD`), shared with the
//!   gateway.
//! * [`runtime`] — the I/O loop ([`runtime::Broker`]): one task owns the ZeroMQ sockets and the engine,
//!   feeds frames to [`engine::Engine::handle_worker_frames`] / [`engine::Engine::handle_gateway_frames`]
//!   and embedded gateways' messages to [`engine::Engine::handle`], performs the actions and sleeps until
//!   [`engine::Engine::next_deadline`]. [`runtime::run_standalone`] is `scale0 broker`.
//! * [`link`] — the gateway's side, the same whether the broker is embedded (a channel into its loop) or
//!   standalone ([`link::connect_to`], a DEALER speaking S0G/1 with heartbeats and failover): requests go
//!   in through a [`link::Submitter`], replies come back through the gateway's [`link::Deliver`] sink,
//!   called by the broker's loop or the link task (or, for tools and tests, a [`link::Link`] channel).
//! * [`control`] — the control socket's JSON commands and `scale0 ctl`'s client ([`control::query`],
//!   [`control::render_status`]).
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use scale0_broker::engine::{Action, Config, Engine, Event};
//! use scale0_broker::protocol::{Command, ServiceName};
//!
//! let mut engine = Engine::new(Config::default()).unwrap();
//! let (now, mut out) = (Instant::now(), Vec::new());
//! let services = [ServiceName::new(b"echo").unwrap()];
//! engine.handle(Event::WorkerReady { worker: b"w1", services: &services, capacity: 1 }, now, &mut out);
//! out.clear();
//! let payload = Bytes::from_static(b"gw-1 7 /hello 2:{},0:,");
//! let submit = Event::Submit {
//!     gateway: b"gw-1", request: 1, service: "echo", payload, deadline: None, idempotent: true,
//! };
//! engine.handle(submit, now, &mut out);
//! assert!(matches!(&out[..], [Action::SendToWorker { command: Command::Request { .. }, .. }]));
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod control;
pub mod engine;
mod envelope;
pub mod idmap;
pub mod link;
pub mod protocol;
pub mod runtime;
pub mod worker;
pub mod zmq_async;
pub mod zmtp;
