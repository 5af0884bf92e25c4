//! The worker's I/O loop: the only owner of the DEALER socket. It waits in `zmq::poll` on the socket
//! and on the wake socketpair, feeds what arrives (broker messages, user requests from the outbox, the
//! passing of time) to the [`Session`], and performs the [`Action`]s it returns. It runs on its own
//! thread ([`run`], jobs go to the shared queue) or on the serving thread (`inline.rs`, jobs go to the
//! handler).
//!
//! Sends never block the thread: a message libzmq refuses (`EAGAIN`, its high-water mark reached) waits
//! in a small backlog, and while the backlog is not empty the thread stops taking user requests, so the
//! back-pressure reaches user threads through the bounded outbox instead of growing a queue here. (A
//! handler serving inline meets the full backlog in its own send, which turns the loop until the socket
//! takes messages again.)

mod inline;
mod poll;
mod socket;

use std::collections::VecDeque;
use std::os::unix::net::UnixStream;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::protocol::Command;

use super::outbox::{Outbox, Shared};
use super::session::{Action, Delivery, Outbound, Session};
use super::{Error, Job, Settings};

pub(crate) use inline::{offer, serving};
pub use inline::{Inline, QUICK_CALL};
use socket::{frames, Recv, MAX_FRAMES};
pub(crate) use socket::{open, Socket};

/// Messages handled per source per loop turn, so neither the broker nor user threads starve the other.
const BATCH: usize = 64;

/// Backlog of refused sends beyond which the thread stops reading the broker too (heartbeats are
/// skipped instead of queued).
const MAX_BACKLOG: usize = 64;

/// Everything the I/O thread owns.
pub(crate) struct Io {
    pub(crate) ctx: zmq::Context,
    /// The socket opened by `Worker::connect` (to report a bad endpoint there), used by the first Open.
    pub(crate) primed: Option<(String, Socket)>,
    pub(crate) settings: Settings,
    pub(crate) session: Session,
    /// Bound of the jobs delivered and not yet taken (twice the capacity: requests and cancels).
    pub(crate) jobs: usize,
    pub(crate) inbox: Receiver<Outbound>,
    pub(crate) wake: UnixStream,
    pub(crate) outbox: Outbox,
    pub(crate) shared: Arc<Shared>,
}

/// Marks the worker stopped when the thread ends, however it ends, so no user thread waits forever.
struct StopGuard(Arc<Shared>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Release);
        drop(self.0.queue.stop());
    }
}

/// The socket, its backlog of refused sends, and the poll loop.
struct Loop {
    io: Io,
    socket: Option<Socket>,
    backlog: VecDeque<Vec<Bytes>>,
    /// Frames of the message being handled (reused).
    received: Vec<crate::runtime::sockets::Frame>,
    /// Cleared by [`Action::Stop`].
    running: bool,
    /// The last turn left user requests in the outbox (its batch was full): poll without waiting.
    pending: bool,
    /// Inline mode: deliveries waiting for the handler. `None`: jobs go to the shared queue.
    ready: Option<VecDeque<Delivery>>,
    /// Why the loop stopped, if it failed.
    failure: Option<Error>,
    /// Reused by inline sends, which perform actions outside a turn.
    scratch: Vec<Action>,
}

/// Runs the I/O thread until the session stops.
pub(crate) fn run(io: Io) {
    let guard = StopGuard(io.shared.clone());
    let mut lp = Loop::new(io, false);
    let mut actions = Vec::new();
    lp.start(&mut actions);
    while lp.running {
        lp.step(&mut actions);
    }
    lp.flush_on_exit();
    drop(guard);
}

impl Loop {
    /// A loop not yet started; `inline` keeps deliveries for the handler instead of queueing jobs.
    fn new(io: Io, inline: bool) -> Loop {
        let ready = inline.then(|| VecDeque::with_capacity(io.jobs));
        Loop {
            io,
            socket: None,
            backlog: VecDeque::new(),
            received: Vec::new(),
            running: true,
            pending: false,
            ready,
            failure: None,
            scratch: Vec::new(),
        }
    }

    /// Opens the first socket and registers.
    fn start(&mut self, actions: &mut Vec<Action>) {
        self.io.session.start(Instant::now(), actions);
        self.perform(actions);
    }

    /// One turn; a failure stops the loop.
    fn step(&mut self, actions: &mut Vec<Action>) {
        if let Err(error) = self.turn(actions) {
            tracing::error!(%error, "worker I/O loop failed");
            self.failure = Some(error);
            self.running = false;
        }
    }

    /// One poll and everything it made ready.
    fn turn(&mut self, actions: &mut Vec<Action>) -> Result<(), Error> {
        let (readable, writable, woken) = self.poll()?;
        if woken {
            self.drain_wake();
        }
        if let Some(socket) = &mut self.socket {
            socket.progress(readable, writable);
        }
        let readable = readable || self.socket.as_ref().is_some_and(Socket::has_input);
        if writable {
            self.flush_backlog();
        }
        let now = Instant::now();
        for _ in 0..BATCH {
            if !readable || self.backlog.len() >= MAX_BACKLOG {
                break;
            }
            let Some(socket) = &mut self.socket else {
                break;
            };
            match socket.recv(&mut self.received) {
                Recv::Message => {}
                Recv::Nothing => break,
                Recv::Lost => {
                    self.io.session.connection_lost(now, actions);
                    self.perform(actions);
                    if !self.running {
                        return Ok(());
                    }
                    continue;
                }
            }
            let mut views: [&[u8]; MAX_FRAMES] = [&[]; MAX_FRAMES];
            for (view, frame) in views.iter_mut().zip(&self.received) {
                *view = frame.as_ref();
            }
            let count = self.received.len().min(MAX_FRAMES);
            self.io.session.message(&views[..count], now, actions);
            self.perform(actions);
            if !self.running {
                return Ok(());
            }
        }
        self.pending = true;
        for _ in 0..BATCH {
            if !self.backlog.is_empty() {
                self.pending = false;
                break;
            }
            match self.io.inbox.try_recv() {
                Ok(outbound) => self.io.session.user(outbound, now, actions),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                    self.pending = false;
                    break;
                }
            }
            self.perform(actions);
            if !self.running {
                return Ok(());
            }
        }
        self.io.session.tick(now, actions);
        self.perform(actions);
        Ok(())
    }

    /// Performs `actions` and what they lead to.
    fn perform(&mut self, actions: &mut Vec<Action>) {
        while !actions.is_empty() {
            for action in std::mem::take(actions) {
                self.apply(action, actions);
            }
        }
    }

    fn apply(&mut self, action: Action, follow: &mut Vec<Action>) {
        match action {
            Action::Send(command) => self.send(&command),
            Action::Open(endpoint) => self.open(&endpoint, follow),
            Action::Close => self.close_socket(),
            Action::Discard => {
                if let Some(socket) = &mut self.socket {
                    socket.discard_queued();
                }
                self.backlog.clear();
            }
            Action::Deliver(delivery) => self.deliver(delivery, follow),
            Action::Abandon { epoch } => {
                self.io.shared.epoch.store(epoch, Ordering::Release);
                if let Some(ready) = &mut self.ready {
                    ready.retain(|delivery| delivery.epoch >= epoch);
                }
                drop(
                    self.io
                        .shared
                        .queue
                        .remove_unless(|job| job.epoch() >= epoch),
                );
            }
            Action::Stop { abandoned } => {
                self.io.shared.abandoned.store(abandoned, Ordering::Release);
                self.running = false;
            }
        }
    }

    /// Queues a job for user threads, or keeps the delivery for the inline handler. Past the bound
    /// (which the session never reaches) a request is given back at once with DONE.
    fn deliver(&mut self, delivery: Delivery, follow: &mut Vec<Action>) {
        let (epoch, request, cancel) = (delivery.epoch, delivery.request, delivery.cancel);
        let kept = match &mut self.ready {
            Some(ready) if ready.len() < self.io.jobs => {
                ready.push_back(delivery);
                true
            }
            Some(_) => false,
            None => {
                let job = Job::new(delivery, self.io.outbox.clone());
                self.io.shared.queue.push(job).map_err(Job::disarm).is_ok()
            }
        };
        if !kept && !cancel {
            tracing::error!(?request, "job queue full; request given back");
            let done = Outbound::Done { epoch, request };
            self.io.session.user(done, Instant::now(), follow);
        }
    }

    /// Closes the socket; what it queued (a DISCONNECT before moving to another broker) gets up to the
    /// linger to leave, as libzmq gives its closed sockets.
    fn close_socket(&mut self) {
        if let Some(socket) = self.socket.take() {
            socket.close(self.io.settings.linger);
        }
        self.backlog.clear();
    }

    fn open(&mut self, endpoint: &str, follow: &mut Vec<Action>) {
        self.close_socket();
        let socket = match self.io.primed.take() {
            Some((primed, socket)) if primed == endpoint => Ok(socket),
            _ => open(&self.io.ctx, &self.io.settings, endpoint),
        };
        match socket {
            Ok(socket) => {
                tracing::info!(endpoint, "connecting to the broker");
                self.socket = Some(socket);
            }
            Err(error) => {
                tracing::error!(%error, "cannot connect to the broker");
                self.io.session.open_failed(Instant::now(), follow);
            }
        }
    }

    fn send(&mut self, command: &Command) {
        if self.socket.is_none() {
            return tracing::debug!(command = command.name(), "no socket; message dropped");
        }
        if matches!(command, Command::Heartbeat { .. }) && self.backlog.len() >= MAX_BACKLOG {
            return tracing::debug!("send backlog full; heartbeat skipped");
        }
        self.backlog
            .push_back(frames(command, self.io.session.version()));
        if self.backlog.len() == 1 {
            self.flush_backlog();
        }
    }

    /// Hands backlogged messages to libzmq until it refuses one (its high-water mark is reached).
    fn flush_backlog(&mut self) {
        let Some(socket) = &mut self.socket else {
            return;
        };
        while let Some(fields) = self.backlog.pop_front() {
            match socket.send_message(fields) {
                Ok(()) => {}
                Err(Some(fields)) => return self.backlog.push_front(fields),
                Err(None) => {}
            }
        }
    }

    /// Gives the last messages (the final DISCONNECT) one chance to reach libzmq, whose linger then
    /// flushes them while the socket closes.
    fn flush_on_exit(&mut self) {
        self.flush_backlog();
        if let Some(socket) = self.socket.take() {
            socket.close(self.io.settings.linger);
        }
    }
}
