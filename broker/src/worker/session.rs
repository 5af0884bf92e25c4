//! The worker's side of S0W/1 as a plain state machine: messages, user requests and the passing of time
//! go in with the current instant, [`Action`]s (send this, open that socket, hand this job out) come out.
//! No socket, no clock, no thread, so registration, heartbeats, liveness, backoff, RECONNECT-TO and the
//! drain are unit tests on made-up instants (`session/tests.rs`); the I/O thread (`io.rs`) performs the
//! actions.
//!
//! An **epoch** numbers the registrations: abandoning what was held (broker silent, or a DISCONNECT from
//! it) starts a new one, and replies and DONEs a user thread sends for a job of an older epoch are
//! dropped, because the broker has already failed or re-dispatched those requests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::idmap::{id_map, IdMap};
use crate::protocol::{Command, HeartbeatTiming, RequestId, ServiceName, Version};

mod incoming;
mod timing;

use timing::{later, Backoff, Timing};

/// What a user thread asks of the I/O thread, through the bounded outbox.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Send this Mongrel2 reply (for a job of registration `epoch`).
    Reply { epoch: u64, reply: Bytes },
    /// The job is finished: send DONE and free its slot.
    Done { epoch: u64, request: RequestId },
    /// The job's last reply and its DONE, sent as one REPLY-DONE message.
    ReplyDone {
        epoch: u64,
        request: RequestId,
        reply: Bytes,
    },
    /// Graceful shutdown: DRAIN, wait up to `grace` for held jobs, DISCONNECT.
    Shutdown { grace: Duration },
}

/// A REQUEST or CANCEL for user code; the I/O thread wraps it into a [`super::Job`].
#[derive(Debug)]
pub(crate) struct Delivery {
    /// True for a CANCEL's disconnect notice, false for a REQUEST.
    pub(crate) cancel: bool,
    pub(crate) request: RequestId,
    /// Sender id of the gateway, which replies address.
    pub(crate) sender: Bytes,
    /// The connection the request (or notice) is about.
    pub(crate) conn_id: u64,
    /// The Mongrel2 request message or disconnect notice.
    pub(crate) payload: Bytes,
    pub(crate) epoch: u64,
    /// Set when the broker cancels the request or the registration holding it is abandoned.
    pub(crate) cancelled: Arc<AtomicBool>,
}

/// What the I/O thread must do, in order.
#[derive(Debug)]
pub(crate) enum Action {
    /// Send on the current socket.
    Send(Command),
    /// Close the current socket (if any) and connect a new DEALER to this endpoint.
    Open(String),
    /// Close the current socket: backing off before reconnecting.
    Close,
    /// Drop what the current socket queued and has not begun to send (it was meant for a registration
    /// the broker no longer has).
    Discard,
    /// Hand a job to user threads.
    Deliver(Delivery),
    /// Jobs of epochs before this one are void: drop any still queued.
    Abandon { epoch: u64 },
    /// The worker is finished: close everything. `abandoned`: requests still held at that point.
    Stop { abandoned: usize },
}

/// The state of the connection to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// READY sent on an open socket; heartbeats flow.
    Up,
    /// The broker sent DISCONNECT: READY is due again at `until`, on the same socket.
    Waiting { until: Instant },
    /// No socket: reconnect at `until`.
    Closed { until: Instant },
}

/// What the worker is doing overall.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Serving,
    /// RECONNECT-TO received: finish held jobs, then move to `to`.
    Moving {
        to: String,
    },
    /// Shutting down: held jobs may finish until `until`.
    Draining {
        until: Instant,
    },
    Stopped,
}

/// One request the worker holds (delivered, not yet DONE).
#[derive(Debug)]
struct Held {
    sender: Bytes,
    conn_id: u64,
    cancelled: Arc<AtomicBool>,
    cancel_delivered: bool,
}

/// The worker protocol state machine; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct Session {
    ready: Command,
    capacity: usize,
    home: String,
    endpoint: String,
    timing: Timing,
    backoff: Backoff,
    link: Link,
    phase: Phase,
    held: IdMap<RequestId, Held>,
    epoch: u64,
    last_heard: Instant,
    next_heartbeat: Instant,
    /// The protocol version spoken on the current socket: S0W/2, or S0W/1 after a broker refused S0W/2.
    version: Version,
}

impl Session {
    /// A session that will register `services` with `capacity` at `endpoint`; [`Session::start`] begins.
    pub(crate) fn new(
        endpoint: String,
        services: Vec<ServiceName>,
        capacity: u32,
        heartbeat: HeartbeatTiming,
        backoff: (Duration, Duration),
        now: Instant,
    ) -> Session {
        Session {
            ready: Command::Ready { services, capacity },
            capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
            home: endpoint.clone(),
            endpoint,
            timing: Timing::from(heartbeat),
            backoff: Backoff::new(backoff.0, backoff.1),
            link: Link::Closed { until: now },
            phase: Phase::Serving,
            held: id_map(),
            epoch: 0,
            last_heard: now,
            next_heartbeat: now,
            version: Version::V2,
        }
    }

    /// The protocol version to frame outgoing messages in.
    pub(crate) fn version(&self) -> Version {
        self.version
    }

    /// Requests delivered and not yet DONE.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.held.len()
    }

    /// When [`Session::tick`] next has something to do.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let drain = match self.phase {
            Phase::Draining { until } => Some(until),
            Phase::Stopped => return None,
            _ => None,
        };
        let link = match self.link {
            Link::Up => self.next_heartbeat.min(self.timing.expiry(self.last_heard)),
            Link::Waiting { until } | Link::Closed { until } => until,
        };
        Some(drain.map_or(link, |d| d.min(link)))
    }

    /// Opens the first socket and registers.
    pub(crate) fn start(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.open(now, out);
    }

    /// The current socket could not be opened (bad RECONNECT-TO endpoint, ...): back off, then try the
    /// endpoint the worker was started with.
    pub(crate) fn open_failed(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.endpoint = self.home.clone();
        self.lose_link(now, out);
    }

    /// The socket's connection to the broker dropped (Scale0's own DEALER says so; it reconnects by
    /// itself within its reconnect interval). The broker lost this registration with it, as a broker
    /// forgets a worker whose connection closed and a crashed one forgot everything: what was held is
    /// abandoned (the broker failed or retried it) and READY is queued at once, first on the next
    /// connection, instead of after the silence and a backoff: a restarted broker has its workers back
    /// as soon as it accepts them.
    pub(crate) fn connection_lost(&mut self, now: Instant, out: &mut Vec<Action>) {
        if matches!(self.link, Link::Closed { .. }) || self.phase == Phase::Stopped {
            return;
        }
        tracing::warn!(endpoint = %self.endpoint, held = self.held.len(), "connection to the broker lost; registering again");
        self.abandon(out);
        out.push(Action::Discard);
        match std::mem::replace(&mut self.phase, Phase::Serving) {
            // Nothing is held any more: a drain is over, and a move can happen now.
            Phase::Draining { .. } | Phase::Stopped => return self.stop(out),
            Phase::Moving { to } => return self.move_to(to, now, out),
            Phase::Serving => {}
        }
        if self.link == Link::Up {
            self.register(now, out);
        }
    }

    /// Time passed: heartbeat, detect a silent broker, retry after a backoff, end a drain.
    pub(crate) fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        if let Phase::Draining { until } = self.phase {
            if now >= until {
                tracing::warn!(held = self.held.len(), "shutdown grace elapsed");
                if self.link == Link::Up {
                    let reason = Some("shutdown grace elapsed".to_owned());
                    out.push(Action::Send(Command::Disconnect { reason }));
                }
                return self.stop(out);
            }
        }
        match self.link {
            Link::Up if now >= self.timing.expiry(self.last_heard) => {
                tracing::warn!(endpoint = %self.endpoint, "broker silent; reconnecting");
                self.lose_link(now, out);
            }
            Link::Up if now >= self.next_heartbeat => {
                out.push(Action::Send(Command::Heartbeat { timing: None }));
                self.next_heartbeat = later(now, self.timing.interval);
            }
            Link::Waiting { until } if now >= until => self.register(now, out),
            Link::Closed { until } if now >= until => self.open(now, out),
            _ => {}
        }
    }

    /// One request from a user thread.
    pub(crate) fn user(&mut self, outbound: Outbound, now: Instant, out: &mut Vec<Action>) {
        let live = self.phase != Phase::Stopped && !matches!(self.link, Link::Closed { .. });
        match outbound {
            Outbound::Reply { epoch, reply } if live && epoch == self.epoch => {
                out.push(Action::Send(Command::Reply { reply }));
            }
            Outbound::Reply { .. } => tracing::debug!("reply for an abandoned job dropped"),
            Outbound::Done { epoch, request } if live && epoch == self.epoch => {
                if self.held.remove(&request).is_some() {
                    out.push(Action::Send(Command::Done { request }));
                    self.idle_check(now, out);
                }
            }
            Outbound::Done { .. } => {}
            Outbound::ReplyDone {
                epoch,
                request,
                reply,
            } if live && epoch == self.epoch => {
                if self.held.remove(&request).is_some() {
                    out.push(Action::Send(Command::ReplyDone { request, reply }));
                    self.idle_check(now, out);
                } else {
                    out.push(Action::Send(Command::Reply { reply }));
                }
            }
            Outbound::ReplyDone { .. } => tracing::debug!("reply for an abandoned job dropped"),
            Outbound::Shutdown { grace } => self.shutdown(grace, now, out),
        }
    }

    fn shutdown(&mut self, grace: Duration, now: Instant, out: &mut Vec<Action>) {
        if matches!(self.phase, Phase::Draining { .. } | Phase::Stopped) {
            return;
        }
        if self.link != Link::Up {
            return self.stop(out);
        }
        out.push(Action::Send(Command::Drain));
        self.phase = Phase::Draining {
            until: later(now, grace),
        };
        self.idle_check(now, out);
    }

    /// Nothing held any more: a pending move or drain can complete.
    fn idle_check(&mut self, now: Instant, out: &mut Vec<Action>) {
        if !self.held.is_empty() {
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Serving) {
            Phase::Moving { to } => {
                out.push(Action::Send(Command::Disconnect { reason: None }));
                self.move_to(to, now, out);
            }
            Phase::Draining { .. } => {
                out.push(Action::Send(Command::Disconnect { reason: None }));
                self.stop(out);
            }
            phase => self.phase = phase,
        }
    }

    fn move_to(&mut self, to: String, now: Instant, out: &mut Vec<Action>) {
        self.endpoint = to;
        self.open(now, out);
    }

    fn open(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.version = Version::V2;
        out.push(Action::Open(self.endpoint.clone()));
        self.register(now, out);
    }

    fn register(&mut self, now: Instant, out: &mut Vec<Action>) {
        out.push(Action::Send(self.ready.clone()));
        self.link = Link::Up;
        self.last_heard = now;
        self.next_heartbeat = later(now, self.timing.interval);
    }

    /// The broker is gone (silent) or unreachable: drop the socket and what was held, retry later.
    fn lose_link(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.abandon(out);
        out.push(Action::Close);
        match std::mem::replace(&mut self.phase, Phase::Serving) {
            Phase::Draining { .. } | Phase::Stopped => return self.stop(out),
            Phase::Moving { to } => self.endpoint = to,
            Phase::Serving => {}
        }
        self.link = Link::Closed {
            until: later(now, self.backoff.next()),
        };
    }

    /// Forgets every held request (the broker failed or re-dispatched them) and starts a new epoch.
    fn abandon(&mut self, out: &mut Vec<Action>) {
        if !self.held.is_empty() {
            tracing::warn!(held = self.held.len(), "abandoning held requests");
        }
        for held in self.held.values() {
            held.cancelled.store(true, Ordering::Release);
        }
        self.held.clear();
        self.epoch += 1;
        out.push(Action::Abandon { epoch: self.epoch });
    }

    fn stop(&mut self, out: &mut Vec<Action>) {
        for held in self.held.values() {
            held.cancelled.store(true, Ordering::Release);
        }
        let abandoned = self.held.len();
        self.held.clear();
        self.phase = Phase::Stopped;
        out.push(Action::Stop { abandoned });
    }
}

#[cfg(test)]
mod tests;
