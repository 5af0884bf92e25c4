//! A Mongrel2-style handler target: the gateway binds PUSH at `send_spec`
//! (requests out) and SUB at `recv_spec` (replies in), as Mongrel2 does, so
//! unchanged Mongrel2 handlers connect to it.
//!
//! One task owns both sockets and the table of connection ids registered with
//! this target (STYLE.md §10: one owner, no locks). Connections talk to it over
//! a bounded command channel; it talks back over each connection's bounded
//! reply channel. Replies for ids it does not know get a disconnect notice,
//! as Mongrel2 does. Requests wait in a bounded queue while no handler is
//! connected and are dropped once their requester has given up.

use std::collections::VecDeque;
use std::time::Duration;

use mongrel2_compat::request::{self, Protocol};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::conns::ConnTable;
use super::{enqueue, Registration, SendError, Ticket};
use crate::zmq_async::AsyncSocket;

/// Commands a connection can queue for the target before it must wait.
pub const COMMAND_QUEUE: usize = 4096;
/// Requests (and notices) waiting for a handler to connect, at most.
pub const MAX_PENDING_SENDS: usize = 10_000;
/// Reply messages queued for one client connection before it counts as too
/// slow and is dropped (Mongrel2 drops at 16; we allow a little more).
pub const CONN_REPLY_QUEUE: usize = 64;
/// Largest reply message accepted from a handler (ZMQ_MAXMSGSIZE on the SUB
/// socket: libzmq drops the peer connection that sends a larger one).
pub const MAX_REPLY_BYTES: i64 = 64 * 1024 * 1024;
/// Messages taken from a socket or channel in one go before the task looks
/// at its other inputs again (fairness between replies and requests).
const DRAIN_BATCH: usize = 256;
/// How long a disconnect notice may wait for a handler before it is dropped.
const NOTICE_DEADLINE: Duration = Duration::from_secs(10);

enum Command {
    Register {
        conn_id: u64,
        registration: Registration,
    },
    Unregister {
        conn_id: u64,
        notify: bool,
    },
    Send {
        frame: Vec<u8>,
        deadline: Instant,
        sent: Option<oneshot::Sender<()>>,
    },
}

/// Settings of one handler target (validated config).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Target name, for logs.
    pub name: String,
    /// Where the gateway binds PUSH (handlers connect PULL).
    pub send_spec: String,
    /// The SENDER field of requests and the PUSH socket identity.
    pub send_ident: String,
    /// Where the gateway binds SUB (handlers connect PUB).
    pub recv_spec: String,
    /// SUB subscription prefix (`""` accepts every reply).
    pub recv_ident: String,
    /// Header encoding of requests.
    pub protocol: Protocol,
}

/// The handle connections use to reach a handler target.
#[derive(Debug, Clone)]
pub struct Handle {
    commands: mpsc::Sender<Command>,
    /// The target's index in the config.
    pub index: usize,
    /// The target's settings.
    pub settings: std::sync::Arc<Settings>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Register { conn_id, .. } => write!(f, "Register({conn_id})"),
            Command::Unregister { conn_id, notify } => {
                write!(f, "Unregister({conn_id}, notify={notify})")
            }
            Command::Send { frame, .. } => write!(f, "Send({} bytes)", frame.len()),
        }
    }
}

impl Handle {
    /// Registers `conn_id` so replies for it reach `registration`.
    pub async fn register(&self, conn_id: u64, registration: Registration) -> bool {
        self.commands
            .send(Command::Register {
                conn_id,
                registration,
            })
            .await
            .is_ok()
    }

    /// Forgets `conn_id`; with `notify`, the handler gets a disconnect notice.
    /// Never waits: used from drop paths. Returns false if the queue was full.
    pub fn unregister(&self, conn_id: u64, notify: bool) -> bool {
        match self
            .commands
            .try_send(Command::Unregister { conn_id, notify })
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(target_name = %self.settings.name, conn_id, "cannot unregister: {e}");
                false
            }
        }
    }

    /// Queues a notice-like frame (no requester waiting), dropped after a while
    /// if no handler is connected.
    pub fn notify(&self, frame: Vec<u8>) -> bool {
        self.commands
            .try_send(Command::Send {
                frame,
                deadline: Instant::now() + NOTICE_DEADLINE,
                sent: None,
            })
            .is_ok()
    }

    /// Queues `frame` for a handler; the ticket resolves once it is in the
    /// PUSH socket. Dropping the ticket withdraws the request if it has not
    /// left yet.
    pub async fn submit(&self, frame: Vec<u8>, deadline: Instant) -> Result<Ticket, SendError> {
        let (sent, ticket) = oneshot::channel();
        let command = Command::Send {
            frame,
            deadline,
            sent: Some(sent),
        };
        enqueue(&self.commands, command, deadline).await?;
        Ok(Ticket::pending(ticket))
    }
}

/// Binds the target's sockets and starts its task on `tracker`.
pub fn spawn(
    ctx: &zmq::Context,
    index: usize,
    settings: Settings,
    tracker: &tokio_util::task::TaskTracker,
    shutdown: CancellationToken,
) -> anyhow::Result<Handle> {
    let push = ctx.socket(zmq::PUSH)?;
    push.set_identity(settings.send_ident.as_bytes())?;
    push.set_linger(0)?;
    push.bind(&settings.send_spec).map_err(|e| {
        anyhow::anyhow!(
            "target {}: bind send_spec {}: {e}",
            settings.name,
            settings.send_spec
        )
    })?;
    let sub = ctx.socket(zmq::SUB)?;
    sub.set_subscribe(settings.recv_ident.as_bytes())?;
    sub.set_linger(0)?;
    sub.set_maxmsgsize(MAX_REPLY_BYTES)?;
    sub.bind(&settings.recv_spec).map_err(|e| {
        anyhow::anyhow!(
            "target {}: bind recv_spec {}: {e}",
            settings.name,
            settings.recv_spec
        )
    })?;
    let push = AsyncSocket::new(push)?;
    let sub = AsyncSocket::new(sub)?;
    let (commands, rx) = mpsc::channel(COMMAND_QUEUE);
    let settings = std::sync::Arc::new(settings);
    let task = Task {
        settings: settings.clone(),
        conns: ConnTable::default(),
        pending: VecDeque::new(),
        notice: Vec::new(),
    };
    tracker.spawn(task.run(push, sub, rx, shutdown));
    Ok(Handle {
        commands,
        index,
        settings,
    })
}

struct Pending {
    frame: Vec<u8>,
    deadline: Instant,
    sent: Option<oneshot::Sender<()>>,
}

struct Task {
    settings: std::sync::Arc<Settings>,
    conns: ConnTable,
    pending: VecDeque<Pending>,
    notice: Vec<u8>,
}

impl Task {
    async fn run(
        mut self,
        mut push: AsyncSocket,
        mut sub: AsyncSocket,
        mut commands: mpsc::Receiver<Command>,
        shutdown: CancellationToken,
    ) {
        loop {
            let has_pending = !self.pending.is_empty();
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                message = sub.recv() => {
                    match message {
                        Ok(message) => self.on_reply(&message),
                        Err(e) => tracing::warn!(target_name = %self.settings.name, "recv on recv_spec: {e}"),
                    }
                    // Take what else is queued without waiting again.
                    for _ in 0..DRAIN_BATCH {
                        match sub.try_recv() {
                            Ok(message) => self.on_reply(&message),
                            Err(_) => break,
                        }
                    }
                }
                command = commands.recv() => {
                    let Some(command) = command else { break };
                    self.on_command(command, &push);
                    for _ in 0..DRAIN_BATCH {
                        match commands.try_recv() {
                            Ok(command) => self.on_command(command, &push),
                            Err(_) => break,
                        }
                    }
                }
                ready = push.ready(zmq::POLLOUT), if has_pending => match ready {
                    Ok(_) => self.flush(&push),
                    Err(e) => tracing::warn!(target_name = %self.settings.name, "poll send_spec: {e}"),
                },
            }
        }
        tracing::debug!(target_name = %self.settings.name, "handler target stopped");
    }

    /// Sends queued frames until the PUSH socket would block.
    fn flush(&mut self, push: &AsyncSocket) {
        // A request whose requester has answered the client (503) must never
        // reach a handler that connects later.
        self.drop_abandoned();
        while let Some(front) = self.pending.front() {
            match push.try_send(&front.frame) {
                Ok(()) => {
                    if let Some(Pending {
                        sent: Some(sent), ..
                    }) = self.pending.pop_front()
                    {
                        let _requester_may_be_gone = sent.send(());
                    }
                }
                Err(crate::zmq_async::Error::WouldBlock) => return,
                Err(e) => {
                    tracing::warn!(target_name = %self.settings.name, "send on send_spec: {e}");
                    self.pending.pop_front();
                }
            }
        }
    }

    /// Drops queued requests whose requester gave up or whose deadline passed.
    fn drop_abandoned(&mut self) {
        let now = Instant::now();
        self.pending
            .retain(|p| p.deadline > now && p.sent.as_ref().is_none_or(|s| !s.is_closed()));
    }

    fn on_command(&mut self, command: Command, push: &AsyncSocket) {
        match command {
            Command::Register {
                conn_id,
                registration,
            } => {
                self.conns.register(conn_id, registration);
            }
            Command::Unregister { conn_id, notify } => {
                if self.conns.remove(conn_id) && notify {
                    self.queue_disconnect(conn_id);
                }
            }
            Command::Send {
                frame,
                deadline,
                sent,
            } => {
                if self.pending.is_empty() {
                    // The common case: a handler is there, send at once.
                    match push.try_send(&frame) {
                        Ok(()) => {
                            if let Some(sent) = sent {
                                let _requester_may_be_gone = sent.send(());
                            }
                            return;
                        }
                        Err(crate::zmq_async::Error::WouldBlock) => {}
                        Err(e) => {
                            tracing::warn!(target_name = %self.settings.name, "send on send_spec: {e}");
                            return;
                        }
                    }
                }
                if self.pending.len() >= MAX_PENDING_SENDS {
                    self.drop_abandoned();
                }
                if self.pending.len() >= MAX_PENDING_SENDS {
                    tracing::warn!(target_name = %self.settings.name, "send queue full; shedding");
                    return; // dropping `sent` tells the requester: overloaded
                }
                self.pending.push_back(Pending {
                    frame,
                    deadline,
                    sent,
                });
            }
        }
    }

    fn queue_disconnect(&mut self, conn_id: u64) {
        if self.pending.len() >= MAX_PENDING_SENDS {
            tracing::warn!(target_name = %self.settings.name, conn_id, "send queue full; disconnect notice dropped");
            return;
        }
        self.notice.clear();
        request::encode_disconnect(
            self.settings.send_ident.as_bytes(),
            conn_id,
            self.settings.protocol,
            &mut self.notice,
        );
        self.pending.push_back(Pending {
            frame: self.notice.clone(),
            deadline: Instant::now() + NOTICE_DEADLINE,
            sent: None,
        });
    }

    fn on_reply(&mut self, frame: &[u8]) {
        match self.conns.route(frame) {
            Ok(unknown) => {
                for conn_id in unknown {
                    self.queue_disconnect(conn_id);
                }
            }
            Err(e) => {
                tracing::warn!(target_name = %self.settings.name, "dropped malformed reply: {e}");
            }
        }
    }
}
