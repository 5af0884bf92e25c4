//! The control port's socket task: owns the REP socket, answers one request
//! at a time with [`handle`](super::handle), and carries out the effects.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{handle, Effect, ServerInfo, Settings, State, TaskRow, MAX_REQUEST_BYTES};
use crate::registry::{Killed, Kind, Registry, Row};
use crate::zmq_async::{AsyncSocket, Error, LINGER_MS};

/// Requests libzmq may queue for the control port (its receive high-water
/// mark); control traffic is one operator at a time.
pub const CONTROL_QUEUE: i32 = 64;

/// Frames a request may have; REQ clients send one.
const MAX_REQUEST_FRAMES: usize = 4;

/// Binds the control port's REP socket at `settings.endpoint` and starts the
/// task answering it on `tracker`. It ends on `shutdown` or `control_stop`;
/// `stop` cancels `shutdown`, `terminate` cancels `terminate` and `shutdown`.
/// Must be called inside a tokio runtime. Returns the bound endpoint.
pub fn spawn(
    ctx: &zmq::Context,
    settings: Settings,
    tracker: &TaskTracker,
    shutdown: CancellationToken,
    terminate: CancellationToken,
) -> Result<String, Error> {
    let zmq_err = |op| move |source| Error::Zmq { op, source };
    let socket = ctx.socket(zmq::REP).map_err(zmq_err("socket"))?;
    socket
        .set_linger(LINGER_MS)
        .map_err(zmq_err("setsockopt ZMQ_LINGER"))?;
    socket
        .set_rcvhwm(CONTROL_QUEUE)
        .map_err(zmq_err("setsockopt ZMQ_RCVHWM"))?;
    socket
        .set_maxmsgsize(i64::try_from(MAX_REQUEST_BYTES).unwrap_or(i64::MAX))
        .map_err(zmq_err("setsockopt ZMQ_MAXMSGSIZE"))?;
    socket
        .bind(&settings.endpoint)
        .map_err(|source| Error::Endpoint {
            op: "bind",
            endpoint: settings.endpoint.clone(),
            source,
        })?;
    let socket = AsyncSocket::new(socket)?;
    let bound = socket.last_endpoint()?;
    tracing::info!(endpoint = %bound, "control port listening");
    tracker.spawn(run(socket, settings, shutdown, terminate));
    Ok(bound)
}

async fn run(
    mut socket: AsyncSocket,
    settings: Settings,
    shutdown: CancellationToken,
    terminate: CancellationToken,
) {
    loop {
        let received = tokio::select! {
            _ = shutdown.cancelled() => return,
            received = socket.recv_multipart(MAX_REQUEST_FRAMES) => received,
        };
        let frame = match received {
            Ok(frames) => frames.into_iter().next().map(|m| m.to_vec()),
            Err(Error::TooManyFrames { .. }) => None,
            Err(e) => {
                tracing::error!("control port stopped: {e}");
                return;
            }
        };
        let state = Live {
            registry: &settings.registry,
            info: &settings.info,
            fixed: &settings.tasks,
            now: Instant::now(),
        };
        let outcome = handle(frame.as_deref().unwrap_or_default(), &state);
        let sent = tokio::select! {
            _ = shutdown.cancelled() => return,
            sent = socket.send(&outcome.reply) => sent,
        };
        if let Err(e) = sent {
            tracing::warn!("control port reply not sent: {e}");
        }
        match outcome.effect {
            Effect::None => {}
            Effect::Stop => {
                tracing::info!("stop requested on the control port");
                shutdown.cancel();
            }
            Effect::Terminate => {
                tracing::info!("terminate requested on the control port");
                terminate.cancel();
                shutdown.cancel();
            }
            Effect::StopControl => {
                tracing::info!("control port closed by control_stop");
                return;
            }
        }
    }
}

/// The gateway as one request sees it.
struct Live<'a> {
    registry: &'a Arc<Registry>,
    info: &'a ServerInfo,
    fixed: &'a [TaskRow],
    now: Instant,
}

impl State for Live<'_> {
    fn connections(&self) -> Vec<Row> {
        self.registry.rows(self.now)
    }

    fn tasks(&self) -> Vec<TaskRow> {
        let mut rows = self.fixed.to_vec();
        let first = u64::try_from(rows.len()).unwrap_or(u64::MAX);
        rows.extend(self.connections().iter().zip(1..).map(|(conn, i)| TaskRow {
            id: first.saturating_add(i),
            system: false,
            name: kind_name(conn.kind).into(),
            state: "read fd".into(),
            status: "idle".into(),
        }));
        rows
    }

    fn info(&self) -> &ServerInfo {
        self.info
    }

    fn unix_time(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    fn kill(&self, id: u64) -> Killed {
        self.registry.kill(id)
    }
}

/// The task name Mongrel2 gives a connection of this type.
fn kind_name(kind: u8) -> &'static str {
    match kind {
        k if k == Kind::Socket as u8 => "Socket",
        k if k == Kind::WebSocket as u8 => "WebSocket",
        _ => "HTTP",
    }
}
