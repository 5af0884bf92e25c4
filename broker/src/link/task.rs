//! The standalone link's task: owns the DEALER, speaks S0G/2 (S0G/1 to a broker from before S0G/2),
//! watches the broker's liveness.
//!
//! Version: until the broker has answered since the last (re)connect, HEARTBEATs alternate between S0G/2
//! and S0G/1 (a broker from before S0G/2 drops S0G/2 as malformed and answers only the S0G/1 ones);
//! the version of the first message heard from the broker is then kept for everything sent.
//!
//! One `select!` waits for a message from the gateway, the socket and the next timer (heartbeat, expiry
//! sweep, broker silence). Everything for the gateway goes straight to its sink, which never blocks.

mod gateway_side;

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::outstanding::Retry;
use super::{FromBroker, LinkSettings, Outstanding, Sink, ToBroker, REASON_BROKER_LOST};
use crate::protocol::gateway::{self, Command};
use crate::protocol::Version;
use crate::runtime::sockets;
use crate::runtime::transport::{DealerSocket, Got};
use crate::zmq_async;

/// Messages read from the socket per wake before other work gets a turn.
const BATCH: usize = 256;

/// How soon a HEARTBEAT the socket refused (queue full) is tried again.
const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// The link's state; see the module docs.
pub(super) struct Task {
    ctx: zmq::Context,
    endpoint: String,
    sender_id: Bytes,
    settings: LinkSettings,
    socket: DealerSocket,
    from_gateway: mpsc::Receiver<ToBroker>,
    sink: Sink,
    /// Set when the sink said the gateway is gone: the task ends.
    gone: bool,
    outstanding: Outstanding,
    up: bool,
    /// Start of the current silence window: the last message from the broker, or (re)connect.
    heard_at: Instant,
    heartbeat_at: Instant,
    sweep_at: Instant,
    frames: Vec<sockets::Frame>,
    out: Vec<Bytes>,
    /// The version everything is sent in: the broker's, once it has answered.
    version: Version,
    /// Version of the next HEARTBEAT while the broker has not answered yet.
    probe: Version,
    /// Idempotent requests the lost broker took, to submit again once one answers (within their
    /// deadlines), and the earliest of those deadlines.
    parked: Vec<(u64, Retry)>,
    parked_due: Option<Instant>,
}

impl Task {
    /// Opens the DEALER and builds the task (not yet running).
    pub(super) fn open(
        endpoint: &str,
        sender_id: Bytes,
        settings: LinkSettings,
        from_gateway: mpsc::Receiver<ToBroker>,
        sink: Sink,
    ) -> Result<Self, zmq_async::Error> {
        let ctx = zmq::Context::new();
        let socket = Self::dealer(&ctx, endpoint, &sender_id, &settings)?;
        let now = Instant::now();
        Ok(Task {
            ctx,
            endpoint: endpoint.to_owned(),
            sender_id,
            outstanding: Outstanding::new(settings.max_outstanding),
            settings,
            socket,
            from_gateway,
            sink,
            gone: false,
            up: false,
            heard_at: now,
            heartbeat_at: now,
            sweep_at: now,
            frames: Vec::new(),
            out: Vec::new(),
            version: Version::V2,
            probe: Version::V2,
            parked: Vec::new(),
            parked_due: None,
        })
    }

    fn dealer(
        ctx: &zmq::Context,
        endpoint: &str,
        sender_id: &[u8],
        settings: &LinkSettings,
    ) -> Result<DealerSocket, zmq_async::Error> {
        DealerSocket::connect(ctx, endpoint, sender_id, settings.hwm, settings.transport)
    }

    /// Runs until the gateway drops its sender or the sink says it is gone.
    pub(super) async fn run(mut self) {
        let timer = tokio::time::sleep_until(self.next_timer());
        tokio::pin!(timer);
        loop {
            let wake = self.next_timer();
            if timer.deadline() != wake {
                timer.as_mut().reset(wake);
            }
            tokio::select! {
                biased;
                () = &mut timer => self.on_timer(),
                ready = self.socket.readable() => match ready {
                    Ok(()) => self.read_socket(),
                    Err(error) => {
                        tracing::warn!(%error, "gateway link socket failed; reconnecting");
                        self.reconnect();
                    }
                },
                message = self.from_gateway.recv() => match message {
                    Some(message) => {
                        // One clock reading serves the whole batch (microseconds apart).
                        let now = Instant::now();
                        self.on_gateway_message(message, now);
                        self.drain_gateway(now);
                    }
                    None => break,
                },
            }
            if self.gone {
                break;
            }
        }
        self.send(&Command::Disconnect);
    }

    /// When the timer branch is next due: heartbeat, expiry sweep or broker silence. One `Sleep` is
    /// kept across passes and reset only when this moves, so a busy link does not register a timer per
    /// message.
    fn next_timer(&self) -> Instant {
        let next = self.heartbeat_at.min(self.sweep_at).min(self.silence_at());
        self.parked_due.map_or(next, |due| next.min(due))
    }

    /// Handles what else the gateway has queued (up to a batch), so a burst of submits costs one pass of
    /// the loop (and one readiness check of the socket) instead of one each.
    fn drain_gateway(&mut self, now: Instant) {
        for _ in 1..BATCH {
            match self.from_gateway.try_recv() {
                Ok(message) => self.on_gateway_message(message, now),
                Err(_) => return,
            }
        }
    }

    fn silence_at(&self) -> Instant {
        self.heard_at + self.settings.timeout()
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        if now >= self.heartbeat_at {
            let interval = self.settings.heartbeat_interval;
            let sent = if self.up {
                self.send(&Command::Heartbeat)
            } else {
                let version = self.probe;
                self.probe = match version {
                    Version::V2 => Version::V1,
                    Version::V1 => Version::V2,
                };
                self.send_in(&Command::Heartbeat, version)
            };
            let next = if sent {
                interval
            } else {
                interval.min(PROBE_INTERVAL)
            };
            self.heartbeat_at = now + next;
        }
        if now >= self.sweep_at {
            self.outstanding.expire(now.into_std());
            self.sweep_at = now + self.settings.heartbeat_interval;
        }
        if self.parked_due.is_some_and(|due| now >= due) {
            self.fail_parked(|retry| retry.deadline_at <= now.into_std());
        }
        if now >= self.silence_at() {
            let outstanding = self.outstanding.len();
            tracing::warn!(endpoint = %self.endpoint, outstanding, "broker silent; failing outstanding requests");
            self.broker_gone();
        }
    }

    /// The broker is gone: `Down` (if it was up), FAIL 502 for everything handed over but the idempotent
    /// requests still within their deadlines, which are parked until a broker answers; a fresh socket.
    fn broker_gone(&mut self) {
        if self.up {
            self.up = false;
            self.deliver(FromBroker::Down);
        }
        let now = std::time::Instant::now();
        for (request, retry) in self.outstanding.take_all() {
            match retry {
                Some(retry) if retry.deadline_at > now => self.parked.push((request, retry)),
                _ => self.fail(request, 502, Duration::ZERO, REASON_BROKER_LOST),
            }
        }
        self.parked_changed();
        if !self.parked.is_empty() {
            tracing::info!(
                parked = self.parked.len(),
                "idempotent requests wait for a broker"
            );
        }
        self.reconnect();
    }

    /// A broker answers: the parked requests are submitted again, oldest first, with what is left of
    /// their deadlines.
    fn resubmit_parked(&mut self) {
        let mut parked = std::mem::take(&mut self.parked);
        self.parked_changed();
        parked.sort_unstable_by_key(|(request, _)| *request);
        let now = std::time::Instant::now();
        for (request, retry) in parked {
            let left = retry.deadline_at.saturating_duration_since(now);
            if left.is_zero() {
                self.fail(request, 502, Duration::ZERO, REASON_BROKER_LOST);
                continue;
            }
            let Retry {
                service,
                payload,
                deadline_at,
            } = retry;
            self.hand_over(request, service, payload, Some(left), true, deadline_at);
        }
    }

    /// FAILs (502 `broker-lost`) the parked requests `due` selects.
    fn fail_parked(&mut self, due: impl Fn(&Retry) -> bool) {
        let (failed, kept) = std::mem::take(&mut self.parked)
            .into_iter()
            .partition(|(_, retry)| due(retry));
        self.parked = kept;
        self.parked_changed();
        let failed: Vec<(u64, Retry)> = failed;
        for (request, _) in failed {
            self.fail(request, 502, Duration::ZERO, REASON_BROKER_LOST);
        }
    }

    /// The gateway gave up on `request` (the client left): it is not submitted again.
    pub(super) fn unpark(&mut self, request: u64) {
        if self.parked.is_empty() {
            return;
        }
        self.parked.retain(|(id, _)| *id != request);
        self.parked_changed();
    }

    fn parked_changed(&mut self) {
        self.parked_due = self
            .parked
            .iter()
            .map(|(_, retry)| Instant::from_std(retry.deadline_at))
            .min();
    }

    /// Replaces the socket, dropping whatever it still queued for a broker that did not answer (sent to
    /// a broker that comes back, those requests would be served after they were failed here).
    fn reconnect(&mut self) {
        match Self::dealer(&self.ctx, &self.endpoint, &self.sender_id, &self.settings) {
            Ok(socket) => std::mem::replace(&mut self.socket, socket).abandon(),
            Err(error) => tracing::warn!(%error, "gateway link could not reopen its socket"),
        }
        let now = Instant::now();
        self.heard_at = now;
        self.heartbeat_at = now;
        self.probe = Version::V2;
    }

    fn read_socket(&mut self) {
        // One clock reading serves the whole batch (microseconds apart).
        let now = Instant::now();
        for _ in 0..BATCH {
            if self.gone {
                return;
            }
            match self.socket.try_recv_multipart(&mut self.frames) {
                Ok(Got::Message) => self.on_socket_message(now),
                Ok(Got::Nothing) => return,
                Ok(Got::Gone) => return self.connection_lost(),
                Err(error) => {
                    tracing::debug!(%error, "message from the broker dropped");
                }
            }
        }
    }

    /// The connection to the broker dropped (a native socket says so): a broker forgets a gateway whose
    /// connection closed, and a crashed one forgot everything, so the requests handed over fail now (as
    /// after a silence) instead of at their deadlines, and the link starts again on a fresh socket.
    fn connection_lost(&mut self) {
        let outstanding = self.outstanding.len();
        tracing::warn!(endpoint = %self.endpoint, outstanding, "connection to the broker lost; failing outstanding requests");
        self.broker_gone();
    }

    fn on_socket_message(&mut self, now: Instant) {
        let (version, command) = match gateway::decode_versioned(&self.frames) {
            Ok(decoded) => decoded,
            Err(error) => return tracing::debug!(%error, "malformed message from the broker"),
        };
        if command == Command::Disconnect {
            tracing::info!(endpoint = %self.endpoint, "broker said DISCONNECT");
            return self.broker_gone();
        }
        self.heard_at = now;
        if !self.up {
            self.up = true;
            self.version = version;
            tracing::info!(endpoint = %self.endpoint, ?version, "broker up");
            self.deliver(FromBroker::Up);
            self.resubmit_parked();
        }
        match command {
            Command::Reply { reply } => {
                self.outstanding.replied(&reply);
                self.deliver(FromBroker::Reply(reply));
            }
            Command::Fail {
                request,
                status,
                retry_after,
                reason,
            } => {
                self.outstanding.remove(request);
                let retry_after = retry_after.unwrap_or_default();
                self.fail(request, status.code(), retry_after, reason.as_str());
            }
            Command::Heartbeat | Command::Disconnect => {}
            Command::Submit { .. } | Command::Cancel { .. } => {
                tracing::debug!("gateway-to-broker command received from the broker; dropped");
            }
        }
    }

    /// Sends one command without waiting; `false` when the socket would not take it (no connection to
    /// the broker, or its queue is full).
    fn send(&mut self, command: &Command) -> bool {
        self.send_in(command, self.version)
    }

    /// Like [`Task::send`], in the given version.
    fn send_in(&mut self, command: &Command, version: Version) -> bool {
        self.out.clear();
        gateway::encode_into(command, version, &mut self.out);
        match self.socket.try_send_multipart(&self.out) {
            Ok(()) => true,
            Err(zmq_async::Error::WouldBlock) => false,
            Err(error) => {
                tracing::warn!(%error, "gateway link send failed");
                false
            }
        }
    }
}
