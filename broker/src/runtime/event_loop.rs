//! The loop itself: drain every source, tick, perform, then wait for the next wake.

use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::time::Sleep;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use super::due::{drained_readable, router_readable, Due, CONTROL_EVERY};
use super::embedded::Embedded;
use super::handlers::Handlers;
use super::sockets::{self, Frame};
use super::transport::{Got, RouterSocket};
use super::{Broker, Error, IoCounters};
use crate::control;
use crate::engine::{Action, Engine, Event, HandlerId};
use crate::link::ToBroker;
use crate::protocol::{gateway, RequestId};
use crate::zmq_async::{self, AsyncSocket};

/// Messages taken from one source per pass before the others get a turn (and before actions are
/// performed), so one busy peer cannot starve the rest and batches stay small enough for low latency.
pub(super) const BATCH: usize = 256;

/// The engine's clock: tokio's, so tests can pause it.
pub(super) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// The broker while it runs; see the module docs of [`super`].
pub(super) struct Loop {
    pub(super) engine: Engine,
    _ctx: zmq::Context,
    pub(super) workers: RouterSocket,
    pub(super) gateways: Option<RouterSocket>,
    control: Option<AsyncSocket>,
    pub(super) handlers: Handlers,
    pub(super) embedded: Embedded,
    pub(super) drain_grace: Duration,
    pub(super) io: IoCounters,
    /// Actions produced and not yet performed.
    pub(super) out: Vec<Action>,
    /// Requests the handlers' PUSH could not take during the current batch of actions, in order; handed
    /// back to the engine after the batch, last first.
    pub(super) unsent: Vec<(HandlerId, RequestId, Bytes)>,
    /// Reused buffers.
    pub(super) frames: Vec<Frame>,
    pub(super) batch: Vec<Action>,
    pub(super) send_buf: Vec<Bytes>,
    pub(super) draining: bool,
    /// Which sockets the next pass reads; see [`Due`].
    due: Due,
    passes: u32,
}

impl Loop {
    pub(super) fn new(broker: Broker) -> Self {
        Loop {
            engine: broker.engine,
            _ctx: broker._ctx,
            workers: broker.workers,
            gateways: broker.gateways,
            control: broker.control,
            handlers: broker.handlers,
            embedded: broker.embedded,
            drain_grace: broker.drain_grace,
            io: IoCounters::default(),
            out: Vec::new(),
            unsent: Vec::new(),
            frames: Vec::new(),
            batch: Vec::new(),
            send_buf: Vec::new(),
            draining: false,
            due: Due::ALL,
            passes: 0,
        }
    }

    pub(super) async fn run(mut self, shutdown: CancellationToken) -> Result<(), Error> {
        self.announce_embedded();
        let mut drain_until = None;
        let mut taken = None;
        // Kept across waits: a new cancellation waiter and a new timer per wait cost a lock and a
        // timer-wheel insertion and removal each.
        let cancelled = shutdown.cancelled();
        tokio::pin!(cancelled);
        let timer = tokio::time::sleep_until(tokio::time::Instant::now());
        tokio::pin!(timer);
        loop {
            let now = now();
            if drain_until.is_none() && shutdown.is_cancelled() {
                tracing::info!(grace = ?self.drain_grace, "broker draining");
                self.draining = true;
                drain_until = Some(now + self.drain_grace);
            }
            if let Some((index, message)) = taken.take() {
                self.on_embedded_message(index, message, now);
            }
            let more = self.pass()?;
            if let Some(until) = drain_until {
                if self::now() >= until || self.engine.tracked_requests() == 0 {
                    break;
                }
            }
            if more {
                tokio::task::yield_now().await;
                continue;
            }
            taken = self
                .wait(cancelled.as_mut(), timer.as_mut(), drain_until)
                .await?;
        }
        self.farewell();
        Ok(())
    }

    /// One pass over every source, then the engine's timers, then the actions. `true` when a source
    /// had more than a batch waiting.
    fn pass(&mut self) -> Result<bool, Error> {
        let now = now();
        let mut more = false;
        if self.due.workers {
            self.due.workers = self.read_workers(now)?;
            more |= self.due.workers;
        }
        if self.due.gateways {
            self.due.gateways = self.read_gateways(now)?;
            more |= self.due.gateways;
        }
        more |= self.read_embedded(now);
        more |= self.read_handlers(now)?;
        self.resume_writable_handlers(now);
        self.passes = self.passes.wrapping_add(1);
        if std::mem::take(&mut self.due.control) || self.passes % CONTROL_EVERY == 0 {
            self.read_control(now);
        }
        if more {
            // The loop goes on without waiting, so no wake-up will mark the other sockets.
            self.due = Due::ALL;
        }
        if self.engine.next_deadline().is_some_and(|at| at <= now) {
            self.engine.tick(now, &mut self.out);
        }
        self.perform(now);
        Ok(more)
    }

    /// Waits for any source, a due deadline, or the shutdown; returns a message an embedded link gave
    /// while waiting.
    async fn wait(
        &mut self,
        cancelled: Pin<&mut WaitForCancellationFuture<'_>>,
        mut timer: Pin<&mut Sleep>,
        drain_until: Option<Instant>,
    ) -> Result<Option<(usize, Option<ToBroker>)>, Error> {
        let deadline = [self.engine.next_deadline(), drain_until]
            .into_iter()
            .flatten()
            .min();
        if let Some(at) = deadline {
            let at = tokio::time::Instant::from_std(at);
            if timer.deadline() != at {
                timer.as_mut().reset(at);
            }
        }
        let timed = deadline.is_some();
        let draining = self.draining;
        // Check both ROUTERs at once (each check is a libzmq mailbox check, which the waits below
        // then skip): when both are busy, as in standalone mode, one pass reads both instead of one
        // pass and one wait per socket.
        let failed = |role| move |source| Error::Socket { role, source };
        self.due.workers = self.workers.has_input().map_err(failed("workers"))?;
        if let Some(gateways) = &self.gateways {
            self.due.gateways = gateways.has_input().map_err(failed("gateways"))?;
        }
        if self.due.workers || self.due.gateways {
            return Ok(None);
        }
        let Loop {
            workers,
            gateways,
            control,
            handlers,
            embedded,
            due,
            ..
        } = self;
        tokio::select! {
            () = cancelled, if !draining => Ok(None),
            ready = workers.readable() => {
                due.workers = true;
                ready.map(|()| None).map_err(failed("workers"))
            }
            ready = router_readable(gateways.as_mut()) => {
                due.gateways = true;
                ready.map(|_| None).map_err(failed("gateways"))
            }
            ready = drained_readable(control.as_mut()) => {
                due.control = true;
                ready.map(|_| None).map_err(failed("control"))
            }
            ready = handlers.ready() => ready.map(|()| None),
            taken = embedded.recv() => Ok(Some(taken)),
            () = timer, if timed => Ok(None),
        }
    }

    fn read_workers(&mut self, now: Instant) -> Result<bool, Error> {
        for _ in 0..BATCH {
            let got = self.receive(Source::Workers)?;
            let Some((identity, frames)) = self.frames.split_first() else {
                if got == Got::Nothing {
                    return Ok(false);
                }
                continue;
            };
            let identity = identity.as_ref();
            if got == Got::Gone {
                // The worker's connection closed (killed, crashed, or a clean exit after
                // DISCONNECT): what it held fails or is retried now, not after its heartbeats lapse.
                let event = Event::WorkerDisconnect { worker: identity };
                self.engine.handle(event, now, &mut self.out);
            } else {
                self.engine
                    .handle_worker_frames(identity, frames, now, &mut self.out);
            }
        }
        Ok(true)
    }

    /// Receives one message from a socket into `frames` (or the identity of a peer that left).
    pub(super) fn receive(&mut self, source: Source) -> Result<Got, Error> {
        let (socket, role) = match source {
            Source::Workers => (Some(&mut self.workers), "workers"),
            Source::Gateways => (self.gateways.as_mut(), "gateways"),
        };
        let Some(socket) = socket else {
            self.frames.clear();
            return Ok(Got::Nothing);
        };
        loop {
            match socket.try_recv_multipart(&mut self.frames) {
                Ok(received) => return Ok(received),
                Err(zmq_async::Error::TooManyFrames { .. }) => self.io.oversized_messages += 1,
                Err(source) => return Err(Error::Socket { role, source }),
            }
        }
    }

    /// Answers every waiting control request (a REP socket: one answer per request, always). Control
    /// trouble is logged, never fatal to the broker; it leaves the socket due for the next pass, since
    /// only a receive that found nothing leaves it drained.
    fn read_control(&mut self, now: Instant) {
        loop {
            let Some(socket) = &self.control else { return };
            let request = match sockets::try_recv_multipart(socket, &mut self.frames) {
                Ok(false) => return,
                Ok(true) => match self.frames.as_slice() {
                    [request] => Ok(request.as_ref().to_vec()),
                    _ => Err("a control request is one frame of JSON"),
                },
                Err(zmq_async::Error::TooManyFrames { .. }) => {
                    Err("a control request is one frame of JSON")
                }
                Err(error) => {
                    self.due.control = true;
                    return tracing::warn!(%error, "control socket receive failed");
                }
            };
            let answer = match request {
                Ok(request) => control::server::answer(
                    &mut self.engine,
                    &self.io,
                    &request,
                    now,
                    &mut self.out,
                ),
                Err(why) => control::server::refusal(why),
            };
            if let Some(socket) = &self.control {
                if let Err(error) = socket.try_send_multipart([answer]) {
                    self.due.control = true;
                    return tracing::warn!(%error, "control socket send failed");
                }
            }
        }
    }

    /// The end: the engine fails what is left, workers and gateways are told, embedded links go down.
    fn farewell(&mut self) {
        let now = now();
        let gateways = self.engine.gateway_ids();
        self.engine.shutdown(&mut self.out);
        self.perform(now);
        for id in gateways {
            if self.embedded.find(&id).is_none() {
                self.send_gateway(id, &gateway::Command::Disconnect);
            }
        }
        for index in 0..self.embedded.len() {
            self.deliver_embedded(index, crate::link::FromBroker::Down, now);
        }
        tracing::info!("broker stopped");
    }
}

/// Which ROUTER [`Loop::receive`] reads.
#[derive(Clone, Copy)]
pub(super) enum Source {
    /// The workers' ROUTER.
    Workers,
    /// The gateways' ROUTER.
    Gateways,
}
