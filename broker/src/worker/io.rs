//! The worker's I/O thread: the only owner of the DEALER socket. It waits in `zmq::poll` on the socket
//! and on the wake socketpair, feeds what arrives (broker messages, user requests from the outbox, the
//! passing of time) to the [`Session`], and performs the [`Action`]s it returns.
//!
//! Sends never block the thread: a message libzmq refuses (`EAGAIN`, its high-water mark reached) waits
//! in a small backlog, and while the backlog is not empty the thread stops taking user requests, so the
//! back-pressure reaches user threads through the bounded outbox instead of growing a queue here.

mod socket;

use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::Instant;

use crate::protocol::Command;

use super::outbox::{Outbox, Shared};
use super::session::{Action, Outbound, Session};
use super::{Error, Job, Settings};

pub(crate) use socket::open;
use socket::{frames, send_message};

/// Messages handled per source per loop turn, so neither the broker nor user threads starve the other.
const BATCH: usize = 64;

/// Backlog of refused sends beyond which the thread stops reading the broker too (heartbeats are
/// skipped instead of queued).
const MAX_BACKLOG: usize = 64;

/// Most frames a broker message may have (REQUEST has 6); longer ones are drained and dropped.
const MAX_FRAMES: usize = 8;

/// Everything the I/O thread owns.
pub(crate) struct Io {
    pub(crate) ctx: zmq::Context,
    /// The socket opened by `Worker::connect` (to report a bad endpoint there), used by the first Open.
    pub(crate) primed: Option<(String, zmq::Socket)>,
    pub(crate) settings: Settings,
    pub(crate) session: Session,
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
    socket: Option<zmq::Socket>,
    backlog: VecDeque<Vec<zmq::Message>>,
    /// Cleared by [`Action::Stop`].
    running: bool,
    /// The last turn left user requests in the outbox (its batch was full): poll without waiting.
    pending: bool,
}

/// Runs the I/O thread until the session stops.
pub(crate) fn run(io: Io) {
    let guard = StopGuard(io.shared.clone());
    let mut lp = Loop {
        io,
        socket: None,
        backlog: VecDeque::new(),
        running: true,
        pending: false,
    };
    let mut actions = Vec::new();
    lp.io.session.start(Instant::now(), &mut actions);
    lp.perform(&mut actions);
    while lp.running {
        if let Err(error) = lp.turn(&mut actions) {
            tracing::error!(%error, "worker I/O thread failed");
            break;
        }
    }
    lp.flush_on_exit();
    drop(guard);
}

impl Loop {
    /// One poll and everything it made ready.
    fn turn(&mut self, actions: &mut Vec<Action>) -> Result<(), Error> {
        let (readable, writable, woken) = self.poll()?;
        if woken {
            self.drain_wake();
        }
        if writable {
            self.flush_backlog();
        }
        let now = Instant::now();
        for _ in 0..BATCH {
            if !readable || self.backlog.len() >= MAX_BACKLOG {
                break;
            }
            let Some(frames) = self.recv() else { break };
            let mut views: [&[u8]; MAX_FRAMES] = [&[]; MAX_FRAMES];
            for (view, frame) in views.iter_mut().zip(&frames) {
                *view = frame;
            }
            let count = frames.len().min(MAX_FRAMES);
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

    /// Waits for the socket, the wake fd or the session's next deadline.
    fn poll(&self) -> Result<(bool, bool, bool), Error> {
        let timeout = match self.io.session.next_deadline() {
            _ if self.pending => 0,
            None => -1,
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                let ms = left.as_millis() + u128::from(left.subsec_nanos() % 1_000_000 != 0);
                i64::try_from(ms).unwrap_or(i64::MAX)
            }
        };
        let wake = zmq::PollItem::from_fd(self.io.wake.as_raw_fd(), zmq::POLLIN);
        let mut events = zmq::PollEvents::empty();
        if self.backlog.len() < MAX_BACKLOG {
            events |= zmq::POLLIN;
        }
        if !self.backlog.is_empty() {
            events |= zmq::POLLOUT;
        }
        let mut both;
        let mut alone;
        let items: &mut [zmq::PollItem<'_>] = match &self.socket {
            Some(socket) => {
                both = [wake, socket.as_poll_item(events)];
                &mut both
            }
            None => {
                alone = [wake];
                &mut alone
            }
        };
        match zmq::poll(items, timeout) {
            Ok(_) | Err(zmq::Error::EINTR) => {}
            Err(source) => return Err(Error::Zmq { op: "poll", source }),
        }
        let woken = items.first().is_some_and(zmq::PollItem::is_readable);
        let socket = items.get(1);
        Ok((
            socket.is_some_and(zmq::PollItem::is_readable),
            socket.is_some_and(zmq::PollItem::is_writable),
            woken,
        ))
    }

    fn drain_wake(&mut self) {
        let mut buf = [0u8; 256];
        loop {
            match (&self.io.wake).read(&mut buf) {
                Ok(n) if n == buf.len() => {}
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        self.io.shared.woken();
    }

    /// One whole message, if one is waiting. A message with more than [`MAX_FRAMES`] frames is read to
    /// its end and comes back empty (which the session drops as malformed).
    fn recv(&self) -> Option<Vec<zmq::Message>> {
        let socket = self.socket.as_ref()?;
        let mut frames = Vec::with_capacity(MAX_FRAMES);
        let mut oversized = false;
        loop {
            let mut frame = zmq::Message::new();
            match socket.recv(&mut frame, zmq::DONTWAIT) {
                Ok(()) => {}
                Err(zmq::Error::EAGAIN) if frames.is_empty() && !oversized => return None,
                Err(error) => {
                    tracing::warn!(%error, "receiving from the broker failed");
                    return None;
                }
            }
            let more = frame.get_more();
            if frames.len() < MAX_FRAMES {
                frames.push(frame);
            } else {
                oversized = true;
                frames.clear();
            }
            if !more {
                break;
            }
        }
        if oversized {
            tracing::warn!(max = MAX_FRAMES, "broker message with too many frames");
            frames.clear();
        }
        Some(frames)
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
            Action::Close => {
                self.socket = None;
                self.backlog.clear();
            }
            Action::Deliver(delivery) => {
                let (epoch, request) = (delivery.epoch, delivery.request);
                if let Err(mut job) = self
                    .io
                    .shared
                    .queue
                    .push(Job::new(delivery, self.io.outbox.clone()))
                {
                    tracing::error!(?request, "job queue full; request given back");
                    job.disarm();
                    let done = Outbound::Done { epoch, request };
                    self.io.session.user(done, Instant::now(), follow);
                }
            }
            Action::Abandon { epoch } => {
                self.io.shared.epoch.store(epoch, Ordering::Release);
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

    fn open(&mut self, endpoint: &str, follow: &mut Vec<Action>) {
        self.socket = None;
        self.backlog.clear();
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
        self.backlog.push_back(frames(command));
        if self.backlog.len() == 1 {
            self.flush_backlog();
        }
    }

    /// Hands backlogged messages to libzmq until it refuses one (its high-water mark is reached).
    fn flush_backlog(&mut self) {
        let Some(socket) = &self.socket else { return };
        while let Some(fields) = self.backlog.pop_front() {
            match send_message(socket, fields) {
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
        self.socket = None;
    }
}
