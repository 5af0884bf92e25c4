//! Services backed by unchanged Mongrel2 handlers: per service, a PUSH bound at `send_spec` (requests
//! out; handlers connect PULL) and a SUB bound at `recv_spec` (replies in; handlers connect PUB),
//! exactly as Mongrel2 binds them. The engine caps what the service holds and keeps the deadlines
//! ([`crate::engine::Engine::add_handler_service`]); this file owns the sockets.
//!
//! The PUSH is never waited on: a request it cannot take now goes back to the engine, and the socket is
//! marked blocked until libzmq reports it writable (a handler connected, or one drained its queue).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::{sockets, Error};
use crate::engine::HandlerId;
use crate::zmq_async::{self, AsyncSocket};

/// One service backed by unchanged Mongrel2 handlers, as configured (`docs/worker-protocol.md` §13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerService {
    /// The service name gateways submit to (1-128 bytes of `A-Z a-z 0-9 . _ - : /`).
    pub service: String,
    /// Where the broker binds the PUSH its handlers connect their PULL to (Mongrel2's `send_spec`).
    pub send_spec: String,
    /// Where the broker binds the SUB its handlers connect their PUB to (Mongrel2's `recv_spec`).
    pub recv_spec: String,
    /// The SUB's subscription (Mongrel2's `recv_ident`): a byte prefix every reply frame must start
    /// with. Usually empty, which takes every reply; with several gateways it must be empty or a prefix
    /// of all their sender ids, since handlers reply with the sender id of the request.
    pub recv_ident: String,
    /// Most requests the handlers together may hold (taken, no reply yet); more wait in the service's
    /// queue. At least 1, at most [`crate::engine::MAX_HANDLER_OUTSTANDING`].
    pub max_outstanding: u32,
}

impl HandlerService {
    /// A service with the usual empty `recv_ident`.
    pub fn new(
        service: impl Into<String>,
        send_spec: impl Into<String>,
        recv_spec: impl Into<String>,
        max_outstanding: u32,
    ) -> Self {
        HandlerService {
            service: service.into(),
            send_spec: send_spec.into(),
            recv_spec: recv_spec.into(),
            recv_ident: String::new(),
            max_outstanding,
        }
    }
}

/// The endpoints a handler-backed service bound (a `tcp://…:*` spec shows its port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerEndpoints {
    /// The service.
    pub service: String,
    /// The PUSH (handlers connect PULL here).
    pub send: String,
    /// The SUB (handlers connect PUB here).
    pub recv: String,
}

/// The sockets of one handler-backed service.
struct Service {
    id: HandlerId,
    name: String,
    push: AsyncSocket,
    sub: AsyncSocket,
    /// The PUSH refused a request; the engine holds dispatch until it is writable.
    blocked: bool,
}

/// The sockets of every handler-backed service, indexed by [`HandlerId::index`].
#[derive(Default)]
pub(super) struct Handlers {
    services: Vec<Service>,
}

impl Handlers {
    /// Binds the sockets of `config[i]`, known to the engine as `ids[i]`.
    pub(super) fn bind(
        ctx: &zmq::Context,
        config: &[HandlerService],
        ids: &[HandlerId],
    ) -> Result<Handlers, Error> {
        let mut services = Vec::with_capacity(config.len());
        for (handler, &id) in config.iter().zip(ids) {
            let name = &handler.service;
            let push = sockets::handler_push(ctx, &handler.send_spec, handler.max_outstanding)
                .map_err(|e| socket_error(name, SEND, e))?;
            let sub = sockets::handler_sub(ctx, &handler.recv_spec, handler.recv_ident.as_bytes())
                .map_err(|e| socket_error(name, RECV, e))?;
            services.push(Service {
                id,
                name: handler.service.clone(),
                push,
                sub,
                blocked: false,
            });
        }
        Ok(Handlers { services })
    }

    /// The endpoints bound, in configuration order.
    pub(super) fn endpoints(&self) -> Result<Vec<HandlerEndpoints>, Error> {
        self.services
            .iter()
            .map(|s| {
                Ok(HandlerEndpoints {
                    service: s.name.clone(),
                    send: s
                        .push
                        .last_endpoint()
                        .map_err(|e| socket_error(&s.name, SEND, e))?,
                    recv: s
                        .sub
                        .last_endpoint()
                        .map_err(|e| socket_error(&s.name, RECV, e))?,
                })
            })
            .collect()
    }

    /// Number of handler-backed services; indexes are `0..len()`.
    pub(super) fn len(&self) -> usize {
        self.services.len()
    }

    /// The engine's id of service `index`.
    pub(super) fn id(&self, index: usize) -> Option<HandlerId> {
        self.services.get(index).map(|s| s.id)
    }

    /// Takes one reply frame from service `index`'s SUB without waiting (`None`: nothing queued). Each
    /// frame is one reply, as for Mongrel2, which reads handler messages frame by frame.
    pub(super) fn try_recv(&self, index: usize) -> Result<Option<zmq::Message>, Error> {
        let Some(service) = self.services.get(index) else {
            return Ok(None);
        };
        match service.sub.try_recv() {
            Ok(frame) => Ok(Some(frame)),
            Err(zmq_async::Error::WouldBlock) => Ok(None),
            Err(source) => Err(socket_error(&service.name, RECV, source)),
        }
    }

    /// Hands one frame to service `handler`'s PUSH without waiting. `false` when it cannot take it now
    /// (or is blocked already, so that requests keep their order): the socket is then blocked until
    /// [`Handlers::unblock_writable`] finds it writable.
    pub(super) fn try_send(&mut self, handler: HandlerId, frame: &[u8]) -> bool {
        let Some(service) = self.services.get_mut(handler.index()) else {
            return false;
        };
        if service.blocked {
            return false;
        }
        match service.push.try_send(frame) {
            Ok(()) => true,
            Err(zmq_async::Error::WouldBlock) => {
                service.blocked = true;
                false
            }
            Err(error) => {
                tracing::warn!(%error, service = service.name, "handler PUSH send failed");
                service.blocked = true;
                false
            }
        }
    }

    /// Sends a disconnect notice if the PUSH takes it now; `false` when it was dropped.
    pub(super) fn try_send_notice(&self, handler: HandlerId, notice: &[u8]) -> bool {
        self.services
            .get(handler.index())
            .is_some_and(|s| s.push.try_send(notice).is_ok())
    }

    /// Clears the blocked mark of every PUSH that is writable now and returns their ids (checked without
    /// waiting; empty, without allocating, when none is blocked).
    pub(super) fn unblock_writable(&mut self) -> Vec<HandlerId> {
        let mut writable = Vec::new();
        for service in self.services.iter_mut().filter(|s| s.blocked) {
            let ready = std::pin::pin!(service.push.ready(zmq::POLLOUT));
            let mut cx = Context::from_waker(Waker::noop());
            if let Poll::Ready(Ok(_)) = ready.poll(&mut cx) {
                service.blocked = false;
                writable.push(service.id);
            }
        }
        writable
    }

    /// Waits until a SUB has a reply or a blocked PUSH is writable; never resolves without services.
    ///
    /// Cancel-safe: waiting consumes nothing.
    pub(super) async fn ready(&mut self) -> Result<(), Error> {
        if self.services.is_empty() {
            return std::future::pending().await;
        }
        type Wait<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;
        let mut waits: Vec<Wait<'_>> = Vec::with_capacity(self.services.len() * 2);
        for service in &mut self.services {
            let Service {
                name,
                push,
                sub,
                blocked,
                ..
            } = service;
            let name: &str = name;
            waits.push(Box::pin(async move {
                let ready = sub.ready(zmq::POLLIN).await;
                ready.map(drop).map_err(|e| socket_error(name, RECV, e))
            }));
            if *blocked {
                waits.push(Box::pin(async move {
                    let ready = push.ready(zmq::POLLOUT).await;
                    ready.map(drop).map_err(|e| socket_error(name, SEND, e))
                }));
            }
        }
        std::future::poll_fn(|cx| {
            for wait in waits.iter_mut() {
                if let Poll::Ready(result) = wait.as_mut().poll(cx) {
                    return Poll::Ready(result);
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// The role of a PUSH in [`Error::HandlerSocket`].
const SEND: &str = "send_spec";
/// The role of a SUB in [`Error::HandlerSocket`].
const RECV: &str = "recv_spec";

/// The error of service `service`'s socket `role`.
fn socket_error(service: &str, role: &'static str, source: zmq_async::Error) -> Error {
    Error::HandlerSocket {
        service: service.to_owned(),
        role,
        source,
    }
}
